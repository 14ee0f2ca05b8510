//! What the Hugo and wiki-link oracles share: the rewrite they check (the
//! library's scan, stability check and splice, every local image written to
//! a stand-in public URL that carries its path), and the comparison of two
//! rendered pages that must differ only in those URLs.

use std::path::Path;

use r2filter_text::resolve::{IMAGE_EXTENSIONS, Url, classify};
use r2filter_text::rewrite::{Replacement, replacement, splice, stable};
use r2filter_text::scan::{ScanOptions, scan};

/// The stand-in public URL's prefix: `PREFIX` + the hex of the file's path
/// (as the document names it, decoded) + the `?query#fragment` kept.
pub const STAND_IN: &str = "https://cdn.example/h/";

/// `doc` with every local image rewritten to its stand-in URL, and how many
/// there were; Err with the scanner's message when the document is refused.
pub fn rewrite_locals(doc: &str, opts: &ScanOptions) -> Result<(String, usize), String> {
    let found = scan(doc, opts).map_err(|e| e.to_string())?;
    stable(doc, opts, &found).map_err(|e| e.to_string())?;
    if let Some(u) = found
        .unmapped
        .iter()
        .find(|u| matches!(classify(&u.url, u.context), Url::Local { .. }))
    {
        return Err(format!("unmapped local image {:?}", u.url));
    }
    let reps: Vec<Replacement> = found
        .references
        .iter()
        .filter_map(|r| {
            let Url::Local { path, suffix } = classify(&r.url, r.context) else {
                return None;
            };
            let url = format!("{STAND_IN}{}{suffix}", hex(&path));
            let original = doc.get(r.span.clone()).unwrap_or_default();
            Some(Replacement {
                span: r.span.clone(),
                text: replacement(r.context, &url, original),
            })
        })
        .collect();
    Ok((splice(doc, &reps), reps.len()))
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The path and `?#` suffix a stand-in URL carries.
fn unhex(url: &str) -> Option<(String, &str)> {
    let rest = url.strip_prefix(STAND_IN)?;
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    let (digits, suffix) = rest.split_at(end);
    let bytes: Option<Vec<u8>> = (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect();
    Some((String::from_utf8(bytes?).ok()?, suffix))
}

/// One piece of a rendered page: a tag (its name and attributes) or the
/// text between tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Tag {
        name: String,
        attrs: Vec<(String, String)>,
    },
    Text(String),
}

/// The tags and texts of `html` (a serializer's output: attributes in
/// double quotes or bare).
pub fn tokens(html: &str) -> Vec<Token> {
    let tag =
        regex::Regex::new(r"<(/?[A-Za-z][A-Za-z0-9-]*)((?:[^>\x22']|\x22[^\x22]*\x22|'[^']*')*)>")
            .unwrap();
    let attr =
        regex::Regex::new(r#"([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?"#).unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    for m in tag.captures_iter(html) {
        let whole = m.get(0).unwrap();
        if whole.start() > at {
            out.push(Token::Text(html[at..whole.start()].to_string()));
        }
        at = whole.end();
        let attrs = attr
            .captures_iter(&m[2])
            .map(|a| {
                let v = a
                    .get(2)
                    .or(a.get(3))
                    .or(a.get(4))
                    .map_or("", |v| v.as_str());
                (a[1].to_ascii_lowercase(), v.to_string())
            })
            .collect();
        out.push(Token::Tag {
            name: m[1].to_ascii_lowercase(),
            attrs,
        });
    }
    if at < html.len() {
        out.push(Token::Text(html[at..].to_string()));
    }
    out
}

/// What a comparison found.
#[derive(Debug, Default)]
pub struct Findings {
    /// A difference that is not a rewritten URL.
    pub defects: Vec<String>,
    /// A local image left in the rewritten page.
    pub misses: Vec<String>,
    /// URL attributes that changed as they should.
    pub rewritten: usize,
}

/// HTML character references a serializer writes in attribute values.
fn unescape(v: &str) -> String {
    htmlize::unescape_attribute(v).into_owned()
}

/// True when `before` (a rendered URL) names the path `path` with `suffix`:
/// decoded, it ends with them (an absolute URL made from a site-relative
/// path, a percent-encoded space).
fn names(before: &str, path: &str, suffix: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(&unescape(before))
        .decode_utf8_lossy()
        .into_owned();
    let suffix = percent_encoding::percent_decode_str(suffix).decode_utf8_lossy();
    let path = path.trim_start_matches("./");
    decoded.ends_with(&format!("{path}{suffix}"))
}

/// True when `value` is a local image for a page of a site at `base`: no
/// scheme (or the site's own absolute URL) and an image extension.
pub fn local_image(value: &str, base: Option<&str>) -> bool {
    let v = unescape(value);
    let v = base.and_then(|b| v.strip_prefix(b)).unwrap_or(&v);
    let path = v.split(['?', '#']).next().unwrap_or_default();
    let scheme =
        path.starts_with("//") || path.split_once(':').is_some_and(|(s, _)| !s.contains('/'));
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    !scheme && ext.is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// The URL-valued attributes a page's images and links live in.
const URL_ATTRS: &[&str] = &["src", "href", "content", "srcset", "poster"];

/// Compares attribute lists of one tag: equal but for URL attributes whose
/// new value is the stand-in URL of what the old one named.
pub fn compare_attrs(
    at: &str,
    before: &[(String, String)],
    after: &[(String, String)],
    found: &mut Findings,
) {
    let keys = |a: &[(String, String)]| a.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    if keys(before) != keys(after) {
        found
            .defects
            .push(format!("{at}: attributes {before:?} became {after:?}"));
        return;
    }
    for ((k, b), (_, a)) in before.iter().zip(after) {
        if a == b {
            continue;
        }
        match unhex(a) {
            Some((path, suffix)) if URL_ATTRS.contains(&k.as_str()) && names(b, &path, suffix) => {
                found.rewritten += 1;
            }
            _ => found.defects.push(format!("{at}: {k}={b:?} became {a:?}")),
        }
    }
}

/// True when `after` is the stand-in URL of the path `before` named.
pub fn names_stand_in(before: &str, after: &str) -> bool {
    unhex(after).is_some_and(|(path, suffix)| names(before, &path, suffix))
}

/// The local images among a page's URL attributes (of `<img>` only when
/// `img_only`: a link to an image file is not always one to rewrite).
pub fn misses(at: &str, page: &[Token], base: Option<&str>, img_only: bool, found: &mut Findings) {
    for t in page {
        if let Token::Tag { name, attrs } = t {
            if img_only && name != "img" {
                continue;
            }
            for (k, v) in attrs {
                if URL_ATTRS.contains(&k.as_str()) && local_image(v, base) {
                    found.misses.push(format!("{at}: <{name} {k}={v:?}>"));
                }
            }
        }
    }
}
