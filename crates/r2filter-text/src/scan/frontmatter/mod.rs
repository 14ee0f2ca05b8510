//! Front matter: the image values of configured keys, with their byte spans.
//!
//! A YAML (`---`) or TOML (`+++`) block at the top of a document often names a
//! cover or social image (`cover: ./cover.png`, `images = ["a.png"]`). This
//! module finds the block ([`detect`]), reads it with a real parser, and
//! reports the *values* of the configured keys; every other byte of the block
//! stays as written, so the rewrite can splice.
//!
//! - YAML is read by libyaml-safer, a safe port of libyaml (PyYAML's
//!   grammar) that reports the source span of every event ([`yaml`]); TOML
//!   by the `toml` crate's spanned document parser ([`toml`]).
//! - Both follow the rules of this file: which values count ([`Under`]), what
//!   is left alone by rule ([`Rule`]), and how a new value is written where the
//!   old one stood ([`Style::encode`]).
//! - A block that does not parse is an error ([`FrontMatterError`]), never a
//!   silent skip: the site generator would refuse it too.
//!
//! ```
//! use r2filter_text::scan::Scanned;
//! use r2filter_text::scan::frontmatter::{detect, scan};
//! let doc = "---\ntitle: Hi\ncover: ./cover.png\n---\n";
//! let block = detect(doc).unwrap();
//! let mut found = Scanned::default();
//! scan(doc, &block, &["cover".to_string()], &mut found).unwrap();
//! assert_eq!(&doc[found.references[0].span.clone()], "./cover.png");
//! ```

mod json;
mod toml;
mod yaml;

use std::ops::Range;

use crate::scan::Scanned;

/// The key whose values count anywhere below a configured key
/// (`cover: {url: a.png, alt: …}`).
pub const NESTED_URL_KEY: &str = "url";

/// The language of a front-matter block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Between `---` lines (closed by `---` or `...`).
    Yaml,
    /// Between `+++` lines (Hugo).
    Toml,
    /// A JSON object at the top of the document (Hugo only: [`detect_for`]).
    Json,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Yaml => "YAML",
            Format::Toml => "TOML",
            Format::Json => "JSON",
        })
    }
}

/// A front-matter block at the start of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub format: Format,
    /// From the document's first byte (a BOM and blank lines before the
    /// opening delimiter included) to the end of the closing delimiter's line.
    pub range: Range<usize>,
    /// The lines between the two delimiters.
    pub body: Range<usize>,
}

/// The front-matter block at the start of `source`, if there is one.
///
/// The opening delimiter (`---` or `+++`, trailing spaces allowed) must be the
/// first line, after an optional UTF-8 byte order mark and blank lines; the
/// block ends at the first line that is `---` or `...` (YAML) or `+++` (TOML)
/// at the start of a line. Without a closing line there is no front matter
/// (the document is Markdown from its first byte). This is what Hugo reads;
/// gray-matter and Jekyll also strip the BOM, but take no blank line before
/// the opening `---` (see the README).
pub fn detect(source: &str) -> Option<Block> {
    let mut at = if source.starts_with('\u{feff}') { 3 } else { 0 };
    let (format, body_start) = loop {
        let (line, next) = line_at(source, at);
        match delimiter(line) {
            "---" => break (Format::Yaml, next?),
            "+++" => break (Format::Toml, next?),
            "" => at = next?,
            _ => return None,
        }
    };
    at = body_start;
    loop {
        let (line, next) = line_at(source, at);
        let closes = matches!(
            (format, delimiter(line)),
            (Format::Yaml, "---" | "...") | (Format::Toml, "+++")
        );
        if closes {
            return Some(Block {
                format,
                range: 0..next.unwrap_or(source.len()),
                body: body_start..at,
            });
        }
        at = next?;
    }
}

/// [`detect`], and for a Hugo site (`hugo`) also Hugo's JSON front matter:
/// after an optional byte order mark and white space, a document whose first
/// character is `{` starts with a JSON object, which ends where its braces
/// balance (braces inside strings do not count), as Hugo's page lexer reads
/// it. Without the closing brace the block runs to the end of the document,
/// and its parser reports the error Hugo reports.
pub fn detect_for(source: &str, hugo: bool) -> Option<Block> {
    detect(source).or_else(|| hugo.then(|| detect_json(source)).flatten())
}

