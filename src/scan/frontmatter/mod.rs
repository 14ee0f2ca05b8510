//! Front matter: the image values of configured keys, with their byte spans.
//!
//! YAML (`---`) and TOML (`+++`) blocks at the top of a document often name a
//! cover or social image (`cover: ./cover.png`, `images = ["a.png"]`). Only the
//! *values* of the configured keys (and `url` nested under them) are reported;
//! every other byte of the block stays as written, so the rewrite can splice.
//!
//! TOML is parsed by the `toml` crate's spanned document parser (exact spans).
//! YAML parsers in Rust do not keep spans (serde_yaml has none), so YAML is read
//! by a small line-based scanner that understands what front matter actually
//! holds: `key: value` at any depth, plain / single- / double-quoted scalars,
//! block lists (`- a.png`), flow lists and maps (`[a.png, b.png]`,
//! `{url: a.png}`), nested mappings (`cover:\n  url: a.png`), and it skips
//! block scalars (`|`, `>`) whose text only looks like keys.
//!
//! ```
//! use r2filter::scan::frontmatter::scan_block;
//! use pulldown_cmark::MetadataBlockKind;
//! let doc = "---\ntitle: Hi\ncover: ./cover.png\n---\n";
//! let keys = ["cover".to_string()];
//! let mut refs = Vec::new();
//! scan_block(doc, 0..doc.len(), MetadataBlockKind::YamlStyle, &keys, &mut refs);
//! assert_eq!(&doc[refs[0].span.clone()], "./cover.png");
//! ```

use std::ops::Range;

use pulldown_cmark::MetadataBlockKind;

use crate::scan::{Context, Reference};

/// The key whose values count when it sits under a configured key
/// (`cover: {url: a.png, alt: …}`).
const NESTED_URL_KEY: &str = "url";

/// Adds the references in the metadata block `block` of `source` (the range
/// pulldown-cmark gives, delimiters included) to `out`. Every value of a
/// configured key is reported; whether it names a local image is decided later
/// (resolve: it must have an image extension).
pub fn scan_block(
    source: &str,
    block: Range<usize>,
    kind: MetadataBlockKind,
    keys: &[String],
    out: &mut Vec<Reference>,
) {
    let Some(body) = inner(source, block, kind) else {
        return;
    };
    match kind {
        MetadataBlockKind::YamlStyle => Yaml::new(source, keys, out).scan(body),
        MetadataBlockKind::PlusesStyle => scan_toml(source, body, keys, out),
    }
}

/// The lines between the opening and the closing delimiter.
fn inner(source: &str, block: Range<usize>, kind: MetadataBlockKind) -> Option<Range<usize>> {
    let text = source.get(block.clone())?;
    let first_nl = text.find('\n')?;
    let start = block.start + first_nl + 1;
    let closing: &[&str] = match kind {
        MetadataBlockKind::YamlStyle => &["---", "..."],
        MetadataBlockKind::PlusesStyle => &["+++"],
    };
    let mut at = start;
    while at < block.end {
        let end = source[at..block.end]
            .find('\n')
            .map_or(block.end, |i| at + i);
        let line = source[at..end].trim_end_matches('\r').trim_end();
        if closing.contains(&line) {
            return Some(start..at);
        }
        at = end + 1;
    }
    // No closing line inside the range: the parser's range then ends at it.
    Some(start..block.end.max(start))
}

// ---------------------------------------------------------------- TOML

fn scan_toml(source: &str, body: Range<usize>, keys: &[String], out: &mut Vec<Reference>) {
    use toml::de::DeTable;
    // A block that is not valid TOML is left alone, as a site generator would
    // fail on it first; r2filter's job is only the image values.
    let Ok(table) = DeTable::parse(&source[body.clone()]) else {
        tracing::debug!("front matter is not valid TOML; its values are left alone");
        return;
    };
    let mut found = Vec::new();
    toml_table(table.get_ref(), keys, false, &mut found);
    for (span, url) in found {
        let span = span.start + body.start..span.end + body.start;
        let raw = &source[span.clone()];
        let quote = raw.as_bytes()[0];
        // Multi-line strings (`"""`, `'''`) are not rewritten: a URL never needs one.
        if raw.len() < 2
            || !matches!(quote, b'"' | b'\'')
            || raw.starts_with("\"\"\"")
            || raw.starts_with("'''")
        {
            continue;
        }
        out.push(Reference {
            span: span.start + 1..span.end - 1,
            url,
            context: Context::FrontMatter { quote: Some(quote) },
        });
    }
}

