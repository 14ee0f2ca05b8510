//! The splice phase: put new URLs into the source bytes.
//!
//! The document is never re-rendered: every byte outside the replaced spans is
//! copied as it was (front matter, JSX, `{{#include}}`, tables, line endings).
//! A new URL is written so that it parses back to the same URL in its context.
//!
//! ```
//! use r2filter::rewrite::{splice, Replacement};
//! let doc = "![a](a.png) and ![b](b.png)";
//! let out = splice(doc, &[
//!     Replacement { span: 5..10, text: "https://cdn/x.png".into() },
//! ]);
//! assert_eq!(out, "![a](https://cdn/x.png) and ![b](b.png)");
//! ```

use std::ops::Range;

use crate::scan::Context;

/// Replace `span` of the source with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub span: Range<usize>,
    pub text: String,
}

/// Copies `source`, replacing each span. Spans must be sorted and disjoint
/// (scan guarantees it).
pub fn splice(source: &str, replacements: &[Replacement]) -> String {
    let extra: usize = replacements.iter().map(|r| r.text.len()).sum();
    let mut out = String::with_capacity(source.len() + extra);
    let mut at = 0;
    for r in replacements {
        debug_assert!(r.span.start >= at, "replacements overlap or are unsorted");
        out.push_str(&source[at..r.span.start]);
        out.push_str(&r.text);
        at = r.span.end;
    }
    out.push_str(&source[at..]);
    out
}

/// Writes `url` so that it reads back as `url` where the old one stood.
pub fn encode_for(context: Context, url: &str) -> String {
    match context {
        Context::MarkdownImage | Context::MarkdownLink => markdown_destination(url),
        Context::FrontMatter(style) => style.encode(url),
        Context::Attribute { quote } => match quote {
            // Public URLs are percent-encoded, so they carry no quote or space;
            // encode the few characters that could still end the value.
            Some(q) => url.replace(q as char, if q == b'"' { "%22" } else { "%27" }),
            None => url
                .replace(' ', "%20")
                .replace('"', "%22")
                .replace('\'', "%27")
                .replace('>', "%3E"),
        },
    }
}

/// A CommonMark link destination for `url`: bare when that parses back to the
/// same string, otherwise in angle brackets with `<`, `>` and `\` escaped.
pub fn markdown_destination(url: &str) -> String {
    let mut depth = 0i32;
    let mut bare = !url.is_empty() && !url.starts_with('<');
    for c in url.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                bare &= depth >= 0;
            }
            '\\' | '&' => bare = false,
            c if c.is_whitespace() || c.is_control() => bare = false,
            _ => {}
        }
    }
    if bare && depth == 0 {
        return url.to_string();
    }
    let mut out = String::with_capacity(url.len() + 2);
    out.push('<');
    for c in url.chars() {
        match c {
            '<' | '>' | '\\' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            _ => out.push(c),
        }
    }
    out.push('>');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Flavor, scan};

    #[test]
    fn splice_keeps_every_other_byte() {
        let doc = "a\r\n![x](1.png)\r\n\t![y](2.png)";
        let out = splice(
            doc,
            &[
                Replacement {
                    span: 8..13,
                    text: "U1".into(),
                },
                Replacement {
                    span: 22..27,
                    text: "U2".into(),
                },
            ],
        );
        assert_eq!(out, "a\r\n![x](U1)\r\n\t![y](U2)");
    }

    #[test]
    fn no_replacements_is_identity() {
        assert_eq!(splice("abc", &[]), "abc");
    }

    #[test]
    fn destinations_parse_back() {
        for url in [
            "https://cdn.example.com/2026/11/abc.png",
            "https://cdn/a b.png",
            "https://cdn/a(1).png",
            "https://cdn/a)b.png",
            "https://cdn/a<b>.png",
            "https://cdn/a\\b.png",
            "https://cdn/a&amp;.png",
        ] {
            let doc = format!("![x]({})", markdown_destination(url));
            let refs = scan(&doc, &Flavor::Markdown.into()).unwrap().references;
            assert_eq!(refs.len(), 1, "{doc}");
            assert_eq!(refs[0].url, url, "{doc}");
        }
    }

    #[test]
    fn plain_urls_stay_bare() {
        assert_eq!(
            markdown_destination("https://x/a.png#c"),
            "https://x/a.png#c"
        );
    }

    #[test]
    fn attribute_values_cannot_be_broken_out_of() {
        assert_eq!(
            encode_for(Context::Attribute { quote: Some(b'"') }, "a\"b"),
            "a%22b"
        );
        assert_eq!(
            encode_for(Context::Attribute { quote: None }, "a b>"),
            "a%20b%3E"
        );
    }
}
