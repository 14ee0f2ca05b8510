//! The CommonMark oracle: every example of the spec (tests/data/commonmark,
//! 655 examples someone else wrote), and variants of it, through the built
//! binary against the local store, judged by the renderer and by a browser's
//! tokenizer rather than by r2filter's own scanner.
//!
//! Variants of each example:
//! - `plain`: as written;
//! - `images`: each relative destination (Markdown or HTML) that has no image
//!   extension gets `.png`;
//! - `quote`, `item`, `crlf`: `images` inside a blockquote, inside a list
//!   item, and with CRLF line endings;
//!
//! plus GFM cases (tables, strikethrough, task lists, footnotes) and issue 10's
//! inputs. For every document, a real PNG is made at each local path that the
//! rendered page would load as an image (`<img src/srcset>`,
//! `<source srcset>`, `<video poster>`, and `<a href>`/`<source src>`/
//! `<video src>` with an image extension; since issue 24 also the `src` of
//! `<video>`, `<audio>`, `<source>`, `<track>` with a video, audio or
//! captions extension, made an MP4 or WebVTT file), as read by html5ever's
//! tokenizer from pulldown-cmark's rendering. Then:
//!
//! - (a) the rendering of the output equals the rendering of the input token
//!   for token, except for URL attributes, and each changed URL is the public
//!   URL of an object whose bytes are the file the old URL named, with the old
//!   `?query#fragment`;
//! - (b) every local image the input's page loads is rewritten (no silent miss);
//! - (c) the output is the input with only the reported spans replaced;
//! - (d) the output is a fixed point: a second run changes nothing;
//! - the run fails on no document, apart from documented refusals (paths with a
//!   backslash).
//!
//! One binary run covers every document (`DIR --out-dir OUT`); a document
//! that fails is recorded, moved aside and the run repeated. The counts are
//! printed (`cargo test --test testsuite -- --nocapture commonmark::`).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::support::*;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use pulldown_cmark::{Event, Options, Parser, Tag};
use r2filter_text::resolve::IMAGE_EXTENSIONS;
use r2filter_text::rewrite::{Replacement, replacement, splice};
use r2filter_text::scan::{Flavor, line_col, scan};

// ------------------------------------------------------------ the corpus

/// (number, Markdown) of every example in spec.txt.
fn spec_examples() -> Vec<(usize, String)> {
    let spec = include_str!("../data/commonmark/spec.txt");
    let fence = "`".repeat(32);
    let mut out = Vec::new();
    let mut lines = spec.lines();
    while let Some(line) = lines.next() {
        if line.starts_with(&fence) && line.trim_end().ends_with("example") {
            let mut md = String::new();
            for l in lines.by_ref() {
                if l == "." {
                    break;
                }
                md.push_str(l);
                md.push('\n');
            }
            for l in lines.by_ref() {
                if l.starts_with(&fence) {
                    break;
                }
            }
            out.push((out.len() + 1, md.replace('→', "\t")));
        }
    }
    out
}

