//! The MDX front end: `.mdx` documents read as the MDX compiler reads them.
//!
//! @mdx-js/mdx parses with micromark and its MDX extensions; markdown-rs is
//! micromark's Rust port, so this front end parses with it
//! (`ParseOptions::mdx()`, plus front matter and the GFM constructs
//! remark-gfm adds) and walks the resulting mdast. In MDX:
//!
//! - the children of a JSX element are Markdown (`<Note>\n![a](a.png)\n</Note>`
//!   holds an image), and indentation never makes a code block;
//! - `{expressions}`, `{/* comments */}`, `import`/`export` blocks and code
//!   are JavaScript or text, never images; markdown-rs is told where each
//!   expression and ESM block ends by [`js`], a small lexer that follows
//!   strings, template literals, comments and JSX as acorn does;
//! - front matter counts only at the very start (remark-frontmatter), and is
//!   handed to [`super::frontmatter`].
//!
//! Images, image references (through their definitions) and links come with
//! positions; the destination inside is found in the source and must decode
//! to the parser's URL. JSX props carry no position: the opening tag is read
//! again ([`jsx`]) and what is found there must agree with the parser's
//! attributes. Whatever cannot be placed goes to [`Scanned::unmapped`], so the
//! pipeline fails instead of leaving an image as written. MDX that does not
//! parse is a [`ScanError::Mdx`] with the parser's message and place.
#![deny(clippy::string_slice)]

pub(crate) mod js;
mod jsx;

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::ops::Range;

use markdown::mdast::{AttributeContent, AttributeValue, MdxJsxAttribute, Node};
use markdown::unist::Position;
use markdown::{Constructs, MdxExpressionKind, MdxSignal, ParseOptions};

use super::frontmatter::{self, Block, Format};
use super::markdown::{
    definition_destination, destination_matches, destination_span, unescape_markdown,
};
use super::{Context, Reference, ScanError, ScanOptions, Scanned, html};

/// Props that name an image on any element or component, besides the
/// configured `jsx-props`.
pub const IMAGE_PROPS: &[&str] = &["src", "srcSet", "srcset", "poster"];

/// Finds every URL in an MDX document that may name a local image (see the
/// module documentation). The result is sorted by [`super::scan`].
pub fn scan(source: &str, opts: &ScanOptions) -> Result<Scanned, ScanError> {
    let text = sanitize(source);
    let tree = parse(&text, opts.math)?;
    let mut walk = Walk {
        source,
        text: &text,
        opts,
        found: Scanned::default(),
        definitions: BTreeMap::new(),
        uses: BTreeMap::new(),
    };
    walk.node(&tree, 0)?;
    walk.definitions();
    Ok(walk.found)
}

/// The parse options: MDX, front matter (YAML and TOML, as remark-frontmatter
/// is set up in the README), GFM as remark-gfm adds it, and with `math`
/// remark-math's `$…$` and `$$…$$` (single dollars on, remark-math's default).
fn options(math: bool) -> ParseOptions {
    ParseOptions {
        constructs: Constructs {
            math_flow: math,
            math_text: math,
            frontmatter: true,
            gfm_autolink_literal: true,
            gfm_footnote_definition: true,
            gfm_label_start_footnote: true,
            gfm_strikethrough: true,
            gfm_table: true,
            gfm_task_list_item: true,
            ..Constructs::mdx()
        },
        mdx_expression_parse: Some(Box::new(
            |text: &str, kind: &MdxExpressionKind| match kind {
                MdxExpressionKind::AttributeValueExpression => value_signal(text),
                _ => signal(text),
            },
        )),
        mdx_esm_parse: Some(Box::new(signal)),
        math_text_single_dollar: true,
        ..ParseOptions::mdx()
    }
}

/// markdown-rs asks at each `}` (expressions) and each blank line (ESM)
/// whether the JavaScript so far is complete. What the lexer finds wrong is
/// left to the compiler to report: this only decides where it ends.
fn signal(text: &str) -> MdxSignal {
    match js::lex(text) {
        js::Lexed::Incomplete => MdxSignal::Eof(
            "Unexpected end of file in JavaScript".into(),
            Box::new("r2filter".into()),
            Box::new("unexpected-eof".into()),
        ),
        _ => MdxSignal::Ok,
    }
}

