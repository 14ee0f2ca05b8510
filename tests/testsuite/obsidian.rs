//! Obsidian's image embeds (issue 21), differentially against a renderer of
//! Obsidian's syntax under remark: `@portaljs/remark-wiki-link` 1.2.0 with
//! remark-parse 10 and remark-gfm (`obsidian/render.mjs`, installed by
//! `.ci/run` under `/opt/r2filter-oracle/wikilink`).
//!
//! The corpus: pages of Quartz's documentation, which is an Obsidian vault
//! (`obsidian/corpus/quartz-docs`, MIT, licence beside them), and a vault of
//! ours (`obsidian/corpus/vault`) with every embed form in paragraphs, block
//! quotes, list items, before a caption line, beside note embeds, links and
//! code. The rewrite is the library's (scan with `wikilinks`, the stability
//! check, splice), each local image written as a stand-in public URL that
//! carries its path ([`rendered::STAND_IN`]).
//!
//! Both versions are rendered and compared token by token. They must be the
//! same document apart from the rewritten URLs and this change of form, for
//! each embed:
//!
//! - before, the plugin's `<img class="internal[ new]" src=LINK alt=ALT
//!   [width=W height=H]>`; after, `<img src=URL alt=ALT' [width=W']
//!   [height=H']>`, inside `<span>…</span>` when a size is set;
//! - `URL` is the stand-in URL of `LINK`; the `class` is gone;
//! - `(ALT', W', H')` is Obsidian's reading of the alias: where the plugin
//!   took a caption with a size as alt text (`ALT` = `caption|300`, which it
//!   does not read), `(caption, 300, -)`; where it read a size, `(ALT, W,
//!   H)`, the height absent when it only copied the width (`|300` gives it
//!   `height=300`, Obsidian keeps the aspect ratio); otherwise `(ALT, -, -)`.
//!
//! Every other tag, attribute and text is unchanged but for Markdown images'
//! URLs (defects otherwise); no `<img src>` is left local (misses); every
//! document is read (errors). The renderer has no reading of `\|` inside a
//! table cell (it takes `name.png\` for the link), so that form is covered
//! by the library's own tests, not here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use r2filter_text::scan::{Flavor, ScanOptions};

use crate::support::oracle_dir;
use crate::support::rendered::{self, Findings, Token};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testsuite/obsidian");

fn oracle() -> Option<PathBuf> {
    let needs = [
        "unified",
        "remark-parse",
        "remark-gfm",
        "remark-rehype",
        "rehype-raw",
        "rehype-stringify",
        "@portaljs/remark-wiki-link",
    ]
    .map(|m| format!("node_modules/{m}"));
    oracle_dir(
        "wikilink",
        &needs.each_ref().map(String::as_str),
        "the wiki-link renderer",
    )
}

fn options() -> ScanOptions {
    ScanOptions {
        wikilinks: true,
        ..Flavor::Markdown.into()
    }
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            markdown_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
    out.sort();
}

fn render_all(oracle: &Path, files: &[PathBuf]) -> BTreeMap<String, serde_json::Value> {
    let out = Command::new("node")
        .arg(Path::new(DIR).join("render.mjs"))
        .arg(oracle)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "render.mjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `<span>`, `<img>`, `</span>` of a sized embed: the span is dropped.
fn without_spans(tokens: Vec<Token>) -> Vec<Token> {
    let is = |t: Option<&Token>, n: &str| matches!(t, Some(Token::Tag { name, .. }) if name == n);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if is(tokens.get(i), "span")
            && is(tokens.get(i + 1), "img")
            && is(tokens.get(i + 2), "/span")
        {
            out.push(tokens[i + 1].clone());
            i += 3;
        } else {
            out.push(tokens[i].clone());
            i += 1;
        }
    }
    out
}

/// Obsidian's `(alt, width, height)` for an embed the plugin rendered with
/// `attrs`, and whether a missing height is allowed for `height`.
fn expected(attrs: &[(String, String)]) -> (String, Option<String>, Option<String>) {
    let alt = attr(attrs, "alt").unwrap_or_default().to_string();
    if let Some(w) = attr(attrs, "width") {
        return (alt, Some(w.into()), attr(attrs, "height").map(String::from));
    }
    let sized = regex::Regex::new(r"^(.*?)\|\s*(\d+)(?:x(\d+))?\s*$").unwrap();
    match sized.captures(&alt) {
        Some(c) => (
            c[1].trim().to_string(),
            Some(c[2].to_string()),
            c.get(3).map(|h| h.as_str().to_string()),
        ),
        None => (alt, None, None),
    }
}

