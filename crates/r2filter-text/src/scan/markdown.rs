//! The Markdown front end (`.md` documents and mdBook chapters):
//! pulldown-cmark's offset iterator, so code spans and code blocks are never
//! looked into. (`.mdx` documents have their own front end, [`super::mdx`].)
//!
//! - `.md` documents: CommonMark with GFM tables, strikethrough, task lists and
//!   footnotes, and heading attributes ([`markdown_options`]); a YAML `---` or
//!   TOML `+++` block counts as front matter only at the very start
//!   (`frontmatter::detect`), and is handed to [`super::frontmatter`].
//! - mdBook chapters: parsed by `mdbook_markdown::new_cmark_parser`, mdBook's
//!   own constructor, with the `[output.html]` switches of the book; no front
//!   matter.
//! - Raw HTML: when a document has any, it is rendered with pulldown-cmark's
//!   HTML writer (what mdBook's renderer starts from) and the result read with
//!   [`super::html`]'s tokenizer, as a browser would. An image counts only when
//!   the browser would see its `<img>` as a live tag (not inside a
//!   `<textarea>`, a comment, …), and every `<img src>`, `srcset`, `poster` and
//!   `<a href>` found in the page is mapped back, through the HTML event that
//!   wrote it, to its bytes in the source (past `> ` and list indentation).
//! - An image inside another image's description is not an image (the alt text
//!   is plain text), and is not reported.
//! - Whatever the renderer shows as an image or link but cannot be mapped back
//!   to a span of the source is reported in [`Scanned::unmapped`]; the pipeline
//!   fails on a local image there instead of leaving it as written.
#![deny(clippy::string_slice)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use super::html;
use super::{Context, Flavor, Reference, ScanError, ScanOptions, Scanned};

/// mdBook's `[output.html]` switches that change how it parses a chapter
/// (`smart-punctuation`, `definition-lists`, `admonitions`); all on by
/// default, as in mdBook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdBookMarkdown {
    pub smart_punctuation: bool,
    pub definition_lists: bool,
    pub admonitions: bool,
}

impl Default for MdBookMarkdown {
    fn default() -> MdBookMarkdown {
        let d = mdbook_markdown::MarkdownOptions::default();
        MdBookMarkdown {
            smart_punctuation: d.smart_punctuation,
            definition_lists: d.definition_lists,
            admonitions: d.admonitions,
        }
    }
}

impl MdBookMarkdown {
    /// The same switches as mdBook's own type.
    pub fn to_mdbook(self) -> mdbook_markdown::MarkdownOptions {
        let mut o = mdbook_markdown::MarkdownOptions::default();
        o.smart_punctuation = self.smart_punctuation;
        o.definition_lists = self.definition_lists;
        o.admonitions = self.admonitions;
        o
    }

    /// The pulldown-cmark options mdBook 0.5 parses a chapter with. Chapters
    /// are scanned with mdBook's constructor itself; this spelled-out copy is
    /// for renderers in tests and docs, and a test fails when the two drift.
    pub fn options(self) -> Options {
        let mut o = Options::ENABLE_TABLES
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_TASKLISTS
            | Options::ENABLE_HEADING_ATTRIBUTES;
        if self.smart_punctuation {
            o |= Options::ENABLE_SMART_PUNCTUATION;
        }
        if self.definition_lists {
            o |= Options::ENABLE_DEFINITION_LIST;
        }
        if self.admonitions {
            o |= Options::ENABLE_GFM;
        }
        o
    }
}

/// The options a `.md` document's body is parsed with (front matter is
/// masked first, see [`scan`]).
pub fn body_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// [`body_options`] plus front-matter blocks: parses a whole `.md` document
/// that starts with front matter as r2filter reads it (a leading `---` is not
/// a thematic break).
pub fn markdown_options() -> Options {
    body_options()
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
}

/// The parser for the body of a document of this flavor; with `math`,
/// `$…$` and `$$…$$` are math (pulldown-cmark's `ENABLE_MATH`, the syntax of
/// remark-math and of mdBook's math preprocessors); with `wikilinks`, a `.md`
/// document's `[[…]]` and `![[…]]` are wiki links ([`super::obsidian`]).
fn parser(text: &str, flavor: Flavor, (math, wikilinks): (bool, bool)) -> Parser<'_> {
    match (flavor, math) {
        (Flavor::MdBook(o), false) => mdbook_markdown::new_cmark_parser(text, &o.to_mdbook()),
        (Flavor::MdBook(o), true) => Parser::new_ext(text, o.options() | Options::ENABLE_MATH),
        // (`.mdx` documents have their own front end.)
        (Flavor::Markdown | Flavor::Mdx, math) => {
            let mut o = body_options();
            if math {
                o |= Options::ENABLE_MATH;
            }
            if wikilinks && flavor == Flavor::Markdown {
                o |= Options::ENABLE_WIKILINKS;
            }
            Parser::new_ext(text, o)
        }
    }
}

