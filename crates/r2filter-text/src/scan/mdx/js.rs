//! Just enough JavaScript to know where an MDX expression or ESM block ends,
//! and to read a string literal.
//!
//! The MDX compiler hands every `{expression}` and `import`/`export` block to
//! acorn (with JSX), and markdown-rs asks the same question through its
//! `mdx_expression_parse` / `mdx_esm_parse` hooks: "is this text a complete
//! program yet?". Without an answer it counts braces, so `{"}"}` or a blank
//! line inside an exported template literal would cut the expression short
//! and what follows would be read as Markdown. This lexer answers it:
//! strings, template literals (with `${}`), comments, regular expressions
//! (told from division by the token before, as a JavaScript tokenizer does),
//! brackets, and JSX inside expressions (whose text may hold quotes and
//! braces of its own). It does not check the grammar beyond that: a program
//! the compiler would reject is the compiler's to report.
//!
//! It is a loop over an explicit stack, so no input can overflow the call
//! stack.
#![deny(clippy::string_slice)]

use std::ops::Range;

/// How a run of JavaScript ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lexed {
    /// Balanced and outside any string, comment or JSX: a whole program.
    Complete,
    /// Still inside something when the text ends: more text may complete it.
    Incomplete,
    /// A `}` that closes nothing, at this offset (the end of an
    /// `{expression}` read from its first byte).
    Closed(usize),
    /// Something no program has here (a mismatched bracket, a line break in
    /// a string), at this offset.
    Invalid(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Code inside `{`, `(`, `[` (the closer), or `${` of a template.
    Code(u8),
    /// Inside a template literal, between its backticks.
    Template,
    /// Inside a JSX tag, between `<` and `>`.
    JsxTag,
    /// The children of a JSX element or fragment.
    JsxChildren,
}

/// Words after which a `/` starts a regular expression and a `<` JSX.
const OPERATOR_WORDS: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"instanceof",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"case",
    b"do",
    b"else",
    b"yield",
    b"await",
    b"extends",
];

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$') || c >= 0x80
}

/// Lexes `text`. A `}` closing nothing ends it ([`Lexed::Closed`]).
pub(crate) fn lex(text: &str) -> Lexed {
    lex_tags(text, &mut |_| {})
}

/// [`lex`], calling `on_tag` with the offset of the `<` of every JSX
/// opening tag (not fragments, not closing tags) on the way: JSX in
/// JavaScript is compiled like any other.
pub(crate) fn lex_tags(text: &str, on_tag: &mut dyn FnMut(usize)) -> Lexed {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    // True where an operand may start: a `/` there is a regular expression,
    // a `<` a JSX element.
    let mut operand = true;
    let mut i = 0;
    while i < b.len() {
        let step = match stack.last().copied() {
            Some(Frame::Template) => template(b, i, &mut stack, &mut operand),
            Some(Frame::JsxTag) => jsx_tag(b, i, &mut stack, &mut operand),
            Some(Frame::JsxChildren) => jsx_children(b, i, &mut stack, &mut operand, on_tag),
            Some(Frame::Code(_)) | None => code(b, i, &mut stack, &mut operand, on_tag),
        };
        match step {
            Step::Next(next) => i = next,
            Step::Stop(end) => return end,
        }
    }
    if stack.is_empty() {
        Lexed::Complete
    } else {
        Lexed::Incomplete
    }
}

enum Step {
    Next(usize),
    Stop(Lexed),
}

/// One byte or escape inside a template literal at `i`.
fn template(b: &[u8], i: usize, stack: &mut Vec<Frame>, operand: &mut bool) -> Step {
    match b[i] {
        b'\\' => Step::Next(i + 2),
        b'`' => {
            stack.pop();
            *operand = false;
            Step::Next(i + 1)
        }
        b'$' if b.get(i + 1) == Some(&b'{') => {
            stack.push(Frame::Code(b'}'));
            *operand = true;
            Step::Next(i + 2)
        }
        _ => Step::Next(i + 1),
    }
}

/// One token inside a JSX tag at `i`.
fn jsx_tag(b: &[u8], i: usize, stack: &mut Vec<Frame>, operand: &mut bool) -> Step {
    let c = b[i];
    match c {
        b'{' => {
            stack.push(Frame::Code(b'}'));
            *operand = true;
            Step::Next(i + 1)
        }
        b'"' | b'\'' => {
            find(b, i + 1, c).map_or(Step::Stop(Lexed::Incomplete), |end| Step::Next(end + 1))
        }
        b'/' if b.get(i + 1) == Some(&b'>') => {
            stack.pop();
            *operand = false;
            Step::Next(i + 2)
        }
        b'>' => {
            stack.pop();
            stack.push(Frame::JsxChildren);
            Step::Next(i + 1)
        }
        _ => Step::Next(i + 1),
    }
}