/// GFM extensions and issue 10's inputs, numbered after the spec.
const EXTRA: &[&str] = &[
    "| a | b |\n|---|:-:|\n| ![x](t.png) | ![y](u.png?a\\|b) |\n| <img src=\"v.png\"> | [z](w.png) |\n",
    "| a |\n|---|\n| ![a](t.png?a\\|b) |\n",
    "~~![s](s.png)~~ and ~~<img src=\"s2.png\">~~ ~~[l](l.png)~~\n",
    "- [x] ![t](t1.png)\n- [ ] <img src=\"t2.png\">\n",
    "Note[^1] and[^n].\n\n[^1]: ![f](f.png) <img\nsrc=\"f2.png\">\n\n[^n]:\n    ![g](g.png)\n",
    "[Suche](https://example.com/s?lang=de&query=abcdé)\n",
    "![x](Q&A说明截图.png)\n",
    "<img src=\"&aaaaaaaaaa截.png\">\n",
    "![e](caf&eacute;.png)\n",
    "<img src=\"caf&eacute;.png\">\n",
    "> <img\n> src=\"bq.png\">\n",
    "<img src=\"e.png?q=&amp;lt;\">\n",
    "<textarea>\n<img src=\"a.png\">\n</textarea>\n",
    "<![CDATA[ <img src=\"a.png\"> ]]>\n",
    "<?php echo '<img src=\"a.png\">'; ?>\n",
    "<!DOCTYPE html <img src=\"a.png\">>\n",
    "![foo ![bar](/url)](/url2)\n",
    "<div>\n<img/src=\"s.png\">\n</div>\n",
    "Intro.\n\n---\ncover: b.png\n---\n",
    "---\ntitle: t\n---\n\n![a](a.png)\n",
    "[![a](x.png)](x.png) <a href=\"y.png\">y</a> <picture><source srcset=\"p.webp 1x, q.png 2x\"><img src=\"r.png\"></picture>\n",
    "<video poster=\"p.jpg\" src=\"v.mp4\"></video>\n\n[r]: ref.png\n\n![r] ![R][] ![x][r]\n",
    // mdBook's definition lists and GFM admonitions.
    "Term\n:     ![y](img/a.png)\n",
    "Term\n: ```\n  ![not](n.png)\n  ```\n\n![z](img/z.png)\n",
    "Term\n: ![d](d.png) <img\n  src=\"d2.png\">\n",
    "> [!NOTE]\n> ![n](n.png) <img\n> src=\"n2.png\">\n",
];

pub(crate) struct Doc {
    pub(crate) name: String,
    pub(crate) example: usize,
    pub(crate) variant: &'static str,
    pub(crate) text: String,
}

/// Every example in each variant, plus [`EXTRA`] (also the corpus of the
/// `.md` differential against remark, mdx.rs).
pub(crate) fn corpus() -> Vec<Doc> {
    let mut docs = Vec::new();
    let examples = spec_examples();
    assert_eq!(examples.len(), 655, "spec.txt holds 655 examples");
    let extra = EXTRA
        .iter()
        .enumerate()
        .map(|(i, md)| (1000 + i, md.to_string()));
    for (n, md) in examples.into_iter().chain(extra) {
        let images = with_image_extensions(&md);
        let quote: String = images.lines().map(|l| format!("> {l}\n")).collect();
        let item: String = images
            .lines()
            .enumerate()
            .map(|(i, l)| format!("{}{l}\n", if i == 0 { "- " } else { "  " }))
            .collect();
        let crlf = images.replace('\n', "\r\n");
        for (variant, text) in [
            ("plain", md.clone()),
            ("images", images),
            ("quote", quote),
            ("item", item),
            ("crlf", crlf),
        ] {
            docs.push(Doc {
                name: format!("docs/{n:04}-{variant}/doc.md"),
                example: n,
                variant,
                text,
            });
        }
    }
    docs
}