/// Finds every URL in a `.md` document or mdBook chapter that may name a
/// local image, and what the renderer shows but could not be mapped back to
/// the source ([`super::scan`] sorts them).
///
/// Front matter (not in mdBook chapters) is read by its own parser; the
/// Markdown parser sees blank lines in its place (same offsets).
pub(super) fn scan(source: &str, opts: &ScanOptions) -> Result<Scanned, ScanError> {
    let mut found = Scanned::default();
    let masked;
    let mut text = source;
    if !matches!(opts.flavor, Flavor::MdBook(_))
        && let Some(block) = super::frontmatter::detect_for(source, opts.hugo_shortcodes.is_some())
    {
        super::frontmatter::scan(source, &block, &opts.front_matter_keys, &mut found)?;
        masked = block.mask(source);
        text = &masked;
    }
    scan_body(
        text,
        (opts.flavor, opts.math, opts.wikilinks),
        &mut found.references,
        &mut found.unmapped,
    );
    Ok(found)
}

/// An image or link the renderer shows, before its liveness is known.
struct Found {
    /// Index of its Start event.
    event: usize,
    is_image: bool,
    target: Target,
}

enum Target {
    /// The destination's span in the source.
    Span(Range<usize>, String),
    /// The definition (by the start of its span) holds the destination.
    Definition(usize),
    /// Not found in the source: the whole construct, and the parser's URL.
    Unmapped(Range<usize>, String),
    /// An Obsidian embed `![[…]]`: the whole construct.
    Embed(Range<usize>),
}

struct Open {
    event: usize,
    range: Range<usize>,
    is_image: bool,
    link_type: LinkType,
    id: String,
    dest: String,
    children_end: usize,
    /// Inside an image's description: plain text, never a tag.
    nested: bool,
}

