//! YAML front matter through libyaml-safer, a memory-safe port of libyaml
//! (the grammar PyYAML reads with, and that go-yaml, Hugo's parser, was
//! ported from); its events carry byte marks.
//!
//! The events are gathered into a small tree (scalars, sequences, mappings,
//! aliases, anchors), which is then walked by path: configured keys at any
//! depth, `url` below them, lists of them, and aliases resolved to their
//! anchor's node. Both passes are loops over finite input (the parser's events,
//! then each node once per [`Under`] state), so no input can make them spin;
//! the tree is flat (indices into one `Vec`), so deep nesting cannot overflow
//! the stack.
//!
//! Why libyaml's grammar: front matter is read by go-yaml (Hugo), js-yaml 3
//! (gray-matter: Next.js, Hexo's front-matter parser before 7), yaml 2 and
//! PyYAML, and a document any of them reads must not be refused. saphyr-parser
//! (YAML 1.2, used before) refused what all four read, such as a flow
//! sequence whose `]` is in column 0 (Hugo's own documentation).

use std::collections::HashMap;
use std::ops::Range;

use libyaml_safer::{
    Error as YamlError, EventData, MappingStyle, Parser, ScalarStyle, SequenceStyle,
};

use super::{Format, FrontMatterError, Kept, Rule, Style, Under};
use crate::scan::{Context, Reference, Scanned};

/// How deep flow collections (`[…]`, `{…}`) may nest. libyaml's scanner
/// does work proportional to the flow depth for every token (its stack of
/// possible simple keys), so 100,000 `[` took minutes; the events stop here
/// instead. go-yaml refuses deeper than 10,000, js-yaml overflows its stack
/// well before, and no front matter a site builds comes near 1,000.
const MAX_FLOW_DEPTH: usize = 1000;

/// How many `key:<TAB>value` lines are accepted (see [`tabs_fixed`]).
const MAX_TAB_FIXES: usize = 256;

/// A parse error: the parser's words and the byte offset (in the text
/// parsed) where it stopped.
struct ParseError {
    message: String,
    at: usize,
}

impl ParseError {
    fn of(e: &YamlError, len: usize) -> ParseError {
        // A construct left open at the end (a quoted scalar) is shown where
        // it starts, not at the end of the block.
        let mark = match e.context_mark() {
            Some(m) if e.problem() == "found unexpected end of stream" => Some(m),
            _ => e.problem_mark(),
        };
        let at = mark.map_or(0, |m| usize::try_from(m.index).unwrap_or(len).min(len));
        let message = match e.context() {
            Some(context) => format!("{context}: {}", e.problem()),
            None => e.problem().to_string(),
        };
        ParseError { message, at }
    }
}

pub(super) fn scan(
    source: &str,
    body: Range<usize>,
    keys: &[String],
    out: &mut Scanned,
) -> Result<(), FrontMatterError> {
    let text = source.get(body.clone()).unwrap_or("");
    let error = |e: ParseError| FrontMatterError {
        format: Format::Yaml,
        offset: body.start + e.at,
        message: e.message,
    };
    let fixed;
    let tree = match Tree::parse(text) {
        Ok(tree) => tree,
        Err(e) => {
            fixed = tabs_fixed(text, e).map_err(error)?;
            Tree::parse(&fixed).map_err(error)?
        }
    };
    let mut walk = Walk {
        source,
        base: body.start,
        tree: &tree,
        keys,
        out,
    };
    walk.run()
}

/// A tab after `key:` is valid YAML 1.2 (spec example 6.3, "separation
/// spaces") and js-yaml, which gray-matter and Hexo use, reads it; libyaml
/// (and so PyYAML) refuses it. The parser says where: that tab becomes a
/// space in a copy (same length, so the same spans), and the copy is parsed
/// again, a bounded number of times. Any other error is returned as it is.
fn tabs_fixed(text: &str, mut error: ParseError) -> Result<String, ParseError> {
    let mut copy = text.as_bytes().to_vec();
    for _ in 0..MAX_TAB_FIXES {
        let tabs = tabs_after_colon(&copy, error.at);
        if tabs.is_empty() {
            return Err(error);
        }
        copy[tabs].fill(b' ');
        let fixed = std::str::from_utf8(&copy).expect("tabs became spaces");
        match Tree::parse(fixed) {
            Ok(_) => return Ok(fixed.to_string()),
            Err(e) => error = e,
        }
    }
    Err(error)
}