/// `md` with `.png` appended to each relative destination that has no image
/// extension (wherever that path is written literally).
fn with_image_extensions(md: &str) -> String {
    let mut urls: Vec<String> = Vec::new();
    let mut parser = Parser::new_ext(md, Options::empty()).into_offset_iter();
    for (e, _) in parser.by_ref() {
        if let Event::Start(Tag::Image { dest_url, .. } | Tag::Link { dest_url, .. }) = e {
            urls.push(dest_url.to_string());
        }
    }
    urls.extend(
        parser
            .reference_definitions()
            .iter()
            .map(|(_, d)| d.dest.to_string()),
    );
    for t in tokens(&render(Entry::Files, md)) {
        if let Tok::Start(_, attrs) = t {
            for (name, value) in attrs {
                if matches!(name.as_str(), "src" | "href" | "poster") {
                    urls.push(value);
                }
            }
        }
    }
    let mut paths: Vec<String> = urls
        .iter()
        .filter(|u| !is_remote(u))
        .map(|u| u.split(['?', '#']).next().unwrap_or_default().to_string())
        .filter(|p| {
            p.chars().count() >= 2
                && p.chars().any(char::is_alphanumeric)
                && !has_image_extension(p)
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let mut out = md.to_string();
    for p in paths {
        let mut next = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(i) = rest.find(&p) {
            let after = rest[i + p.len()..].chars().next();
            next.push_str(&rest[..i + p.len()]);
            if !after.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_') {
                next.push_str(".png");
            }
            rest = &rest[i + p.len()..];
        }
        next.push_str(rest);
        out = next;
    }
    out
}

fn is_remote(url: &str) -> bool {
    let url = url.trim();
    if url.starts_with("//") {
        return true;
    }
    match url.find(':') {
        Some(i) => {
            let scheme = &url[..i];
            scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Video, audio and captions: published from a media element's `src`
/// (issue 24), as r2filter_text::resolve has them.
const MEDIA_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "webm", "ogv", "mov", "mp3", "m4a", "ogg", "oga", "wav", "flac", "vtt",
];

/// Whether an attribute is a media element's `src`, where a video, audio or
/// captions path counts too.
fn media_src(element: &str, attr: &str) -> bool {
    attr == "src" && matches!(element, "video" | "audio" | "source" | "track")
}

fn has_media_extension(path: &str) -> bool {
    Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MEDIA_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn has_image_extension(path: &str) -> bool {
    Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

// ------------------------------------------------------------ the renderer

/// Which entry of r2filter runs, and so which renderer judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// `r2filter DIR --out-dir OUT` over `.md` files.
    Files,
    /// `r2filter mdbook`, the preprocessor, over a book of the documents.
    MdBook,
}

/// What pulldown-cmark renders. For `.md` files, as r2filter reads them: a
/// front-matter block only at the very start, then CommonMark with GFM
/// tables, strikethrough, task lists and footnotes, and heading attributes.
/// For mdBook: mdBook's own parser (mdbook-markdown) with its defaults.
fn render(entry: Entry, doc: &str) -> String {
    let mut html = String::new();
    if entry == Entry::MdBook {
        let opts = mdbook_markdown::MarkdownOptions::default();
        pulldown_cmark::html::push_html(&mut html, mdbook_markdown::new_cmark_parser(doc, &opts));
        return html;
    }
    let meta = Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let body = match Parser::new_ext(doc, meta).into_offset_iter().next() {
        Some((Event::Start(Tag::MetadataBlock(_)), r)) if r.start == 0 => &doc[r.end..],
        _ => doc,
    };
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(body, opts));
    html
}

// ------------------------------------------------------------ the browser

/// A token as a browser's tokenizer sees the page (html5ever), with
/// consecutive text merged.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Start(String, Vec<(String, String)>),
    End(String),
    Text(String),
    Comment(String),
    Doctype,
}

#[derive(Default)]
struct Sink(RefCell<Vec<Tok>>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut toks = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                let name = tag.name.to_string();
                if tag.kind == TagKind::EndTag {
                    toks.push(Tok::End(name));
                    return TokenSinkResult::Continue;
                }
                let attrs = tag
                    .attrs
                    .iter()
                    .map(|a| (a.name.local.to_string(), a.value.to_string()))
                    .collect();
                toks.push(Tok::Start(name.clone(), attrs));
                // What the tree builder tells the tokenizer (scripting on).
                return match name.as_str() {
                    "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                        TokenSinkResult::RawData(RawKind::Rawtext)
                    }
                    "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                    "plaintext" => TokenSinkResult::Plaintext,
                    _ => TokenSinkResult::Continue,
                };
            }
            Token::CharacterTokens(t) => match toks.last_mut() {
                Some(Tok::Text(s)) => s.push_str(&t),
                _ => toks.push(Tok::Text(t.to_string())),
            },
            Token::NullCharacterToken => toks.push(Tok::Text("\0".into())),
            Token::CommentToken(c) => toks.push(Tok::Comment(c.to_string())),
            Token::DoctypeToken(_) => toks.push(Tok::Doctype),
            Token::EOFToken | Token::ParseError(_) => {}
        }
        TokenSinkResult::Continue
    }
}

