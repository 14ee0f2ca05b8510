//! Image URLs in raw HTML and JSX: `src`, `srcset`/`srcSet` and `poster`
//! attributes, quoted with `"`, `'` or not at all, tags spread over lines.
//!
//! This is a tokenizer for start tags only, not an HTML parser: it needs to know
//! where attribute values start and end, and to step over comments, `<script>`
//! and `<style>` bodies and JSX `{expressions}`.

use std::ops::Range;

use crate::scan::{Context, Flavor, Reference};

/// HTML elements whose attributes may name images.
const HTML_TAGS: &[&str] = &["img", "source", "video"];

/// Scans `source[range]` for start tags and pushes one reference per image
/// attribute value (one per candidate for `srcset`).
pub(crate) fn scan_tags(
    source: &str,
    range: Range<usize>,
    flavor: Flavor,
    out: &mut Vec<Reference>,
) {
    let bytes = source.as_bytes();
    let end = range.end.min(bytes.len());
    let mut i = range.start;
    let mdx = flavor == Flavor::Mdx;
    while let Some(off) = bytes[i..end]
        .iter()
        .position(|&b| b == b'<' || (mdx && b == b'{'))
    {
        i += off;
        let rest = &source[i..end];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(end, |p| i + p + 3);
            continue;
        }
        // MDX comments, `{/* … */}`: commented-out JSX is not a reference.
        if let Some(inner) = rest.strip_prefix('{') {
            i = match inner.trim_start().strip_prefix("/*") {
                Some(comment) => {
                    let from = end - comment.len();
                    comment.find("*/").map_or(end, |p| from + p + 2)
                }
                None => i + 1,
            };
            continue;
        }
        let name_len = rest[1..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b':' | b'.' | b'_'))
            .count();
        // A tag name ends at whitespace, `/`, `>` (or `{` in JSX); `<a![x](y)` is
        // text, not a tag whose attributes would swallow what follows.
        let after_name = rest.as_bytes().get(1 + name_len).copied();
        let ends_name = after_name.is_none_or(|b| {
            b.is_ascii_whitespace() || b == b'/' || b == b'>' || (mdx && b == b'{')
        });
        if name_len == 0 || !rest.as_bytes()[1].is_ascii_alphabetic() || !ends_name {
            i += 1;
            continue;
        }
        let name = &rest[1..1 + name_len];
        let wanted = match flavor {
            Flavor::Markdown => HTML_TAGS.iter().any(|t| t.eq_ignore_ascii_case(name)),
            Flavor::Mdx => true,
        };
        let after = attributes(source, i + 1 + name_len, end, flavor, wanted, out);
        i = after;
        if flavor == Flavor::Markdown
            && (name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style"))
        {
            let close = format!("</{}", name.to_ascii_lowercase());
            let lower = source[i..end].to_ascii_lowercase();
            i = lower.find(&close).map_or(end, |p| i + p);
        }
    }
}

/// Walks the attributes of one start tag from `i`; returns the index after the tag.
fn attributes(
    source: &str,
    mut i: usize,
    end: usize,
    flavor: Flavor,
    wanted: bool,
    out: &mut Vec<Reference>,
) -> usize {
    let bytes = source.as_bytes();
    loop {
        while i < end && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= end {
            return end;
        }
        match bytes[i] {
            b'>' => return i + 1,
            b'/' if bytes.get(i + 1) == Some(&b'>') => return i + 2,
            b'{' if flavor == Flavor::Mdx => {
                i = skip_braces(bytes, i, end);
                continue;
            }
            b'<' => return i, // not a tag after all; let the caller look again here
            _ => {}
        }
        let name_start = i;
        while i < end && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'>' | b'<')
        {
            if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'>') {
                break;
            }
            i += 1;
        }
        if i == name_start {
            i += 1;
            continue;
        }
        let name = &source[name_start..i];
        let mut j = i;
        while j < end && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j >= end || bytes[j] != b'=' {
            continue; // attribute without a value
        }
        j += 1;
        while j < end && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j >= end {
            return end;
        }
        let (value, quote, next) = match bytes[j] {
            q @ (b'"' | b'\'') => match source[j + 1..end].find(q as char) {
                Some(p) => (j + 1..j + 1 + p, Some(q), j + 2 + p),
                None => return end,
            },
            b'{' if flavor == Flavor::Mdx => {
                i = skip_braces(bytes, j, end);
                continue;
            }
            _ => {
                let mut k = j;
                while k < end && !bytes[k].is_ascii_whitespace() && bytes[k] != b'>' {
                    k += 1;
                }
                (j..k, None, k)
            }
        };
        i = next;
        if !wanted {
            continue;
        }
        let context = Context::Attribute { quote };
        let is = |n: &str| match flavor {
            Flavor::Markdown => name.eq_ignore_ascii_case(n),
            Flavor::Mdx => name == n || name.eq_ignore_ascii_case(n) && n == "srcset",
        };
        if is("src") || is("poster") {
            push(source, value, context, out);
        } else if is("srcset") || (flavor == Flavor::Mdx && name == "srcSet") {
            for candidate in srcset_urls(&source[value.clone()]) {
                let span = value.start + candidate.start..value.start + candidate.end;
                push(source, span, context, out);
            }
        }
    }
}