/// The tabs (and spaces) around byte `at` that follow a `:` (libyaml stops
/// at the tab itself, or at the value after it).
fn tabs_after_colon(text: &[u8], at: usize) -> Range<usize> {
    let at = at.min(text.len());
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let end = at + text[at..].iter().take_while(|b| blank(b)).count();
    let start = at - text[..at].iter().rev().take_while(|b| blank(b)).count();
    if start == 0 || text[start - 1] != b':' || !text[start..end].contains(&b'\t') {
        return at..at;
    }
    start..end
}

enum Node {
    Scalar {
        value: String,
        style: ScalarStyle,
        tag: Option<String>,
        /// Bytes of the body: properties (anchor, tag) included.
        span: Range<usize>,
        /// Inside a flow collection.
        flow: bool,
    },
    /// First and last item ([`NONE`] when empty); the items are linked by
    /// [`Tree::next`].
    Sequence(Children),
    /// Keys and values, alternating.
    Mapping(Children),
    /// The node its anchor named when the alias was read.
    Alias(usize),
}

/// No node.
const NONE: usize = usize::MAX;

/// A collection's first and last child. Children are linked through
/// [`Tree::next`] rather than held in a `Vec` each: a front matter has many
/// small collections, and this parse runs for every document.
#[derive(Clone, Copy)]
struct Children {
    first: usize,
    last: usize,
}

/// Every document of a YAML stream, as a flat tree.
/// The open collections while events are read: (node, is a flow collection
/// or inside one), and how many of them are flow collections.
#[derive(Default)]
struct Open {
    stack: Vec<(usize, bool)>,
    flow: usize,
}

impl Open {
    /// Opens `id` (found at byte `at`), unless it nests flow collections
    /// deeper than [`MAX_FLOW_DEPTH`].
    fn push(&mut self, id: usize, flow: bool, at: usize) -> Result<(), ParseError> {
        if flow && self.flow == MAX_FLOW_DEPTH {
            let message =
                format!("flow collections ([…], {{…}}) nested deeper than {MAX_FLOW_DEPTH} levels");
            return Err(ParseError { message, at });
        }
        self.flow += usize::from(flow);
        self.stack.push((id, flow));
        Ok(())
    }

    fn pop(&mut self) {
        if let Some((_, true)) = self.stack.pop() {
            self.flow -= 1;
        }
    }
}

struct Tree<'t> {
    text: &'t str,
    nodes: Vec<Node>,
    /// Each node's next sibling ([`NONE`] for the last).
    next: Vec<usize>,
    roots: Vec<usize>,
}

impl<'t> Tree<'t> {
    fn parse(text: &'t str) -> Result<Tree<'t>, ParseError> {
        let mut tree = Tree {
            text,
            nodes: Vec::with_capacity(16),
            next: Vec::with_capacity(16),
            roots: Vec::new(),
        };
        // Anchor name → node; a later anchor of the same name wins from
        // there on, as in YAML.
        let mut anchors: HashMap<String, usize> = HashMap::new();
        let mut open = Open::default();
        let mut input = text.as_bytes();
        let mut parser = Parser::new();
        parser.set_input_string(&mut input);
        for event in parser {
            let event = event.map_err(|e| ParseError::of(&e, text.len()))?;
            let in_flow = open.stack.last().is_some_and(|&(_, flow)| flow);
            let at = |m: libyaml_safer::Mark| usize::try_from(m.index).unwrap_or(text.len());
            let span = at(event.start_mark)..at(event.end_mark);
            let start = span.start;
            let empty = Children {
                first: NONE,
                last: NONE,
            };
            let (node, anchor, opens) = match event.data {
                EventData::Scalar {
                    anchor,
                    tag,
                    value,
                    style,
                    ..
                } => {
                    let node = Node::Scalar {
                        value,
                        style,
                        tag,
                        span,
                        flow: in_flow,
                    };
                    (node, anchor, None)
                }
                EventData::Alias { anchor } => {
                    // libyaml's parser leaves this to its composer (PyYAML:
                    // "found undefined alias"; js-yaml refuses it too).
                    let Some(&target) = anchors.get(&anchor) else {
                        return Err(ParseError {
                            message: format!("found undefined alias {anchor:?}"),
                            at: span.start,
                        });
                    };
                    (Node::Alias(target), None, None)
                }
                EventData::SequenceStart { anchor, style, .. } => {
                    let flow = in_flow || style == SequenceStyle::Flow;
                    (Node::Sequence(empty), anchor, Some(flow))
                }
                EventData::MappingStart { anchor, style, .. } => {
                    let flow = in_flow || style == MappingStyle::Flow;
                    (Node::Mapping(empty), anchor, Some(flow))
                }
                EventData::SequenceEnd | EventData::MappingEnd => {
                    open.pop();
                    continue;
                }
                _ => continue,
            };
            let id = tree.nodes.len();
            tree.nodes.push(node);
            tree.next.push(NONE);
            if let Some(name) = anchor {
                anchors.insert(name, id);
            }
            match open.stack.last() {
                Some(&(parent, _)) => tree.append(parent, id),
                None => tree.roots.push(id),
            }
            if let Some(flow) = opens {
                open.push(id, flow, start)?;
            }
        }
        Ok(tree)
    }

    /// Links `child` as the last child of the collection `parent`.
    fn append(&mut self, parent: usize, child: usize) {
        if let Node::Sequence(c) | Node::Mapping(c) = &mut self.nodes[parent] {
            if c.first == NONE {
                c.first = child;
            } else {
                self.next[c.last] = child;
            }
            c.last = child;
        }
    }

    /// The children of a collection, in order.
    fn children(&self, c: Children) -> impl Iterator<Item = usize> + '_ {
        let first = (c.first != NONE).then_some(c.first);
        std::iter::successors(first, |&i| Some(self.next[i]).filter(|&n| n != NONE))
    }

