//! The splice phase: put new URLs into the source bytes.
//!
//! The document is never re-rendered: every byte outside the replaced spans is
//! copied as it was (front matter, JSX, `{{#include}}`, tables, line endings).
//! A new URL is written so that it parses back to the same URL in its context.
//!
//! ```
//! use r2filter_text::rewrite::{splice, Replacement};
//! let doc = "![a](a.png) and ![b](b.png)";
//! let out = splice(doc, &[
//!     Replacement { span: 5..10, text: "https://cdn/x.png".into() },
//! ]);
//! assert_eq!(out, "![a](https://cdn/x.png) and ![b](b.png)");
//! ```
#![deny(clippy::string_slice)]

use std::ops::Range;

use crate::resolve::{Url, classify_with};
use crate::scan::{Context, Reference, ScanError, ScanOptions, Scanned, scan};

/// Replace `span` of the source with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub span: Range<usize>,
    pub text: String,
}

/// Copies `source`, replacing each span. Spans must be sorted, disjoint and
/// on character boundaries (scan guarantees it); one that is not is left out.
pub fn splice(source: &str, replacements: &[Replacement]) -> String {
    let extra: usize = replacements.iter().map(|r| r.text.len()).sum();
    let mut out = String::with_capacity(source.len() + extra);
    let mut at = 0;
    for r in replacements {
        debug_assert!(r.span.start >= at, "replacements overlap or are unsorted");
        let (Some(before), true) = (
            source.get(at..r.span.start),
            source.get(r.span.clone()).is_some(),
        ) else {
            continue;
        };
        out.push_str(before);
        out.push_str(&r.text);
        at = r.span.end;
    }
    out.push_str(source.get(at..).unwrap_or_default());
    out
}

/// Writes `url` so that it reads back as `url` where the old one stood.
pub fn encode_for(context: Context, url: &str) -> String {
    match context {
        Context::MarkdownImage
        | Context::MarkdownLink
        | Context::HexoTag { .. }
        | Context::Embed => markdown_destination(url),
        Context::FrontMatter(style) => style.encode(url),
        Context::Shortcode { quote, .. } => shortcode_value(url, quote),
        Context::Attribute { quote }
        | Context::HtmlImage { quote }
        | Context::Media { quote }
        | Context::HtmlLink { quote } => attribute_value(url, quote),
        Context::JsString { quote, .. } => js_string_body(url, quote),
    }
}

/// The text that replaces `original` (the span's bytes) with `url`:
/// [`encode_for`], and for an attribute value that ran over several lines, its
/// line breaks and what follows them up to the value's text (a blockquote's
/// `> `, indentation), so every line of the document stays where it was. A
/// line that would be left empty gets `&#10;`: a blank line would end the
/// paragraph or HTML block, and the reference decodes to a line break, which
/// the URL parser drops like the others.
pub fn replacement(context: Context, url: &str, original: &str) -> String {
    // A Hexo asset tag is replaced whole, by Markdown (or HTML) of its own.
    if let Context::HexoTag { html, .. } = context {
        return crate::scan::hexo::render(original, html, url, &markdown_destination(url));
    }
    // So is an Obsidian embed.
    if context == Context::Embed {
        return crate::scan::obsidian::render(original, url);
    }
    let mut text = encode_for(context, url);
    let attribute = matches!(
        context,
        Context::Attribute { .. }
            | Context::HtmlImage { .. }
            | Context::Media { .. }
            | Context::HtmlLink { .. }
    );
    if !attribute || !original.contains(['\n', '\r']) {
        return text;
    }
    // CommonMark's line endings: `\n`, `\r\n` and a lone `\r` (the fuzzer
    // found a value broken by a lone `\r` that, put on one line, turned a
    // paragraph into an HTML block). Each is kept as it was written.
    let b = original.as_bytes();
    let mut breaks: Vec<(&str, usize)> = Vec::new(); // (the ending, where its line starts)
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let ending = match (c, b.get(i + 1)) {
            (b'\r', Some(b'\n')) => "\r\n",
            (b'\r', _) => "\r",
            (b'\n', _) => "\n",
            _ => "",
        };
        i += ending.len().max(1);
        if !ending.is_empty() {
            breaks.push((ending, i));
        }
    }
    for (k, &(ending, start)) in breaks.iter().enumerate() {
        text.push_str(ending);
        let mut i = start;
        while let Some(&c) = b.get(i).filter(|c| matches!(c, b' ' | b'\t' | b'>')) {
            text.push(char::from(c));
            i += 1;
        }
        // The last line keeps whatever follows the span; if the value had
        // text there, that line may now hold nothing (a value that ended with
        // trailing white space, trimmed from the span: found by fuzzing).
        if k + 1 < breaks.len() || i < b.len() {
            text.push_str("&#10;");
        }
    }
    text
}