/// One token of JSX children at `i`.
fn jsx_children(
    b: &[u8],
    i: usize,
    stack: &mut Vec<Frame>,
    operand: &mut bool,
    on_tag: &mut dyn FnMut(usize),
) -> Step {
    match b[i] {
        b'{' => {
            stack.push(Frame::Code(b'}'));
            *operand = true;
            Step::Next(i + 1)
        }
        b'<' if b.get(i + 1) == Some(&b'/') => match find(b, i + 2, b'>') {
            // A closing tag (or `</>`) ends these children.
            Some(end) => {
                stack.pop();
                *operand = false;
                Step::Next(end + 1)
            }
            None => Step::Stop(Lexed::Incomplete),
        },
        b'<' if b.get(i + 1) == Some(&b'>') => {
            stack.push(Frame::JsxChildren);
            Step::Next(i + 2)
        }
        b'<' => {
            on_tag(i);
            stack.push(Frame::JsxTag);
            Step::Next(i + 1)
        }
        _ => Step::Next(i + 1),
    }
}

/// One token of code at `i`.
fn code(
    b: &[u8],
    i: usize,
    stack: &mut Vec<Frame>,
    operand: &mut bool,
    on_tag: &mut dyn FnMut(usize),
) -> Step {
    let c = b[i];
    let next = |j: Option<usize>| j.map_or(Step::Stop(Lexed::Incomplete), Step::Next);
    match c {
        b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' => Step::Next(i + 1),
        b'/' if b.get(i + 1) == Some(&b'/') => {
            Step::Next(find(b, i + 2, b'\n').map_or(b.len(), |e| e + 1))
        }
        b'/' if b.get(i + 1) == Some(&b'*') => next(
            b.get(i + 2..)
                .and_then(|r| r.windows(2).position(|w| w == b"*/"))
                .map(|p| i + 2 + p + 2),
        ),
        b'\'' | b'"' => match string_end(b, i) {
            Ok(end) => {
                *operand = false;
                Step::Next(end)
            }
            Err(Some(at)) => Step::Stop(Lexed::Invalid(at)),
            Err(None) => Step::Stop(Lexed::Incomplete),
        },
        b'`' => {
            stack.push(Frame::Template);
            Step::Next(i + 1)
        }
        b'{' | b'(' | b'[' => {
            stack.push(Frame::Code(match c {
                b'{' => b'}',
                b'(' => b')',
                _ => b']',
            }));
            *operand = true;
            Step::Next(i + 1)
        }
        b'}' | b')' | b']' => match stack.last() {
            Some(Frame::Code(closer)) if *closer == c => {
                stack.pop();
                *operand = false;
                Step::Next(i + 1)
            }
            None if c == b'}' => Step::Stop(Lexed::Closed(i)),
            _ => Step::Stop(Lexed::Invalid(i)),
        },
        b'/' if *operand => match regex_end(b, i) {
            Ok(end) => {
                *operand = false;
                Step::Next(end)
            }
            Err(at) => Step::Stop(Lexed::Invalid(at)),
        },
        b'<' if *operand
            && b.get(i + 1).is_some_and(|&n| {
                n == b'>' || n.is_ascii_alphabetic() || n == b'_' || n == b'$' || n >= 0x80
            }) =>
        {
            jsx_start(b, i, stack, on_tag)
        }
        c if is_word_byte(c) => word(b, i, operand),
        _ => {
            // Any other punctuator: an operand may follow.
            *operand = true;
            Step::Next(i + 1)
        }
    }
}

/// A JSX element (`<a`) or fragment (`<>`) starting at `i` in code.
fn jsx_start(b: &[u8], i: usize, stack: &mut Vec<Frame>, on_tag: &mut dyn FnMut(usize)) -> Step {
    if b.get(i + 1) == Some(&b'>') {
        stack.push(Frame::JsxChildren);
        Step::Next(i + 2)
    } else {
        on_tag(i);
        stack.push(Frame::JsxTag);
        Step::Next(i + 1)
    }
}