fn push(source: &str, span: Range<usize>, context: Context, out: &mut Vec<Reference>) {
    let raw = &source[span.clone()];
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return;
    }
    // HTML trims surrounding whitespace from URLs; keep the span to the URL itself.
    let lead = raw.len() - raw.trim_start().len();
    let span = span.start + lead..span.start + lead + trimmed.len();
    out.push(Reference {
        span,
        url: decode_entities(trimmed),
        context,
    });
}

/// The URL spans of a `srcset` value: candidates are separated by commas, each
/// a URL followed by optional descriptors (`2x`, `480w`).
fn srcset_urls(value: &str) -> Vec<Range<usize>> {
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

/// Skips a JSX `{expression}` starting at `i` (on the `{`), minding strings.
/// An expression never closed is no expression: only its `{` is skipped, so
/// a stray brace cannot swallow the rest of the document.
fn skip_braces(bytes: &[u8], i: usize, end: usize) -> usize {
    close_braces(bytes, i, end).unwrap_or(i + 1)
}

fn close_braces(bytes: &[u8], mut i: usize, end: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    while i < end {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' | b'`' => quote = Some(b),
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// Decodes the character references HTML allows in attribute values.
pub(crate) fn decode_entities(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while let Some(p) = raw[i..].find('&') {
        out.push_str(&raw[i..i + p]);
        i += p;
        match decode_entity(&raw[i..]) {
            Some((s, len)) => {
                out.push_str(&s);
                i += len;
            }
            None => {
                out.push('&');
                i += 1;
            }
        }
    }
    out.push_str(&raw[i..]);
    out
}

/// Decodes one character reference at the start of `s` (`&amp;`, `&#233;`,
/// `&#xE9;`); returns the text and the bytes it took.
pub(crate) fn decode_entity(s: &str) -> Option<(String, usize)> {
    let semi = s[..s.len().min(12)].find(';')?;
    let body = &s[1..semi];
    let ch = if let Some(num) = body.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(n)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{FFFD}')
    } else {
        match body {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{a0}',
            _ => return None,
        }
    };
    Some((ch.to_string(), semi + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(html: &str, flavor: Flavor) -> Vec<(&str, String)> {
        let mut out = Vec::new();
        scan_tags(html, 0..html.len(), flavor, &mut out);
        out.into_iter().map(|r| (&html[r.span], r.url)).collect()
    }

    #[test]
    fn quoting_styles() {
        assert_eq!(
            urls(
                r#"<img src="a.png"><img src='b.png'><img src=c.png><img alt="x" src = "d.png" />"#,
                Flavor::Markdown
            ),
            [
                ("a.png", "a.png".into()),
                ("b.png", "b.png".into()),
                ("c.png", "c.png".into()),
                ("d.png", "d.png".into())
            ]
        );
    }

    #[test]
    fn only_image_elements_in_html() {
        assert_eq!(
            urls(
                r#"<script src="x.js"></script><iframe src="y.png">"#,
                Flavor::Markdown
            ),
            []
        );
    }

    #[test]
    fn script_bodies_are_skipped() {
        assert_eq!(
            urls(
                "<script>var s = '<img src=\"q.png\">';</script><img src=\"r.png\">",
                Flavor::Markdown
            ),
            [("r.png", "r.png".into())]
        );
    }

    #[test]
    fn srcset_candidates() {
        assert_eq!(
            // As the HTML spec has it, a comma inside a URL is part of it; trailing
            // commas end it.
            urls(
                r#"<img srcset="a.png, b.png 2x,c.png 480w , d.png,, e.png 1x,f,g.png 2x">"#,
                Flavor::Markdown
            ),
            [
                ("a.png", "a.png".into()),
                ("b.png", "b.png".into()),
                ("c.png", "c.png".into()),
                ("d.png", "d.png".into()),
                ("e.png", "e.png".into()),
                ("f,g.png", "f,g.png".into())
            ]
        );
    }

    #[test]
    fn entities_are_decoded_in_the_url() {
        assert_eq!(
            urls(r#"<img src="a&amp;b&#46;png">"#, Flavor::Markdown),
            [("a&amp;b&#46;png", "a&b.png".into())]
        );
    }

    #[test]
    fn jsx_expressions_are_skipped() {
        assert_eq!(
            urls(
                r#"<Image {...props} alt={"<img src='x.png'>"} src="./c.png" width={800} />"#,
                Flavor::Mdx
            ),
            [("./c.png", "./c.png".into())]
        );
    }

    #[test]
    fn unterminated_tags_do_not_panic() {
        for s in [
            "<",
            "<img",
            "<img src",
            "<img src=",
            "<img src=\"a",
            "<!--",
            "<x {",
            "<img srcset=\",,\">",
        ] {
            urls(s, Flavor::Markdown);
            urls(s, Flavor::Mdx);
        }
    }
}