/// Scans `source`, the document with its front matter masked.
fn scan_body(
    source: &str,
    (flavor, math, wikilinks): (Flavor, bool, bool),
    refs: &mut Vec<Reference>,
    unmapped: &mut Vec<Reference>,
) {
    let mut iter = parser(source, flavor, (math, wikilinks)).into_offset_iter();
    let events: Vec<(Event<'_>, Range<usize>)> = iter.by_ref().collect();
    // Looked up by the parser's own label matching (case folding included).
    let refdefs = iter.reference_definitions();
    let walk = Walk::over(source, &events, |label| {
        refdefs.get(label).map(|d| d.span.start)
    });

    // Which of them a browser would see, and the image URLs of raw HTML.
    let live: Vec<bool> = if walk.has_html {
        let page = Page::render(source, &events);
        let tags = html::start_tags(&page.html);
        page.html_references(&tags, refs, unmapped);
        walk.found
            .iter()
            .map(|f| page.shows_tag(&tags, f))
            .collect()
    } else {
        vec![true; walk.found.len()]
    };

    // Every definition by the start of its span: (span, parser's destination).
    let defs: BTreeMap<usize, (Range<usize>, String)> = refdefs
        .iter()
        .map(|(_, d)| (d.span.start, (d.span.clone(), d.dest.to_string())))
        .collect();
    emit(source, &walk.found, &live, &defs, refs, unmapped);
}

/// What one pass over the events finds.
struct Walk {
    found: Vec<Found>,
    has_html: bool,
}

impl Walk {
    /// Walks `events`; `definition` gives the span start of the definition a
    /// reference label names.
    fn over(
        source: &str,
        events: &[(Event<'_>, Range<usize>)],
        definition: impl Fn(&str) -> Option<usize>,
    ) -> Walk {
        let mut walk = Walk {
            found: Vec::new(),
            has_html: false,
        };
        let mut open: Vec<Open> = Vec::new();
        let mut image_depth = 0usize;
        for (k, (event, range)) in events.iter().enumerate() {
            // The alt/link text ends where its last child event ends (an End
            // of the open tag itself spans the whole tag, so it does not count).
            if let Some(top) = open.last_mut()
                && !matches!(event, Event::End(TagEnd::Image | TagEnd::Link))
            {
                top.children_end = top.children_end.max(range.end);
            }
            match event {
                Event::Start(tag) => {
                    if let Some(o) = Open::new(k, range.clone(), tag, image_depth > 0) {
                        image_depth += usize::from(o.is_image);
                        open.push(o);
                    }
                }
                Event::End(TagEnd::Image | TagEnd::Link) => {
                    let Some(tag) = open.pop() else { continue };
                    image_depth -= usize::from(tag.is_image && image_depth > 0);
                    if let Some(parent) = open.last_mut() {
                        parent.children_end = parent.children_end.max(tag.range.end);
                    }
                    if let Some(f) = tag.finish(source, &definition) {
                        walk.found.push(f);
                    }
                }
                Event::Html(_) | Event::InlineHtml(_) => walk.has_html = true,
                _ => {}
            }
        }
        walk
    }
}

/// The references of the live images and links: their destinations, or the
/// definitions they use (rewritten once however many uses they have; an image
/// use wins over a link use).
fn emit(
    source: &str,
    found: &[Found],
    live: &[bool],
    defs: &BTreeMap<usize, (Range<usize>, String)>,
    refs: &mut Vec<Reference>,
    unmapped: &mut Vec<Reference>,
) {
    let mut def_uses: BTreeMap<usize, Context> = BTreeMap::new();
    for (f, _) in found.iter().zip(live).filter(|(_, live)| **live) {
        let context = if f.is_image {
            Context::MarkdownImage
        } else {
            Context::MarkdownLink
        };
        match &f.target {
            Target::Span(span, url) => refs.push(Reference {
                span: span.clone(),
                url: url.clone(),
                context,
            }),
            Target::Unmapped(at, url) => unmapped.push(Reference {
                span: at.clone(),
                url: url.clone(),
                context,
            }),
            Target::Embed(range) => refs.extend(super::obsidian::reference(source, range.clone())),
            Target::Definition(start) => {
                let e = def_uses.entry(*start).or_insert(context);
                if context.is_image_syntax() {
                    *e = context;
                }
            }
        }
    }
    for (span, dest) in defs.values() {
        let Some(&context) = def_uses.get(&span.start) else {
            continue;
        };
        let reference = Reference {
            span: span.clone(),
            url: dest.clone(),
            context,
        };
        match definition_destination(source, span.clone())
            .filter(|d| destination_matches(source.get(d.clone()).unwrap_or(""), dest))
        {
            Some(d) => refs.push(Reference {
                span: d,
                ..reference
            }),
            None => unmapped.push(reference),
        }
    }
}

impl Open {
    /// `None` for any tag but an image or a link.
    fn new(event: usize, range: Range<usize>, tag: &Tag<'_>, nested: bool) -> Option<Open> {
        let (is_image, link_type, dest, id) = match tag {
            Tag::Image {
                link_type,
                dest_url,
                id,
                ..
            } => (true, *link_type, dest_url, id),
            Tag::Link {
                link_type,
                dest_url,
                id,
                ..
            } => (false, *link_type, dest_url, id),
            _ => return None,
        };
        Some(Open {
            event,
            // `![` or `[`: the text can only start after it.
            children_end: range.start + if is_image { 2 } else { 1 },
            range,
            is_image,
            link_type,
            id: id.to_string(),
            dest: dest.to_string(),
            nested,
        })
    }

    /// What the closed image or link points at; `None` when it is not one
    /// for the browser (inside an image's description), has no destination,
    /// or cannot name a local file (autolinks).
    fn finish(self, source: &str, definition: impl Fn(&str) -> Option<usize>) -> Option<Found> {
        if self.nested || self.dest.is_empty() {
            return None;
        }
        let target = match self.link_type {
            LinkType::Inline => match inline_destination(source, &self) {
                Some(span) => Target::Span(span, self.dest.clone()),
                None => Target::Unmapped(self.range.clone(), self.dest.clone()),
            },
            LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut => {
                match definition(&self.id) {
                    Some(start) => Target::Definition(start),
                    None => Target::Unmapped(self.range.clone(), self.dest.clone()),
                }
            }
            // Obsidian's `![[name.png]]`; a `[[link]]` names a note.
            LinkType::WikiLink { .. } if self.is_image => Target::Embed(self.range.clone()),
            // Autolinks and e-mail links always have a scheme.
            _ => return None,
        };
        Some(Found {
            event: self.event,
            is_image: self.is_image,
            target,
        })
    }
}

/// The document rendered to HTML, with where each event's output starts.
struct Page<'e, 'a> {
    source: &'a str,
    events: &'e [(Event<'a>, Range<usize>)],
    html: String,
    /// `starts[k]`: the length of the output when event `k` was read; one
    /// more entry for the end.
    starts: Vec<usize>,
}

impl<'e, 'a> Page<'e, 'a> {
    fn render(source: &'a str, events: &'e [(Event<'a>, Range<usize>)]) -> Page<'e, 'a> {
        struct Sink<'s>(&'s RefCell<String>);
        impl std::fmt::Write for Sink<'_> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                self.0.borrow_mut().push_str(s);
                Ok(())
            }
        }
        let html = RefCell::new(String::new());
        let starts = RefCell::new(Vec::with_capacity(events.len() + 1));
        let iter = events.iter().map(|(e, _)| {
            starts.borrow_mut().push(html.borrow().len());
            e.clone()
        });
        // Writing to a String cannot fail.
        let _ = pulldown_cmark::html::write_html_fmt(Sink(&html), iter);
        let html = html.into_inner();
        let mut starts = starts.into_inner();
        starts.resize(events.len(), html.len());
        starts.push(html.len());
        Page {
            source,
            events,
            html,
            starts,
        }
    }

    /// True when the browser sees the `<img>` or `<a>` that pulldown-cmark
    /// wrote for `f` as a live tag.
    fn shows_tag(&self, tags: &[html::StartTag], f: &Found) -> bool {
        let at = self.starts.get(f.event).copied();
        let name = if f.is_image { "img" } else { "a" };
        tags.iter().any(|t| Some(t.start) == at && t.name == name)
    }

    /// The event whose output holds output offset `at`.
    fn event_at(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at).saturating_sub(1)
    }

    /// Maps `out` (a range of the page) to the source, through raw HTML
    /// events written verbatim; `None` when any byte of it came from
    /// elsewhere or the pieces are not one run of the source.
    fn to_source(&self, out: Range<usize>) -> Option<Range<usize>> {
        let mut mapped: Option<Range<usize>> = None;
        let mut pos = out.start;
        while pos < out.end {
            let k = self.event_at(pos);
            let (event, range) = self.events.get(k)?;
            let text: &CowStr<'_> = match event {
                Event::Html(t) | Event::InlineHtml(t) => t,
                _ => return None,
            };
            let (o_start, o_end) = (*self.starts.get(k)?, *self.starts.get(k + 1)?);
            if self.html.get(o_start..o_end) != Some(text.as_ref()) {
                return None;
            }
            let end = out.end.min(o_end);
            let piece = map_event_text(
                self.source,
                range.clone(),
                text,
                pos - o_start..end - o_start,
            )?;
            mapped = match mapped {
                None => Some(piece),
                Some(m) => Some(join(self.source, m, piece)?),
            };
            pos = end;
        }
        mapped
    }

    /// The image attributes of raw HTML tags, mapped back to the source.
    fn html_references(
        &self,
        tags: &[html::StartTag],
        refs: &mut Vec<Reference>,
        unmapped: &mut Vec<Reference>,
    ) {
        for tag in tags {
            let k = self.event_at(tag.start);
            // Tags that pulldown-cmark wrote for Markdown images and links are
            // judged by their Start events.
            if !matches!(
                self.events.get(k),
                Some((Event::Html(_) | Event::InlineHtml(_), _))
            ) {
                continue;
            }
            for (value, context) in html::image_attributes(&self.html, tag) {
                let Some(value) = html::trim_span(&self.html, value) else {
                    continue;
                };
                let raw = self.html.get(value.clone()).unwrap_or("");
                let url = html::attribute_url(raw);
                // A value over several lines is rewritten keeping its line
                // breaks and what follows them up to the value's text; a line
                // of the value that itself starts with `>` would not survive.
                let keeps_lines = raw
                    .split('\n')
                    .skip(1)
                    .all(|l| !l.trim_start_matches([' ', '\t', '\r']).starts_with('>'));
                match self.to_source(value.clone()).filter(|_| keeps_lines) {
                    Some(span) => refs.push(Reference { span, url, context }),
                    None => {
                        // The value's first line if that maps, else its event.
                        let first_line =
                            value.start..value.start + raw.find('\n').unwrap_or(raw.len());
                        let at = self.to_source(first_line).unwrap_or_else(|| {
                            self.events
                                .get(self.event_at(value.start))
                                .or(self.events.get(k))
                                .map_or(0..0, |(_, r)| r.clone())
                        });
                        unmapped.push(Reference {
                            span: at,
                            url,
                            context,
                        });
                    }
                }
            }
        }
    }
}

