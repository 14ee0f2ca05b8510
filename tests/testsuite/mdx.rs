//! MDX, differentially against the real MDX compiler (@mdx-js/mdx 3, with
//! remark-frontmatter and remark-gfm, as a Next.js site sets it up).
//!
//! The corpus: MDX written by others (`mdx/corpus/mdx-js-docs`: the mdx-js
//! site's own pages; `mdx/corpus/tailwind-nextjs-starter-blog`: the posts of
//! a popular Next.js blog starter; both MIT, licenses beside them), every
//! root cause of issue 13 as a minimal document (`mdx/corpus/issue13`), the
//! example site's MDX post, and documents generated here: each fragment
//! (images, links, definitions, JSX props in every quoting, comments,
//! expressions, ESM, code, tables) in each context (top level, JSX children,
//! indented inside nested JSX, a block quote, a list item, after front
//! matter).
//!
//! Every image-looking path written anywhere in a document exists as a file
//! (with its own bytes), so a reference found where the compiler sees none is
//! rewritten and shows up as a difference, not as a missing file. The folder
//! is published with `--out-dir`; `mdx/compile.mjs` compiles input and
//! output. For each document the compiler accepts:
//!
//! - the output compiles too, to the same program but for the string values
//!   of JSX props (the skeletons are equal);
//! - each `src`, `srcSet`/`srcset`, `poster` (any element) and `href` (of
//!   `a`) that names a local image (by the same rules as the front-matter
//!   test: no scheme, an image extension, `/` from `public/`) is now the
//!   public URL of that file's bytes, query and fragment kept; every other
//!   prop value is unchanged.
//!
//! And a second run on the output changes nothing. The compiler comes from
//! `.ci/run` (under `/opt/r2filter-oracle/mdx`, or `mdx/` in the folder in
//! `R2FILTER_ORACLE`); without it the test says SKIPPED, and fails when `CI`
//! is set.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{PUBLIC_URL, Site, oracle_dir, png, sha256_hex};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testsuite/mdx");
const IMAGE_EXTENSIONS: &[&str] = &[
    "png", "apng", "jpg", "jpeg", "jpe", "jfif", "gif", "webp", "avif", "svg", "ico", "bmp", "tif",
    "tiff",
];
/// Video, audio and captions: published from a media element's `src`
/// (issue 24).
const MEDIA_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "webm", "ogv", "mov", "mp3", "m4a", "ogg", "oga", "wav", "flac", "vtt",
];

/// Whether a prop is a media element's `src` (`<video>`, `<audio>`,
/// `<source>`, `<track>`), where a video, audio or captions path counts.
fn media_by_element(element: &str, key: &str) -> bool {
    key == "src" && matches!(element, "video" | "audio" | "source" | "track")
}

/// Bytes of the type a file named `.ext` must hold: captions, a video (an
/// MP4 header: any video or audio type fits a video or audio name), or a
/// PNG.
fn bytes_for(path: &Path, seed: u32) -> Vec<u8> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "vtt" => format!("WEBVTT\n\n00:00.000 --> 00:01.000\nfile {seed}\n").into_bytes(),
        e if MEDIA_EXTENSIONS.contains(&e) => {
            let mut b = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
            b.extend_from_slice(format!("r2filter test video {seed}").as_bytes());
            b
        }
        _ => png(seed),
    }
}

/// The compiler's folder, `mdx/` in the oracles' folder (its node_modules
/// with @mdx-js/mdx, remark-frontmatter, remark-gfm, rehype-raw, acorn), or
/// None to skip outside CI.
fn oracle() -> Option<PathBuf> {
    let needs = [
        "@mdx-js/mdx",
        "remark-frontmatter",
        "remark-gfm",
        "rehype-raw",
        "acorn",
    ]
    .map(|m| format!("node_modules/{m}"));
    oracle_dir(
        "mdx",
        &needs.each_ref().map(String::as_str),
        "the MDX compiler",
    )
}