fn tokens(html: &str) -> Vec<Tok> {
    let tok = Tokenizer::new(Sink::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(html));
    let _ = tok.feed(&input);
    tok.end();
    tok.sink.0.take()
}

/// The URL a browser takes from an attribute value.
fn url_of_value(v: &str) -> String {
    v.trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The URLs of one attribute (one per candidate for `srcset`), with whether
/// each is an image reference by its element and name alone (true) or only
/// when its path has an image extension (false). `None`: not a URL attribute
/// r2filter handles.
fn image_urls(element: &str, attr: &str, value: &str) -> Option<(Vec<String>, bool)> {
    let image_element = matches!(element, "img" | "source" | "video");
    match (element, attr) {
        ("a", "href") => Some((vec![url_of_value(value)], false)),
        ("img", "src") | ("video", "poster") => Some((vec![url_of_value(value)], true)),
        (_, "srcset") => Some((srcset(value), image_element)),
        (_, "src" | "poster") => Some((vec![url_of_value(value)], false)),
        _ => None,
    }
}

/// `srcset` candidates' URLs, as the HTML spec splits them.
fn srcset(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            return out;
        }
        let end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let url = rest[..end].trim_end_matches(',');
        let trailing_comma = rest[..end].ends_with(',');
        out.push(url.to_string());
        rest = &rest[end..];
        if !trailing_comma {
            rest = rest.find(',').map_or("", |i| &rest[i..]);
        }
    }
}

/// Where the local image `url` of a document in `dir` is, or why not.
enum Place {
    File(PathBuf),
    /// Documented refusal: a backslash in the path.
    Refused,
    /// Not a local image path at all.
    NotLocal,
}

fn place(site: &Path, dir: &Path, url: &str, (image_by_syntax, media): (bool, bool)) -> Place {
    if url.is_empty() || is_remote(url) {
        return Place::NotLocal;
    }
    let path = url.split(['?', '#']).next().unwrap_or_default();
    if path.is_empty() {
        return Place::NotLocal;
    }
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned();
    let ext = Path::new(&path).extension();
    let media = media && has_media_extension(&path);
    if !(has_image_extension(&path) || media || (ext.is_none() && image_by_syntax)) {
        return Place::NotLocal;
    }
    if path.contains('\\') {
        return Place::Refused;
    }
    let (mut out, rel) = match path.strip_prefix('/') {
        Some(rel) => (site.join("public"), rel.to_string()),
        None => (dir.to_path_buf(), path.clone()),
    };
    for c in Path::new(&rel).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    if !out.starts_with(site) {
        return Place::Refused;
    }
    Place::File(out)
}

/// Every local image the page of `doc` loads or links to, by its URL.
fn page_images(site: &Path, dir: &Path, html: &[Tok]) -> Vec<(String, Place)> {
    let mut out = Vec::new();
    for t in html {
        if let Tok::Start(element, attrs) = t {
            for (name, value) in attrs {
                if let Some((urls, by_syntax)) = image_urls(element, name, value) {
                    let media = media_src(element, name);
                    for u in urls {
                        let p = place(site, dir, &u, (by_syntax, media));
                        if !matches!(p, Place::NotLocal) {
                            out.push((u, p));
                        }
                    }
                }
            }
        }
    }
    out
}

/// Bytes of the type the file's name says (a PNG, or for a media name an
/// MP4 or WebVTT), distinct per path.
fn png_for(path: &Path) -> Vec<u8> {
    let name = path.to_string_lossy();
    let mut b = if name.to_ascii_lowercase().ends_with(".vtt") {
        b"WEBVTT\n\n".to_vec()
    } else if has_media_extension(&name) {
        b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec()
    } else {
        png(0)
    };
    b.extend_from_slice(name.as_bytes());
    b
}

// ------------------------------------------------------------ the run

#[derive(Default, Debug)]
struct Counts {
    documents: usize,
    references_checked: usize,
    local_images: usize,
    defects: Vec<String>,
    misses: Vec<String>,
    errors: Vec<String>,
    refusals: usize,
}