/// A word (identifier, keyword, number) at `i`.
fn word(b: &[u8], i: usize, operand: &mut bool) -> Step {
    let end = b
        .get(i..)
        .and_then(|r| r.iter().position(|&x| !is_word_byte(x)))
        .map_or(b.len(), |p| i + p);
    let word = b.get(i..end).unwrap_or_default();
    // A number's `.5`/`e+3` parts come as more tokens: harmless.
    *operand = OPERATOR_WORDS.contains(&word);
    Step::Next(end)
}

/// The offset of the first `byte` at or after `from`.
fn find(b: &[u8], from: usize, byte: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == byte)
        .map(|p| from + p)
}

/// After the string literal opening at `i`: `Err(Some(at))` for a line break
/// inside it, `Err(None)` when the text ends first.
fn string_end(b: &[u8], i: usize) -> Result<usize, Option<usize>> {
    let q = b[i];
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' => {
                j += if b.get(j + 1) == Some(&b'\r') && b.get(j + 2) == Some(&b'\n') {
                    3
                } else {
                    2
                }
            }
            b'\n' | b'\r' => return Err(Some(i)),
            c if c == q => return Ok(j + 1),
            _ => j += 1,
        }
    }
    Err(None)
}

/// After the regular expression literal opening at `i` (its flags too).
fn regex_end(b: &[u8], i: usize) -> Result<usize, usize> {
    let mut j = i + 1;
    let mut class = false;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' => j += 2,
            b'\n' | b'\r' => return Err(i),
            b'[' => {
                class = true;
                j += 1;
            }
            b']' => {
                class = false;
                j += 1;
            }
            b'/' if !class => {
                j += 1;
                while b.get(j).is_some_and(|&f| is_word_byte(f)) {
                    j += 1;
                }
                return Ok(j);
            }
            _ => j += 1,
        }
    }
    Err(i)
}

/// Where the `{expression}` whose `{` is at `open` ends: the offset of its
/// closing `}`.
pub(crate) fn expression_end(text: &str, open: usize) -> Option<usize> {
    match lex(text.get(open + 1..)?) {
        Lexed::Closed(at) => Some(open + 1 + at),
        _ => None,
    }
}

/// A JavaScript string literal that is the whole of `text` (but for
/// whitespace and comments around it: `{/* alt */ "a.png"}` is the string
/// to the compiler too): `"…"`, `'…'`, or a template literal without
/// `${…}`. Gives the span of what lies between its quotes, the quote, and
/// the value.
pub(crate) fn string_literal(text: &str) -> Option<(Range<usize>, u8, String)> {
    let b = text.as_bytes();
    let start = skip_trivia(b, 0)?;
    let q = *b.get(start)?;
    if !matches!(q, b'"' | b'\'' | b'`') {
        return None;
    }
    // The closing quote is the first unescaped one.
    let mut escaped = false;
    let mut close = None;
    for (k, &c) in b.get(start + 1..)?.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            b'\\' => escaped = true,
            b'\n' | b'\r' if q != b'`' => return None,
            b'$' if q == b'`' && b.get(start + 2 + k) == Some(&b'{') => return None,
            c if c == q => {
                close = Some(start + 1 + k);
                break;
            }
            _ => {}
        }
    }
    let close = close?;
    if skip_trivia(b, close + 1)? != b.len() {
        return None;
    }
    let inner = start + 1..close;
    let raw = text.get(inner.clone())?;
    Some((inner, q, unescape(raw, q == b'`')?))
}

/// Past the whitespace and comments (`/* … */`, `// …`) from `i`; `None`
/// in a comment that does not end.
fn skip_trivia(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        match b.get(i..i + 2) {
            Some(b"/*") => {
                let end = b.get(i + 2..)?.windows(2).position(|w| w == b"*/")?;
                i += 2 + end + 2;
            }
            Some(b"//") => {
                i += b
                    .get(i..)?
                    .iter()
                    .position(|&c| c == b'\n' || c == b'\r')
                    .unwrap_or(b.len() - i);
            }
            _ => return Some(i),
        }
    }
}

/// The value of a string literal's body: escapes decoded (and, in a
/// template, CR LF read as LF). `None` for an escape no literal may hold.
fn unescape(raw: &str, template: bool) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if template => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'v' => out.push('\u{b}'),
                '0' if !chars.peek().is_some_and(char::is_ascii_digit) => out.push('\0'),
                'x' => {
                    let h: String = [chars.next()?, chars.next()?].iter().collect();
                    out.push(char::from_u32(u32::from_str_radix(&h, 16).ok()?)?);
                }
                'u' => out.push(unicode_escape(&mut chars)?),
                '\r' => {
                    chars.next_if_eq(&'\n');
                }
                '\n' | '\u{2028}' | '\u{2029}' => {}
                d if d.is_ascii_digit() => return None, // octal: not in modules
                other => out.push(other),
            },
            _ => out.push(c),
        }
    }
    Some(out)
}