/// What the compiler made of one document.
#[derive(Debug)]
enum Compiled {
    Error(String),
    Program {
        /// (element, key, value) of each string-valued JSX prop, and of each
        /// string of the exported front matter (element `frontmatter`).
        props: Vec<(String, String, String)>,
        skeleton: String,
        /// The URLs of the images a site's plugin turned into JSX
        /// (compile.mjs: `converted`).
        converted: Vec<String>,
    },
}

/// How the compiler is set up: as a Next.js site (`site: None`), or with the
/// remark plugins of a real site's `site.json`, run in the site's folder.
#[derive(Clone, Copy)]
struct Setup<'a> {
    site: Option<&'a Path>,
    cwd: &'a Path,
}

fn compile_all(oracle: &Path, setup: Setup<'_>, files: &[PathBuf]) -> HashMap<PathBuf, Compiled> {
    let mut cmd = Command::new("node");
    cmd.arg(Path::new(DIR).join("compile.mjs")).arg(oracle);
    if let Some(site) = setup.site {
        cmd.arg("--site").arg(site);
    }
    let run = cmd
        .arg("--cwd")
        .arg(setup.cwd)
        .args(files)
        .output()
        .expect("node runs");
    assert!(
        run.status.success(),
        "the MDX oracle failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut out = HashMap::new();
    for line in String::from_utf8(run.stdout).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let file = PathBuf::from(v["file"].as_str().unwrap());
        let compiled = match v.get("error") {
            Some(e) => Compiled::Error(e.as_str().unwrap_or("?").to_string()),
            None => Compiled::Program {
                props: v["props"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
                        (s("element"), s("key"), s("value"))
                    })
                    .collect(),
                skeleton: v["skeleton"].as_str().unwrap().to_string(),
                converted: v["converted"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u.as_str().unwrap().to_string())
                    .collect(),
            },
        };
        out.insert(file, compiled);
    }
    assert_eq!(out.len(), files.len(), "the oracle answered for every file");
    out
}

/// Whether a prop names an image URL (README: which JSX props are read, and
/// the default front-matter keys).
fn url_prop(element: &str, key: &str) -> bool {
    if element == "frontmatter" {
        return r2filter_text::scan::DEFAULT_FRONT_MATTER_KEYS.contains(&key);
    }
    matches!(key, "src" | "srcSet" | "srcset" | "poster") || (key == "href" && element == "a")
}

/// Whether a prop shows an image whatever its path's extension (`<img src>`,
/// `<video poster>`, `srcSet` of `<img>` and `<source>`); other URL props
/// count only with an image extension.
fn image_by_element(element: &str, key: &str) -> bool {
    matches!(
        (element, key),
        ("img", "src") | ("video", "poster") | ("img" | "source", "srcSet" | "srcset")
    )
}

/// The file a local image URL names (`None`: remote, not a path, not an
/// image: no image extension, or, where `by_element`, some other extension),
/// and its query and fragment. Where `media`, a video, audio or captions
/// path counts too.
fn local_image(
    value: &str,
    (by_element, media): (bool, bool),
    posts: &Path,
    public: &Path,
) -> Option<(PathBuf, String)> {
    // As a URL parser reads it: no tabs or newlines.
    let v: String = value
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let v = v.as_str();
    let scheme = v.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if v.starts_with("//") || scheme || v.starts_with('#') {
        return None;
    }
    let cut = v.find(['?', '#']).unwrap_or(v.len());
    let (raw, suffix) = v.split_at(cut);
    let path = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?
        .into_owned();
    let image = match Path::new(&path).extension() {
        Some(e) => e.to_str().is_some_and(|e| {
            let e = e.to_ascii_lowercase();
            IMAGE_EXTENSIONS.contains(&e.as_str())
                || (media && MEDIA_EXTENSIONS.contains(&e.as_str()))
        }),
        None => by_element,
    };
    if path.is_empty() || !image {
        return None;
    }
    let file = match path.strip_prefix('/') {
        Some(rest) => public.join(rest),
        None => posts.join(&path),
    };
    Some((normalize(&file), suffix.to_string()))
}