type Found = Vec<(Range<usize>, String)>;

fn toml_table(table: &toml::de::DeTable<'_>, keys: &[String], under_key: bool, out: &mut Found) {
    for (key, value) in table {
        let key = key.get_ref().as_ref();
        if keys.iter().any(|k| k == key) || (under_key && key == NESTED_URL_KEY) {
            toml_values(value, keys, out);
        } else {
            toml_search(value, keys, out);
        }
    }
}

/// The strings of a configured key's value: itself, list items, nested `url`.
fn toml_values(value: &toml::Spanned<toml::de::DeValue<'_>>, keys: &[String], out: &mut Found) {
    use toml::de::DeValue;
    match value.get_ref() {
        DeValue::String(s) => out.push((value.span(), s.to_string())),
        DeValue::Array(items) => items.iter().for_each(|v| toml_values(v, keys, out)),
        DeValue::Table(t) => toml_table(t, keys, true, out),
        _ => {}
    }
}

/// Configured keys deeper down (`[seo] image = "…"`).
fn toml_search(value: &toml::Spanned<toml::de::DeValue<'_>>, keys: &[String], out: &mut Found) {
    use toml::de::DeValue;
    match value.get_ref() {
        DeValue::Array(items) => items.iter().for_each(|v| toml_search(v, keys, out)),
        DeValue::Table(t) => toml_table(t, keys, false, out),
        _ => {}
    }
}

// ---------------------------------------------------------------- YAML

struct Yaml<'a> {
    source: &'a str,
    keys: &'a [String],
    out: &'a mut Vec<Reference>,
}

/// What the lines below a `key:` line belong to.
#[derive(Clone, Copy)]
enum Below {
    /// A configured key's block value: list items and nested `url` count.
    Value { indent: usize },
    /// A block scalar (`|`, `>`): text, never keys.
    Text { indent: usize },
}

