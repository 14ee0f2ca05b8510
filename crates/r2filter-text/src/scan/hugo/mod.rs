//! Hugo's shortcodes (`hugo-shortcodes`): the built-in `figure` shortcode's
//! `src` (and its `link` when that names an image file), and the parameters
//! the site lists for its own shortcodes (`hugo-shortcodes = { img = "src" }`,
//! or `{ gallery = "0" }` for the first positional parameter). A theme's
//! shortcode may read its parameter as a page resource and process it, so an
//! unlisted shortcode is left alone.
//!
//! Shortcodes are read the way Hugo's page lexer reads them
//! (`parser/pageparser/pagelexer_shortcode.go`): `{{< … >}}` and
//! `{{% … %}}`, over several lines, named parameters `src="…"` (with `\"`
//! inside), `` src=`…` `` (a raw string, over lines if need be) or `src=a.jpg`
//! (up to the next white space), positional ones alike. Hugo runs shortcodes
//! before Markdown sees the text, so a shortcode inside a code block or
//! inline code is live and is rewritten (its output lands in the page); the
//! commented form `{{</* figure */>}}`, which Hugo writes out as text, is
//! never touched, and neither is front matter.
//!
//! ```
//! use r2filter_text::scan::{scan, Context, Flavor, ScanOptions};
//! let doc = "A cat:\n{{< figure\n  src=\"images/a b.jpg\"\n  alt=\"A\" >}}\n";
//! let opts = ScanOptions { hugo_shortcodes: Some(Default::default()), ..Flavor::Markdown.into() };
//! let refs = scan(doc, &opts).unwrap().references;
//! assert_eq!(&doc[refs[0].span.clone()], "images/a b.jpg");
//! assert_eq!(refs[0].context, Context::Shortcode { quote: Some(b'"'), image: true });
//! ```
#![deny(clippy::string_slice)]

use std::collections::BTreeMap;
use std::ops::Range;

use super::{Context, Reference};

/// The built-in shortcode whose `src` is always read.
pub const FIGURE: &str = "figure";

/// What [`scan`] found.
#[derive(Debug, Default)]
pub(crate) struct Shortcodes {
    /// Every shortcode tag, `{{<` to `>}}`: Hugo replaces it before Markdown
    /// is read, so a Markdown reference overlapping one is no reference.
    pub(crate) tags: Vec<Range<usize>>,
    pub(crate) references: Vec<Reference>,
    /// Image parameters written in a form no rewrite can keep (`src=\"…\"`).
    pub(crate) unmapped: Vec<Reference>,
}

/// One parameter value of a shortcode tag.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Value {
    /// The value's bytes, without quotes.
    span: Range<usize>,
    /// `"`, a backtick, `\` for the `\"…\"` form, or None.
    quote: Option<u8>,
    /// What Hugo's `.Get` returns.
    text: String,
}

/// One shortcode tag.
#[derive(Debug, Default)]
struct Tag<'a> {
    range: Range<usize>,
    name: &'a str,
    named: Vec<(&'a str, Value)>,
    positional: Vec<Value>,
}

/// Finds the shortcodes of `source` (after its front matter) and the image
/// parameters among them: `figure`'s and those `listed` (shortcode name →
/// parameter name, or the index of a positional parameter).
pub(crate) fn scan(source: &str, listed: &BTreeMap<String, String>) -> Shortcodes {
    let mut out = Shortcodes::default();
    let mut at = super::frontmatter::detect_for(source, true).map_or(0, |b| b.range.end);
    while let Some(found) = source.get(at..).and_then(|rest| rest.find("{{")) {
        let start = at + found;
        let close: &[u8] = match source.as_bytes().get(start + 2) {
            Some(b'<') => b">}}",
            Some(b'%') => b"%}}",
            _ => {
                at = start + 2;
                continue;
            }
        };
        let inner = start + 3;
        if source.as_bytes().get(inner..inner + 2) == Some(b"/*") {
            // `{{</* … */>}}`: text for Hugo, and so for us.
            let mut end = b"*/".to_vec();
            end.extend_from_slice(close);
            at = find(source, inner, &end).map_or(inner, |i| i + end.len());
            continue;
        }
        match lex(source, start, close) {
            Some(tag) => {
                at = tag.range.end;
                out.tags.push(tag.range.clone());
                add_images(source, &tag, listed, &mut out);
            }
            // Hugo refuses such a page; nothing of it is ours to rewrite.
            None => at = inner,
        }
    }
    out
}

/// Merges the shortcodes' references into the Markdown ones (sorted),
/// dropping Markdown references that overlap a shortcode tag.
pub(crate) fn merge(mut refs: Vec<Reference>, found: Shortcodes) -> Vec<Reference> {
    if found.tags.is_empty() {
        return refs;
    }
    refs.retain(|r| {
        !found
            .tags
            .iter()
            .any(|t| r.span.start < t.end && t.start < r.span.end.max(r.span.start + 1))
    });
    refs.extend(found.references);
    refs.sort_by_key(|r| r.span.start);
    refs.dedup_by_key(|r| r.span.clone());
    refs
}

