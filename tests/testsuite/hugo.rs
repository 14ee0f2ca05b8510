//! Hugo's syntax (issue 21), differentially against Hugo itself: Debian's
//! `hugo` (0.111.3 extended, installed by `.ci/run`) builds a site before and
//! after the rewrite, and the pages must differ only in the rewritten URLs.
//!
//! The site (`hugo/site`): a leaf bundle with the built-in `figure` named,
//! bare, in a raw string, over lines, with `{{% %}}`, positional (which
//! Hugo's `figure` ignores), in a code block and inline code (which Hugo
//! runs), commented (`{{</* */>}}`, text), a listed custom shortcode by name
//! and by position; a TOML bundle, a branch bundle, and a page with JSON
//! front matter; front-matter images read by Hugo's own Open Graph and
//! Twitter card templates. Beside it, pages of Hugo's documentation
//! (`hugo/corpus/hugoDocs`, Apache-2.0, licence beside them): page bundles
//! with Markdown images, `figure`, and the documentation's own shortcodes,
//! whose templates (not open source) are stubbed: they print their inner
//! content, which is not under test.
//!
//! The rewrite is the library's (scan with `hugo_shortcodes`, the stability
//! check, splice: what the pipeline runs), each local image written as a
//! stand-in public URL that carries its path ([`rendered::STAND_IN`]). For
//! every page Hugo writes: the same tags and texts, and every attribute
//! value the same but for URL attributes that became the stand-in URL of
//! exactly the path they named (defects otherwise); no local image left in
//! any `src`, `href` or `content` (misses); every document read (errors).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use r2filter_text::scan::{Flavor, ScanOptions};

use crate::support::rendered::{self, Findings, Token};
use crate::support::tool;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testsuite/hugo");
const BASE_URL: &str = "https://example.org/";

/// The shortcodes of Hugo's documentation used by the excerpts, stubbed.
const STUBS: &[(&str, &str)] = &[
    ("code-toggle", "<pre>{{ .Inner }}</pre>"),
    ("new-in", "{{ .Inner }}"),
    ("eturl", "{{/* stub */}}"),
    ("glossary-term", "{{/* stub */}}"),
    ("include", "{{/* stub */}}"),
];

/// `hugo-shortcodes` for the site: its two custom shortcodes.
fn options() -> ScanOptions {
    let listed: BTreeMap<String, String> = [("img", "src"), ("gallery", "0")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ScanOptions {
        hugo_shortcodes: Some(listed),
        ..Flavor::Markdown.into()
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
    out.sort();
}

/// The site with the documentation's pages under `content/hugodocs/`.
fn site(into: &Path) {
    copy_tree(&Path::new(DIR).join("site"), into);
    let docs = into.join("content/hugodocs");
    copy_tree(&Path::new(DIR).join("corpus/hugoDocs"), &docs);
    std::fs::remove_file(docs.join("LICENSE.md")).unwrap();
    for (name, body) in STUBS {
        std::fs::write(into.join(format!("layouts/shortcodes/{name}.html")), body).unwrap();
    }
}

fn build(hugo: &Path, site: &Path) {
    let out = Command::new(hugo)
        .args(["--quiet", "--source"])
        .arg(site)
        .env("HUGO_CACHEDIR", site.join(".cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hugo failed in {}:\n{}",
        site.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Rewrites every `.md` of `content` in place; (documents, references, errors).
fn rewrite_content(content: &Path) -> (usize, usize, Vec<String>) {
    let mut docs = Vec::new();
    files(content, "md", &mut docs);
    let (mut refs, mut errors) = (0, Vec::new());
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        match rendered::rewrite_locals(&text, &options()) {
            Ok((out, n)) => {
                refs += n;
                std::fs::write(doc, out).unwrap();
            }
            Err(e) => errors.push(format!("{}: {e}", doc.display())),
        }
    }
    (docs.len(), refs, errors)
}

/// Compares every page of `before` with the same page of `after`.
fn compare_sites(before: &Path, after: &Path, found: &mut Findings) -> usize {
    let mut pages = Vec::new();
    files(before, "html", &mut pages);
    for page in &pages {
        let rel = page.strip_prefix(before).unwrap();
        let at = rel.display().to_string();
        let b = rendered::tokens(&std::fs::read_to_string(page).unwrap());
        let a = rendered::tokens(&std::fs::read_to_string(after.join(rel)).unwrap());
        rendered::misses(&at, &a, Some(BASE_URL), false, found);
        if a.len() != b.len() {
            found
                .defects
                .push(format!("{at}: {} tokens became {}", b.len(), a.len()));
            continue;
        }
        for (tb, ta) in b.iter().zip(&a) {
            match (tb, ta) {
                (
                    Token::Tag { name, attrs },
                    Token::Tag {
                        name: n2,
                        attrs: a2,
                    },
                ) if name == n2 => rendered::compare_attrs(&at, attrs, a2, found),
                (x, y) if x == y => {}
                (x, y) => found.defects.push(format!("{at}: {x:?} became {y:?}")),
            }
        }
    }
    pages.len()
}

#[test]
fn hugo_renders_the_same_site_but_for_the_urls() {
    let Some(hugo) = tool(
        "hugo",
        "apt-get install hugo (Debian's 0.111.3; .ci/run installs it)",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    site(&before);
    copy_tree(&before, &after);
    build(&hugo, &before);
    let (documents, references, errors) = rewrite_content(&after.join("content"));
    build(&hugo, &after);
    let mut found = Findings::default();
    let pages = compare_sites(&before.join("public"), &after.join("public"), &mut found);
    eprintln!(
        "hugo oracle: {documents} documents, {references} references rewritten, {pages} pages, \
         {} URL attributes changed; defects {}, misses {}, errors {}",
        found.rewritten,
        found.defects.len(),
        found.misses.len(),
        errors.len()
    );
    assert_eq!(errors, Vec::<String>::new(), "errors");
    assert_eq!(found.defects, Vec::<String>::new(), "defects");
    assert_eq!(found.misses, Vec::<String>::new(), "misses");
    // The test can fail: the site's images really were rewritten, in the
    // page bundle's figure, the JSON page's front matter and the docs.
    assert!(references >= 30, "{references}");
    let post = std::fs::read_to_string(after.join("public/post/index.html")).unwrap();
    assert!(
        post.contains(&format!("<img src=\"{}", rendered::STAND_IN)),
        "{post}"
    );
    let json = std::fs::read_to_string(after.join("public/json/index.html")).unwrap();
    assert!(
        json.contains(&format!(
            "property=\"og:image\" content=\"{}",
            rendered::STAND_IN
        )),
        "{json}"
    );
}
