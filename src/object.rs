//! The hash and plan phases: what an image file becomes in the bucket: its SHA-256, its sniffed
//! Content-Type, its key and its public URL.
//!
//! ```
//! use r2filter::object::{KeyTemplate, KeyInputs, public_url};
//! let t = KeyTemplate::parse("{year}/{month}/{hash:12}.{ext}").unwrap();
//! let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
//! let key = t.render("blog", &KeyInputs { hash, ext: "png", stem: "my shot", year: 2026, month: 11, day: 28 });
//! assert_eq!(key, "blog/2026/11/9f86d081884c.png");
//! assert_eq!(public_url("https://assets.example.com/", "a b/截图.png"),
//!            "https://assets.example.com/a%20b/%E6%88%AA%E5%9B%BE.png");
//! ```

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// Bytes read from the start of a file to sniff its type.
const SNIFF_LEN: usize = 8192;

/// A file's content address and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    pub size: u64,
    /// `None` when the bytes are not an image this tool publishes.
    pub kind: Option<ImageType>,
}

/// A sniffed image type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageType {
    pub mime: &'static str,
    /// The extension keys get (`jpg` for JPEG, whatever the file was called).
    pub ext: &'static str,
}

impl ImageType {
    /// Every type [`sniff`] can answer.
    pub const ALL: &[ImageType] = &[
        ImageType {
            mime: "image/png",
            ext: "png",
        },
        ImageType {
            mime: "image/apng",
            ext: "png",
        },
        ImageType {
            mime: "image/jpeg",
            ext: "jpg",
        },
        ImageType {
            mime: "image/gif",
            ext: "gif",
        },
        ImageType {
            mime: "image/webp",
            ext: "webp",
        },
        ImageType {
            mime: "image/avif",
            ext: "avif",
        },
        ImageType {
            mime: "image/x-icon",
            ext: "ico",
        },
        ImageType {
            mime: "image/bmp",
            ext: "bmp",
        },
        ImageType {
            mime: "image/tiff",
            ext: "tiff",
        },
        ImageType {
            mime: "image/svg+xml",
            ext: "svg",
        },
    ];

    /// The type [`sniff`] gives this Content-Type (for caches that store it).
    pub fn from_mime(mime: &str) -> Option<ImageType> {
        ImageType::ALL.iter().copied().find(|t| t.mime == mime)
    }
}

/// Hashes `path` in one streaming pass, sniffing its type from the first bytes.
/// A file whose first bytes are no image is not read further (`kind: None`,
/// empty `sha256`).
pub fn hash_file(path: &Path) -> io::Result<FileInfo> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if head.len() < SNIFF_LEN {
            let take = n.min(SNIFF_LEN - head.len());
            head.extend_from_slice(&buf[..take]);
            // Not an image: stop here rather than read the rest of it.
            if head.len() == SNIFF_LEN && sniff(&head).is_none() {
                return Ok(FileInfo {
                    sha256: String::new(),
                    size,
                    kind: None,
                });
            }
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let digest = hasher.finalize();
    let mut sha256 = String::with_capacity(64);
    for b in digest {
        let _ = write!(sha256, "{b:02x}");
    }
    Ok(FileInfo {
        sha256,
        size,
        kind: sniff(&head),
    })
}

/// The image type of a file starting with `head`, from its bytes alone (never
/// its name: a `.jpg` that is a PNG is served as PNG).
pub fn sniff(head: &[u8]) -> Option<ImageType> {
    let t = |mime, ext| Some(ImageType { mime, ext });
    let known = infer::get(head).and_then(|kind| match kind.mime_type() {
        "image/png" => t("image/png", "png"),
        "image/apng" => t("image/apng", "png"),
        "image/jpeg" => t("image/jpeg", "jpg"),
        "image/gif" => t("image/gif", "gif"),
        "image/webp" => t("image/webp", "webp"),
        "image/avif" => t("image/avif", "avif"),
        "image/vnd.microsoft.icon" | "image/x-icon" => t("image/x-icon", "ico"),
        "image/bmp" => t("image/bmp", "bmp"),
        "image/tiff" => t("image/tiff", "tiff"),
        "image/svg+xml" => t("image/svg+xml", "svg"),
        _ => None,
    });
    // infer takes SVG for plain XML or text; look for the element itself.
    known.or_else(|| {
        is_svg(head).then_some(ImageType {
            mime: "image/svg+xml",
            ext: "svg",
        })
    })
}