/// [`signal`] for a prop's `{value}`: acorn must read one expression
/// there, so a value that ends inside a line comment (`src={// a } b`) is
/// not complete at that `}` (the compiler goes on to the next one, as it
/// does for any error at the end of the text).
fn value_signal(text: &str) -> MdxSignal {
    let in_line_comment = js::lex(text) == js::Lexed::Complete
        && js::lex(&format!("{text}}}")) != js::Lexed::Closed(text.len());
    if in_line_comment {
        return MdxSignal::Eof(
            "Unexpected end of file in a comment".into(),
            Box::new("r2filter".into()),
            Box::new("unexpected-eof".into()),
        );
    }
    signal(text)
}

/// What markdown-rs 1.0.0 is given instead of `source`: the same length,
/// so every offset is the source's, with two of its bugs stepped around.
///
/// - It panics on a JSX attribute value that ends in what could start a
///   character reference (`<a b="&amp" />`, `character_reference::parse`
///   reads one byte past the value). Such an `&` is never a reference (one
///   needs a `;`), so the parser is given a `%` in its place.
/// - It reads no tag where whitespace follows the `=` of a prop
///   (`<Img src= "a.png" />`, `src = {x}`; micromark and so @mdx-js/mdx
///   allow it, issue 21), and the tag became text: an image the compiler
///   loads, silently missed. Whitespace before the `=` it reads, so the
///   `=` is moved over the whitespace to just before the value
///   (`src  ="a.png"`). Outside a tag this changes nothing that matters:
///   the parser is not told what JavaScript means (see [`signal`]), a line
///   of `=` alone (a setext underline) has no value after it, and code is
///   never looked into.
fn sanitize(source: &str) -> Cow<'_, str> {
    let b = source.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    for (i, _) in source.match_indices('=') {
        let blank = b.get(i + 1..).map_or(0, |r| {
            r.iter()
                .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                .count()
        });
        if blank == 0 || !matches!(b.get(i + 1 + blank), Some(b'"' | b'\'' | b'{' | b'<')) {
            continue;
        }
        // A line break after the `=` (`src=\n  "a.png"`) would leave a
        // blank line where the `=` was: it becomes a space (a prop's
        // whitespace either way), in an opening tag only (not after a
        // setext heading's text, say).
        let breaks = b
            .get(i + 1..i + 1 + blank)
            .is_some_and(|w| w.contains(&b'\n') || w.contains(&b'\r'));
        if breaks && !in_open_tag(b, i) {
            continue;
        }
        let copy = out.get_or_insert_with(|| b.to_vec());
        copy.copy_within(i + 1..i + 1 + blank, i);
        copy[i + blank] = b'=';
        for c in copy.get_mut(i..i + blank).into_iter().flatten() {
            if matches!(c, b'\n' | b'\r') {
                *c = b' ';
            }
        }
    }
    for (i, _) in source.match_indices('&') {
        let mut j = i + 1;
        if b.get(j) == Some(&b'#') {
            j += 1;
            if matches!(b.get(j), Some(b'x' | b'X')) {
                j += 1;
            }
        }
        let run = b.get(j..).map_or(0, |r| {
            r.iter().take_while(|c| c.is_ascii_alphanumeric()).count()
        });
        if run > 0 && matches!(b.get(j + run), Some(b'"' | b'\'')) {
            out.get_or_insert_with(|| b.to_vec())[i] = b'%';
        }
    }
    match out {
        // Only ASCII bytes were replaced or moved.
        Some(v) => Cow::Owned(String::from_utf8(v).unwrap_or_else(|_| source.to_string())),
        None => Cow::Borrowed(source),
    }
}

/// Whether byte `i` follows a prop's name in what reads as an opening tag:
/// looking back (a few KB at most), a name, then whitespace, and a `<` and a
/// letter before any `>`.
fn in_open_tag(b: &[u8], i: usize) -> bool {
    let before = b.get(i.saturating_sub(4096)..i).unwrap_or_default();
    let name_before = before
        .iter()
        .rev()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'-'));
    let open = before.iter().rposition(|&c| c == b'<' || c == b'>');
    name_before
        && open.is_some_and(|k| {
            before[k] == b'<' && before.get(k + 1).is_some_and(u8::is_ascii_alphabetic)
        })
}

thread_local! {
    /// Set while markdown-rs runs on this thread: a panic there is turned
    /// into an error, and the default hook's message is not printed.
    static PARSING: Cell<bool> = const { Cell::new(false) };
}