/// After `\u`: `HHHH` or `{H…}`. A lone surrogate (`\uD83D` alone) is
/// refused: no URL holds one.
fn unicode_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    let hex: String = if chars.next_if_eq(&'{').is_some() {
        let mut h = String::new();
        loop {
            match chars.next()? {
                '}' => break,
                d => h.push(d),
            }
        }
        h
    } else {
        (0..4).map(|_| chars.next()).collect::<Option<String>>()?
    };
    let n = u32::from_str_radix(&hex, 16).ok()?;
    if (0xD800..0xDC00).contains(&n) {
        // A surrogate pair written as two escapes.
        let mut rest = chars.clone();
        if rest.next()? == '\\' && rest.next()? == 'u' {
            let low: String = (0..4).map(|_| rest.next()).collect::<Option<String>>()?;
            let lo = u32::from_str_radix(&low, 16).ok()?;
            if (0xDC00..0xE000).contains(&lo) {
                *chars = rest;
                return char::from_u32(0x10000 + ((n - 0xD800) << 10) + (lo - 0xDC00));
            }
        }
        return None;
    }
    char::from_u32(n)
}

#[cfg(test)]
#[allow(clippy::string_slice)] // tests: a panic is a failure
mod tests {
    use super::*;

    #[test]
    fn where_an_expression_ends() {
        for (text, end) in [
            ("a}", 1),
            ("\"}\"}", 3),
            ("'}'}", 3),
            ("`}${ {a: 1}.a }`}", 16),
            ("/* } */}", 7),
            ("// }\n}", 5),
            ("/}/.test(a)}", 11),
            ("a / b}", 5),
            ("(a) / 2 / 3}", 11),
            ("<p>Don't {\"}\"}</p>}", 18),
            ("<><b a='}' c={1} /></>}", 22),
            ("cond && <a href=\"x\">it's</a>}", 28),
            ("a < b}", 5),
        ] {
            assert_eq!(lex(text), Lexed::Closed(end), "{text:?}");
        }
        for text in ["\"}", "`${", "/* ", "<p>it's", "{"] {
            assert_eq!(lex(text), Lexed::Incomplete, "{text:?}");
        }
        assert_eq!(lex("'a\nb'"), Lexed::Invalid(0));
        assert_eq!(lex("( ]"), Lexed::Invalid(2));
        assert_eq!(lex("export const a = `\n\n}`"), Lexed::Complete);
    }

    #[test]
    fn jsx_tags_in_javascript() {
        let text = "export const A = () => <><img src=\"a\" /><B c={<d />}>x</B></>";
        let mut tags = Vec::new();
        assert_eq!(lex_tags(text, &mut |i| tags.push(i)), Lexed::Complete);
        let names: Vec<&str> = tags.iter().map(|&i| &text[i..i + 2]).collect();
        assert_eq!(names, ["<i", "<B", "<d"]);
    }

    #[test]
    fn string_literals() {
        let lit = |t: &str| string_literal(t).map(|(r, q, v)| (t[r].to_string(), q, v));
        assert_eq!(
            lit(" \"a.png\" "),
            Some(("a.png".into(), b'"', "a.png".into()))
        );
        assert_eq!(
            lit("'a\\'b.png'"),
            Some(("a\\'b.png".into(), b'\'', "a'b.png".into()))
        );
        assert_eq!(lit("`a.png`"), Some(("a.png".into(), b'`', "a.png".into())));
        assert_eq!(
            lit("\"caf\\u00e9\\u{1F600}.png\""),
            Some(("caf\\u00e9\\u{1F600}.png".into(), b'"', "café😀.png".into()))
        );
        assert_eq!(
            lit("\"\\uD83D\\uDE00\""),
            Some(("\\uD83D\\uDE00".into(), b'"', "😀".into()))
        );
        for no in [
            "`${a}.png`",
            "\"a\" + \"b\"",
            "a",
            "\"a",
            "\"\\\"",
            "'a'.b",
            "\"\\uD83D\"",
            "\"\\1\"",
        ] {
            assert_eq!(lit(no), None, "{no:?}");
        }
    }
}