/// Two mapped pieces of one value as one span: adjacent, or separated only by
/// what the parser took out at a line break (a `\r`, or a container's `> ` and
/// indentation). The rewrite keeps those bytes
/// ([`crate::rewrite::replacement`]).
fn join(source: &str, a: Range<usize>, b: Range<usize>) -> Option<Range<usize>> {
    let bytes = source.as_bytes();
    if a.end == b.start {
        return Some(a.start..b.end);
    }
    let gap = bytes.get(a.end..b.start)?;
    let at_line_break =
        a.end > 0 && bytes.get(a.end - 1) == Some(&b'\n') || bytes.get(b.start) == Some(&b'\n');
    (at_line_break && gap.iter().all(|c| matches!(c, b' ' | b'\t' | b'>' | b'\r')))
        .then_some(a.start..b.end)
}

/// Maps `part` of an HTML event's `text` to the source, where the event
/// covers `range`. The text is the source itself, or (inline HTML in a
/// blockquote or list item) the source lines without their container
/// prefixes; each text line is then the end of its source line.
fn map_event_text(
    source: &str,
    range: Range<usize>,
    text: &str,
    part: Range<usize>,
) -> Option<Range<usize>> {
    if source.get(range.clone()) == Some(text) {
        return Some(range.start + part.start..range.start + part.end);
    }
    let src = source.as_bytes().get(range.clone())?;
    let mut src_lines = src.split(|&c| c == b'\n');
    let mut text_at = 0;
    let mut src_at = range.start;
    let mut mapped: Option<Range<usize>> = None;
    for (i, line) in text.as_bytes().split(|&c| c == b'\n').enumerate() {
        let src_line = src_lines.next()?;
        let strip = |l: &[u8]| -> usize { l.len() - usize::from(l.last() == Some(&b'\r')) };
        let (t_len, s_len) = (strip(line), strip(src_line));
        let t = line.get(..t_len)?;
        let s = src_line.get(..s_len)?;
        // Where the text line starts in the source.
        let offset = if i == 0 {
            s.starts_with(t).then_some(0)?
        } else {
            s.ends_with(t).then(|| s_len - t_len)?
        };
        // This line's bytes, its `\r` and its `\n` map one to one.
        let line_span = text_at..text_at + line.len() + 1;
        let lo = part.start.max(line_span.start);
        let hi = part.end.min(line_span.end);
        if lo < hi {
            let piece = src_at + offset + (lo - text_at)..src_at + offset + (hi - text_at);
            mapped = match mapped {
                None => Some(piece),
                Some(m) => Some(join(source, m, piece)?),
            };
        }
        text_at += line.len() + 1;
        src_at += src_line.len() + 1;
    }
    mapped.filter(|m| m.end <= range.end)
}