/// SVG is text: an optional BOM, XML declaration, comments or doctype, then an
/// `<svg` element.
fn is_svg(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            let Some(end) = r.find("?>") else {
                return false;
            };
            rest = r[end + 2..].trim_start();
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let Some(end) = r.find("-->") else {
                return false;
            };
            rest = r[end + 3..].trim_start();
        } else if let Some(r) = rest.strip_prefix("<!") {
            // A doctype may hold an internal subset in brackets.
            let end = match (r.find('['), r.find('>')) {
                (Some(b), Some(g)) if b < g => r.find("]>").map(|e| e + 2),
                (_, Some(g)) => Some(g + 1),
                _ => None,
            };
            let Some(end) = end else { return false };
            rest = r[end..].trim_start();
        } else {
            return rest.starts_with("<svg")
                && rest[4..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/');
        }
    }
}

/// The parts a key is made of.
#[derive(Debug, Clone, Copy)]
pub struct KeyInputs<'a> {
    pub hash: &'a str,
    pub ext: &'a str,
    /// The original file name without its extension.
    pub stem: &'a str,
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// A parsed key template such as `{year}/{month}/{hash:12}.{ext}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Hash(usize),
    Ext,
    Stem,
    Year,
    Month,
    Day,
}

/// The template when none is configured (the original workflow's layout).
pub const DEFAULT_KEY_TEMPLATE: &str = "{year}/{month}/{hash:12}.{ext}";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key template {template:?}: {problem}")]
pub struct TemplateError {
    pub template: String,
    pub problem: String,
}

impl KeyTemplate {
    pub fn parse(template: &str) -> Result<KeyTemplate, TemplateError> {
        let err = |problem: String| TemplateError {
            template: template.into(),
            problem,
        };
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].into()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| err("a `{` is never closed".into()))?
                + open;
            let name = &rest[open + 1..close];
            parts.push(match name {
                "hash" => Part::Hash(64),
                "ext" => Part::Ext,
                "stem" => Part::Stem,
                "year" => Part::Year,
                "month" => Part::Month,
                "day" => Part::Day,
                _ => match name.strip_prefix("hash:").map(str::parse::<usize>) {
                    Some(Ok(n)) if (8..=64).contains(&n) => Part::Hash(n),
                    Some(_) => return Err(err(format!("{{{name}}}: the hash length must be 8 to 64"))),
                    None => {
                        return Err(err(format!(
                            "unknown placeholder {{{name}}} (use hash, hash:N, ext, stem, year, month, day)"
                        )));
                    }
                },
            });
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.into()));
        }
        if !parts.iter().any(|p| matches!(p, Part::Hash(_))) {
            return Err(err(
                "it must contain {hash} or {hash:N}: keys are content addresses".into(),
            ));
        }
        Ok(KeyTemplate { parts })
    }

    /// The key for an object under `prefix` (slashes around it are trimmed).
    pub fn render(&self, prefix: &str, inputs: &KeyInputs) -> String {
        let mut key = String::new();
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty() {
            key.push_str(prefix);
            key.push('/');
        }
        for part in &self.parts {
            match part {
                Part::Text(t) => key.push_str(t),
                Part::Hash(n) => key.push_str(&inputs.hash[..(*n).min(inputs.hash.len())]),
                Part::Ext => key.push_str(inputs.ext),
                Part::Stem => key.push_str(&url_safe_stem(inputs.stem)),
                Part::Year => {
                    let _ = write!(key, "{:04}", inputs.year);
                }
                Part::Month => {
                    let _ = write!(key, "{:02}", inputs.month);
                }
                Part::Day => {
                    let _ = write!(key, "{:02}", inputs.day);
                }
            }
        }
        key
    }
}