/// The outputs of one run of `entry` over `docs` (name → text), by name,
/// and the documents it failed on with the error. The run is repeated
/// without each document it fails on until it succeeds. `pass` names the
/// run's files.
fn run(
    entry: Entry,
    site: &Site,
    docs: &BTreeMap<String, String>,
    pass: &str,
) -> (
    BTreeMap<String, String>,
    BTreeMap<String, String>,
    serde_json::Value,
) {
    let mut docs = docs.clone();
    let mut failed = BTreeMap::new();
    let report = format!("report-{pass}.json");
    for _ in 0..50 {
        let base = site
            .r2filter()
            .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
            .args(["--key-template", "{hash}.{ext}", "--site-root", "public"])
            .args(["--report", &report]);
        let out = match entry {
            Entry::Files => {
                // The documents where their images are (docs/…); the output
                // in OUT/…
                for (name, text) in &docs {
                    site.write(name, text);
                }
                let out_dir = format!("out-{pass}");
                let _ = std::fs::remove_dir_all(site.path(&out_dir));
                let out = base.args(["docs", "--out-dir", &out_dir]).run();
                if out.code == Some(0) {
                    let outputs = docs
                        .keys()
                        .map(|n| {
                            (
                                n.clone(),
                                site.read(&n.replacen("docs/", &format!("{out_dir}/"), 1)),
                            )
                        })
                        .collect();
                    let report = serde_json::from_str(&site.read(&report)).unwrap();
                    return (outputs, failed, report);
                }
                out
            }
            Entry::MdBook => {
                let mut book = mdbook_preprocessor::book::Book::new();
                for (name, text) in &docs {
                    let path = name.strip_prefix("docs/").unwrap();
                    book.push_item(mdbook_preprocessor::book::BookItem::Chapter(
                        mdbook_preprocessor::book::Chapter::new(name, text.clone(), path, vec![]),
                    ));
                }
                let config: mdbook_preprocessor::config::Config =
                    "[book]\nsrc = \"docs\"\n".parse().unwrap();
                let ctx = mdbook_preprocessor::PreprocessorContext::new(
                    site.root.clone(),
                    config,
                    "html".into(),
                );
                let input = serde_json::to_string(&(ctx, book)).unwrap();
                let out = base.arg("mdbook").stdin(input).run();
                if out.code == Some(0) {
                    let book: mdbook_preprocessor::book::Book =
                        serde_json::from_str(&out.stdout).unwrap();
                    let mut outputs = BTreeMap::new();
                    for item in book.iter() {
                        if let mdbook_preprocessor::book::BookItem::Chapter(ch) = item {
                            outputs.insert(ch.name.clone(), ch.content.clone());
                        }
                    }
                    let report = serde_json::from_str(&site.read(&report)).unwrap();
                    return (outputs, failed, report);
                }
                out
            }
        };
        let mut any = false;
        for line in out.stderr.lines() {
            let Some(rest) = line.strip_prefix("error: ") else {
                continue;
            };
            let Some(doc_end) = rest.find(".md:") else {
                continue;
            };
            let doc = rest[..doc_end + 3].to_string();
            if docs.remove(&doc).is_some() {
                any = true;
                if entry == Entry::Files {
                    std::fs::remove_file(site.path(&doc)).unwrap();
                }
            }
            failed.entry(doc).or_insert_with(|| rest.to_string());
        }
        assert!(
            any,
            "the run failed without naming a document:\n{}",
            out.stderr
        );
    }
    panic!("more than 50 reruns");
}

/// A site on tmpfs when there is one: each run writes some 3,400 files, each
/// synced to disk (atomic writes), which on a busy disk takes minutes rather
/// than a second. The oracle tests the scanner, not the disk.
pub(crate) fn site_in_memory() -> Site {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let root = dir.path().join("site");
    std::fs::create_dir(&root).unwrap();
    let root = root.canonicalize().unwrap();
    Site { dir, root }
}

#[test]
fn commonmark_spec_examples_and_variants_as_md_files() {
    oracle(Entry::Files);
}