/// The destination of an inline `![alt](dest "title")`: it starts after the `](`
/// that follows the alt text (whose end the child events tell), and must read
/// back as the parser's URL.
fn inline_destination(source: &str, tag: &Open) -> Option<Range<usize>> {
    let b = source.as_bytes();
    let from = tag.children_end.min(tag.range.end);
    let open = b
        .get(from..tag.range.end)?
        .windows(2)
        .position(|w| w == b"](")?
        + from
        + 2;
    let span = destination_span(source, open, tag.range.end)?;
    destination_matches(source.get(span.clone())?, &tag.dest).then_some(span)
}

/// The destination inside a reference definition `[label]: dest "title"`.
pub(super) fn definition_destination(source: &str, def: Range<usize>) -> Option<Range<usize>> {
    let bytes = source.as_bytes();
    let mut i = def.start;
    // The label ends at the first unescaped `]` (labels cannot nest brackets).
    while i < def.end {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b']' => break,
            _ => i += 1,
        }
    }
    if bytes.get(i + 1) != Some(&b':') {
        return None;
    }
    destination_span(source, i + 2, def.end)
}

/// Parses a CommonMark link destination starting at `from` (after optional
/// whitespace and at most one line ending) and returns its span, angle brackets
/// included. `limit` bounds the search.
pub(super) fn destination_span(source: &str, from: usize, limit: usize) -> Option<Range<usize>> {
    let bytes = source.as_bytes().get(..limit.min(source.len()))?;
    let mut i = from;
    let mut newlines = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' => i += 1,
            b'\n' | b'\r' if newlines == 0 => {
                newlines += 1;
                i += 1;
                if b == b'\r' && bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
                // A destination on the next line of a blockquote starts after `>`.
                while let Some(&c) = bytes.get(i) {
                    if matches!(c, b' ' | b'\t' | b'>') {
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
            _ => break,
        }
    }
    let start = i;
    if bytes.get(i) == Some(&b'<') {
        i += 1;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' => i += 2,
                b'>' => return Some(start..i + 1),
                b'\n' | b'\r' | b'<' => return None,
                _ => i += 1,
            }
        }
        return None;
    }
    let mut depth = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => i += 2,
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' if depth == 0 => break,
            b')' => {
                depth -= 1;
                i += 1;
            }
            b if b.is_ascii_whitespace() || b.is_ascii_control() => break,
            _ => i += 1,
        }
    }
    (i > start && source.is_char_boundary(start) && source.is_char_boundary(i)).then_some(start..i)
}

/// True when the written destination `raw` means `dest` (pulldown-cmark's value).
/// Guards the splice: a span that does not decode to the parser's own URL is
/// never rewritten.
pub(super) fn destination_matches(raw: &str, dest: &str) -> bool {
    let inner = raw
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(raw);
    unescape_markdown(inner) == dest
}