fn find(source: &str, from: usize, needle: &[u8]) -> Option<usize> {
    source
        .as_bytes()
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

/// The image parameters of `tag`.
fn add_images(source: &str, tag: &Tag, listed: &BTreeMap<String, String>, out: &mut Shortcodes) {
    let mut wanted: Vec<(&Value, bool)> = Vec::new();
    let named = |key: &str| tag.named.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
    if tag.name == FIGURE {
        wanted.extend(named("src").map(|v| (v, true)));
        wanted.extend(named("link").map(|v| (v, false)));
    }
    if let Some(param) = listed.get(tag.name) {
        let value = match param.parse::<usize>() {
            Ok(i) => tag.positional.get(i),
            Err(_) => named(param),
        };
        wanted.extend(value.map(|v| (v, true)));
    }
    for (value, image) in wanted {
        if value.text.trim().is_empty() {
            continue;
        }
        let reference = Reference {
            span: value.span.clone(),
            url: value.text.clone(),
            context: Context::Shortcode {
                quote: value.quote,
                image,
            },
        };
        // `src=\"a.jpg\"`: Hugo drops every backslash of such a value; a
        // new one could not be written so that it reads back.
        if value.quote == Some(b'\\') || source.get(value.span.clone()).is_none() {
            out.unmapped.push(reference);
        } else {
            out.references.push(reference);
        }
    }
}

/// Hugo's `isAlphaNumeric`.
fn alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// Reads the shortcode tag at `start` (`{{<` or `{{%`), closed by `close`;
/// None where Hugo's lexer reports an error.
fn lex<'a>(source: &'a str, start: usize, close: &[u8]) -> Option<Tag<'a>> {
    let mut lexer = Lexer {
        source,
        at: start + 3,
    };
    let mut tag = Tag::default();
    lexer.skip(|c| c.is_whitespace());
    if lexer.peek() == Some('/') {
        // A closing tag `{{< /name >}}`.
        let end = find(source, lexer.at, close)?;
        tag.range = start..end + close.len();
        return Some(tag);
    }
    let name_start = lexer.at;
    if !lexer.peek().is_some_and(alphanumeric) {
        return None;
    }
    lexer.skip(|c| alphanumeric(c) || matches!(c, '-' | '/' | '.'));
    tag.name = source.get(name_start..lexer.at)?;
    loop {
        lexer.skip(|c| c.is_whitespace());
        if source.as_bytes().get(lexer.at..)?.starts_with(close) {
            tag.range = start..lexer.at + close.len();
            return Some(tag);
        }
        match lexer.peek()? {
            '/' => lexer.at += 1,
            '"' | '`' | '\\' => tag.positional.push(lexer.value()?),
            c if alphanumeric(c) || c == '-' => {
                let key_start = lexer.at;
                lexer.skip(|c| alphanumeric(c) || matches!(c, '-' | '.'));
                let key = source.get(key_start..lexer.at)?;
                let before = lexer.at;
                lexer.skip(|c| c.is_whitespace());
                if lexer.peek() == Some('=') {
                    lexer.at += 1;
                    lexer.skip(|c| c.is_whitespace());
                    tag.named.push((key, lexer.value()?));
                } else {
                    lexer.at = before;
                    tag.positional.push(Value {
                        span: key_start..before,
                        quote: None,
                        text: key.to_string(),
                    });
                }
            }
            _ => return None,
        }
    }
}

struct Lexer<'a> {
    source: &'a str,
    at: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.source.get(self.at..)?.chars().next()
    }

    fn skip(&mut self, while_: impl Fn(char) -> bool) {
        while let Some(c) = self.peek().filter(|&c| while_(c)) {
            self.at += c.len_utf8();
        }
    }

    /// A parameter value at the cursor: `"…"`, `\"…\"`, `` `…` `` or bare.
    fn value(&mut self) -> Option<Value> {
        let rest = self.source.get(self.at..)?;
        let b = rest.as_bytes();
        let (quote, open) = match b.first()? {
            b'"' => (Some(b'"'), 1),
            b'\\' if b.get(1) == Some(&b'"') => (Some(b'\\'), 2),
            b'`' => (Some(b'`'), 1),
            _ => (None, 0),
        };
        let start = self.at + open;
        let (len, close) = match quote {
            // No line break inside; `\"` does not close (but ends a `\"…\"`).
            Some(b'"' | b'\\') => {
                let body = b.get(open..)?;
                let mut i = 0;
                loop {
                    match body.get(i)? {
                        b'\n' => return None,
                        b'\\' if body.get(i + 1) == Some(&b'"') => {
                            if quote == Some(b'\\') {
                                break (i, 2);
                            }
                            i += 2;
                        }
                        b'"' => break (i, 1),
                        _ => i += 1,
                    }
                }
            }
            Some(_) => (rest.get(1..)?.find('`')?, 1),
            None => (rest.find(char::is_whitespace).unwrap_or(rest.len()), 0),
        };
        let span = start..start + len;
        let raw = self.source.get(span.clone())?;
        self.at = span.end + close;
        // Hugo drops every backslash of a value that holds an escaped quote.
        let text = if quote == Some(b'"') && raw.contains("\\\"") {
            raw.replace('\\', "")
        } else {
            raw.to_string()
        };
        Some(Value { span, quote, text })
    }
}

#[cfg(test)]
mod tests;