/// `a/./b/../c` as `a/c` (without touching the disk).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// The candidates of a `srcset`: (URL, descriptor).
fn candidates(value: &str) -> Vec<(String, String)> {
    value
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| match c.split_once(char::is_whitespace) {
            Some((u, d)) => (u.to_string(), d.trim().to_string()),
            None => (c.to_string(), String::new()),
        })
        .collect()
}

/// Every word of `text` that looks like a local image path (to create, so
/// that a reference found where the compiler sees none gets rewritten).
fn image_words(text: &str) -> Vec<String> {
    text.split(|c: char| {
        !(c.is_alphanumeric() || matches!(c, '.' | '/' | '-' | '_' | '%' | '&' | ';'))
    })
    .filter(|w| !w.contains("//") && !w.contains('&'))
    .map(|w| w.trim_start_matches(['.', '/']).to_string())
    .filter(|w| {
        w.rsplit_once('.')
            .is_some_and(|(_, e)| IMAGE_EXTENSIONS.contains(&e) || MEDIA_EXTENSIONS.contains(&e))
    })
    .collect()
}

/// The documents generated from fragments × contexts.
fn generated() -> Vec<(String, String)> {
    let fragments: &[(&str, &str)] = &[
        ("image", "![a](img/g-image.png)"),
        ("image-title-angle", "![a](<img/g angle.png> \"t\")"),
        ("link", "[to the picture](img/g-link.jpg)"),
        ("reference", "![r][g-ref]\n\n[g-ref]: img/g-ref.png"),
        ("img", "<img src=\"img/g-img.png\" alt=\"a\" />"),
        (
            "expr-double",
            "<Image src={\"img/g-expr.png\"} width={3} />",
        ),
        ("expr-template", "<Image alt={`x`} src={`img/g-tpl.png`} />"),
        (
            "srcset",
            "<Figure srcSet=\"img/g-1x.png 1x, img/g-2x.png 2x\" />",
        ),
        (
            "poster",
            "<video poster='img/g-poster.png' src=\"clip.mp4\" />",
        ),
        (
            "media",
            "<video src=\"img/g-clip.mp4\">\n  <source src={'img/g-clip.webm'} />\n  <track\n    src=\"img/g-subs.vtt\" />\n</video>\n\n<audio src=\"img/g-talk.mp3\" /> <Player src=\"img/g-not.mp4\" />",
        ),
        (
            "multiline-tag",
            "<Img\n  alt=\"x\"\n  src=\"img/g-multi.png\"\n/>",
        ),
        ("comment", "{/* ![c](img/g-never-1.png) */}"),
        ("expression", "{\"![x](img/g-never-2.png)\"}"),
        (
            "jsx-in-expression",
            "{true && <img src=\"img/g-cond.png\" />}",
        ),
        ("code", "```html\n<img src=\"img/g-never-3.png\" />\n```"),
        (
            "inline-code",
            "`![x](img/g-never-4.png)` and ![y](img/g-after-code.png)",
        ),
        (
            "table",
            "| a | b |\n| - | - |\n| ![t](img/g-table.png) | <img src=\"img/g-cell.png\" /> |",
        ),
        ("entity", "<Img src=\"img/g-caf&eacute;.png\" />"),
        ("percent", "![p](img/g-caf%C3%A9-2.png)"),
        (
            "remote",
            "![r](https://example.com/r.png) <img src=\"//cdn.example.com/r.png\" />",
        ),
        ("query", "![q](img/g-query.png?v=2#top)"),
        ("site-root", "![s](/static/g-root.png)"),
        (
            "caption-jsx",
            "<Figure caption={<img src=\"img/g-caption.png\" />} />",
        ),
    ];
    let indent = |f: &str, n: usize| {
        f.lines()
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{}{l}", " ".repeat(n))
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    type Wrap = Box<dyn Fn(&str) -> String>;
    let contexts: Vec<(&str, Wrap)> = vec![
        ("top", Box::new(|f| format!("# Title\n\n{f}\n"))),
        ("jsx", Box::new(|f| format!("<Note>\n{f}\n</Note>\n"))),
        (
            "nested-indented",
            Box::new(move |f| {
                format!(
                    "<div className=\"grid\">\n  <div>\n{}\n  </div>\n</div>\n",
                    indent(f, 4)
                )
            }),
        ),
        (
            "after-paragraph-indented",
            Box::new(move |f| format!("Intro\n\n{}\n", indent(f, 4))),
        ),
        (
            "blockquote",
            Box::new(|f| f.lines().map(|l| format!("> {l}\n")).collect::<String>()),
        ),
        (
            "list-item",
            Box::new(move |f| format!("- item\n\n{}\n", indent(f, 2))),
        ),
        (
            "front-matter",
            Box::new(|f| format!("---\ntitle: T\ncover: img/g-cover.png\n---\n\n{f}\n")),
        ),
    ];
    let mut out = Vec::new();
    for (c, wrap) in &contexts {
        for (f, text) in fragments {
            out.push((format!("gen-{c}-{f}.mdx"), wrap(text)));
        }
    }
    out.push((
        "gen-esm.mdx".into(),
        "import img from './img/g-import.png'\nexport const meta = { image: './img/g-never-5.png' }\nexport const Hero = () => <img src=\"img/g-esm-jsx.png\" />\n\n<Hero />\n".into(),
    ));
    out
}

/// Counts over the documents the compiler accepts.
#[derive(Default, Debug)]
struct Counts {
    documents: usize,
    not_mdx: usize,
    /// Of those, the ones r2filter refuses too.
    not_mdx_refused: usize,
    /// Documents the compiler accepts and r2filter refuses (left out).
    refused: usize,
    /// Image-URL prop values checked in the compiled input.
    references: usize,
    rewritten: usize,
    /// Remote, not an image, or not a path: left as written.
    left: usize,
    other_props: usize,
    /// Images the site's own plugin turned into JSX in the input but not in
    /// the output, because the file is no longer a local path (pliny's
    /// remarkImgToJsx: `<Image width height>` became a plain `<img>`).
    image_to_jsx_lost: usize,
}

/// The images a plugin of the site turned into JSX (`before`, `after`): the
/// output's must be among the input's, and each one lost must be a local
/// image r2filter published (its URL is no longer a path on disk).
fn lost_conversions(
    name: &str,
    (before, after): (&[String], &[String]),
    (posts, public): (&Path, &Path),
    counts: &mut Counts,
    bad: &mut Vec<String>,
) {
    let mut left: Vec<&String> = before.iter().collect();
    for url in after {
        match left.iter().position(|u| *u == url) {
            Some(i) => {
                left.remove(i);
            }
            None => bad.push(format!("{name}: {url:?} became JSX in the output only")),
        }
    }
    for url in left {
        if local_image(url, (true, false), posts, public).is_none() {
            bad.push(format!("{name}: {url:?} is no longer JSX in the output"));
        }
        counts.image_to_jsx_lost += 1;
    }
}

/// The documents of one corpus folder, named `{set}--{file}`.
fn corpus(set: &str) -> BTreeMap<String, String> {
    let mut docs = BTreeMap::new();
    for e in std::fs::read_dir(Path::new(DIR).join("corpus").join(set)).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "mdx") {
            let name = format!("{set}--{}", p.file_name().unwrap().to_string_lossy());
            docs.insert(name, std::fs::read_to_string(&p).unwrap());
        }
    }
    docs
}

