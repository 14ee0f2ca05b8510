//! The Markdown front end: pulldown-cmark's offset iterator with the
//! extensions mdBook enables, so code spans and code blocks are never looked
//! into. Raw HTML is handed to [`super::html`], front matter to
//! [`super::frontmatter`].

use std::collections::BTreeSet;
use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

use super::{Context, Flavor, Reference, ScanError, ScanOptions, Scanned};
use super::{frontmatter, html};

/// The pulldown-cmark options mdBook uses, plus front-matter blocks so that a
/// leading `---` is not read as a thematic break.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
}

/// Finds every URL in `source` that may name a local image, sorted by position,
/// spans never overlapping. Whether a URL is local is decided later (resolve).
/// Front matter that does not parse is an error.
pub fn scan(source: &str, opts: &ScanOptions) -> Result<Scanned, ScanError> {
    let flavor = opts.flavor;
    let mut found = Scanned::default();
    // Front matter at the start is read by its own parser; the Markdown parser
    // sees blank lines in its place (same offsets), so no line of it is ever
    // taken for Markdown.
    let front = frontmatter::detect(source);
    let masked = front.as_ref().map(|block| block.mask(source));
    let parser = Parser::new_ext(masked.as_deref().unwrap_or(source), markdown_options());
    let mut iter = parser.into_offset_iter();
    let mut refs = Vec::new();
    // Reference definitions to rewrite, by span start, with their context.
    let mut defs: Vec<(usize, Context)> = Vec::new();
    // Open image/link tags: (range, is_image, link type, id, dest, max child end).
    let mut open: Vec<Open> = Vec::new();
    // MDX: JSX is looked for everywhere except in code and front matter, since
    // pulldown-cmark reads much of it as text.
    let mut not_prose: Vec<Range<usize>> = Vec::new();
    if let Some(block) = &front {
        frontmatter::scan(source, block, &opts.front_matter_keys, &mut found)?;
        refs.append(&mut found.references);
        not_prose.push(block.range.clone());
    }

    while let Some((event, range)) = iter.next() {
        // The alt/link text ends where its last child event ends (an End of the
        // open tag itself spans the whole tag, so it does not count).
        if let Some(top) = open.last_mut()
            && !matches!(event, Event::End(TagEnd::Image | TagEnd::Link))
        {
            top.children_end = top.children_end.max(range.end);
        }
        match event {
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                id,
                ..
            }) => open.push(Open::new(range, true, link_type, &id, &dest_url)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                id,
                ..
            }) => open.push(Open::new(range, false, link_type, &id, &dest_url)),
            Event::End(TagEnd::Image) | Event::End(TagEnd::Link) => {
                let Some(tag) = open.pop() else { continue };
                if let Some(parent) = open.last_mut() {
                    parent.children_end = parent.children_end.max(tag.range.end);
                }
                let context = if tag.is_image {
                    Context::MarkdownImage
                } else {
                    Context::MarkdownLink
                };
                match tag.link_type {
                    LinkType::Inline => {
                        if let Some(r) = inline_destination(source, &tag, context) {
                            refs.push(r);
                        }
                    }
                    LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut => {
                        if let Some(def) = iter.reference_definitions().get(&tag.id) {
                            defs.push((def.span.start, context));
                        }
                    }
                    // Autolinks, e-mail links, wiki links: never local images.
                    _ => {}
                }
            }
            // The block's range covers every line, so a tag spread over several
            // lines is seen whole.
            Event::Start(Tag::HtmlBlock) | Event::InlineHtml(_) if flavor == Flavor::Markdown => {
                html::scan_tags(source, range, flavor, &mut refs);
            }
            // The block at the start was masked: this is a `---` block further
            // down, which is not front matter.
            Event::Start(Tag::MetadataBlock(_)) => not_prose.push(range),
            Event::Start(Tag::CodeBlock(_)) | Event::Code(_) => {
                not_prose.push(range);
            }
            _ => {}
        }
    }

    if flavor == Flavor::Mdx {
        let mut at = 0;
        for skip in &not_prose {
            if skip.start > at {
                html::scan_tags(source, at..skip.start, flavor, &mut refs);
            }
            at = at.max(skip.end);
        }
        html::scan_tags(source, at..source.len(), flavor, &mut refs);
    }

    // A definition is rewritten once however many images use it; an image use
    // wins over a link use.
    let mut seen = BTreeSet::new();
    defs.sort_by_key(|(start, ctx)| (*start, !ctx.is_image_syntax()));
    for (def_start, context) in defs {
        if !seen.insert(def_start) {
            continue;
        }
        let def = iter
            .reference_definitions()
            .iter()
            .map(|(_, d)| d)
            .find(|d| d.span.start == def_start);
        if let Some(def) = def
            && let Some(span) = definition_destination(source, def.span.clone())
            && destination_matches(&source[span.clone()], &def.dest)
        {
            refs.push(Reference {
                span,
                url: def.dest.to_string(),
                context,
            });
        }
    }

    refs.sort_by_key(|r| r.span.start);
    // Keep the first of any overlapping pair (a JSX prop inside an image's span).
    let mut out: Vec<Reference> = Vec::with_capacity(refs.len());
    for r in refs {
        if out.last().is_none_or(|last| last.span.end <= r.span.start) {
            out.push(r);
        }
    }
    found.references = out;
    Ok(found)
}

