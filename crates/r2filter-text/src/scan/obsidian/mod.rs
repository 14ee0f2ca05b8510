//! Obsidian's image embeds (`wikilinks = true`, `.md` documents): `![[name.png]]`,
//! `![[folder/name.png|300]]`, `![[name.png|caption]]`,
//! `![[name.png|caption|300x200]]` (`\|` in a table cell). Only embeds of an
//! image file count: a note embed `![[Note]]` and a link `[[…]]` are left
//! alone. The embeds are found by pulldown-cmark's wiki-link extension, so
//! code, HTML blocks and escapes are read as in any other `.md` document.
//!
//! The link text is a vault path, not a URL: it is resolved the way Obsidian
//! resolves it (the file system half, r2filter's `Resolver::resolve_wikilink`),
//! and the whole embed is replaced ([`render`]) by a form that Obsidian and
//! Quartz both render: a Markdown image when no size is set, an `<img>` with
//! `width`/`height` when one is (Quartz does not read a size out of a
//! Markdown image's alt text, Obsidian reads both).
//!
//! ```
//! use r2filter_text::scan::{scan, Context, Flavor, ScanOptions};
//! use r2filter_text::scan::obsidian::render;
//! let doc = "See ![[photos/cat 1.png|A cat|300]].\n";
//! let opts = ScanOptions { wikilinks: true, ..Flavor::Markdown.into() };
//! let refs = scan(doc, &opts).unwrap().references;
//! assert_eq!(&doc[refs[0].span.clone()], "![[photos/cat 1.png|A cat|300]]");
//! assert_eq!(refs[0].url, "photos/cat 1.png");
//! assert_eq!(refs[0].context, Context::Embed);
//! assert_eq!(
//!     render("![[photos/cat 1.png|A cat|300]]", "https://cdn/c.png"),
//!     "<span><img src=\"https://cdn/c.png\" alt=\"A cat\" width=\"300\"></span>"
//! );
//! assert_eq!(render("![[cat.png]]", "https://cdn/c.png"), "![cat\\.png](<https://cdn/c.png>)");
//! ```
#![deny(clippy::string_slice)]

use std::ops::Range;

use super::{Context, Reference};
use crate::resolve::IMAGE_EXTENSIONS;

/// An embed's parts, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed<'a> {
    /// The link path (`folder/name.png`).
    pub target: &'a str,
    /// What follows a `#` in the link (`outline` in `name.png#outline`).
    pub fragment: Option<&'a str>,
    /// The alt text (the alias without its size); None when not given.
    pub alt: Option<String>,
    /// `300` or `300x200`.
    pub width: Option<&'a str>,
    pub height: Option<&'a str>,
}

/// Reads `![[target#fragment|alias]]`; None for anything else.
pub fn parse(raw: &str) -> Option<Embed<'_>> {
    let inner = raw.strip_prefix("![[")?.strip_suffix("]]")?;
    // The alias starts at the first `|` (`\|` in a table cell).
    let (link, alias) = match inner.find('|') {
        Some(i) => {
            let link = inner.get(..i)?;
            let link = link.strip_suffix('\\').unwrap_or(link);
            (link, Some(inner.get(i + 1..)?))
        }
        None => (inner, None),
    };
    let (target, fragment) = match link.split_once('#') {
        Some((t, f)) => (t, Some(f)),
        None => (link, None),
    };
    let target = target.trim();
    if target.is_empty() {
        return None;
    }
    let mut embed = Embed {
        target,
        fragment,
        alt: None,
        width: None,
        height: None,
    };
    let Some(alias) = alias else {
        return Some(embed);
    };
    // Obsidian: a last `|`-separated part of digits (`300`, `300x200`) is
    // the size; what comes before it is the alt text.
    let parts: Vec<&str> = alias.split('|').collect();
    let last = parts.last().copied().unwrap_or_default().trim();
    let (w, h) = last
        .split_once('x')
        .map_or((last, None), |(w, h)| (w, Some(h)));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let alt_parts = if digits(w) && h.is_none_or(digits) {
        embed.width = Some(w);
        embed.height = h;
        parts.get(..parts.len() - 1).unwrap_or_default()
    } else {
        &parts[..]
    };
    let alt = alt_parts
        .iter()
        .map(|p| p.strip_suffix('\\').unwrap_or(p))
        .collect::<Vec<_>>()
        .join("|");
    embed.alt = Some(alt.trim().to_string()).filter(|a| !a.is_empty());
    Some(embed)
}

/// The reference of the embed at `range` of `source`: its link as a path
/// that resolve's classify reads back as that name (a file name is not a
/// URL: `%`, `?` and `#` in it are encoded), with the `#fragment`; None
/// unless it embeds an image file.
pub(crate) fn reference(source: &str, range: Range<usize>) -> Option<Reference> {
    let url = reference_url(source.get(range.clone())?)?;
    Some(Reference {
        span: range,
        url,
        context: Context::Embed,
    })
}

/// The URL [`reference`] gives the embed `raw` (None unless it embeds an
/// image file).
pub fn reference_url(raw: &str) -> Option<String> {
    let embed = parse(raw)?;
    let ext = std::path::Path::new(embed.target)
        .extension()
        .and_then(|e| e.to_str())?
        .to_ascii_lowercase();
    if !IMAGE_EXTENSIONS.contains(&ext.as_str()) {
        return None;
    }
    let mut url = embed
        .target
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    if let Some(f) = embed.fragment {
        url.push('#');
        url.push_str(f);
    }
    Some(url)
}

/// The text that replaces the embed `original` once its file is at `url`
/// (the `#fragment` carried over already): `![alt](<url>)`, or
/// `<span><img src="url" alt="alt" width="…" height="…"></span>` when the
/// embed sets a size. The alt text is the embed's, or its link as Obsidian
/// shows it. The Markdown form's destination is always in angle brackets,
/// which no other rewrite writes, so `eject` knows an embed's output from a
/// Markdown image's; the `<span>` keeps an `<img>` alone on its line from
/// opening an HTML block that would swallow the lines after it.
pub fn render(original: &str, url: &str) -> String {
    let Some(embed) = parse(original) else {
        return crate::rewrite::markdown_destination(url);
    };
    let alt = embed.alt.as_deref().unwrap_or(embed.target);
    let Some(width) = embed.width else {
        return format!("![{}]({})", text(alt), angle_destination(url));
    };
    let mut out = format!(
        "<span><img src=\"{}\" alt=\"{}\" width=\"{width}\"",
        crate::rewrite::attribute_value(url, Some(b'"')),
        attr(alt),
    );
    if let Some(height) = embed.height {
        out.push_str(&format!(" height=\"{height}\""));
    }
    out.push_str("></span>");
    out
}

/// Alt text that reads back as `s`: every ASCII punctuation character
/// backslash-escaped (so `|` cannot end a table cell either).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        match c {
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An HTML attribute value inside double quotes (`|` as a reference, so a
/// table cell keeps it).
fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "&#124;")
}

/// `url` as a CommonMark destination in angle brackets.
fn angle_destination(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 2);
    out.push('<');
    for (i, c) in url.char_indices() {
        match c {
            '\\' | '<' | '>' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '&' if super::html::commonmark_entity(url.get(i..).unwrap_or_default()).is_some() => {
                out.push_str("\\&");
            }
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            c => out.push(c),
        }
    }
    out.push('>');
    out
}

#[cfg(test)]
mod tests;