impl<'a> Yaml<'a> {
    fn new(source: &'a str, keys: &'a [String], out: &'a mut Vec<Reference>) -> Yaml<'a> {
        Yaml { source, keys, out }
    }

    fn is_key(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    fn scan(&mut self, body: Range<usize>) {
        let mut below: Option<Below> = None;
        let mut at = body.start;
        while at < body.end {
            let eol = self.source[at..body.end]
                .find('\n')
                .map_or(body.end, |i| at + i);
            let next = self.line(at, eol, &mut below, body.end);
            at = next.max(eol + 1);
        }
    }

    /// Handles the line `start..eol`; returns where the next line starts (a flow
    /// collection may run over several lines).
    fn line(&mut self, start: usize, eol: usize, below: &mut Option<Below>, end: usize) -> usize {
        let line = self.source[start..eol].trim_end_matches('\r');
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        if rest.trim().is_empty() || rest.starts_with('#') {
            return eol + 1;
        }
        let seq = rest == "-" || rest.starts_with("- ");
        match *below {
            Some(Below::Text { indent: k }) if indent > k => return eol + 1,
            Some(Below::Value { indent: k }) if indent > k || (indent == k && seq) => {
                // Inside a configured key's value: `- a.png`, `- url: a.png`,
                // `url: a.png`.
                let (col, item) = strip_dashes(line, indent);
                if item.is_empty() {
                    return eol + 1;
                }
                if let Some((key, value_at)) = parse_key(item) {
                    let value_at = start + col + value_at;
                    if key == NESTED_URL_KEY || self.is_key(&key) {
                        return self.value(value_at, eol, end);
                    }
                    if self.block_scalar(value_at, eol) {
                        *below = Some(Below::Text { indent: col });
                        // Lines deeper than this key are text; the configured
                        // key's block resumes after them only in odd YAML.
                    }
                    return eol + 1;
                }
                if col > indent {
                    // A list item that is a scalar or a flow collection.
                    return self.value(start + col, eol, end);
                }
                return eol + 1;
            }
            _ => *below = None,
        }
        // A line outside any configured value: look for a configured key (also
        // inside list items: `- avatar: a.png`).
        let (col, item) = strip_dashes(line, indent);
        let Some((key, value_at)) = parse_key(item) else {
            return eol + 1;
        };
        let value_at = start + col + value_at;
        let value = self.source[value_at..eol].trim_end_matches('\r').trim();
        if self.block_scalar(value_at, eol) {
            *below = Some(Below::Text { indent: col });
            return eol + 1;
        }
        if !self.is_key(&key) {
            return eol + 1;
        }
        if value.is_empty() || value.starts_with('#') {
            *below = Some(Below::Value { indent: col });
            return eol + 1;
        }
        self.value(value_at, eol, end)
    }

    /// True when the value starting at `at` is a block scalar indicator.
    fn block_scalar(&self, at: usize, eol: usize) -> bool {
        let v = self.source[at..eol].trim();
        let v = v.split(" #").next().unwrap_or("").trim();
        v.starts_with('|') || v.starts_with('>')
    }

    /// A value starting at `at` (after spaces): a scalar on this line or a flow
    /// collection, whose strings are all candidates. Returns where scanning
    /// resumes.
    fn value(&mut self, at: usize, eol: usize, end: usize) -> usize {
        let bytes = self.source.as_bytes();
        let mut i = at;
        while i < eol && bytes[i] == b' ' {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'[' | b'{') if i < eol => {
                let mut p = Flow {
                    src: self.source,
                    i,
                    end,
                    found: Vec::new(),
                };
                if p.collection(true).is_some() {
                    self.out.extend(p.found);
                    let resume = self.source[p.i..end]
                        .find('\n')
                        .map_or(end, |n| p.i + n + 1);
                    return resume;
                }
                eol + 1
            }
            _ => {
                if let Some(r) = block_scalar_value(self.source, i, eol) {
                    self.out.push(r);
                }
                eol + 1
            }
        }
    }
}

/// Skips `- ` list markers at the start of a line; returns the column after
/// them and the rest of the line.
fn strip_dashes(line: &str, indent: usize) -> (usize, &str) {
    let mut col = indent;
    loop {
        let rest = &line[col..];
        if rest == "-" {
            return (line.len(), "");
        }
        if let Some(after) = rest.strip_prefix("- ") {
            col += 2 + (after.len() - after.trim_start_matches(' ').len());
        } else {
            return (col, rest);
        }
    }
}

/// `key: value` → the key (unquoted) and the byte offset where its value
/// starts, relative to `item`.
fn parse_key(item: &str) -> Option<(String, usize)> {
    let bytes = item.as_bytes();
    let (key, after) = match bytes.first()? {
        b'"' | b'\'' => {
            let (key, len) = quoted(item, 0, item.len())?;
            (key, len)
        }
        b'#' | b'[' | b'{' | b'?' | b'&' | b'*' | b'!' | b'|' | b'>' => return None,
        _ => {
            let colon = find_mapping_colon(item)?;
            (item[..colon].trim_end().to_string(), colon)
        }
    };
    let rest = &item[after..];
    let trimmed = rest.trim_start_matches(' ');
    let colon_at = after + (rest.len() - trimmed.len());
    if bytes.get(colon_at) != Some(&b':') {
        return None;
    }
    let v = colon_at + 1;
    match bytes.get(v) {
        None | Some(b' ' | b'\t' | b'\r') => Some((key, v)),
        _ => None,
    }
}

/// The `:` that ends a plain key: followed by a space or the end, before any
/// ` #` comment.
fn find_mapping_colon(item: &str) -> Option<usize> {
    let bytes = item.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'#' if i > 0 && bytes[i - 1] == b' ' => return None,
            b':' if matches!(bytes.get(i + 1), None | Some(b' ' | b'\t' | b'\r')) => {
                return Some(i);
            }
            _ => {}
        }
    }
    None
}

/// A quoted scalar starting at `at` (`"…"` or `'…'`), ending before `limit`:
/// its decoded value and the offset just past the closing quote.
fn quoted(src: &str, at: usize, limit: usize) -> Option<(String, usize)> {
    let bytes = src.as_bytes();
    let q = bytes[at];
    let mut i = at + 1;
    let mut value = String::new();
    let mut plain_from = i;
    while i < limit {
        let b = bytes[i];
        if b == b'\n' {
            // Multi-line quoted scalars fold lines; a URL never needs one.
            return None;
        }
        if q == b'\'' && b == b'\'' {
            value.push_str(&src[plain_from..i]);
            if bytes.get(i + 1) == Some(&b'\'') {
                value.push('\'');
                i += 2;
                plain_from = i;
                continue;
            }
            return Some((value, i + 1));
        }
        if q == b'"' && b == b'"' {
            value.push_str(&src[plain_from..i]);
            return Some((value, i + 1));
        }
        if q == b'"' && b == b'\\' {
            value.push_str(&src[plain_from..i]);
            let (c, len) = yaml_escape(&src[i + 1..limit])?;
            value.push(c);
            i += 1 + len;
            plain_from = i;
            continue;
        }
        i += 1;
    }
    None
}