fn detect_json(source: &str) -> Option<Block> {
    let bytes = source.as_bytes();
    let mut at = if source.starts_with('\u{feff}') { 3 } else { 0 };
    while bytes
        .get(at)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        at += 1;
    }
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let start = at;
    let (mut depth, mut in_string) = (0usize, false);
    let end = loop {
        match bytes.get(at) {
            None => break bytes.len(),
            Some(b'\\') => at += 1,
            Some(b'"') => in_string = !in_string,
            Some(b'{') if !in_string => depth += 1,
            Some(b'}') if !in_string => depth -= 1,
            Some(_) => {}
        }
        at += 1;
        if depth == 0 {
            break at;
        }
    };
    // Hugo takes one line ending after the closing brace with the block.
    let mut range_end = end;
    for b in [b'\r', b'\n'] {
        if bytes.get(range_end) == Some(&b) {
            range_end += 1;
        }
    }
    Some(Block {
        format: Format::Json,
        range: 0..range_end.min(bytes.len()),
        body: start..end.min(bytes.len()),
    })
}

/// The line starting at `at` (without its `\n`), and where the next one
/// starts (None at the end of the text).
fn line_at(source: &str, at: usize) -> (&str, Option<usize>) {
    let rest = source.get(at..).unwrap_or("");
    match rest.find('\n') {
        Some(i) => (rest.get(..i).unwrap_or(rest), Some(at + i + 1)),
        None => (rest, None),
    }
}

/// A line without its trailing spaces, tabs and `\r`.
fn delimiter(line: &str) -> &str {
    line.trim_end_matches([' ', '\t', '\r'])
}

impl Block {
    /// `source` with this block blanked (every byte but line endings becomes a
    /// space), so a Markdown parser sees blank lines at the same offsets.
    pub fn mask(&self, source: &str) -> String {
        let mut out = String::with_capacity(source.len());
        out.extend(
            source.as_bytes()[self.range.clone()]
                .iter()
                .map(|&b| match b {
                    b'\n' | b'\r' => b as char,
                    _ => ' ',
                }),
        );
        out.push_str(source.get(self.range.end..).unwrap_or(""));
        out
    }
}

/// Adds the image values of the front matter `block` of `source` to `out`:
/// the values of `keys` at any depth, and of `url` anywhere below them, as
/// strings or lists of strings. Whether a value names a local image is
/// decided later (resolve: it must have an image extension).
pub fn scan(
    source: &str,
    block: &Block,
    keys: &[String],
    out: &mut Scanned,
) -> Result<(), FrontMatterError> {
    let kept_before = out.kept.len();
    match block.format {
        Format::Yaml => yaml::scan(source, block.body.clone(), keys, out)?,
        Format::Toml => toml::scan(source, block.body.clone(), keys, out)?,
        Format::Json => json::scan(source, block.body.clone(), keys, out)?,
    }
    out.kept[kept_before..].sort_by_key(|k| k.span.start);
    Ok(())
}

/// Where a value sits with respect to the configured keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Under {
    /// Not below any configured key.
    Outside,
    /// The value of a configured key (or of `url` below one), or an item of a
    /// list that is: its strings are candidates.
    Value,
    /// Inside a mapping below a configured key (`cover: {alt: …}`): only `url`
    /// and configured keys count.
    Inside,
}

impl Under {
    /// Where the value of `key` sits, in a mapping that sits at `self`.
    fn child(self, key: Option<&str>, keys: &[String]) -> Under {
        match key {
            Some(k) if keys.iter().any(|c| c == k) => Under::Value,
            Some(NESTED_URL_KEY) if self != Under::Outside => Under::Value,
            _ if self == Under::Outside => Under::Outside,
            _ => Under::Inside,
        }
    }
}

/// How a front-matter string is written in the source, and so how a new
/// value is written in its place ([`Style::encode`]). A reference's span is
/// the whole plain scalar, or what lies between the quotes of a quoted one
/// (its place is the value's first character, as for an HTML attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A YAML plain scalar, in a flow collection (`[…]`, `{…}`) or not.
    YamlPlain { flow: bool },
    /// `'…'`
    YamlSingle,
    /// `"…"`
    YamlDouble,
    /// A TOML basic string `"…"`.
    TomlBasic,
    /// A TOML literal string `'…'`.
    TomlLiteral,
    /// A JSON string `"…"` (Hugo's JSON front matter).
    JsonString,
}