#[test]
fn commonmark_spec_examples_and_variants_as_mdbook_chapters() {
    oracle(Entry::MdBook);
}

fn oracle(entry: Entry) {
    let site = site_in_memory();
    let root = site.root.clone();
    let docs = corpus();
    let mut counts = Counts {
        documents: docs.len(),
        ..Counts::default()
    };

    // Each document with the images its page needs.
    let mut expected: BTreeMap<String, Vec<(String, Place)>> = BTreeMap::new();
    for doc in &docs {
        let dir = site.path(&doc.name).parent().unwrap().to_path_buf();
        let images = page_images(&root, &dir, &tokens(&render(entry, &doc.text)));
        for (_, p) in &images {
            if let Place::File(f) = p
                && !f.exists()
                && std::fs::create_dir_all(f.parent().unwrap()).is_ok()
            {
                let _ = std::fs::write(f, png_for(f));
            }
        }
        expected.insert(doc.name.clone(), images);
    }

    let inputs: BTreeMap<String, String> = docs
        .iter()
        .map(|d| (d.name.clone(), d.text.clone()))
        .collect();
    let (outputs, failed, report) = run(entry, &site, &inputs, "first");
    // (document, line, column) → new URL
    let mut rewritten: BTreeMap<(String, usize, usize), String> = BTreeMap::new();
    for r in report["references"].as_array().unwrap() {
        if let Some(url) = r["url"].as_str() {
            rewritten.insert(
                (
                    r["document"].as_str().unwrap().to_string(),
                    r["line"].as_u64().unwrap() as usize,
                    r["column"].as_u64().unwrap() as usize,
                ),
                url.to_string(),
            );
        }
    }
    let flavor = match entry {
        Entry::Files => Flavor::Markdown,
        Entry::MdBook => Flavor::MdBook(r2filter_text::scan::MdBookMarkdown::default()),
    };

    for doc in &docs {
        let what = format!("example {} ({})", doc.example, doc.variant);
        if let Some(e) = failed.get(&doc.name) {
            let refused = expected[&doc.name]
                .iter()
                .any(|(_, p)| matches!(p, Place::Refused));
            if refused && e.contains("backslash") {
                counts.refusals += 1;
            } else {
                counts.errors.push(format!("{what}: {e}\n{:?}", doc.text));
            }
            continue;
        }
        let output = &outputs[&doc.name];

        // (c) the input with exactly the reported spans replaced.
        let scanned = scan(&doc.text, &flavor.into()).unwrap();
        let reps: Vec<Replacement> = scanned
            .references
            .iter()
            .filter_map(|r| {
                let (line, col) = line_col(&doc.text, r.span.start);
                let url = rewritten.get(&(doc.name.clone(), line, col))?;
                Some(Replacement {
                    span: r.span.clone(),
                    text: replacement(r.context, url, &doc.text[r.span.clone()]),
                })
            })
            .collect();
        let reported = rewritten.keys().filter(|(d, _, _)| *d == doc.name).count();
        if reps.len() != reported || splice(&doc.text, &reps) != *output {
            counts.defects.push(format!(
                "{what}: bytes outside the rewritten spans changed\n  in:  {:?}\n  out: {output:?}",
                doc.text
            ));
            continue;
        }

        // (a) and (b): the two pages, token by token.
        let dir = site.path(&doc.name).parent().unwrap().to_path_buf();
        let before = tokens(&render(entry, &doc.text));
        let after = tokens(&render(entry, output));
        if let Err(e) = compare_pages(&site, &dir, &before, &after, &what, &mut counts) {
            counts.defects.push(format!(
                "{what}: {e}\n  in:  {:?}\n  out: {output:?}",
                doc.text
            ));
        }
        counts.local_images += expected[&doc.name]
            .iter()
            .filter(|(_, p)| matches!(p, Place::File(_)))
            .count();
    }

    // (d) a fixed point.
    let (again, failed_again, _) = run(entry, &site, &outputs, "second");
    assert!(
        failed_again.is_empty(),
        "the second run failed: {failed_again:?}"
    );
    for (name, output) in &outputs {
        if again[name] != *output {
            counts.defects.push(format!("{name}: not a fixed point"));
        }
    }

    println!(
        "commonmark oracle ({entry:?}): {} spec examples + {} extra cases, {} variants each = {} documents; \
         {} local images on the pages, {} references checked; {} defects, {} misses, {} errors, \
         {} documented refusals (backslash paths)",
        655,
        EXTRA.len(),
        5,
        counts.documents,
        counts.local_images,
        counts.references_checked,
        counts.defects.len(),
        counts.misses.len(),
        counts.errors.len(),
        counts.refusals
    );
    let problems: Vec<&String> = counts
        .defects
        .iter()
        .chain(&counts.misses)
        .chain(&counts.errors)
        .collect();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    assert!(counts.references_checked > 500, "{counts:?}");
}