/// A stand-in public URL for [`stable`]: what counts is its shape, a plain
/// absolute URL, as every public URL is.
const STAND_IN: &str = "https://r2filter.invalid/2026/01/0123456789ab.png";

/// Whether a destination written with `c` may hold something the text around
/// it parses (an enclosing link's title or destination, a code span, a table
/// cell, a tag), so that writing a plain URL there could change how the rest
/// reads. Letters, digits and the usual path punctuation may not.
fn may_shape_the_text(c: char) -> bool {
    !(c.is_alphanumeric()
        || matches!(
            c,
            '/' | '.'
                | '-'
                | '_'
                | '~'
                | '%'
                | '+'
                | ','
                | '='
                | '@'
                | ':'
                | ';'
                | '?'
                | '#'
                | '&'
                | '!'
                | '$'
                | '*'
        ))
}

/// Checks that rewriting the local references `found` in `source` changes
/// nothing but those URLs: scanned again, the rewritten text must hold the
/// same references, the local ones at their new URLs. A destination can hold
/// what an enclosing construct reads: in
/// `[z](a.jpg "t ![i](/u\u{a0}"x") y")` the image's `"` leaves the link's
/// title unclosed, so the link is text; written as a plain URL, the title
/// closes and the text becomes a link (found by the markdown fuzz target).
/// Such a reference is an error ([`ScanError::Unstable`]), not a rewrite.
/// Only documents whose local destinations hold characters other than
/// letters, digits and path punctuation are scanned again.
pub fn stable(source: &str, opts: &ScanOptions, found: &Scanned) -> Result<(), ScanError> {
    let written = |r: &Reference| source.get(r.span.clone()).unwrap_or_default();
    let suffix = |r: &Reference| match classify_with(&r.url, r.context, &opts.assets) {
        Url::Local { suffix, .. } => Some(suffix),
        Url::Skip(_) => None,
    };
    // The common case, plain paths, costs a look at each destination's bytes.
    let Some(first) = found.references.iter().position(|r| {
        !matches!(r.context, Context::HexoTag { .. })
            && written(r).chars().any(may_shape_the_text)
            && suffix(r).is_some()
    }) else {
        return Ok(());
    };
    let suffixes: Vec<Option<String>> = found.references.iter().map(suffix).collect();
    let replacements: Vec<Replacement> = found
        .references
        .iter()
        .zip(&suffixes)
        .filter_map(|(r, suffix)| {
            let url = format!("{STAND_IN}{}", suffix.as_ref()?);
            Some(Replacement {
                span: r.span.clone(),
                text: replacement(r.context, &url, written(r)),
            })
        })
        .collect();
    let expected = found
        .references
        .iter()
        .zip(&suffixes)
        .map(|(r, s)| match s {
            Some(suffix) => format!("{STAND_IN}{suffix}"),
            None => r.url.clone(),
        });
    let same = scan(&splice(source, &replacements), opts).is_ok_and(|again| {
        again.unmapped.len() == found.unmapped.len()
            && again.references.into_iter().map(|r| r.url).eq(expected)
    });
    if same {
        return Ok(());
    }
    let r = &found.references[first];
    Err(ScanError::Unstable {
        offset: r.span.start,
        url: r.url.clone(),
    })
}

/// `url` as an HTML (or JSX) attribute value in `quote`: a `&` that would
/// start a character reference is written `&amp;`, and what would end the
/// value is percent-encoded. Public URLs are percent-encoded already; the
/// `?query#fragment` carried over from the old URL is what may need it.
pub fn attribute_value(url: &str, quote: Option<u8>) -> String {
    let mut out = String::with_capacity(url.len());
    for (i, c) in url.char_indices() {
        match c {
            '&' if !literal_ampersand(url.get(i..).unwrap_or_default()) => out.push_str("&amp;"),
            // What would end the value; anything else in a carried-over
            // suffix was allowed where it stood before.
            '"' if quote == Some(b'"') => out.push_str("%22"),
            '\'' if quote == Some(b'\'') => out.push_str("%27"),
            ' ' | '\t' | '\n' | '\r' | '\x0c' | '>' if quote.is_none() => {
                out.push_str(&format!("%{:02X}", c as u32));
            }
            _ => out.push(c),
        }
    }
    out
}