/// Runs markdown-rs. A syntax error becomes [`ScanError::Mdx`]; so does a
/// panic inside markdown-rs (1.0.0 has a few on malformed input: an error
/// naming the document beats a crash of the whole run).
fn parse(text: &str, math: bool) -> Result<Node, ScanError> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !PARSING.with(Cell::get) {
                previous(info);
            }
        }));
    });
    PARSING.with(|p| p.set(true));
    let result = std::panic::catch_unwind(|| markdown::to_mdast(text, &options(math)));
    PARSING.with(|p| p.set(false));
    match result {
        Ok(Ok(tree)) => Ok(tree),
        Ok(Err(message)) => {
            let offset = match message.place.as_deref() {
                Some(markdown::message::Place::Point(p)) => p.offset,
                Some(markdown::message::Place::Position(p)) => p.start.offset,
                None => 0,
            };
            Err(ScanError::Mdx {
                offset,
                reason: message.reason,
            })
        }
        Err(_) => Err(ScanError::MdxParserCrash),
    }
}

/// What an element's prop means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Shows an image whatever its path (`<img src>`, `<video poster>`).
    Image,
    /// `<a href>`: counts when its path is an image (or a listed asset).
    Link,
    /// `src` of `<video>`, `<audio>`, `<source>`, `<track>`: counts when its
    /// path is an image, video, audio or captions file.
    Media,
    /// Counts when its path is an image (`<Image src>`, `<source src>`).
    Other,
}

/// The role of prop `prop` of element `element`, and whether it is a
/// `srcset` (a list of candidates); `None` for a prop that names no image.
fn role(element: &str, prop: &str, extra: &[String]) -> Option<(Role, bool)> {
    let srcset = matches!(prop, "srcSet" | "srcset");
    match (element, prop) {
        ("img", "src") | ("video", "poster") => Some((Role::Image, false)),
        ("video" | "audio" | "source" | "track", "src") => Some((Role::Media, false)),
        ("img" | "source", "srcSet" | "srcset") => Some((Role::Image, true)),
        ("a", "href") => Some((Role::Link, false)),
        _ if IMAGE_PROPS.contains(&prop) || extra.iter().any(|p| p == prop) => {
            Some((Role::Other, srcset))
        }
        _ => None,
    }
}

struct Walk<'a> {
    source: &'a str,
    /// What markdown-rs parsed: `source` but for [`sanitize`] (same offsets).
    text: &'a str,
    opts: &'a ScanOptions,
    found: Scanned,
    /// The first definition of each identifier: its range and URL.
    definitions: BTreeMap<String, (Range<usize>, String)>,
    /// How each used definition is used (an image use wins).
    uses: BTreeMap<String, Context>,
}

fn range(position: Option<&Position>) -> Option<Range<usize>> {
    position.map(|p| p.start.offset..p.end.offset)
}

