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
    /// `None` when the bytes are of no type this tool publishes.
    pub kind: Option<ImageType>,
}

/// A sniffed type: an image, or (issue 24) a video, audio, captions or
/// asset file. The name stays from when images were all there was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageType {
    pub mime: &'static str,
    /// The extension keys get (`jpg` for JPEG, whatever the file was called).
    pub ext: &'static str,
}

const fn t(mime: &'static str, ext: &'static str) -> ImageType {
    ImageType { mime, ext }
}

/// Asset types a link may publish when listed in `assets` (besides images
/// and media): each recognised by its bytes, as every published file is.
/// The extension listed, the Content-Type served, and infer's name for it.
pub const ASSET_TYPES: &[(&str, ImageType, &str)] = &[
    ("pdf", t("application/pdf", "pdf"), "application/pdf"),
    ("zip", t("application/zip", "zip"), "application/zip"),
    (
        "epub",
        t("application/epub+zip", "epub"),
        "application/epub+zip",
    ),
    ("gz", t("application/gzip", "gz"), "application/gzip"),
    ("tgz", t("application/gzip", "gz"), "application/gzip"),
    ("xz", t("application/x-xz", "xz"), "application/x-xz"),
    (
        "bz2",
        t("application/x-bzip2", "bz2"),
        "application/x-bzip2",
    ),
    (
        "7z",
        t("application/x-7z-compressed", "7z"),
        "application/x-7z-compressed",
    ),
    ("tar", t("application/x-tar", "tar"), "application/x-tar"),
    ("docx", t(DOCX, "docx"), DOCX),
    ("xlsx", t(XLSX, "xlsx"), XLSX),
    ("pptx", t(PPTX, "pptx"), PPTX),
    (
        "odt",
        t("application/vnd.oasis.opendocument.text", "odt"),
        "application/vnd.oasis.opendocument.text",
    ),
    (
        "ods",
        t("application/vnd.oasis.opendocument.spreadsheet", "ods"),
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
    (
        "odp",
        t("application/vnd.oasis.opendocument.presentation", "odp"),
        "application/vnd.oasis.opendocument.presentation",
    ),
];

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const PPTX: &str = "application/vnd.openxmlformats-officedocument.presentationml.presentation";

/// The captions type of `<track src>` (WebVTT).
pub const VTT: ImageType = t("text/vtt", "vtt");

impl ImageType {
    /// Every image and media type [`sniff`] can answer (assets: [`ASSET_TYPES`]).
    pub const ALL: &[ImageType] = &[
        t("image/png", "png"),
        t("image/apng", "png"),
        t("image/jpeg", "jpg"),
        t("image/gif", "gif"),
        t("image/webp", "webp"),
        t("image/avif", "avif"),
        t("image/x-icon", "ico"),
        t("image/bmp", "bmp"),
        t("image/tiff", "tiff"),
        t("image/svg+xml", "svg"),
        t("video/mp4", "mp4"),
        t("video/x-m4v", "m4v"),
        t("video/webm", "webm"),
        t("video/ogg", "ogv"),
        t("video/quicktime", "mov"),
        t("audio/mpeg", "mp3"),
        t("audio/mp4", "m4a"),
        t("audio/ogg", "ogg"),
        t("audio/wav", "wav"),
        t("audio/flac", "flac"),
        VTT,
    ];

    /// The type [`sniff`] gives this Content-Type (for caches that store it).
    pub fn from_mime(mime: &str) -> Option<ImageType> {
        ImageType::ALL
            .iter()
            .copied()
            .chain(ASSET_TYPES.iter().map(|(_, t, _)| *t))
            .find(|t| t.mime == mime)
    }

    /// An image: transforms (metadata, conversion, scaling) apply to it
    /// alone; anything else is published as it is.
    pub fn is_image(self) -> bool {
        self.mime.starts_with("image/")
    }

    /// Whether a file whose name ends in `.ext` (lower case; `None`: no
    /// extension, which only image syntax publishes) may hold these bytes:
    /// an image extension takes any image, a video or audio one any video
    /// or audio (an `.ogg` may hold either, an `.m4a` is an MP4), `.vtt`
    /// WebVTT, an asset extension its own type. The Content-Type always
    /// comes from the bytes.
    pub fn fits(self, ext: Option<&str>) -> bool {
        use r2filter_text::resolve::{IMAGE_EXTENSIONS, MEDIA_EXTENSIONS};
        match ext {
            Some("vtt") => self == VTT,
            Some(e) if MEDIA_EXTENSIONS.contains(&e) => {
                self.mime.starts_with("video/") || self.mime.starts_with("audio/")
            }
            Some(e) if !IMAGE_EXTENSIONS.contains(&e) => match asset_type(e) {
                Some(asset) => self == asset,
                None => self.is_image(),
            },
            _ => self.is_image(),
        }
    }
}

/// The asset type listed as `ext` in `assets`, if r2filter knows it.
pub fn asset_type(ext: &str) -> Option<ImageType> {
    ASSET_TYPES
        .iter()
        .find(|(e, ..)| *e == ext)
        .map(|(_, t, _)| *t)
}

/// Hashes `path` in one streaming pass (a fixed 256 KiB buffer, whatever
/// the file's size), sniffing its type from the first bytes. A file whose
/// first bytes are of no known type is not read further (`kind: None`,
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
            // Of no known type: stop here rather than read the rest of it.
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

/// The type of a file starting with `head`, from its bytes alone (never its
/// name: a `.jpg` that is a PNG is served as PNG): an image, a video, audio
/// or captions file, or one of the [`ASSET_TYPES`].
pub fn sniff(head: &[u8]) -> Option<ImageType> {
    let known = infer::get(head).and_then(|kind| match kind.mime_type() {
        "image/png" => Some(t("image/png", "png")),
        "image/apng" => Some(t("image/apng", "png")),
        "image/jpeg" => Some(t("image/jpeg", "jpg")),
        "image/gif" => Some(t("image/gif", "gif")),
        "image/webp" => Some(t("image/webp", "webp")),
        "image/avif" => Some(t("image/avif", "avif")),
        "image/vnd.microsoft.icon" | "image/x-icon" => Some(t("image/x-icon", "ico")),
        "image/bmp" => Some(t("image/bmp", "bmp")),
        "image/tiff" => Some(t("image/tiff", "tiff")),
        "image/svg+xml" => Some(t("image/svg+xml", "svg")),
        other => media_type(other, head),
    });
    // infer takes SVG for plain XML or text; look for the element itself.
    known
        .or_else(|| is_svg(head).then_some(t("image/svg+xml", "svg")))
        .or_else(|| is_vtt(head).then_some(VTT))
}

/// The served type of what infer calls `mime`, when it is a video, audio or
/// asset type r2filter publishes (the names browsers expect: `audio/mp4`
/// rather than infer's `audio/m4a`).
fn media_type(mime: &str, head: &[u8]) -> Option<ImageType> {
    Some(match mime {
        "video/mp4" => t("video/mp4", "mp4"),
        "video/x-m4v" => t("video/x-m4v", "m4v"),
        "video/webm" => t("video/webm", "webm"),
        "video/quicktime" => t("video/quicktime", "mov"),
        "audio/mpeg" => t("audio/mpeg", "mp3"),
        "audio/m4a" => t("audio/mp4", "m4a"),
        // Ogg holds audio (Vorbis, Opus, FLAC) or video (Theora, VP8): the
        // first page's codec header says which.
        "audio/ogg" | "audio/opus" if is_ogg_video(head) => t("video/ogg", "ogv"),
        "audio/ogg" | "audio/opus" => t("audio/ogg", "ogg"),
        "audio/x-flac" => t("audio/flac", "flac"),
        "audio/x-wav" => t("audio/wav", "wav"),
        other => ASSET_TYPES
            .iter()
            .find(|(_, _, infer)| *infer == other)
            .map(|(_, t, _)| *t)?,
    })
}

/// An Ogg stream whose first codec header is Theora's or VP8's.
fn is_ogg_video(head: &[u8]) -> bool {
    let first_page = &head[..head.len().min(256)];
    first_page.windows(7).any(|w| w == b"\x80theora") || first_page.windows(4).any(|w| w == b"OVP8")
}

/// WebVTT: an optional BOM, `WEBVTT`, then a space, tab or line end (or
/// nothing).
fn is_vtt(head: &[u8]) -> bool {
    let rest = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    rest.strip_prefix(b"WEBVTT")
        .is_some_and(|r| matches!(r.first(), None | Some(b' ' | b'\t' | b'\n' | b'\r')))
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
    fn every_sniffed_image_type_round_trips_through_its_mime() {
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        for bytes in [PNG, JPEG, GIF, WEBP, &svg[..]] {
            let t = sniff(bytes).unwrap();
            assert_eq!(ImageType::from_mime(t.mime), Some(t));
        }
        assert_eq!(ImageType::from_mime("text/plain"), None);
    }

    #[test]
    fn refuses_what_it_cannot_name() {
        for bytes in [
            &b""[..],
            b"-----BEGIN OPENSSH PRIVATE KEY-----",
            b"hello",
            b"WEBVTTX",
            b"\x1aE\xdf\xa3\x93B\x82\x88matroska",
        ] {
            assert_eq!(sniff(bytes), None);
        }
    }

    #[test]
    fn sniffs_media_and_assets() {
        let cases: &[(&[u8], &str)] = &[
            (b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom", "video/mp4"),
            (b"\0\0\0\x18ftypM4V \0\0\0\0M4V mp42", "video/x-m4v"),
            (b"\0\0\0\x14ftypqt  \0\0\0\0qt  ", "video/quicktime"),
            (b"\0\0\0\x18ftypM4A \0\0\0\0M4A mp42", "audio/mp4"),
            (
                b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84webm",
                "video/webm",
            ),
            (b"ID3\x04\0\0\0\0\0\0", "audio/mpeg"),
            (b"OggS\0\x02\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\x01\x1e\x01vorbis", "audio/ogg"),
            (b"OggS\0\x02\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\x01\x2a\x80theora", "video/ogg"),
            (b"RIFF\x24\0\0\0WAVEfmt ", "audio/wav"),
            (b"fLaC\0\0\0\x22", "audio/flac"),
            (b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n", "text/vtt"),
            (b"\xef\xbb\xbfWEBVTT - captions\n", "text/vtt"),
            (b"%PDF-1.7\n", "application/pdf"),
            (b"PK\x03\x04\x14\0\0\0\0\0", "application/zip"),
        ];
        for (bytes, mime) in cases {
            assert_eq!(sniff(bytes).map(|t| t.mime), Some(*mime), "{mime}");
            let t = sniff(bytes).unwrap();
            assert_eq!(ImageType::from_mime(t.mime), Some(t), "{mime}");
            assert!(!t.is_image(), "{mime}");
        }
    }

    #[test]
    fn extensions_and_bytes_must_agree() {
        let mp4 = sniff(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom").unwrap();
        let png = sniff(PNG).unwrap();
        let pdf = sniff(b"%PDF-1.7\n").unwrap();
        assert!(mp4.fits(Some("mp4")) && mp4.fits(Some("mov")) && mp4.fits(Some("m4a")));
        assert!(!mp4.fits(Some("png")) && !mp4.fits(None) && !mp4.fits(Some("vtt")));
        assert!(png.fits(Some("jpg")) && png.fits(None) && !png.fits(Some("mp4")));
        assert!(pdf.fits(Some("pdf")) && !pdf.fits(Some("zip")) && !pdf.fits(Some("png")));
        assert!(VTT.fits(Some("vtt")) && !VTT.fits(Some("mp4")));
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