/// `url` as the body of a JavaScript string literal in `quote` (`"`, `'`
/// or a backtick): what would end it or start an escape or a `${`
/// substitution is escaped.
pub fn js_string_body(url: &str, quote: u8) -> String {
    let mut out = String::with_capacity(url.len());
    let mut chars = url.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            '$' if quote == b'`' && chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if u32::from(c) == u32::from(quote) => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// `url` as a Hugo shortcode parameter value in `quote` (`"`, a backtick, or
/// none): what would end the value, or (in `"…"`, where Hugo drops every
/// backslash once one escapes a quote) start an escape, is percent-encoded.
pub fn shortcode_value(url: &str, quote: Option<u8>) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        let special = match quote {
            Some(b'`') => c == '`',
            Some(_) => matches!(c, '"' | '\\' | '\n' | '\r'),
            None => c.is_whitespace() || matches!(c, '"' | '`' | '\\'),
        };
        if special {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// True when the `&` starting `rest` reads as itself in an attribute value.
fn literal_ampersand(rest: &str) -> bool {
    let end = rest
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '&')
        .map_or(rest.len(), |(i, _)| i);
    let piece = rest.get(..end).unwrap_or(rest);
    htmlize::unescape_attribute(piece) == piece
}

/// A CommonMark link destination for `url`: bare when that parses back to the
/// same string, otherwise in angle brackets with `<` and `>` escaped. Either
/// way `\`, a `&` that would start a character reference, and `|` are
/// backslash-escaped: `|` because inside a table cell an unescaped one ends
/// the cell (and `\|` reads as `|` everywhere else).
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
            c if c.is_whitespace() || c.is_control() => bare = false,
            _ => {}
        }
    }
    let bare = bare && depth == 0;
    let mut out = String::with_capacity(url.len() + 2);
    if !bare {
        out.push('<');
    }
    for (i, c) in url.char_indices() {
        match c {
            '\\' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '&' if crate::scan::html::commonmark_entity(url.get(i..).unwrap_or_default())
                .is_some() =>
            {
                out.push_str("\\&");
            }
            '<' | '>' if !bare => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            _ => out.push(c),
        }
    }
    if !bare {
        out.push('>');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::Flavor;

    fn stable_in(doc: &str, flavor: Flavor) -> Result<(), ScanError> {
        let opts = flavor.into();
        stable(doc, &opts, &scan(doc, &opts).unwrap())
    }

    // Found by the markdown fuzz target: the image's `"` leaves the link's
    // title unclosed (the link is text); a plain URL there would close it.
    #[test]
    fn a_rewrite_that_would_change_the_text_around_it_is_refused() {
        let doc = "[z](a.jpg \"t ![i](/u\u{a0}\"x\") y\")\n";
        for flavor in [Flavor::Markdown, Flavor::Mdx] {
            let e = stable_in(doc, flavor).unwrap_err();
            assert!(
                matches!(&e, ScanError::Unstable { offset: 18, url } if url == "/u\u{a0}\"x\""),
                "{flavor:?}: {e:?}"
            );
        }
        // Spaces, parentheses and quotes that change nothing around them.
        for doc in [
            "![a](<my photo (1).png>)\n",
            "[z](a.jpg \"t\") ![i](<a \"b\".png>)\n",
            "| a | b |\n| - | - |\n| ![x](<a b.png>) | <img src=\"c d.png\"> |\n",
            "---\ncover: \"my photo.png\"\n---\n![a](https://example.com/(x).png)\n",
        ] {
            assert_eq!(stable_in(doc, Flavor::Markdown).ok(), Some(()), "{doc:?}");
        }
    }

    #[test]
    fn js_string_body_reads_back() {
        for v in ["a.png", "a\"b'c`d\\e\nf${g}", "x\u{2028}y\r"] {
            for q in [b'"', b'\'', b'`'] {
                let q_char = char::from(q);
                let lit = format!("{q_char}{}{q_char}", js_string_body(v, q));
                let read = crate::scan::mdx::js::string_literal(&lit).map(|l| l.2);
                assert_eq!(read.as_deref(), Some(v), "{lit}");
            }
        }
    }

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

    // Issue 10, case 4: a rewritten destination keeps its table cell whole.
    #[test]
    fn table_cells_stay_whole() {
        let doc = "| a |\n|---|\n| ![a](t.png?a\\|b) |\n";
        let refs = scan(doc, &Flavor::Markdown.into()).unwrap().references;
        let new = markdown_destination("https://cdn/x.png?a|b");
        assert_eq!(new, "https://cdn/x.png?a\\|b");
        let out = splice(
            doc,
            &[Replacement {
                span: refs[0].span.clone(),
                text: new,
            }],
        );
        assert_eq!(out, "| a |\n|---|\n| ![a](https://cdn/x.png?a\\|b) |\n");
        assert_eq!(
            scan(&out, &Flavor::Markdown.into()).unwrap().references[0].url,
            "https://cdn/x.png?a|b"
        );
    }

    // Case 5: text written into an HTML attribute is escaped for it.
    #[test]
    fn attribute_references_are_escaped() {
        let q = Some(b'"');
        assert_eq!(
            encode_for(Context::Attribute { quote: q }, "https://cdn/x.png?q=&lt;"),
            "https://cdn/x.png?q=&amp;lt;"
        );
        // A `&` that reads as itself stays as written.
        assert_eq!(
            encode_for(Context::Attribute { quote: q }, "https://cdn/x.png?a=1&b=2"),
            "https://cdn/x.png?a=1&b=2"
        );
        assert_eq!(
            encode_for(
                Context::HtmlLink { quote: None },
                "https://cdn/x.png?a=1&copy"
            ),
            "https://cdn/x.png?a=1&amp;copy"
        );
        let doc = "<img src=\"e.png?q=&amp;lt;\">";
        let r = &scan(doc, &Flavor::Markdown.into()).unwrap().references[0];
        let out = splice(
            doc,
            &[Replacement {
                span: r.span.clone(),
                text: encode_for(r.context, "https://cdn/x.png?q=&lt;"),
            }],
        );
        assert_eq!(out, "<img src=\"https://cdn/x.png?q=&amp;lt;\">");
        assert_eq!(
            scan(&out, &Flavor::Markdown.into()).unwrap().references[0].url,
            "https://cdn/x.png?q=&lt;"
        );
    }

    #[test]
    fn entity_like_text_in_destinations_is_escaped() {
        for url in [
            "https://cdn/x.png?a=&eacute;",
            "https://cdn/x.png?a=&b",
            "https://cdn/a b.png?&amp;",
        ] {
            let doc = format!("![x]({})", markdown_destination(url));
            assert_eq!(
                scan(&doc, &Flavor::Markdown.into()).unwrap().references[0].url,
                url,
                "{doc}"
            );
        }
    }

    // Found by the markdown fuzz target: a value over four lines of a
    // paragraph; emptied, its middle lines would end the paragraph.
    #[test]
    fn a_value_over_lines_keeps_every_line_non_blank() {
        let doc = "<a href=\"foo . foo\n2.\n3. bar \nbar.png\">\n";
        let r = &scan(doc, &Flavor::Markdown.into()).unwrap().references[0];
        let new = replacement(
            r.context,
            "https://cdn/x.png",
            doc.get(r.span.clone()).unwrap(),
        );
        assert_eq!(new, "https://cdn/x.png\n&#10;\n&#10;\n&#10;");
        let out = splice(
            doc,
            &[Replacement {
                span: r.span.clone(),
                text: new,
            }],
        );
        assert_eq!(out, "<a href=\"https://cdn/x.png\n&#10;\n&#10;\n&#10;\">\n");
        assert_eq!(
            scan(&out, &Flavor::Markdown.into()).unwrap().references[0].url,
            "https://cdn/x.png"
        );
        let quoted = "> <img src=\"a\n> b.png\">";
        let r = &scan(quoted, &Flavor::Markdown.into()).unwrap().references[0];
        assert_eq!(
            replacement(r.context, "U", quoted.get(r.span.clone()).unwrap()),
            "U\n> &#10;"
        );
    }

    // Found by the markdown fuzz target: a value broken by a lone `\r` (a
    // CommonMark line ending). On one line the tag would start an HTML block
    // where the paragraph was.
    #[test]
    fn a_lone_carriage_return_in_a_value_is_kept() {
        let doc = "<img src=\"a\rb.png\">";
        let r = &scan(doc, &Flavor::Markdown.into()).unwrap().references[0];
        let new = replacement(r.context, "U", doc.get(r.span.clone()).unwrap());
        assert_eq!(new, "U\r&#10;");
        let crlf = "<img src=\"a\r\n b\rc.png\">";
        let r = &scan(crlf, &Flavor::Markdown.into()).unwrap().references[0];
        let new = replacement(r.context, "U", crlf.get(r.span.clone()).unwrap());
        assert_eq!(new, "U\r\n &#10;\r&#10;");
    }

    // Found by the markdown fuzz target: the value ends with white space that
    // the span leaves out, so its last line would be left empty.
    #[test]
    fn a_value_whose_last_line_would_be_empty_keeps_it() {
        let doc = "x<img src=\"e.png\n]\n\">";
        let r = &scan(doc, &Flavor::Markdown.into()).unwrap().references[0];
        let new = replacement(r.context, "U", doc.get(r.span.clone()).unwrap());
        assert_eq!(new, "U\n&#10;");
        let out = splice(
            doc,
            &[Replacement {
                span: r.span.clone(),
                text: new,
            }],
        );
        assert_eq!(out, "x<img src=\"U\n&#10;\n\">");
    }
}