impl Walk<'_> {
    fn node(&mut self, node: &Node, quotes: usize) -> Result<(), ScanError> {
        match node {
            Node::Yaml(n) => return self.front_matter(Format::Yaml, n.position.as_ref()),
            Node::Toml(n) => return self.front_matter(Format::Toml, n.position.as_ref()),
            Node::Image(n) => {
                if let Some(at) = range(n.position.as_ref()) {
                    self.resource(at.clone(), at.start + 2, &n.url, Context::MarkdownImage);
                }
            }
            Node::Link(n) => {
                if let Some(at) = range(n.position.as_ref())
                    // GFM autolink literals (`www.x.org`) have no `[`.
                    && self.text.as_bytes().get(at.start) == Some(&b'[')
                {
                    let text_end = n
                        .children
                        .last()
                        .and_then(|c| c.position())
                        .map_or(at.start + 1, |p| p.end.offset);
                    self.resource(at, text_end, &n.url, Context::MarkdownLink);
                }
            }
            Node::ImageReference(n) => self.use_definition(&n.identifier, Context::MarkdownImage),
            Node::LinkReference(n) => self.use_definition(&n.identifier, Context::MarkdownLink),
            Node::Definition(n) => {
                if let Some(at) = range(n.position.as_ref()) {
                    self.definitions
                        .entry(n.identifier.clone())
                        .or_insert((at, n.url.clone()));
                }
            }
            Node::MdxJsxFlowElement(n) => {
                self.element(
                    n.name.as_deref(),
                    &n.attributes,
                    n.position.as_ref(),
                    quotes,
                );
            }
            Node::MdxJsxTextElement(n) => {
                self.element(
                    n.name.as_deref(),
                    &n.attributes,
                    n.position.as_ref(),
                    quotes,
                );
            }
            // JavaScript: only its JSX (`{show && <img src="a.png" />}`).
            Node::MdxjsEsm(n) => {
                if let Some(at) = range(n.position.as_ref()) {
                    self.javascript(at, quotes);
                }
                return Ok(());
            }
            Node::MdxFlowExpression(_) | Node::MdxTextExpression(_) => {
                if let Some(at) = range(node.position()) {
                    self.javascript(
                        at.start + 1..at.end.saturating_sub(1).max(at.start + 1),
                        quotes,
                    );
                }
                return Ok(());
            }
            // Code and math: never looked into.
            Node::Code(_) | Node::InlineCode(_) | Node::Math(_) | Node::InlineMath(_) => {
                return Ok(());
            }
            _ => {}
        }
        let quotes = quotes + usize::from(matches!(node, Node::Blockquote(_)));
        for child in node.children().into_iter().flatten() {
            self.node(child, quotes)?;
        }
        Ok(())
    }

    fn unmapped(&mut self, span: Range<usize>, url: String, context: Context) {
        self.found.unmapped.push(Reference { span, url, context });
    }

    /// `![alt](dest "title")` or `[text](dest)` over `at`: the destination is
    /// after a `](` past `from` whose destination decodes to `url` and after
    /// which only a title and the closing `)` are left.
    fn resource(&mut self, at: Range<usize>, from: usize, url: &str, context: Context) {
        if url.is_empty() {
            return;
        }
        let b = self.text.as_bytes();
        let spans = (from.min(at.end)..at.end.saturating_sub(1))
            .filter(|&i| b.get(i..i + 2) == Some(b"]("))
            .filter_map(|i| destination_span(self.text, i + 2, at.end))
            .filter(|d| {
                destination_matches(self.text.get(d.clone()).unwrap_or(""), url)
                    && only_title_left(self.text, d.end, at.end)
            });
        match spans.into_iter().next() {
            Some(span) => self.markdown_reference(span, context),
            None => self.unmapped(at, url.to_string(), context),
        }
    }

    /// A destination span of the source, with its URL decoded as written
    /// (not from the sanitized copy).
    fn markdown_reference(&mut self, span: Range<usize>, context: Context) {
        let raw = self.source.get(span.clone()).unwrap_or("");
        let inner = raw
            .strip_prefix('<')
            .and_then(|r| r.strip_suffix('>'))
            .unwrap_or(raw);
        self.found.references.push(Reference {
            url: unescape_markdown(inner),
            span,
            context,
        });
    }

    fn use_definition(&mut self, identifier: &str, context: Context) {
        let e = self.uses.entry(identifier.to_string()).or_insert(context);
        if context.is_image_syntax() {
            *e = context;
        }
    }

    /// The destinations of the used definitions.
    fn definitions(&mut self) {
        let used: Vec<((Range<usize>, String), Context)> = std::mem::take(&mut self.uses)
            .into_iter()
            .filter_map(|(id, context)| Some((self.definitions.get(&id)?.clone(), context)))
            .collect();
        for ((at, url), context) in used {
            if url.is_empty() {
                continue;
            }
            match definition_destination(self.text, at.clone())
                .filter(|d| destination_matches(self.text.get(d.clone()).unwrap_or(""), &url))
            {
                Some(span) => self.markdown_reference(span, context),
                None => self.unmapped(at, url, context),
            }
        }
    }

    /// The front matter markdown-rs found (only ever at the very start).
    fn front_matter(
        &mut self,
        format: Format,
        position: Option<&Position>,
    ) -> Result<(), ScanError> {
        let Some(at) = range(position) else {
            return Ok(());
        };
        let text = self.text;
        let after_open = text
            .get(at.start..at.end)
            .and_then(|s| s.find('\n'))
            .map_or(at.end, |p| at.start + p + 1);
        let close_line = text
            .get(..at.end)
            .and_then(|s| s.rfind('\n'))
            .map_or(at.end, |p| p + 1)
            .max(after_open);
        let rest = text.get(at.end..).unwrap_or("");
        let end = at.end
            + [("\r\n", 2), ("\n", 1)]
                .iter()
                .find(|(nl, _)| rest.starts_with(nl))
                .map_or(0, |(_, n)| *n);
        let block = Block {
            format,
            range: 0..end,
            body: after_open..close_line,
        };
        frontmatter::scan(
            self.source,
            &block,
            &self.opts.front_matter_keys,
            &mut self.found,
        )?;
        Ok(())
    }

    /// The image props of a JSX element, placed by reading its opening tag
    /// again, and the JSX inside its expression props.
    fn element(
        &mut self,
        name: Option<&str>,
        attrs: &[AttributeContent],
        position: Option<&Position>,
        quotes: usize,
    ) {
        let (Some(name), Some(at)) = (name, range(position)) else {
            return; // a fragment has no props
        };
        let wanted: Vec<(usize, Role, bool)> = attrs
            .iter()
            .enumerate()
            .filter_map(|(k, a)| match a {
                AttributeContent::Property(p) => {
                    role(name, &p.name, &self.opts.jsx_props).map(|(r, s)| (k, r, s))
                }
                AttributeContent::Expression(_) => None,
            })
            .collect();
        let jsx_inside = attrs.iter().any(|a| match a {
            AttributeContent::Property(p) => {
                matches!(&p.value, Some(AttributeValue::Expression(e)) if e.value.contains('<'))
            }
            AttributeContent::Expression(e) => e.value.contains('<'),
        });
        if wanted.is_empty() && !jsx_inside {
            return;
        }
        let props =
            jsx::props(self.text, at.start, quotes).filter(|props| same_props(props, attrs));
        if jsx_inside {
            for prop in props.iter().flatten() {
                if let jsx::Prop::Named {
                    value: Some(jsx::Value::Expression(span)),
                    ..
                } = prop
                {
                    self.javascript(span.clone(), quotes);
                }
            }
        }
        for (k, role, srcset) in wanted {
            if let AttributeContent::Property(attr) = &attrs[k] {
                let prop = props.as_ref().and_then(|p| p.get(k));
                self.prop(attr, prop, role, srcset, at.clone(), quotes);
            }
        }
    }

    /// One image prop `attr` of the element over `at` (inside `quotes`
    /// block quotes), as the parser read it, and `prop`, the same prop read
    /// again from the tag.
    fn prop(
        &mut self,
        attr: &MdxJsxAttribute,
        prop: Option<&jsx::Prop>,
        role: Role,
        srcset: bool,
        at: Range<usize>,
        quotes: usize,
    ) {
        match (&attr.value, prop) {
            (None, _) => {}
            (
                Some(AttributeValue::Literal(value)),
                Some(jsx::Prop::Named {
                    value: Some(jsx::Value::Literal { span, quote }),
                    ..
                }),
            ) if same_text(
                self.text.get(span.clone()).map(decode_jsx).as_deref(),
                Some(value),
            ) =>
            {
                self.literal(span.clone(), *quote, role, srcset, Some(value), quotes);
            }
            (Some(AttributeValue::Expression(e)), prop) => {
                let raw = match prop {
                    Some(jsx::Prop::Named {
                        value: Some(jsx::Value::Expression(span)),
                        ..
                    }) => Some(span.clone()),
                    _ => None,
                };
                match (js::string_literal(&e.value), raw) {
                    // Not one string: code, the bundler's business.
                    (None, _) => {}
                    (Some((_, _, value)), Some(span)) => {
                        self.script(span, &value, role, srcset, at)
                    }
                    (Some((_, _, value)), None) => {
                        self.unmapped(at, value, context_for(role, None))
                    }
                }
            }
            (Some(AttributeValue::Literal(value)), _) => {
                self.unmapped(at, value.clone(), context_for(role, Some(b'"')));
            }
        }
    }

    /// The JSX elements inside JavaScript (an expression, an ESM block, an
    /// expression prop) over `at`: their image props, read from their tags.
    fn javascript(&mut self, at: Range<usize>, quotes: usize) {
        let Some(code) = self.text.get(at.clone()) else {
            return;
        };
        if !code.contains('<') {
            return;
        }
        let mut tags = Vec::new();
        js::lex_tags(code, &mut |i| tags.push(at.start + i));
        for lt in tags {
            let Some((name, props)) = jsx::tag(self.text, lt, quotes) else {
                continue;
            };
            for prop in props {
                let jsx::Prop::Named {
                    name: prop,
                    value: Some(value),
                } = prop
                else {
                    continue;
                };
                let Some((role, srcset)) = role(&name, &prop, &self.opts.jsx_props) else {
                    continue;
                };
                match value {
                    jsx::Value::Literal { span, quote } => {
                        self.literal(span, quote, role, srcset, None, quotes)
                    }
                    jsx::Value::Expression(span) => {
                        let raw = self.source.get(span.clone()).unwrap_or("");
                        if let Some((_, _, value)) = js::string_literal(raw) {
                            self.script(span, &value, role, srcset, lt..lt + 1);
                        }
                    }
                }
            }
        }
    }

    /// A string prop `"…"` / `'…'` whose value is at `span` (inside
    /// `quotes` block quotes), and which the parser read as `parsed` (`None`
    /// in JSX inside JavaScript).
    fn literal(
        &mut self,
        span: Range<usize>,
        quote: u8,
        role: Role,
        srcset: bool,
        parsed: Option<&str>,
        quotes: usize,
    ) {
        let context = context_for(role, Some(quote));
        let raw = self.source.get(span.clone()).unwrap_or("");
        if !srcset {
            if !prefixes_are_containers(raw, quotes) {
                self.unmapped(span, decode_jsx(raw), context);
                return;
            }
            // The parser's value has the lines' container prefixes taken
            // out; where it read the source as it is, it is the value.
            let as_written = self.text.get(span.clone()) == Some(raw);
            let value = match parsed {
                Some(v) if as_written => v.to_string(),
                _ if !raw.contains('\n') => decode_jsx(raw),
                _ => {
                    self.unmapped(span, decode_jsx(raw), context);
                    return;
                }
            };
            if let Some(piece) = html::trim_span(self.source, span) {
                self.found.references.push(Reference {
                    url: url_of(&value),
                    span: piece,
                    context,
                });
            }
            return;
        }
        let pieces = html::srcset_urls(raw)
            .into_iter()
            .map(|c| span.start + c.start..span.start + c.end);
        for piece in pieces {
            let Some(piece) = html::trim_span(self.source, piece) else {
                continue;
            };
            let raw = self.source.get(piece.clone()).unwrap_or("");
            self.found.references.push(Reference {
                url: url_of(&decode_jsx(raw)),
                span: piece,
                context,
            });
        }
    }

    /// A prop `{"…"}` (`{'…'}`, `` {`…`} ``) whose braces hold `span`, and
    /// whose value the parser read as `value`.
    fn script(
        &mut self,
        span: Range<usize>,
        value: &str,
        role: Role,
        srcset: bool,
        element: Range<usize>,
    ) {
        let raw = self.source.get(span.clone()).unwrap_or("");
        let Some((inner, quote, ours)) = js::string_literal(raw).filter(|l| l.2 == value) else {
            self.unmapped(element, value.to_string(), context_for(role, None));
            return;
        };
        let inner = span.start + inner.start..span.start + inner.end;
        let context = Context::JsString {
            quote,
            image: role == Role::Image,
            media: role == Role::Media,
        };
        let body = self.source.get(inner.clone()).unwrap_or("");
        let pieces: Vec<Range<usize>> = if srcset {
            html::srcset_urls(body)
                .into_iter()
                .map(|c| inner.start + c.start..inner.start + c.end)
                .collect()
        } else {
            html::trim_span(self.source, inner).into_iter().collect()
        };
        for piece in pieces {
            let raw = self.source.get(piece.clone()).unwrap_or("");
            let q = char::from(quote);
            match js::string_literal(&format!("{q}{raw}{q}")) {
                Some((_, _, url)) => self.found.references.push(Reference {
                    url: url_of(&url),
                    span: piece,
                    context,
                }),
                None => self.unmapped(piece, ours.clone(), context),
            }
        }
    }
}