/// One YAML double-quoted escape (after the backslash): the character and how
/// many bytes it took.
fn yaml_escape(s: &str) -> Option<(char, usize)> {
    let c = s.chars().next()?;
    let simple = match c {
        '0' => '\0',
        't' | '\t' => '\t',
        'n' => '\n',
        'r' => '\r',
        '"' => '"',
        '/' => '/',
        '\\' => '\\',
        ' ' => ' ',
        'x' | 'u' | 'U' => {
            let n = match c {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let hex = s.get(1..1 + n)?;
            let code = u32::from_str_radix(hex, 16).ok()?;
            return Some((char::from_u32(code)?, 1 + n));
        }
        _ => return None,
    };
    Some((simple, c.len_utf8()))
}

/// A scalar value in block context (after `key: ` or `- `) on one line.
fn block_scalar_value(src: &str, at: usize, eol: usize) -> Option<Reference> {
    let line = src[at..eol].trim_end_matches('\r');
    let bytes = line.as_bytes();
    match bytes.first()? {
        q @ (b'"' | b'\'') => {
            let (url, close) = quoted(src, at, at + line.len())?;
            // Only a comment may follow the closing quote.
            let tail = src[close..at + line.len()].trim();
            if !(tail.is_empty() || tail.starts_with('#')) {
                return None;
            }
            Some(Reference {
                span: at + 1..close - 1,
                url,
                context: Context::FrontMatter { quote: Some(*q) },
            })
        }
        // Indicators: anchors, aliases, tags, block scalars, directives.
        b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b'#' | b'[' | b'{' => None,
        _ => {
            let mut end = line.len();
            for (i, w) in bytes.windows(2).enumerate() {
                if w == b" #" || w == b"\t#" {
                    end = i;
                    break;
                }
            }
            let value = line[..end].trim_end();
            (!value.is_empty()).then(|| Reference {
                span: at..at + value.len(),
                url: value.to_string(),
                context: Context::FrontMatter { quote: None },
            })
        }
    }
}

/// A YAML flow collection (`[…]`, `{…}`), possibly over several lines.
struct Flow<'a> {
    src: &'a str,
    i: usize,
    end: usize,
    found: Vec<Reference>,
}