struct Open {
    range: Range<usize>,
    is_image: bool,
    link_type: LinkType,
    id: String,
    dest: String,
    children_end: usize,
}

impl Open {
    fn new(range: Range<usize>, is_image: bool, link_type: LinkType, id: &str, dest: &str) -> Open {
        // `![` or `[`: the alt text can only start after it.
        let children_end = range.start + if is_image { 2 } else { 1 };
        Open {
            range,
            is_image,
            link_type,
            id: id.to_string(),
            dest: dest.to_string(),
            children_end,
        }
    }
}

/// The destination of an inline `![alt](dest "title")`: it starts after the `](`
/// that follows the alt text (whose end the child events tell).
fn inline_destination(source: &str, tag: &Open, context: Context) -> Option<Reference> {
    let within = &source[..tag.range.end];
    let open = within[tag.children_end.min(within.len())..].find("](")? + tag.children_end + 2;
    let span = destination_span(source, open, tag.range.end)?;
    destination_matches(&source[span.clone()], &tag.dest).then(|| Reference {
        span,
        url: tag.dest.clone(),
        context,
    })
}

/// The destination inside a reference definition `[label]: dest "title"`.
fn definition_destination(source: &str, def: Range<usize>) -> Option<Range<usize>> {
    let bytes = source.as_bytes();
    let mut i = def.start;
    // The label ends at the first unescaped `]` (labels cannot nest brackets).
    while i < def.end {
        match bytes[i] {
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
fn destination_span(source: &str, from: usize, limit: usize) -> Option<Range<usize>> {
    let bytes = &source.as_bytes()[..limit.min(source.len())];
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
    (i > start).then_some(start..i)
}

/// True when the written destination `raw` means `dest` (pulldown-cmark's value).
/// Guards the splice: a span that does not decode to the parser's own URL is
/// never rewritten.
fn destination_matches(raw: &str, dest: &str) -> bool {
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
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|(_, n)| n.is_ascii_punctuation()) => {
                out.push(chars.next().map(|(_, n)| n).unwrap_or('\\'));
            }
            '&' => match html::decode_entity(&raw[i..]) {
                Some((decoded, len)) => {
                    out.push_str(&decoded);
                    for _ in 1..raw[i..i + len].chars().count() {
                        chars.next();
                    }
                }
                None => out.push('&'),
            },
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::line_col;

    /// The URLs found in `doc`, each with the exact text of its span.
    fn found(doc: &str) -> Vec<(String, String)> {
        found_in(doc, Flavor::Markdown)
    }

    fn found_in(doc: &str, flavor: Flavor) -> Vec<(String, String)> {
        scan(doc, &flavor.into())
            .unwrap()
            .references
            .into_iter()
            .map(|r| (doc[r.span].to_string(), r.url))
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

    #[test]
    fn mdx_component_props() {
        let doc = "import X from './x'\n\n<Image src=\"./cover.png\" width={800} />\n\n<Figure\n  srcSet=\"a.png 1x\"\n  caption={\"not <img src='q.png'>\"}\n/>\n";
        assert_eq!(
            found_in(doc, Flavor::Mdx),
            [pair("./cover.png", "./cover.png"), pair("a.png", "a.png")]
        );
    }
}