/// A file stem made safe for keys and URLs: ASCII letters, digits, `-`, `_`,
/// `.`; anything else becomes `-` (runs collapsed). Non-ASCII names (截图) keep
/// only what survives, or `image`.
fn url_safe_stem(stem: &str) -> String {
    let mut out = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches(['-', '.']);
    if trimmed.is_empty() {
        "image".into()
    } else {
        trimmed.into()
    }
}

/// Characters kept as they are in a path segment of a public URL.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `base` + `/` + `key`, each key segment percent-encoded.
pub fn public_url(base: &str, key: &str) -> String {
    let mut url = base.trim_end_matches('/').to_string();
    for segment in key.split('/') {
        url.push('/');
        url.extend(utf8_percent_encode(segment, SEGMENT));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    const GIF: &[u8] = b"GIF89a\x01\0\x01\0\x80\0\0";
    const WEBP: &[u8] = b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0";

    #[test]
    fn sniffs_by_bytes() {
        assert_eq!(sniff(PNG).unwrap().mime, "image/png");
        assert_eq!(
            sniff(JPEG).unwrap(),
            ImageType {
                mime: "image/jpeg",
                ext: "jpg"
            }
        );
        assert_eq!(sniff(GIF).unwrap().ext, "gif");
        assert_eq!(sniff(WEBP).unwrap().ext, "webp");
        assert_eq!(sniff(b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0").unwrap().ext, "bmp");
        assert_eq!(sniff(b"\0\0\x01\0\x01\0\x10\x10").unwrap().ext, "ico");
    }

    #[test]
    fn sniffs_svg_with_preamble() {
        for svg in [
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "\u{feff}<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\">\n<svg>",
        ] {
            assert_eq!(
                sniff(svg.as_bytes()).unwrap().mime,
                "image/svg+xml",
                "{svg}"
            );
        }
        assert_eq!(sniff(b"<svgx>"), None);
        assert_eq!(sniff(b"<html><svg>"), None);
    }

    #[test]
    fn every_sniffed_type_round_trips_through_its_mime() {
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        for bytes in [PNG, JPEG, GIF, WEBP, &svg[..]] {
            let t = sniff(bytes).unwrap();
            assert_eq!(ImageType::from_mime(t.mime), Some(t));
        }
        assert_eq!(ImageType::from_mime("text/plain"), None);
    }

    #[test]
    fn refuses_non_images() {
        for bytes in [
            &b""[..],
            b"-----BEGIN OPENSSH PRIVATE KEY-----",
            b"%PDF-1.7",
            b"PK\x03\x04",
            b"hello",
        ] {
            assert_eq!(sniff(bytes), None);
        }
    }

    #[test]
    fn hash_matches_sha256sum() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, b"abc").unwrap();
        let info = hash_file(&p).unwrap();
        assert_eq!(
            info.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(info.size, 3);
        assert_eq!(info.kind, None);
    }

    #[test]
    fn templates() {
        let inputs = KeyInputs {
            hash: &"ab".repeat(32),
            ext: "webp",
            stem: "My Shot (1)",
            year: 2026,
            month: 3,
            day: 7,
        };
        let cases = [
            ("{hash}.{ext}", "", format!("{}.webp", "ab".repeat(32))),
            (
                "{year}/{month}/{day}/{stem}-{hash:8}.{ext}",
                "/blog/",
                "blog/2026/03/07/my-shot-1-abababab.webp".into(),
            ),
        ];
        for (t, prefix, want) in cases {
            assert_eq!(KeyTemplate::parse(t).unwrap().render(prefix, &inputs), want);
        }
        assert_eq!(url_safe_stem("截图"), "image");
        assert!(KeyTemplate::parse("{stem}.{ext}").is_err());
        assert!(KeyTemplate::parse("{hash:4}").is_err());
        assert!(KeyTemplate::parse("{hash").is_err());
        assert!(KeyTemplate::parse("{nope}{hash}").is_err());
    }
}