    /// The node an alias stands for (itself for any other node).
    fn resolve(&self, id: usize) -> Option<usize> {
        match self.nodes[id] {
            Node::Alias(target) => Some(target),
            _ => Some(id),
        }
    }

    /// A mapping key's text, when it is a scalar (or an alias of one).
    fn key(&self, id: usize) -> Option<&str> {
        match &self.nodes[self.resolve(id)?] {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }
}

struct Walk<'a, 't> {
    source: &'a str,
    /// Where the body starts in the document.
    base: usize,
    tree: &'a Tree<'t>,
    keys: &'a [String],
    out: &'a mut Scanned,
}

impl Walk<'_, '_> {
    fn run(&mut self) -> Result<(), FrontMatterError> {
        let tree = self.tree;
        // Each (node, state) once: aliases may point anywhere, even into the
        // collection that holds them, and may be used many times over.
        // One bit per state for each node.
        let mut seen = vec![0u8; tree.nodes.len()];
        let mut todo: Vec<(usize, Under)> =
            tree.roots.iter().map(|&r| (r, Under::Outside)).collect();
        while let Some((id, under)) = todo.pop() {
            let bit = 1 << under as u8;
            if seen[id] & bit != 0 {
                continue;
            }
            seen[id] |= bit;
            match &tree.nodes[id] {
                Node::Scalar { .. } => {
                    if under == Under::Value {
                        self.value(id)?;
                    }
                }
                Node::Alias(_) => todo.extend(tree.resolve(id).map(|t| (t, under))),
                Node::Sequence(items) => todo.extend(tree.children(*items).map(|i| (i, under))),
                Node::Mapping(items) => {
                    let mut items = tree.children(*items);
                    while let (Some(key), Some(value)) = (items.next(), items.next()) {
                        todo.push((value, under.child(tree.key(key), self.keys)));
                    }
                }
            }
        }
        Ok(())
    }

