//! Image URLs in raw HTML and JSX.
//!
//! For HTML this is the start-tag part of the WHATWG tokenizer: it finds the
//! tags a browser would build, with the byte range of each attribute value.
//! What a browser does not read as a live tag is stepped over as it does:
//! comments (`<!-- -->`), bogus comments (`<!DOCTYPE …>`, `<?php … ?>`,
//! `<![CDATA[ … ]]>`, up to the first `>`), end tags, and the bodies of
//! raw-text elements (`<textarea>`, `<title>`, `<script>`, `<style>`, …).
//! Attribute names follow the spec too: `<img/src="a.png">` has a `src`, and
//! of two `src` attributes the first counts.
//!
//! (JSX in MDX is read by [`super::mdx`], from markdown-rs's tree.)
//!
//! Character references are decoded with `htmlize`, which carries the full
//! HTML5 table and the spec's rules (in an attribute, `&copy=` stays as is).
//!
//! No `str` is sliced at a computed offset without a char-boundary check:
//! the module denies `clippy::string_slice`, and slices with `str::get`.
#![deny(clippy::string_slice)]

use std::ops::Range;

use crate::scan::Context;

/// One start tag as a browser's tokenizer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartTag {
    /// Offset of its `<`.
    pub start: usize,
    /// Lower-cased.
    pub name: String,
    /// Attributes in order, the first of each name only.
    pub attrs: Vec<Attr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Lower-cased.
    pub name: String,
    /// The value as written, between its quotes.
    pub value: Range<usize>,
    pub quote: Option<u8>,
}

/// Elements whose content the tokenizer reads as text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "textarea", "title", "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript",
];

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Every start tag a browser would see in `text`, in order.
pub fn start_tags(text: &str) -> Vec<StartTag> {
    let b = text.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(off) = b.get(i..).and_then(|r| r.iter().position(|&c| c == b'<')) {
        i += off;
        let next = b.get(i + 1).copied();
        match next {
            Some(c) if c.is_ascii_alphabetic() => {
                let Some((tag, after)) = tag(b, i, true) else {
                    return tags; // a tag cut off by the end is dropped
                };
                i = after;
                if tag.name == "plaintext" {
                    tags.push(tag);
                    return tags;
                }
                if RAW_TEXT.contains(&tag.name.as_str()) {
                    i = raw_text_end(b, i, &tag.name);
                }
                tags.push(tag);
            }
            Some(b'/') => match b.get(i + 2).copied() {
                Some(c) if c.is_ascii_alphabetic() => match tag(b, i + 1, false) {
                    Some((_, after)) => i = after,
                    None => return tags,
                },
                Some(b'>') => i += 3,
                None => return tags,
                Some(_) => i = bogus_comment_end(b, i + 2),
            },
            Some(b'!') if b.get(i + 2..i + 4) == Some(b"--") => i = comment_end(b, i + 4),
            Some(b'!') | Some(b'?') => i = bogus_comment_end(b, i + 2),
            _ => i += 1,
        }
    }
    tags
}

/// After `<!--` at `i`: where the comment ends (`-->`, `--!>`, or the
/// abrupt `<!-->` and `<!--->`).
fn comment_end(b: &[u8], i: usize) -> usize {
    match b.get(i..) {
        Some([b'>', ..]) => return i + 1,
        Some([b'-', b'>', ..]) => return i + 2,
        _ => {}
    }
    let mut j = i;
    while j < b.len() {
        if b.get(j..j + 3) == Some(b"-->") {
            return j + 3;
        }
        if b.get(j..j + 4) == Some(b"--!>") {
            return j + 4;
        }
        j += 1;
    }
    b.len()
}

/// A bogus comment runs to the first `>`.
fn bogus_comment_end(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .and_then(|r| r.iter().position(|&c| c == b'>'))
        .map_or(b.len(), |p| i + p + 1)
}