#[test]
fn mdx_differential_against_the_compiler() {
    let Some(oracle) = oracle() else { return };
    let mut docs = corpus("issue13");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nextjs-blog/content/posts");
    for post in ["components.mdx", "gallery.mdx"] {
        docs.insert(
            format!("example--{post}"),
            std::fs::read_to_string(example.join(post)).unwrap(),
        );
    }
    docs.extend(generated());

    let site = Site::new();
    let setup = Setup {
        site: None,
        cwd: &site.path(""),
    };
    let counts = differential(&oracle, setup, &site, &docs, |_| false);
    eprintln!("MDX differential: {counts:?}, 0 defects");
    assert!(
        counts.refused == 0 && counts.documents >= 150 && counts.rewritten >= 150,
        "{counts:?}"
    );
}

/// The real sites' corpora, each compiled with the site's own remark plugins
/// (its `site.json`, read from the site's configuration: for the tailwind
/// starter remark-gfm, remark-math, remark-github-blockquote-alert and
/// pliny's plugins), and published in a folder with the site's package.json
/// dependencies, so that r2filter reads them with the profile it detects
/// there (the starter: Next.js, remark-math listed, math on; the mdx-js
/// docs: no framework, plain MDX). Every document compiles, none is refused.
#[test]
fn mdx_differential_real_sites_with_their_own_plugins() {
    for (set, math) in [
        ("tailwind-nextjs-starter-blog", true),
        ("mdx-js-docs", false),
    ] {
        let docs = corpus(set);
        let site_json = Path::new(DIR).join("corpus").join(set).join("site.json");
        let site_cfg: Value =
            serde_json::from_str(&std::fs::read_to_string(&site_json).unwrap()).unwrap();
        // The compiler and every plugin the site lists (.ci/run installs them).
        let needs: Vec<String> = ["@mdx-js/mdx", "acorn"]
            .into_iter()
            .chain(
                site_cfg["remarkPlugins"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["package"].as_str().unwrap()),
            )
            .map(|m| format!("node_modules/{m}"))
            .collect();
        let needs: Vec<&str> = needs.iter().map(String::as_str).collect();
        let Some(oracle) = oracle_dir("mdx", &needs, "the MDX compiler with a site's plugins")
        else {
            return;
        };
        let site = Site::new();
        site.write("package.json", site_cfg["package.json"].to_string());
        let check = site
            .r2filter()
            .args(["check", "--mdx", "--local-store", "bucket"])
            .args(["--public-url", PUBLIC_URL])
            .stdin("")
            .run();
        check.success();
        let said = check.stderr.clone();
        let profile = format!("read as a {} site", site_cfg["profile"].as_str().unwrap());
        let math_said = if math {
            "math on (this site lists remark-math"
        } else {
            "math off"
        };
        assert!(
            said.contains(&profile) && said.contains(math_said),
            "{set}: {said}"
        );
        let setup = Setup {
            site: Some(&site_json),
            cwd: &site.path(""),
        };
        let counts = differential(&oracle, setup, &site, &docs, |_| false);
        eprintln!("MDX differential, {set} with its own remark plugins: {counts:?}, 0 defects");
        assert!(
            counts.refused == 0 && counts.not_mdx == 0 && counts.documents == docs.len(),
            "{set}: {counts:?}"
        );
    }
}