impl Flow<'_> {
    fn peek(&self) -> Option<u8> {
        (self.i < self.end).then(|| self.src.as_bytes()[self.i])
    }

    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.i += 1,
                b'#' => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.i += 1;
                    }
                }
                _ => break,
            }
        }
    }

    /// Parses `[…]` or `{…}` at `self.i`; strings are recorded when `take`.
    fn collection(&mut self, take: bool) -> Option<()> {
        let open = self.peek()?;
        let close = if open == b'[' { b']' } else { b'}' };
        self.i += 1;
        loop {
            self.skip_space();
            let before = self.i;
            match self.peek()? {
                b if b == close => {
                    self.i += 1;
                    return Some(());
                }
                b',' => self.i += 1,
                _ if open == b'{' => {
                    let key = self.scalar(false)?;
                    self.skip_space();
                    if self.peek() == Some(b':') {
                        self.i += 1;
                        self.skip_space();
                        let wanted = take && key.as_ref().is_some_and(|k| k == NESTED_URL_KEY);
                        self.item(wanted)?;
                    }
                }
                _ => self.item(take)?,
            }
            // A stray `}`, `]` or `: ` that no rule consumes: not a flow
            // collection (the fuzzer found this loop spinning forever).
            if self.i == before {
                return None;
            }
        }
    }

    fn item(&mut self, take: bool) -> Option<()> {
        match self.peek()? {
            b'[' | b'{' => self.collection(take),
            _ => {
                self.scalar(take)?;
                Some(())
            }
        }
    }

    /// A flow scalar; returns its value (None for an empty one).
    fn scalar(&mut self, take: bool) -> Option<Option<String>> {
        let bytes = self.src.as_bytes();
        let start = self.i;
        match self.peek()? {
            q @ (b'"' | b'\'') => {
                let (value, close) = quoted(self.src, start, self.end)?;
                self.i = close;
                if take {
                    self.found.push(Reference {
                        span: start + 1..close - 1,
                        url: value.clone(),
                        context: Context::FrontMatter { quote: Some(q) },
                    });
                }
                Some(Some(value))
            }
            _ => {
                // Plain: up to `,`, a closing bracket, `: ` (a key) or a comment.
                while let Some(b) = self.peek() {
                    let next = bytes.get(self.i + 1).copied();
                    let stop = matches!(b, b',' | b']' | b'}' | b'\n' | b'\r')
                        || (b == b':' && matches!(next, Some(b' ' | b',' | b']' | b'}')))
                        || (b == b'#' && self.i > start && bytes[self.i - 1] == b' ');
                    if stop {
                        break;
                    }
                    self.i += 1;
                }
                let raw = self.src[start..self.i].trim_end();
                if raw.is_empty() {
                    return Some(None);
                }
                if take && !raw.starts_with(['&', '*', '!', '|', '>', '%', '@', '`']) {
                    self.found.push(Reference {
                        span: start..start + raw.len(),
                        url: raw.to_string(),
                        context: Context::FrontMatter { quote: None },
                    });
                }
                Some(Some(raw.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::DEFAULT_FRONT_MATTER_KEYS;

    fn keys() -> Vec<String> {
        DEFAULT_FRONT_MATTER_KEYS
            .iter()
            .map(|k| k.to_string())
            .collect()
    }

    /// (raw span text, decoded value) of every reference in a whole-document
    /// block.
    fn found(doc: &str) -> Vec<(String, String)> {
        let kind = if doc.starts_with("+++") {
            MetadataBlockKind::PlusesStyle
        } else {
            MetadataBlockKind::YamlStyle
        };
        let mut refs = Vec::new();
        scan_block(doc, 0..doc.len(), kind, &keys(), &mut refs);
        refs.sort_by_key(|r| r.span.start);
        refs.into_iter()
            .map(|r| (doc[r.span].to_string(), r.url))
            .collect()
    }

    fn p(raw: &str, url: &str) -> (String, String) {
        (raw.into(), url.into())
    }

    #[test]
    fn yaml_scalars_plain_and_quoted() {
        let doc = "---\ntitle: \"cover: no.png\"\ncover: ./img/cover.png # the hero\nthumbnail: 'it''s.png'\nbanner: \"b\\u00e9.png\"\nogImage:   /og.png\n---\n";
        assert_eq!(
            found(doc),
            [
                p("./img/cover.png", "./img/cover.png"),
                p("it''s.png", "it's.png"),
                p("b\\u00e9.png", "bé.png"),
                p("/og.png", "/og.png"),
            ]
        );
    }

    #[test]
    fn yaml_block_and_flow_lists() {
        let doc = "---\nimages:\n  - a.png\n  - 'b c.png'\ntags: [x.png]\nimage: [c.png, \"d.png\"]\ncover:\n- e.png\n---\n";
        assert_eq!(
            found(doc),
            [
                p("a.png", "a.png"),
                p("b c.png", "b c.png"),
                p("c.png", "c.png"),
                p("d.png", "d.png"),
                p("e.png", "e.png"),
            ]
        );
    }

    #[test]
    fn yaml_nested_url_only_under_configured_keys() {
        let doc = "---\ncover:\n  url: ./c.png\n  alt: a.png\nimages:\n  - url: x.png\n    width: 3\n  - {url: \"y.png\", alt: z.png}\nlink:\n  url: not.png\nthumbnail: {url: t.png}\n---\n";
        assert_eq!(
            found(doc),
            [
                p("./c.png", "./c.png"),
                p("x.png", "x.png"),
                p("y.png", "y.png"),
                p("t.png", "t.png"),
            ]
        );
    }

    #[test]
    fn yaml_configured_key_at_any_depth_and_in_list_items() {
        let doc = "---\nseo:\n  ogImage: og.png\nauthors:\n  - name: A\n    avatar: a.png\n  - avatar: \"b.png\"\n---\n";
        assert_eq!(
            found(doc),
            [
                p("og.png", "og.png"),
                p("a.png", "a.png"),
                p("b.png", "b.png")
            ]
        );
    }

    #[test]
    fn yaml_block_scalars_and_multiline_flow() {
        let doc = "---\ndescription: |\n  image: fake.png\n  - cover: fake.png\nimages: [\n  a.png,   # first\n  'b.png'\n]\nimage: c.png\n---\n";
        assert_eq!(
            found(doc),
            [
                p("a.png", "a.png"),
                p("b.png", "b.png"),
                p("c.png", "c.png")
            ]
        );
    }

    #[test]
    fn yaml_crlf_and_anchors() {
        let doc = "---\r\ncover: a.png\r\nimage: &x b.png\r\nimages:\r\n  - c.png\r\n---\r\n";
        assert_eq!(found(doc), [p("a.png", "a.png"), p("c.png", "c.png")]);
    }

    #[test]
    fn toml_strings_lists_tables() {
        let doc = "+++\ntitle = \"image = 'no.png'\"\ncover = \"./cover.png\"\nimages = ['a.png', \"b.png\"]\n[thumbnail]\nurl = \"t.png\"\nalt = \"no.png\"\n[seo]\nogImage = 'og.png'\n[[banner]]\nurl = \"x.png\"\n+++\n";
        assert_eq!(
            found(doc),
            [
                p("./cover.png", "./cover.png"),
                p("a.png", "a.png"),
                p("b.png", "b.png"),
                p("t.png", "t.png"),
                p("og.png", "og.png"),
                p("x.png", "x.png"),
            ]
        );
    }

    #[test]
    fn toml_escaped_and_inline_table() {
        let doc = "+++\ncover = { url = \"c\\u00e9.png\", alt = \"x.png\" }\n+++\n";
        assert_eq!(found(doc), [p("c\\u00e9.png", "cé.png")]);
    }

    #[test]
    fn invalid_toml_is_left_alone() {
        assert_eq!(found("+++\ncover = \n+++\n"), []);
    }

    /// Through the Markdown parser (which gives the block's range), and the
    /// rewrite: only the values change, and a rewritten block reads back.
    #[test]
    fn rewritten_byte_exactly_through_scan() {
        use crate::rewrite::{Replacement, encode_for, splice};
        use crate::scan::{Flavor, scan};
        for (doc, want) in [
            (
                "---\r\ntitle: T\r\ncover: 'a.png'   # hero\r\nimages:\r\n  - b.png\r\n---\r\n\r\n![x](c.png)\r\n",
                "---\r\ntitle: T\r\ncover: 'https://cdn/a.png'   # hero\r\nimages:\r\n  - https://cdn/b.png\r\n---\r\n\r\n![x](https://cdn/c.png)\r\n",
            ),
            (
                "+++\ntitle = \"T\"\nimages = [ \"a.png\",'b.png' ]\n+++\n\nText\n",
                "+++\ntitle = \"T\"\nimages = [ \"https://cdn/a.png\",'https://cdn/b.png' ]\n+++\n\nText\n",
            ),
        ] {
            let refs = scan(doc, &Flavor::Markdown.into());
            let reps: Vec<Replacement> = refs
                .iter()
                .map(|r| Replacement {
                    span: r.span.clone(),
                    text: encode_for(r.context, &format!("https://cdn/{}", r.url)),
                })
                .collect();
            let out = splice(doc, &reps);
            assert_eq!(out, want);
            let again: Vec<String> = scan(&out, &Flavor::Markdown.into())
                .into_iter()
                .map(|r| r.url)
                .collect();
            assert!(
                again.iter().all(|u| u.starts_with("https://cdn/")),
                "{again:?}"
            );
            assert_eq!(again.len(), refs.len());
        }
    }

    #[test]
    fn mdx_front_matter_once_and_comments_skipped() {
        use crate::scan::{Flavor, scan};
        let doc = "---\ncover: ./c.png\nhtml: <img src=\"no.png\">\n---\n\n<Image src=\"./a.png\" />\n{/* <Image src=\"./old.png\" /> */}\n{ /* <img\nsrc=\"./old.png\"> */ }\n{show && <img src=\"./b.png\" />}\n";
        let urls: Vec<String> = scan(doc, &Flavor::Mdx.into())
            .into_iter()
            .map(|r| r.url)
            .collect();
        assert_eq!(urls, ["./c.png", "./a.png", "./b.png"]);
    }

    // Found by the front_matter fuzz target (issue 10): a flow collection with
    // a stray closing bracket spun forever.
    #[test]
    fn unbalanced_flow_collections_end() {
        for body in [
            "images: [a.png}\n",
            "images: {url: a.png]\n",
            "images: [a: b]\n",
        ] {
            let doc = format!("---\n{body}---\n");
            let mut refs = Vec::new();
            scan_block(
                &doc,
                0..doc.len(),
                MetadataBlockKind::YamlStyle,
                &["images".to_string()],
                &mut refs,
            );
        }
    }
}