/// Whether a value over several lines can be rewritten where it stands. The
/// new value keeps each later line's leading spaces, tabs and `>`
/// ([`crate::rewrite::replacement`]), which must then be the containers'
/// prefixes: at most `quotes` block-quote markers. Outside a block quote,
/// the `>` of `<img src="a.png\n>b.png" />` is the value's own (found by the
/// mdx fuzz target); such a value is reported, not rewritten into `URL>`.
fn prefixes_are_containers(raw: &str, quotes: usize) -> bool {
    raw.split(['\n', '\r']).skip(1).all(|line| {
        let lead = line
            .bytes()
            .take_while(|c| matches!(c, b' ' | b'\t' | b'>'));
        lead.filter(|&c| c == b'>').count() <= quotes
    })
}

/// The context of a prop value in `quote` (`None`: a JavaScript string).
fn context_for(role: Role, quote: Option<u8>) -> Context {
    match (role, quote) {
        (Role::Image, Some(_)) => Context::HtmlImage { quote },
        (Role::Link, Some(_)) => Context::HtmlLink { quote },
        (Role::Media, Some(_)) => Context::Media { quote },
        (Role::Other, Some(_)) => Context::Attribute { quote },
        (role, None) => Context::JsString {
            quote: b'"',
            image: role == Role::Image,
            media: role == Role::Media,
        },
    }
}