/// One embed's `<img>` before and after.
fn compare_embed(at: &str, b: &[(String, String)], a: &[(String, String)], found: &mut Findings) {
    let src = attr(b, "src").unwrap_or_default();
    let (alt, width, height) = expected(b);
    let named = attr(a, "src").is_some_and(|u| rendered::names_stand_in(src, u));
    let height_ok = attr(a, "height") == height.as_deref()
        || (attr(a, "height").is_none() && height.is_some() && height == width);
    let keys_ok = a
        .iter()
        .all(|(k, _)| ["src", "alt", "width", "height"].contains(&k.as_str()));
    if named
        && keys_ok
        && height_ok
        && attr(a, "alt") == Some(alt.as_str())
        && attr(a, "width") == width.as_deref()
    {
        found.rewritten += 1;
    } else {
        found
            .defects
            .push(format!("{at}: embed {b:?} became {a:?}"));
    }
}

fn compare_page(at: &str, before: &str, after: &str, found: &mut Findings) {
    let b = rendered::tokens(before);
    let a = without_spans(rendered::tokens(after));
    rendered::misses(at, &a, None, true, found);
    if a.len() != b.len() {
        found
            .defects
            .push(format!("{at}: {} tokens became {}", b.len(), a.len()));
        return;
    }
    for (tb, ta) in b.iter().zip(&a) {
        match (tb, ta) {
            (
                Token::Tag { name, attrs },
                Token::Tag {
                    name: n2,
                    attrs: a2,
                },
            ) if name == n2 => {
                let embed =
                    attr(attrs, "class").is_some_and(|c| c.split(' ').any(|c| c == "internal"));
                if name == "img" && embed {
                    compare_embed(at, attrs, a2, found);
                } else {
                    rendered::compare_attrs(at, attrs, a2, found);
                }
            }
            (x, y) if x == y => {}
            (x, y) => found.defects.push(format!("{at}: {x:?} became {y:?}")),
        }
    }
}

#[test]
fn embeds_render_the_same_but_for_urls_and_form() {
    let Some(oracle) = oracle() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut inputs = Vec::new();
    markdown_files(&Path::new(DIR).join("corpus"), &mut inputs);
    let (mut outputs, mut errors, mut references) = (Vec::new(), Vec::new(), 0);
    for (i, input) in inputs.iter().enumerate() {
        let text = std::fs::read_to_string(input).unwrap();
        let out = tmp.path().join(format!("{i}.md"));
        match rendered::rewrite_locals(&text, &options()) {
            Ok((rewritten, n)) => {
                references += n;
                std::fs::write(&out, rewritten).unwrap();
            }
            Err(e) => {
                errors.push(format!("{}: {e}", input.display()));
                std::fs::write(&out, text).unwrap();
            }
        }
        outputs.push(out);
    }
    let before = render_all(&oracle, &inputs);
    let after = render_all(&oracle, &outputs);
    let mut found = Findings::default();
    for (input, output) in inputs.iter().zip(&outputs) {
        let at = input.strip_prefix(DIR).unwrap().display().to_string();
        let (b, a) = (
            &before[&input.display().to_string()],
            &after[&output.display().to_string()],
        );
        match (b.as_str(), a.as_str()) {
            (Some(b), Some(a)) => compare_page(&at, b, a, &mut found),
            _ => errors.push(format!("{at}: the renderer failed: {b} / {a}")),
        }
    }
    eprintln!(
        "wiki-link oracle: {} documents, {references} references rewritten, {} images checked; \
         defects {}, misses {}, errors {}",
        inputs.len(),
        found.rewritten,
        found.defects.len(),
        found.misses.len(),
        errors.len()
    );
    assert_eq!(errors, Vec::<String>::new(), "errors");
    assert_eq!(found.defects, Vec::<String>::new(), "defects");
    assert_eq!(found.misses, Vec::<String>::new(), "misses");
    // The embeds really were there and rewritten.
    assert!(references >= 14, "{references}");
    assert_eq!(found.rewritten, references);
}