/// (a) and (b) for one document's two pages.
fn compare_pages(
    site: &Site,
    dir: &Path,
    before: &[Tok],
    after: &[Tok],
    what: &str,
    counts: &mut Counts,
) -> Result<(), String> {
    if before.len() != after.len() {
        return Err(format!(
            "the page has {} tokens, was {}:\n  {before:?}\n  {after:?}",
            after.len(),
            before.len()
        ));
    }
    for (b, a) in before.iter().zip(after) {
        let (Tok::Start(name, battrs), Tok::Start(aname, aattrs)) = (b, a) else {
            if b != a {
                return Err(format!("{b:?} became {a:?}"));
            }
            continue;
        };
        if name != aname || battrs.len() != aattrs.len() {
            return Err(format!("{b:?} became {a:?}"));
        }
        for ((bn, bv), (an, av)) in battrs.iter().zip(aattrs) {
            if bn != an {
                return Err(format!("{b:?} became {a:?}"));
            }
            let Some((old, by_syntax)) = image_urls(name, bn, bv) else {
                if bv != av {
                    return Err(format!("{b:?} became {a:?}"));
                }
                continue;
            };
            let (new, _) = image_urls(name, an, av).unwrap();
            if old.len() != new.len()
                || (bv != av && bn == "srcset" && descriptors(bv) != descriptors(av))
            {
                return Err(format!("{b:?} became {a:?}"));
            }
            for (o, n) in old.iter().zip(&new) {
                let placed = place(&site.root, dir, o, (by_syntax, media_src(name, bn)));
                if o == n {
                    if let Place::File(_) = placed {
                        counts
                            .misses
                            .push(format!("{what}: {o:?} left as written in <{name} {bn}>"));
                    }
                    continue;
                }
                let Place::File(file) = placed else {
                    return Err(format!("{o:?} is not a local image but became {n:?}"));
                };
                check_rewrite(site, &file, o, n)?;
                counts.references_checked += 1;
            }
        }
    }
    Ok(())
}

/// What a `srcset` says besides its URLs.
fn descriptors(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|c| c.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .collect()
}

/// `new` is the public URL of the bytes of `file`, with `old`'s suffix.
fn check_rewrite(site: &Site, file: &Path, old: &str, new: &str) -> Result<(), String> {
    let rest = new
        .strip_prefix(&format!("{PUBLIC_URL}/"))
        .ok_or_else(|| format!("{old:?} became {new:?}, not a public URL"))?;
    let cut = rest.find(['?', '#']).unwrap_or(rest.len());
    let (key, suffix) = rest.split_at(cut);
    let old_cut = old.find(['?', '#']).unwrap_or(old.len());
    if suffix != &old[old_cut..] {
        return Err(format!(
            "{old:?} became {new:?}: the ?query#fragment changed"
        ));
    }
    let stored = std::fs::read(site.path("bucket").join(key))
        .map_err(|e| format!("{new:?}: object {key} not in the bucket: {e}"))?;
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if stored != bytes {
        return Err(format!("{old:?} became {new:?}, an object of other bytes"));
    }
    Ok(())
}
