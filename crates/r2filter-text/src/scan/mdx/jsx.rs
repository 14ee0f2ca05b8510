//! The props of one JSX opening tag, with their byte spans.
//!
//! markdown-rs gives every JSX element a position, but its attributes none;
//! this reads the opening tag's own slice again. The tag parsed already, so
//! this only has to follow MDX's JSX grammar: `<`, a name, then props
//! (`name`, `name="…"`, `name='…'`, `name={…}`, `{...spread}`) up to `>` or
//! `/>`, separated by whitespace and line endings. Inside a block quote the
//! lines of a tag start with the quote's `>` markers, which are stepped
//! over. The caller checks what is found here against the parser's own
//! attributes, so a misreading cannot go unnoticed.
#![deny(clippy::string_slice)]

use std::ops::Range;

use super::js;

/// A prop as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prop {
    /// `name`, `name="…"`, `name='…'` or `name={…}`.
    Named { name: String, value: Option<Value> },
    /// `{...spread}`.
    Spread,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// Between the quotes of `"…"` or `'…'`.
    Literal { span: Range<usize>, quote: u8 },
    /// Between the braces of `{…}`.
    Expression(Range<usize>),
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Skips whitespace from `i`; after a line ending, also up to `quotes`
/// block-quote markers.
fn skip_space(b: &[u8], mut i: usize, quotes: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if c == b'\n' {
            i += 1;
            let mut markers = 0;
            while let Some(&c) = b.get(i) {
                if c == b' ' || c == b'\t' {
                    i += 1;
                } else if c == b'>' && markers < quotes {
                    markers += 1;
                    i += 1;
                } else {
                    break;
                }
            }
        } else if is_space(c) || c >= 0x80 && unicode_space(b, i) > 0 {
            i += if c < 0x80 { 1 } else { unicode_space(b, i) };
        } else {
            break;
        }
    }
    i
}

/// The length of the Unicode space (JavaScript's `WhiteSpace`, NBSP and the
/// Zs category, or a line separator) at `i`, or 0.
fn unicode_space(b: &[u8], i: usize) -> usize {
    let Some(rest) = b.get(i..i + 4.min(b.len() - i)) else {
        return 0;
    };
    let s = match std::str::from_utf8(rest) {
        Ok(s) => s,
        Err(e) => {
            std::str::from_utf8(rest.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or("")
        }
    };
    s.chars()
        .next()
        .filter(|c| c.is_whitespace() || *c == '\u{feff}')
        .map_or(0, char::len_utf8)
}

/// A name, a member or namespace part: up to whitespace or punctuation.
fn name_end(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if is_space(c) || matches!(c, b'/' | b'>' | b'{' | b'}' | b'=' | b'"' | b'\'' | b'<') {
            break;
        }
        if c >= 0x80 && unicode_space(b, i) > 0 {
            break;
        }
        i += 1;
    }
    i
}

/// The props of the opening tag whose `<` is at `lt` in `source`, in a
/// block quote `quotes` deep. `None` when the slice does not read as a tag.
pub(crate) fn props(source: &str, lt: usize, quotes: usize) -> Option<Vec<Prop>> {
    tag(source, lt, quotes).map(|(_, props)| props)
}

/// The name (`a.b`, `svg:rect`; empty for a fragment) and props of the
/// opening tag whose `<` is at `lt`.
pub(crate) fn tag(source: &str, lt: usize, quotes: usize) -> Option<(String, Vec<Prop>)> {
    let b = source.as_bytes();
    if b.get(lt) != Some(&b'<') {
        return None;
    }
    let mut i = skip_space(b, lt + 1, quotes);
    let mut name = String::new();
    if b.get(i) == Some(&b'>') {
        return Some((name, Vec::new())); // a fragment
    }
    // The name, possibly `a.b.c` or `a:b` with whitespace around the dots.
    loop {
        let end = name_end(b, i);
        if end == i {
            return None;
        }
        name.push_str(source.get(i..end)?);
        i = skip_space(b, end, quotes);
        match b.get(i) {
            Some(&c @ (b'.' | b':')) => {
                name.push(char::from(c));
                i = skip_space(b, i + 1, quotes);
            }
            _ => break,
        }
    }
    let mut props = Vec::new();
    loop {
        i = skip_space(b, i, quotes);
        match *b.get(i)? {
            b'>' => return Some((name, props)),
            b'/' => {
                return (b.get(skip_space(b, i + 1, quotes)) == Some(&b'>'))
                    .then_some((name, props));
            }
            b'{' => {
                i = js::expression_end(source, i)? + 1;
                props.push(Prop::Spread);
                continue;
            }
            _ => {}
        }
        let start = i;
        i = name_end(b, i);
        if i == start {
            return None;
        }
        let name = source.get(start..i)?.to_string();
        let after = skip_space(b, i, quotes);
        if b.get(after) != Some(&b'=') {
            props.push(Prop::Named { name, value: None });
            continue;
        }
        i = skip_space(b, after + 1, quotes);
        let value = match *b.get(i)? {
            q @ (b'"' | b'\'') => {
                let len = b.get(i + 1..)?.iter().position(|&c| c == q)?;
                let span = i + 1..i + 1 + len;
                i = span.end + 1;
                Value::Literal { span, quote: q }
            }
            b'{' => {
                let close = js::expression_end(source, i)?;
                let span = i + 1..close;
                i = close + 1;
                Value::Expression(span)
            }
            _ => return None,
        };
        props.push(Prop::Named {
            name,
            value: Some(value),
        });
    }
}

#[cfg(test)]
#[allow(clippy::string_slice)] // tests: a panic is a failure
mod tests {
    use super::*;

    fn read(src: &str, quotes: usize) -> Vec<(String, String)> {
        props(src, 0, quotes)
            .unwrap()
            .into_iter()
            .map(|p| match p {
                Prop::Named { name, value: None } => (name, String::new()),
                Prop::Named {
                    name,
                    value: Some(Value::Literal { span, .. } | Value::Expression(span)),
                } => (name, src[span].to_string()),
                Prop::Spread => ("...".into(), String::new()),
            })
            .collect()
    }

    fn p(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    #[test]
    fn prop_forms() {
        assert_eq!(
            read(
                "<Img alt={`x`} src=\"a.png\" {...rest} hidden b='c' d={\"}\"} />",
                0
            ),
            [
                p("alt", "`x`"),
                p("src", "a.png"),
                p("...", ""),
                p("hidden", ""),
                p("b", "c"),
                p("d", "\"}\"")
            ]
        );
        assert_eq!(read("<a.b.c x=\"1\">", 0), [p("x", "1")]);
        assert_eq!(
            read("<svg:rect xlink:href=\"1\">", 0),
            [p("xlink:href", "1")]
        );
        assert_eq!(read("<>", 0), []);
    }

    #[test]
    fn block_quote_markers_are_stepped_over() {
        assert_eq!(
            read("<Img\n>   src=\"a.png\"\n> />", 1),
            [p("src", "a.png")]
        );
        assert_eq!(
            read("<Img\n> > src=\"a.png\"\n> > >", 2),
            [p("src", "a.png")]
        );
    }

    #[test]
    fn not_a_tag() {
        for s in ["<", "<a b=", "<a b=c>", "<a {", "<a b=\"x", "x"] {
            assert_eq!(props(s, 0, 0), None, "{s:?}");
        }
    }
}