/// The offset of the `</name` that ends a raw-text element (or the end).
fn raw_text_end(b: &[u8], mut i: usize, name: &str) -> usize {
    let n = name.len();
    while let Some(off) = b.get(i..).and_then(|r| r.iter().position(|&c| c == b'<')) {
        i += off;
        if b.get(i + 1) == Some(&b'/')
            && b.get(i + 2..i + 2 + n)
                .is_some_and(|s| s.eq_ignore_ascii_case(name.as_bytes()))
            && b.get(i + 2 + n)
                .is_none_or(|&c| is_space(c) || c == b'/' || c == b'>')
        {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// Reads the tag whose name starts at `lt + 1`; returns it and the offset
/// after its `>`, or `None` when the text ends inside it.
fn tag(b: &[u8], lt: usize, keep_attrs: bool) -> Option<(StartTag, usize)> {
    let mut i = lt + 1;
    let name_start = i;
    while i < b.len() && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name = String::from_utf8_lossy(b.get(name_start..i)?).to_ascii_lowercase();
    let mut attrs: Vec<Attr> = Vec::new();
    loop {
        // Before an attribute name: whitespace and stray `/` are skipped.
        while i < b.len() && (is_space(b[i]) || (b[i] == b'/' && b.get(i + 1) != Some(&b'>'))) {
            i += 1;
        }
        match b.get(i)? {
            b'>' => break,
            b'/' => {
                i += 2; // `/>`
                return Some((
                    StartTag {
                        start: lt,
                        name,
                        attrs,
                    },
                    i,
                ));
            }
            _ => {}
        }
        // The attribute name; a leading `=` belongs to it.
        let attr_start = i;
        i += 1;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let attr_name = String::from_utf8_lossy(b.get(attr_start..i)?).to_ascii_lowercase();
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        let value = if b.get(i) == Some(&b'=') {
            i += 1;
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            match *b.get(i)? {
                q @ (b'"' | b'\'') => {
                    let len = b.get(i + 1..)?.iter().position(|&c| c == q)?;
                    let v = (i + 1..i + 1 + len, Some(q));
                    i += len + 2;
                    Some(v)
                }
                b'>' => Some((i..i, None)),
                _ => {
                    let s = i;
                    while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                        i += 1;
                    }
                    Some((s..i, None))
                }
            }
        } else {
            None
        };
        if keep_attrs && !attrs.iter().any(|a| a.name == attr_name) {
            let (value, quote) = value.unwrap_or((i..i, None));
            attrs.push(Attr {
                name: attr_name,
                value,
                quote,
            });
        }
    }
    Some((
        StartTag {
            start: lt,
            name,
            attrs,
        },
        i + 1,
    ))
}

/// The attributes of `tag` that name an image or media file (or, for
/// `<a href>`, may), with how a new URL must be written there. `srcset` gives one entry per
/// candidate; ranges are offsets into the tokenized text.
pub fn image_attributes(text: &str, tag: &StartTag) -> Vec<(Range<usize>, Context)> {
    let mut out = Vec::new();
    let image_element = matches!(tag.name.as_str(), "img" | "source" | "video");
    for a in &tag.attrs {
        let context = match (tag.name.as_str(), a.name.as_str()) {
            ("a", "href") => Context::HtmlLink { quote: a.quote },
            // What the element shows is an image, whatever its name.
            ("img", "src") | ("video", "poster") => Context::HtmlImage { quote: a.quote },
            // A media element plays a video, audio or captions file (or
            // shows an image) by its extension.
            ("video" | "audio" | "source" | "track", "src") => Context::Media { quote: a.quote },
            (_, "srcset") => {
                // On any other element, as below: a candidate counts only
                // when its path is an image.
                let context = if image_element {
                    Context::HtmlImage { quote: a.quote }
                } else {
                    Context::Attribute { quote: a.quote }
                };
                let raw = text.get(a.value.clone()).unwrap_or("");
                for c in srcset_urls(raw) {
                    out.push((a.value.start + c.start..a.value.start + c.end, context));
                }
                continue;
            }
            // Any other `src` or `poster` (a video, `<embed src="a.svg">`,
            // `<input type="image">`, a custom element such as
            // `<responsive-image>`): only a path with an image extension, as
            // the props of MDX's JSX. remark with rehype-raw renders them.
            (_, "src" | "poster") => Context::Attribute { quote: a.quote },
            _ => continue,
        };
        out.push((a.value.clone(), context));
    }
    out
}

/// The URL an attribute value names: references decoded, then what the URL
/// parser strips (surrounding whitespace, and tabs and newlines anywhere).
pub fn attribute_url(raw: &str) -> String {
    htmlize::unescape_attribute(raw)
        .trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// `span` narrowed to the URL inside it (HTML trims surrounding whitespace),
/// or `None` when only whitespace is left.
pub(crate) fn trim_span(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let raw = text.get(span.clone())?;
    let lead = raw.len()
        - raw
            .trim_start_matches(|c: char| c.is_ascii_whitespace())
            .len();
    let trimmed = raw.trim_matches(|c: char| c.is_ascii_whitespace());
    (!trimmed.is_empty()).then(|| span.start + lead..span.start + lead + trimmed.len())
}

/// The URL spans of a `srcset` value: candidates are separated by commas, each
/// a URL followed by optional descriptors (`2x`, `480w`).
pub(crate) fn srcset_urls(value: &str) -> Vec<Range<usize>> {
    let b = value.as_bytes();
    let mut urls = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b',') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut url_end = i;
        let trailing_comma = url_end > start && b[url_end - 1] == b',';
        while url_end > start && b[url_end - 1] == b',' {
            url_end -= 1;
        }
        if url_end > start {
            urls.push(start..url_end);
        }
        if !trailing_comma {
            // Skip descriptors up to the next candidate.
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
        }
    }
    urls
}

/// A CommonMark character reference at the start of `s` (`&eacute;`,
/// `&#233;`, `&#xE9;`): the text it stands for and its length in bytes.
/// Unlike HTML, CommonMark needs the `;` and knows no legacy forms.
pub fn commonmark_entity(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'&') {
        return None;
    }
    if b.get(1) == Some(&b'#') {
        let (digits_at, radix, max) = match b.get(2) {
            Some(b'x' | b'X') => (3, 16, 6),
            _ => (2, 10, 7),
        };
        let len = b
            .get(digits_at..)?
            .iter()
            .take_while(|c| c.is_ascii_digit() || (radix == 16 && c.is_ascii_hexdigit()))
            .count();
        if len == 0 || len > max || b.get(digits_at + len) != Some(&b';') {
            return None;
        }
        let n = u32::from_str_radix(s.get(digits_at..digits_at + len)?, radix).ok()?;
        let c = char::from_u32(n)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{FFFD}');
        return Some((c.to_string(), digits_at + len + 1));
    }
    let name_len = b
        .get(1..)?
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len == 0 || b.get(1 + name_len) != Some(&b';') {
        return None;
    }
    let whole = b.get(..name_len + 2)?;
    let decoded = htmlize::ENTITIES.get(whole)?;
    Some((String::from_utf8_lossy(decoded).into_owned(), whole.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (tag name, attribute name, raw value) of every image attribute.
    fn attrs(html: &str) -> Vec<(String, String)> {
        start_tags(html)
            .iter()
            .flat_map(|t| {
                image_attributes(html, t)
                    .into_iter()
                    .map(|(r, _)| (t.name.clone(), html.get(r).unwrap().to_string()))
            })
            .collect()
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    #[test]
    fn quoting_styles() {
        assert_eq!(
            attrs(
                r#"<img src="a.png"><img src='b.png'><img src=c.png><img alt="x" src = "d.png" />"#
            ),
            [
                pair("img", "a.png"),
                pair("img", "b.png"),
                pair("img", "c.png"),
                pair("img", "d.png")
            ]
        );
    }

    #[test]
    fn slash_separates_attributes_and_first_duplicate_wins() {
        assert_eq!(
            attrs(r#"<img/src="s.png"><IMG SRC=a.png src=b.png>"#),
            [pair("img", "s.png"), pair("img", "a.png")]
        );
    }

    // Any element's `src`, `poster` and `srcset` are candidates (an iframe
    // or a custom element showing y.png loads it too, and remark with
    // rehype-raw renders them); resolve keeps those whose path is an image,
    // so x.js is left. Other attributes never are.
    #[test]
    fn src_poster_and_srcset_of_any_element_and_links() {
        assert_eq!(
            attrs(
                r#"<script src="x.js"></script><iframe src="y.png" data-src="n.png"></iframe><a href="z.png" src="w.png">z</a><x-img poster="p.png" srcset="q.png 2x"><div href="h.png">"#
            ),
            [
                pair("script", "x.js"),
                pair("iframe", "y.png"),
                pair("a", "z.png"),
                pair("a", "w.png"),
                pair("x-img", "p.png"),
                pair("x-img", "q.png"),
            ]
        );
        let html = r#"<x-img src="a.png" srcset="b.png">"#;
        let contexts: Vec<Context> = start_tags(html)
            .iter()
            .flat_map(|t| image_attributes(html, t))
            .map(|(_, c)| c)
            .collect();
        let attr = Context::Attribute { quote: Some(b'"') };
        assert_eq!(contexts, [attr, attr]);
    }

    // Issue 24: the `src` of media elements, and `poster`.
    #[test]
    fn media_elements() {
        let html = r#"<video src="a.mp4" poster="p.jpg"><source src='b.webm'><track src=c.vtt></video><audio src="d.mp3"></audio><picture><source srcset="e.avif 2x"></picture><embed src="f.mp4">"#;
        let found: Vec<(String, Context)> = start_tags(html)
            .iter()
            .flat_map(|t| image_attributes(html, t))
            .map(|(r, c)| (html.get(r).unwrap().to_string(), c))
            .collect();
        let media = |q| Context::Media { quote: q };
        assert_eq!(
            found,
            [
                ("a.mp4".into(), media(Some(b'"'))),
                ("p.jpg".into(), Context::HtmlImage { quote: Some(b'"') }),
                ("b.webm".into(), media(Some(b'\''))),
                ("c.vtt".into(), media(None)),
                ("d.mp3".into(), media(Some(b'"'))),
                ("e.avif".into(), Context::HtmlImage { quote: Some(b'"') }),
                ("f.mp4".into(), Context::Attribute { quote: Some(b'"') }),
            ]
        );
    }

    #[test]
    fn what_is_not_a_live_tag_is_skipped() {
        for html in [
            "<textarea><img src=\"a.png\"></textarea>",
            "<TITLE><img src=\"a.png\"></title >",
            "<script>var s = '<img src=\"a.png\">';</script>",
            "<![CDATA[ <img src=\"a.png\"> ]]>",
            "<?php echo '<img src=\"a.png\">'; ?>",
            "<!DOCTYPE html <img src=\"a.png\">>",
            "<!-- <img src=\"a.png\"> -->",
            "</p <img src=\"a.png\">>",
            "<img src=\"a.png\"", // cut off: the browser drops it
        ] {
            assert_eq!(attrs(html), [], "{html}");
        }
        assert_eq!(
            attrs("<textarea>x</textarea><img src=b.png>"),
            [pair("img", "b.png")]
        );
        assert_eq!(attrs("<!--><img src=c.png>"), [pair("img", "c.png")]);
    }

    #[test]
    fn srcset_candidates() {
        assert_eq!(
            // As the HTML spec has it, a comma inside a URL is part of it;
            // trailing commas end it.
            attrs(r#"<img srcset="a.png, b.png 2x,c.png 480w , d.png,, e.png 1x,f,g.png 2x">"#)
                .into_iter()
                .map(|(_, v)| v)
                .collect::<Vec<_>>(),
            ["a.png", "b.png", "c.png", "d.png", "e.png", "f,g.png"]
        );
    }

    #[test]
    fn references_are_decoded_as_html_does() {
        assert_eq!(attribute_url("a&amp;b&#46;png"), "a&b.png");
        assert_eq!(attribute_url("caf&eacute;.png"), "café.png");
        assert_eq!(attribute_url("x?a=1&copy=2"), "x?a=1&copy=2");
        assert_eq!(attribute_url(" a\nb.png "), "ab.png");
        assert_eq!(attribute_url("&aaaaaaaaaa截.png"), "&aaaaaaaaaa截.png");
    }

    #[test]
    fn commonmark_references_need_the_semicolon() {
        assert_eq!(commonmark_entity("&eacute;x"), Some(("é".into(), 8)));
        assert_eq!(commonmark_entity("&#233;"), Some(("é".into(), 6)));
        assert_eq!(commonmark_entity("&#xE9;"), Some(("é".into(), 6)));
        assert_eq!(commonmark_entity("&#0;"), Some(("\u{FFFD}".into(), 4)));
        assert_eq!(commonmark_entity("&eacute"), None);
        assert_eq!(commonmark_entity("&#12345678;"), None);
        assert_eq!(commonmark_entity("&nosuch;"), None);
        assert_eq!(commonmark_entity("&aaaaaaaaaa截"), None);
    }

    #[test]
    fn cut_off_input_does_not_panic() {
        for s in [
            "<",
            "<img",
            "<img src",
            "<img src=",
            "<img src=\"a",
            "<!--",
            "<!",
            "</",
            "<?",
            "<x {",
            "<img srcset=\",,\">",
            "<img src=&aaaaaaaaaa截.png>",
            "<textarea>",
            "<a/",
        ] {
            let _ = attrs(s);
        }
    }
}