/// `.md` as a Next.js site renders it: remark through @mdx-js/mdx's `md`
/// format (with rehype-raw, so raw HTML's images count), while r2filter reads
/// `.md` with pulldown-cmark. The corpus: the CommonMark oracle's (the spec's
/// examples in five variants, GFM and issue 10 cases), the Markdown
/// fragments of [`generated`] in the contexts `.md` has, and the example
/// site's `.md` post. README: "Which parser governs `.md` in a Next.js site".
#[test]
fn md_differential_against_remark() {
    let Some(oracle) = oracle() else { return };
    let mut docs: BTreeMap<String, String> = crate::commonmark::corpus()
        .into_iter()
        .map(|d| (format!("cm-{:04}-{}.md", d.example, d.variant), d.text))
        .collect();
    docs.extend(generated_md());
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nextjs-blog/content/posts");
    for e in std::fs::read_dir(&example).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            let name = format!("example--{}", p.file_name().unwrap().to_string_lossy());
            docs.insert(name, std::fs::read_to_string(&p).unwrap());
        }
    }

    // Refused: a backslash in a path (README: Paths), as in the CommonMark
    // oracle.
    let backslash = |e: &str| e.contains("contains a backslash");
    let site = crate::commonmark::site_in_memory();
    let setup = Setup {
        site: None,
        cwd: &site.path(""),
    };
    let counts = differential(&oracle, setup, &site, &docs, backslash);
    eprintln!(".md differential against remark: {counts:?}, 0 defects");
    assert!(
        counts.documents >= 3000 && counts.rewritten >= 500,
        "{counts:?}"
    );
}