/// A JSX string value as MDX reads it: character references (with their
/// `;`) decoded, nothing else.
fn decode_jsx(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(p) = rest.find('&') {
        out.push_str(rest.get(..p).unwrap_or(""));
        let tail = rest.get(p..).unwrap_or("");
        match html::commonmark_entity(tail) {
            Some((decoded, len)) => {
                out.push_str(&decoded);
                rest = tail.get(len..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// The URL a prop value names, as a browser's URL parser reads it:
/// surrounding whitespace trimmed, tabs and line breaks dropped.
fn url_of(value: &str) -> String {
    value
        .trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// Two values equal but for line breaks and what follows them up to the
/// text (a block quote's `>`, indentation), which the parser strips.
fn same_text(a: Option<&str>, b: Option<&str>) -> bool {
    fn squeeze(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut after_break = false;
        for c in s.chars() {
            if matches!(c, '\n' | '\r') {
                after_break = true;
            } else if after_break && matches!(c, ' ' | '\t' | '>') {
            } else {
                after_break = false;
                out.push(c);
            }
        }
        out
    }
    matches!((a, b), (Some(a), Some(b)) if squeeze(a) == squeeze(b))
}

/// The props read again agree with the parser's: the same number, each a
/// spread where it has one, and the same names.
fn same_props(props: &[jsx::Prop], attrs: &[AttributeContent]) -> bool {
    props.len() == attrs.len()
        && props.iter().zip(attrs).all(|(p, a)| match (p, a) {
            (jsx::Prop::Spread, AttributeContent::Expression(_)) => true,
            (jsx::Prop::Named { name, value }, AttributeContent::Property(attr)) => {
                *name == attr.name
                    && matches!(
                        (value, &attr.value),
                        (None, None)
                            | (
                                Some(jsx::Value::Literal { .. }),
                                Some(AttributeValue::Literal(_))
                            )
                            | (
                                Some(jsx::Value::Expression(_)),
                                Some(AttributeValue::Expression(_))
                            )
                    )
            }
            _ => false,
        })
}

/// After a destination ending at `from`: optional whitespace, an optional
/// title, and the `)` that ends the construct at `end`. The title is read as
/// CommonMark reads one (its closing quote is the first unescaped one), so
/// an image inside an alt text with an unclosed title, as in
/// `![a![b](/u "](/u "t")`, is not taken for the outer image's destination.
fn only_title_left(text: &str, from: usize, end: usize) -> bool {
    // `>`: a blockquote's markers on the lines a title spans.
    let blank = |c: char| c.is_ascii_whitespace() || c == '>';
    let Some(rest) = text.get(from..end).and_then(|r| r.strip_suffix(')')) else {
        return false;
    };
    let rest = rest.trim_start_matches(blank);
    if rest.trim_end_matches(blank).is_empty() {
        return true;
    }
    // A title must be set off from the destination by whitespace.
    if !text
        .as_bytes()
        .get(from)
        .is_some_and(u8::is_ascii_whitespace)
    {
        return false;
    }
    let mut chars = rest.char_indices();
    let close = match chars.next() {
        Some((_, '"')) => '"',
        Some((_, '\'')) => '\'',
        Some((_, '(')) => ')',
        _ => return false,
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            c if c == close => {
                return rest
                    .get(i + c.len_utf8()..)
                    .is_some_and(|after| after.trim_matches(blank).is_empty());
            }
            '(' if close == ')' => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
#[allow(clippy::string_slice)] // tests: a panic is a failure
mod tests;