/// Backslash escapes and character references, as CommonMark decodes a
/// destination.
pub(crate) fn unescape_markdown(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        let mut take = c.len_utf8();
        match c {
            '\\' if rest.as_bytes().get(1).is_some_and(u8::is_ascii_punctuation) => {
                out.push(char::from(rest.as_bytes()[1]));
                take = 2;
            }
            '&' => match html::commonmark_entity(rest) {
                Some((decoded, len)) => {
                    out.push_str(&decoded);
                    take = len;
                }
                None => out.push('&'),
            },
            _ => out.push(c),
        }
        rest = rest.get(take..).unwrap_or("");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{line_col, scan};

    /// The URLs found in `doc`, each with the exact text of its span.
    fn found(doc: &str) -> Vec<(String, String)> {
        found_in(doc, Flavor::Markdown)
    }

    fn found_in(doc: &str, flavor: Flavor) -> Vec<(String, String)> {
        scan(doc, &flavor.into())
            .unwrap()
            .references
            .into_iter()
            .map(|r| (doc.get(r.span).unwrap().to_string(), r.url))
            .collect()
    }

    fn pair(raw: &str, url: &str) -> (String, String) {
        (raw.to_string(), url.to_string())
    }

    #[test]
    fn inline_image_with_title() {
        assert_eq!(
            found("![a](img/a.png \"t\")\n"),
            [pair("img/a.png", "img/a.png")]
        );
    }

    #[test]
    fn empty_alt_and_nested_brackets_in_alt() {
        assert_eq!(found("![](a.png)"), [pair("a.png", "a.png")]);
        assert_eq!(found("![a [b] *c*](x.png)"), [pair("x.png", "x.png")]);
        assert_eq!(found(r"![a\]](x.png)"), [pair("x.png", "x.png")]);
    }

    #[test]
    fn angle_brackets_spaces_and_escapes() {
        assert_eq!(
            found("![a](<my shot.png>)"),
            [pair("<my shot.png>", "my shot.png")]
        );
        assert_eq!(
            found(r"![a](a\(1\).png)"),
            [pair(r"a\(1\).png", "a(1).png")]
        );
        assert_eq!(found("![a](a(1).png)"), [pair("a(1).png", "a(1).png")]);
    }

    #[test]
    fn percent_encoded_and_non_ascii_kept_as_written() {
        assert_eq!(
            found("![c](caf%C3%A9.png) ![d](截图 1.png) ![e](<截图 1.png>)"),
            [
                pair("caf%C3%A9.png", "caf%C3%A9.png"),
                pair("<截图 1.png>", "截图 1.png")
            ]
        );
    }

    #[test]
    fn destination_on_next_line() {
        assert_eq!(found("![a](\n  b.png\n)"), [pair("b.png", "b.png")]);
    }

    #[test]
    fn reference_definition_rewritten_once() {
        let doc = "![a][logo] and ![b][LOGO] and ![logo] and ![logo][]\n\n[logo]: <img/logo.png> \"Logo\"\n";
        assert_eq!(found(doc), [pair("<img/logo.png>", "img/logo.png")]);
        let r = &scan(doc, &Flavor::Markdown.into()).unwrap().references[0];
        assert_eq!(r.context, Context::MarkdownImage);
    }

    #[test]
    fn definition_in_blockquote_and_on_next_line() {
        let doc = "> ![a][x]\n>\n> [x]:\n>   pic.png\n";
        assert_eq!(found(doc), [pair("pic.png", "pic.png")]);
    }

    #[test]
    fn unused_definition_left_alone() {
        assert_eq!(found("text\n\n[x]: a.png\n"), []);
    }

    #[test]
    fn click_to_enlarge_gives_both() {
        let doc = "[![a](x.png)](x.png)";
        let refs = scan(doc, &Flavor::Markdown.into()).unwrap().references;
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0].span, 6..11);
        assert_eq!(refs[0].context, Context::MarkdownImage);
        assert_eq!(refs[1].span, 14..19);
        assert_eq!(refs[1].context, Context::MarkdownLink);
    }

    #[test]
    fn code_is_never_looked_into() {
        let doc =
            "`![a](x.png)`\n\n```\n![a](y.png)\n<img src=\"z.png\">\n```\n\n    ![a](w.png)\n";
        assert_eq!(found(doc), []);
    }

    #[test]
    fn remote_urls_are_found_but_classified_later() {
        // Scan reports every image URL; resolve decides it is remote.
        assert_eq!(
            found("![a](https://x.org/a.png)"),
            [pair("https://x.org/a.png", "https://x.org/a.png")]
        );
    }

    #[test]
    fn html_img_in_block_and_inline() {
        let doc = "<p>\n<img\n  alt=\"x\"\n  src=\"a b.png\">\n</p>\n\nText <img src='c.png'> and <IMG SRC=d.png>.\n";
        assert_eq!(
            found(doc),
            [
                pair("a b.png", "a b.png"),
                pair("c.png", "c.png"),
                pair("d.png", "d.png")
            ]
        );
    }

    #[test]
    fn html_srcset_poster_and_source() {
        let doc = "<picture>\n<source srcset=\"a.webp 1x, b.webp 2x\">\n<video poster=\"p.jpg\" src=\"v.mp4\"></video>\n</picture>\n";
        assert_eq!(
            found(doc),
            [
                pair("a.webp", "a.webp"),
                pair("b.webp", "b.webp"),
                pair("p.jpg", "p.jpg"),
                pair("v.mp4", "v.mp4")
            ]
        );
    }

    #[test]
    fn html_comment_is_skipped() {
        assert_eq!(found("<!-- <img src=\"a.png\"> -->\n"), []);
    }

    #[test]
    fn front_matter_is_not_a_thematic_break() {
        // (Front-matter values themselves are the front-matter scanner's job.)
        let doc = "---\ntitle: x\n---\n\n![a](a.png)\n";
        assert_eq!(found(doc), [pair("a.png", "a.png")]);
    }

    #[test]
    fn line_col_counts_characters() {
        let doc = "ab\n截图 ![a](x.png)";
        let r = &scan(doc, &Flavor::Markdown.into()).unwrap().references[0];
        assert_eq!(line_col(doc, r.span.start), (2, 9));
    }

    #[test]
    fn tables_and_footnotes() {
        let doc = "| a | b |\n|---|---|\n| ![x](t.png) | y |\n\nNote[^1].\n\n[^1]: ![f](f.png)\n";
        assert_eq!(found(doc), [pair("t.png", "t.png"), pair("f.png", "f.png")]);
    }

    fn mdbook(doc: &str) -> Vec<(String, String)> {
        found_in(doc, Flavor::MdBook(MdBookMarkdown::default()))
    }

    fn unmapped(doc: &str) -> Vec<String> {
        scan(doc, &Flavor::Markdown.into())
            .unwrap()
            .unmapped
            .into_iter()
            .map(|r| r.url)
            .collect()
    }

    // Issue 10, case 1: `&` followed by non-ASCII text panicked.
    #[test]
    fn ampersand_before_non_ascii_does_not_panic() {
        assert_eq!(
            found("[Suche](https://example.com/s?lang=de&query=abcdé)"),
            [pair(
                "https://example.com/s?lang=de&query=abcdé",
                "https://example.com/s?lang=de&query=abcdé"
            )]
        );
        assert_eq!(
            found("![x](Q&A说明截图.png)"),
            [pair("Q&A说明截图.png", "Q&A说明截图.png")]
        );
        assert_eq!(
            found("<img src=\"&aaaaaaaaaa截.png\">"),
            [pair("&aaaaaaaaaa截.png", "&aaaaaaaaaa截.png")]
        );
    }

    // Case 2: every HTML5 named reference.
    #[test]
    fn named_references_are_decoded() {
        assert_eq!(
            found("![e](caf&eacute;.png)"),
            [pair("caf&eacute;.png", "café.png")]
        );
        assert_eq!(
            found("<img src=\"caf&eacute;.png\">"),
            [pair("caf&eacute;.png", "café.png")]
        );
    }

    // Case 3: a tag spread over lines of a blockquote or list item.
    #[test]
    fn html_over_lines_in_containers() {
        assert_eq!(
            found("> <img\n> src=\"bq.png\">"),
            [pair("bq.png", "bq.png")]
        );
        assert_eq!(
            found("- <img\n  src=\"li.png\">\n"),
            [pair("li.png", "li.png")]
        );
        assert_eq!(
            found("> <div>\r\n> <img\r\n>  src=\"bq.png\">\r\n"),
            [pair("bq.png", "bq.png")]
        );
    }

    // Case 4: the destination's `\|` in a table cell.
    #[test]
    fn table_cell_destination() {
        assert_eq!(
            found("| a |\n|---|\n| ![a](t.png?a\\|b) |\n"),
            [pair("t.png?a\\|b", "t.png?a|b")]
        );
    }

    // Case 5: the attribute's references are decoded once.
    #[test]
    fn attribute_value_decoded_once() {
        assert_eq!(
            found("<img src=\"e.png?q=&amp;lt;\">"),
            [pair("e.png?q=&amp;lt;", "e.png?q=&lt;")]
        );
    }

    // Case 6: text that is not a live tag.
    #[test]
    fn not_a_live_tag() {
        for doc in [
            "<textarea>\n<img src=\"a.png\">\n</textarea>\n",
            "<![CDATA[ <img src=\"a.png\"> ]]>\n",
            "<?php echo '<img src=\"a.png\">'; ?>\n",
            "<!DOCTYPE html <img src=\"a.png\">>\n",
            "Text <textarea>![a](a.png)</textarea> more\n",
        ] {
            assert_eq!(found(doc), [], "{doc:?}");
        }
        assert_eq!(
            found("<textarea>\nx\n</textarea>\n\n![b](b.png)\n"),
            [pair("b.png", "b.png")]
        );
    }

    // Case 7: CommonMark examples 576, 522 and 577: only the outer image.
    #[test]
    fn images_inside_an_image_description_are_text() {
        assert_eq!(
            found("![foo ![bar](/url)](/url2)\n"),
            [pair("/url2", "/url2")]
        );
        assert_eq!(
            found("![[[foo](uri1)](uri2)](uri3)\n"),
            [pair("uri3", "uri3")]
        );
        assert_eq!(
            found("![foo [bar](/url)](/url2)\n"),
            [pair("/url2", "/url2")]
        );
    }

    // Case 8.
    #[test]
    fn slash_before_attribute() {
        // In an HTML block (on its own it is text: CommonMark wants a space).
        assert_eq!(
            found("<div>\n<img/src=\"s.png\">\n</div>\n"),
            [pair("s.png", "s.png")]
        );
        assert_eq!(found("<img/src=\"s.png\">"), []);
    }

    // Case 10: mdBook chapters are parsed as mdBook parses them.
    #[test]
    fn mdbook_chapters_have_no_front_matter() {
        // A rule and a heading: the heading's text is not a front-matter value.
        assert_eq!(mdbook("---\nimage: img/a.png\n---"), []);
        assert_eq!(
            mdbook("---\n![x](img/a.png)\n---"),
            [pair("img/a.png", "img/a.png")]
        );
        // In a .md document the same block is front matter.
        assert_eq!(
            found("---\nimage: img/a.png\n---"),
            [pair("img/a.png", "img/a.png")]
        );
    }

    #[test]
    fn mdbook_definition_lists() {
        // Indented code inside a definition.
        assert_eq!(mdbook("Term\n:     ![y](img/a.png)"), []);
        let doc = "Term\n: ```\n  code\n  ```\n\n![z](img/z.png)\n";
        assert_eq!(mdbook(doc), [pair("img/z.png", "img/z.png")]);
    }

    #[test]
    fn html_links_to_images() {
        assert_eq!(
            mdbook("<a href=\"img/a.png\">full size</a>"),
            [pair("img/a.png", "img/a.png")]
        );
        let r = &scan(
            "<a href=\"img/a.png\">full size</a>",
            &Flavor::Markdown.into(),
        )
        .unwrap()
        .references[0];
        assert_eq!(r.context, Context::HtmlLink { quote: Some(b'"') });
    }

    // Case 11: front matter only at the start.
    #[test]
    fn a_block_further_down_is_not_front_matter() {
        assert_eq!(found("Intro.\n\n---\ncover: b.png\n---"), []);
        assert_eq!(
            found("---\ntitle: t\n---\n\nIntro.\n\n---\ncover: b.png\n---\n"),
            []
        );
    }

    // Deliver 4: what the renderer shows but cannot be placed is reported.
    #[test]
    fn unplaceable_destinations_are_reported() {
        // A line of the value starts with `>`: a rewrite keeping the lines
        // would keep it in the URL.
        assert_eq!(
            unmapped("<div>\n<img src=\"a\n>b.png\">\n</div>\n"),
            ["a>b.png"]
        );
        // Over lines of a blockquote the value is placed, `> ` and all.
        assert_eq!(
            found("> <img src=\"a\n> b.png\">\n"),
            [pair("a\n> b.png", "ab.png")]
        );
        assert_eq!(unmapped("![a](a.png)"), Vec::<String>::new());
    }

    #[test]
    fn mdbook_options_match_mdbook_markdown() {
        // The spelled-out options must parse exactly as mdBook's constructor,
        // for every switch: this fails when mdbook-markdown changes them.
        let probes = [
            "| a | b |\n|---|---|\n| c | d |\n",
            "x[^1]\n\n[^1]: note\n",
            "~~s~~ ~t~\n",
            "- [x] done\n",
            "# H {#id .c}\n",
            "\"quotes\" -- dashes...\n",
            "Term\n: definition\n",
            "> [!NOTE]\n> admonition\n",
            "$x$ $$y$$\n",
            "[[wiki]]\n",
            "---\ntitle: t\n---\n",
            "+++\ntitle = 1\n+++\n",
            "<div>\n*x*\n</div>\n",
            "H~2~O x^2^\n",
        ];
        for switches in 0..8u8 {
            let o = MdBookMarkdown {
                smart_punctuation: switches & 1 != 0,
                definition_lists: switches & 2 != 0,
                admonitions: switches & 4 != 0,
            };
            for probe in probes {
                let ours: Vec<_> = Parser::new_ext(probe, o.options()).collect();
                let theirs: Vec<_> =
                    mdbook_markdown::new_cmark_parser(probe, &o.to_mdbook()).collect();
                assert_eq!(ours, theirs, "{o:?} {probe:?}");
            }
        }
        assert_eq!(
            MdBookMarkdown::default(),
            MdBookMarkdown {
                smart_punctuation: true,
                definition_lists: true,
                admonitions: true,
            }
        );
    }
}