impl Style {
    /// The text that replaces the old value's span and reads back as `value`.
    ///
    /// A quoted value stays in its quotes, escaped for them; a character those
    /// quotes cannot hold at all (`'` in a TOML literal string, a control
    /// character between YAML single quotes) is percent-encoded, which a URL
    /// reads the same. A plain scalar stays plain when a plain scalar reads
    /// `value` back unchanged, and is double-quoted otherwise.
    ///
    /// ```
    /// use r2filter_text::scan::frontmatter::Style;
    /// let url = "https://cdn.example.com/a.png";
    /// assert_eq!(Style::YamlPlain { flow: false }.encode(url), url);
    /// assert_eq!(Style::YamlPlain { flow: true }.encode("a,b.png"), "\"a,b.png\"");
    /// assert_eq!(Style::YamlSingle.encode("it's.png"), "it''s.png");
    /// assert_eq!(Style::YamlDouble.encode("say \"hi\".png"), "say \\\"hi\\\".png");
    /// assert_eq!(Style::TomlLiteral.encode("it's.png"), "it%27s.png");
    /// ```
    pub fn encode(self, value: &str) -> String {
        match self {
            Style::YamlPlain { flow } if yaml_plain_keeps(value, flow) => value.to_string(),
            Style::YamlPlain { .. } => format!("\"{}\"", escape(value, yaml_escaped)),
            Style::YamlDouble => escape(value, yaml_escaped),
            Style::YamlSingle => percent_encode(value, yaml_escaped).replace('\'', "''"),
            Style::TomlBasic => escape(value, |c| c.is_ascii_control()),
            Style::TomlLiteral => {
                percent_encode(value, |c| c == '\'' || (c.is_ascii_control() && c != '\t'))
            }
            Style::JsonString => escape(value, |c| c.is_control()),
        }
    }
}

/// True when `value`, written as a plain YAML scalar (in a flow collection
/// when `flow`), reads back as the same string under YAML 1.2 and 1.1 alike.
/// Conservative: URLs and paths pass, anything unusual gets quotes.
fn yaml_plain_keeps(value: &str, flow: bool) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    // No whitespace at all: no ` #` comment, no `: ` key, no line folding.
    let chars_ok = !value.chars().any(|c| {
        c.is_whitespace()
            || yaml_escaped(c)
            || (flow && matches!(c, ',' | '[' | ']' | '{' | '}' | '?'))
    });
    let starts_ok = first.is_alphanumeric() || matches!(first, '.' | '/' | '_');
    chars_ok && starts_ok && !value.ends_with(':') && !yaml_non_string(value)
}

/// True when a plain scalar `value` would be read as something other than a
/// string (null, boolean, number, date) by a YAML 1.1 or 1.2 reader.
fn yaml_non_string(value: &str) -> bool {
    const WORDS: &[&str] = &[
        "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
        "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
    ];
    // Numbers, dates and times never contain a `/`; a URL or path does.
    let numeric = value.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | '+' | '-'))
        && !value.contains('/');
    WORDS.contains(&value) || numeric
}

/// Characters YAML needs escaped (double-quoted style): C0 and C1 controls,
/// DEL, the Unicode line and paragraph separators, the byte order mark.
fn yaml_escaped(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// `value` for the inside of double quotes (YAML and TOML alike): `"` and
/// `\` escaped, and the characters `special` picks as `\uXXXX`.
fn escape(value: &str, special: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if special(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `value` with the characters `special` picks percent-encoded.
fn percent_encode(value: &str, special: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if special(c) {
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

/// A value under an image key that is left as written, by rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The value's bytes in the document.
    pub span: Range<usize>,
    pub rule: Rule,
}

/// Why a front-matter value under an image key is never rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// A YAML block scalar (`|`, `>`): text, not a path.
    BlockScalar,
    /// A YAML value with a tag other than `!!str` (its meaning is the
    /// application's).
    Tag(String),
    /// A TOML multi-line string (`"""`, `'''`).
    MultiLineString,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::BlockScalar => f.write_str("a YAML block scalar (| or >) is never rewritten"),
            Rule::Tag(tag) => write!(
                f,
                "a value tagged {tag} is never rewritten (only untagged and !!str values are)"
            ),
            Rule::MultiLineString => f.write_str("a TOML multi-line string is never rewritten"),
        }
    }
}

/// Front matter that its parser refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("front matter is not valid {format}: {message}")]
pub struct FrontMatterError {
    pub format: Format,
    /// Where the parser stopped: a byte offset in the document.
    pub offset: usize,
    /// The parser's own words.
    pub message: String,
}

impl FrontMatterError {
    pub fn hint(&self) -> String {
        let generator = match self.format {
            Format::Yaml => {
                "PyYAML and Hugo's go-yaml, which read YAML with libyaml's grammar as r2filter does,"
            }
            Format::Toml | Format::Json => "Hugo",
        };
        format!(
            "fix the {} between the delimiters ({generator} would refuse it too); nothing was written",
            self.format
        )
    }
}

#[cfg(test)]
// Tests slice their own ASCII fixtures by offsets they know.
#[allow(clippy::string_slice)]
mod tests;