/// The Markdown fragments of [`generated`] (no JSX, no expressions) in the
/// contexts of a `.md` file, where indentation makes code.
fn generated_md() -> Vec<(String, String)> {
    let fragments: &[(&str, &str)] = &[
        ("image", "![a](img/m-image.png)"),
        ("image-title-angle", "![a](<img/m angle.png> \"t\")"),
        ("link", "[to the picture](img/m-link.jpg)"),
        ("reference", "![r][m-ref]\n\n[m-ref]: img/m-ref.png"),
        ("img", "<img src=\"img/m-img.png\" alt=\"a\" />"),
        (
            "img-block",
            "<div>\n<img\n  src=\"img/m-block.png\">\n</div>",
        ),
        (
            "srcset",
            "<img srcset=\"img/m-1x.png 1x, img/m-2x.png 2x\">",
        ),
        (
            "poster",
            "<video poster='img/m-poster.png' src=\"clip.mp4\"></video>",
        ),
        (
            "media",
            "<video src=\"img/m-clip.mp4\">\n  <source src='img/m-clip.webm'>\n  <track\n    src=\"img/m-subs.vtt\">\n</video>\n\n<audio src=\"img/m-talk.mp3\"></audio> <embed src=\"img/m-not.mp4\">",
        ),
        ("code", "```html\n<img src=\"img/m-never-1.png\" />\n```"),
        (
            "inline-code",
            "`![x](img/m-never-2.png)` and ![y](img/m-after-code.png)",
        ),
        (
            "table",
            "| a | b |\n| - | - |\n| ![t](img/m-table.png) | <img src=\"img/m-cell.png\"> |",
        ),
        (
            "entity",
            "![e](img/m-caf&eacute;.png) <img src=\"img/m-caf&eacute;-2.png\">",
        ),
        ("percent", "![p](img/m-caf%C3%A9-3.png)"),
        (
            "remote",
            "![r](https://example.com/r.png) <img src=\"//cdn.example.com/r.png\">",
        ),
        ("query", "![q](img/m-query.png?v=2#top)"),
        ("site-root", "![s](/static/m-root.png)"),
        ("footnote", "Text[^1].\n\n[^1]: ![f](img/m-footnote.png)"),
        ("jsx-is-text", "<Img src={\"img/m-jsx.png\"} />"),
    ];
    let indent = |f: &str, n: usize| {
        f.lines()
            .map(|l| format!("{}{l}\n", " ".repeat(n)))
            .collect::<String>()
    };
    type Wrap = Box<dyn Fn(&str) -> String>;
    let contexts: Vec<(&str, Wrap)> = vec![
        ("top", Box::new(|f| format!("# Title\n\n{f}\n"))),
        (
            "indented-code",
            Box::new(move |f| format!("Intro\n\n{}", indent(f, 4))),
        ),
        (
            "blockquote",
            Box::new(|f| f.lines().map(|l| format!("> {l}\n")).collect::<String>()),
        ),
        (
            "list-item",
            Box::new(move |f| format!("- item\n\n{}", indent(f, 2))),
        ),
        (
            "front-matter",
            Box::new(|f| format!("---\ntitle: T\ncover: img/m-cover.png\n---\n\n{f}\n")),
        ),
    ];
    let mut out = Vec::new();
    for (c, wrap) in &contexts {
        for (f, text) in fragments {
            out.push((format!("gen-{c}-{f}.md"), wrap(text)));
        }
    }
    out
}