    /// Reports the scalar `id`, the value of an image key.
    fn value(&mut self, id: usize) -> Result<(), FrontMatterError> {
        let Node::Scalar {
            value,
            style,
            tag,
            span,
            flow,
        } = &self.tree.nodes[id]
        else {
            return Ok(());
        };
        let mut span = content(self.tree.text, span.clone());
        // A quoted scalar's span runs on over blanks and a comment after it:
        // it ends at its closing quote.
        if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) {
            span.end = quoted_end(self.tree.text.as_bytes(), span.clone()).unwrap_or(span.end);
        }
        let in_doc = span.start + self.base..span.end + self.base;
        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            // libyaml's span starts at the `|` or `>` header: the text is
            // on the lines after it.
            // (and its first line's indentation).
            let raw = self.source.get(in_doc.clone()).unwrap_or("");
            let text = raw.find('\n').map_or(in_doc.start, |n| {
                let line = raw.get(n + 1..).unwrap_or("");
                in_doc.start + n + 1 + (line.len() - line.trim_start_matches([' ', '\t']).len())
            });
            self.out.kept.push(Kept {
                span: text.min(in_doc.end)..in_doc.end,
                rule: Rule::BlockScalar,
            });
            return Ok(());
        }
        if let Some(tag) = tag.as_deref().filter(|t| !is_string_tag(t)) {
            self.out.kept.push(Kept {
                span: in_doc,
                rule: Rule::Tag(tag_name(tag)),
            });
            return Ok(());
        }
        // Null (`cover:`, `cover: ~`) and empty strings name nothing.
        if value.is_empty()
            || (*style == ScalarStyle::Plain && matches!(&**value, "~" | "null" | "Null" | "NULL"))
        {
            return Ok(());
        }
        let style = match style {
            ScalarStyle::SingleQuoted => Style::YamlSingle,
            ScalarStyle::DoubleQuoted => Style::YamlDouble,
            _ => Style::YamlPlain { flow: *flow },
        };
        // The span must hold the scalar itself: a quoted one starts and ends
        // with its quote, a plain one with its text. Anything else would splice
        // the wrong bytes, so it is refused loudly rather than guessed.
        // (An empty `raw`, from a span off a character boundary, is refused below.)
        let raw = self.source.get(in_doc.clone()).unwrap_or("");
        let shaped = match style {
            Style::YamlSingle => raw.len() >= 2 && raw.starts_with('\'') && raw.ends_with('\''),
            Style::YamlDouble => raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"'),
            _ => {
                !raw.is_empty()
                    && !raw.starts_with(char::is_whitespace)
                    && !raw.ends_with(char::is_whitespace)
            }
        };
        if !shaped {
            return Err(FrontMatterError {
                format: Format::Yaml,
                offset: in_doc.start,
                message: format!("cannot find the source text of the value {value:?}"),
            });
        }
        // A quoted value's reference is what lies between its quotes.
        let quotes = usize::from(style != Style::YamlPlain { flow: *flow });
        self.out.references.push(Reference {
            span: in_doc.start + quotes..in_doc.end - quotes,
            url: value.to_string(),
            context: Context::FrontMatter(style),
        });
        Ok(())
    }
}

/// The scalar's own bytes within `span`: its anchor (`&a`) and tag (`!!str`),
/// with the spaces, line breaks and comments after them, skipped, and the
/// blanks the parser counts after a quoted scalar dropped.
fn content(text: &str, span: Range<usize>) -> Range<usize> {
    let b = text.as_bytes();
    let mut end = span.end.min(b.len());
    while end > span.start && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    let mut i = span.start;
    while i < end && matches!(b[i], b'&' | b'!') {
        if b[i] == b'!' && b.get(i + 1) == Some(&b'<') {
            // A verbatim tag `!<…>`.
            while i < end && b[i] != b'>' {
                i += 1;
            }
            i += 1;
        } else {
            while i < end
                && !matches!(
                    b[i],
                    b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
                )
            {
                i += 1;
            }
        }
        // Separation: blanks, line breaks, comments.
        loop {
            while i < end && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            if i < end && b[i] == b'#' {
                while i < end && b[i] != b'\n' {
                    i += 1;
                }
            } else {
                break;
            }
        }
    }
    i.min(end)..end
}

/// Just past the closing quote of the quoted scalar starting at
/// `span.start`.
fn quoted_end(b: &[u8], span: Range<usize>) -> Option<usize> {
    let quote = *b.get(span.start)?;
    let mut i = span.start + 1;
    while i < span.end {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            c if c == quote => {
                if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// `!!str` (however it is written), and the non-specific tag `!`, which
/// also means a string. libyaml gives tags resolved: `!!str` is
/// `tag:yaml.org,2002:str`.
fn is_string_tag(tag: &str) -> bool {
    tag == "!" || tag == libyaml_safer::STR_TAG
}

/// A tag as it is usually written (`!!int`, `!custom`, `!<tag:x>`).
fn tag_name(tag: &str) -> String {
    match tag.strip_prefix("tag:yaml.org,2002:") {
        Some(suffix) => format!("!!{suffix}"),
        None if tag.starts_with('!') => tag.to_string(),
        None => format!("!<{tag}>"),
    }
}