/// Publishes `docs` (name → text) with `--out-dir`, compiles every input and
/// its output, and fails on any difference (module docs); the counts.
///
/// A document r2filter refuses is left out and counted when `documented`
/// says its error is a documented refusal, and fails the test otherwise.
fn differential(
    oracle: &Path,
    setup: Setup<'_>,
    site: &Site,
    docs: &BTreeMap<String, String>,
    documented: fn(&str) -> bool,
) -> Counts {
    let posts = site.path("posts");
    let public = site.path("public");
    std::fs::create_dir_all(&posts).unwrap();
    std::fs::create_dir_all(&public).unwrap();

    let inputs: Vec<PathBuf> = docs.keys().map(|n| posts.join(n)).collect();
    for (name, text) in docs {
        std::fs::write(posts.join(name), text).unwrap();
    }
    // Every image-looking path of the text exists before the first compile:
    // a site's plugin may read the file (pliny's remarkImgToJsx does).
    let mut made = 0;
    let mut make = |files: &mut Vec<PathBuf>| {
        files.sort();
        files.dedup();
        for f in files.iter().filter(|f| !f.exists()) {
            made += 1;
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, bytes_for(f, made)).unwrap();
        }
    };
    let mut words: Vec<PathBuf> = docs
        .values()
        .flat_map(|text| image_words(text))
        .flat_map(|w| [normalize(&posts.join(&w)), normalize(&public.join(&w))])
        .collect();
    make(&mut words);
    let before = compile_all(oracle, setup, &inputs);

    // Every document the compiler rejects is left out of the run (r2filter's
    // batch is all or nothing), and counted.
    let mut counts = Counts::default();
    let mut wanted: Vec<PathBuf> = Vec::new();
    for (input, text) in inputs.iter().zip(docs.values()) {
        match &before[input] {
            Compiled::Error(e) => {
                // Counted, not required: markdown-rs 1.0.0 accepts a tag left
                // open at the end of the file, and r2filter never parses the
                // JavaScript inside `{…}` (README: MDX).
                let mdx = input.extension().is_some_and(|x| x == "mdx");
                let alone = site
                    .r2filter()
                    .args(mdx.then_some("--mdx"))
                    .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
                    .stdin(text)
                    .run();
                let also = alone.code != Some(0);
                eprintln!(
                    "not MDX per the compiler{}: {}: {e}",
                    if also { ", nor r2filter" } else { "" },
                    input.display()
                );
                counts.not_mdx += 1;
                counts.not_mdx_refused += usize::from(also);
                std::fs::remove_file(input).unwrap();
            }
            Compiled::Program { props, .. } => {
                for (el, key, value) in props {
                    if !url_prop(el, key) {
                        continue;
                    }
                    let urls = if matches!(key.as_str(), "srcSet" | "srcset") {
                        candidates(value).into_iter().map(|c| c.0).collect()
                    } else {
                        vec![value.clone()]
                    };
                    for u in urls {
                        let by = (image_by_element(el, key), media_by_element(el, key));
                        if let Some((f, _)) = local_image(&u, by, &posts, &public) {
                            wanted.push(f);
                        }
                    }
                }
            }
        }
    }
    make(&mut wanted);

    // A run is all or nothing: each document r2filter refuses (a backslash
    // in a path, README: Paths) is named, counted, moved aside, and the run
    // repeated.
    for round in 0.. {
        assert!(round < 50, "more than 50 reruns");
        let out = site.publish_local("posts", "out");
        if out.code == Some(0) {
            break;
        }
        let refused: Vec<&PathBuf> = inputs
            .iter()
            .filter(|p| p.exists())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                out.stderr.contains(&format!("posts/{name}:"))
            })
            .collect();
        assert!(
            !refused.is_empty(),
            "the run failed without naming a document:\n{}",
            out.stderr
        );
        for line in out
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: posts/"))
        {
            assert!(documented(line), "r2filter refused a document: {line}");
            eprintln!("refused by r2filter (documented): {line}");
        }
        for p in refused {
            counts.refused += 1;
            std::fs::remove_file(p).unwrap();
        }
    }
    let inputs: Vec<PathBuf> = inputs.into_iter().filter(|p| p.exists()).collect();
    let outputs = site.fixed_point_outputs("out", &inputs);

    // (No manifest: the corpus names no local image.)
    let by_hash = site
        .manifest()
        .map(|_| site.urls_by_hash())
        .unwrap_or_default();
    let url_of = |file: &Path| -> Option<String> {
        let bytes = std::fs::read(file).ok()?;
        by_hash.get(&sha256_hex(&bytes)).cloned()
    };

    let after = compile_all(oracle, setup, &outputs);
    let mut bad: Vec<String> = Vec::new();
    for (input, output) in inputs.iter().zip(&outputs) {
        let name = input.file_name().unwrap().to_string_lossy().to_string();
        let Compiled::Program {
            props: p_in,
            skeleton: s_in,
            converted: c_in,
        } = &before[input]
        else {
            unreachable!()
        };
        counts.documents += 1;
        let (p_out, s_out) = match &after[output] {
            Compiled::Error(e) => {
                bad.push(format!("{name}: the output does not compile: {e}"));
                continue;
            }
            Compiled::Program {
                props,
                skeleton,
                converted,
            } => {
                lost_conversions(
                    &name,
                    (c_in, converted),
                    (&posts, &public),
                    &mut counts,
                    &mut bad,
                );
                (props, skeleton)
            }
        };
        if s_in != s_out || p_in.len() != p_out.len() {
            bad.push(format!(
                "{name}: the program changed beyond prop values:\n--- input\n{}\n--- output\n{}",
                docs[&name],
                std::fs::read_to_string(output).unwrap()
            ));
            continue;
        }
        for ((el, key, old), (_, _, new)) in p_in.iter().zip(p_out) {
            if !url_prop(el, key) {
                counts.other_props += 1;
                if old != new {
                    bad.push(format!("{name}: <{el} {key}> {old:?} became {new:?}"));
                }
                continue;
            }
            let srcset = matches!(key.as_str(), "srcSet" | "srcset");
            let (olds, news) = if srcset {
                (candidates(old), candidates(new))
            } else {
                (
                    vec![(old.clone(), String::new())],
                    vec![(new.clone(), String::new())],
                )
            };
            if olds.len() != news.len() {
                bad.push(format!("{name}: <{el} {key}> {old:?} became {new:?}"));
                continue;
            }
            for ((o, od), (n, nd)) in olds.iter().zip(&news) {
                counts.references += 1;
                let by = (image_by_element(el, key), media_by_element(el, key));
                let expected = match local_image(o, by, &posts, &public) {
                    None => {
                        counts.left += 1;
                        o.clone()
                    }
                    Some((file, suffix)) => match url_of(&file) {
                        Some(url) => {
                            counts.rewritten += 1;
                            format!("{url}{suffix}")
                        }
                        None => {
                            bad.push(format!(
                                "{name}: <{el} {key}> {o:?}: {} is not in the manifest",
                                file.display()
                            ));
                            continue;
                        }
                    },
                };
                // Compared as a URL parser reads them: a value over several
                // lines keeps its line breaks (README: raw HTML), which the
                // URL drops.
                // A value left alone must be byte for byte the same.
                let url = |v: &str| v.replace(['\t', '\n', '\r'], "");
                let same = if expected == *o {
                    n == o
                } else {
                    url(n) == url(&expected)
                };
                if !same || od != nd {
                    bad.push(format!(
                        "{name}: <{el} {key}> {o:?} became {n:?}, expected {expected:?}"
                    ));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} defects against @mdx-js/mdx ({counts:?}):\n{}",
        bad.len(),
        bad.join("\n")
    );
    counts
}
