//! Whole real sites: every document of several real sites, each run on its
//! own through the built binary with a local store, is read without
//! refusal, with the profile r2filter detects from the site's own files.
//!
//! The sites (excerpts vendored with their licences):
//! - tailwind-nextjs-starter-blog, all 13 documents of `data/` (11 posts, 2
//!   authors; `mdx/corpus/tailwind-nextjs-starter-blog`), under the
//!   dependencies of its package.json (`next`, `remark-math`, …): Next.js,
//!   math on. `deriving-ols-estimator.mdx` is `$$ … {…} … $$` math, which
//!   issue 21 found refused.
//! - Hugo's documentation (`sites/hugoDocs`): pages' front matter and first
//!   lines, with a hugo.toml: Hugo. `types.md` has the flow sequence whose
//!   `]` is in column 0 that issue 21 found refused.
//! - the mdx-js site's docs (`mdx/corpus/mdx-js-docs`), with its package's
//!   dependencies (no framework): plain CommonMark and MDX.
//!
//! The counts per profile are printed; the whole of each site (993 pages of
//! hugoDocs) was run the same way for issue 21 (BENCHMARKS.md has no part in
//! it: the numbers are in the issue's closing note).

use std::path::{Path, PathBuf};

use crate::support::{PUBLIC_URL, Site};

const TESTSUITE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testsuite");

/// A real site: its marker files and its documents (path in the site →
/// vendored file).
struct RealSite {
    name: &'static str,
    profile: &'static str,
    math: bool,
    files: Vec<(String, String)>,
    docs: Vec<(String, PathBuf)>,
}

/// Every file under `dir` with extension `ext`, relative to `dir`.
fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// The package.json a corpus's site.json records.
fn package_json(corpus: &str) -> String {
    let site = Path::new(TESTSUITE)
        .join("mdx/corpus")
        .join(corpus)
        .join("site.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site).unwrap()).unwrap();
    v["package.json"].to_string()
}

fn tailwind() -> RealSite {
    let dir = Path::new(TESTSUITE).join("mdx/corpus/tailwind-nextjs-starter-blog");
    let mut docs = Vec::new();
    walk(&dir, "mdx", &mut docs);
    let docs = docs
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let at = if let Some(author) = name.strip_prefix("authors-") {
                format!("data/authors/{author}")
            } else if let Some(nested) = name.strip_prefix("nested-route-") {
                format!("data/blog/nested-route/{nested}")
            } else {
                format!("data/blog/{name}")
            };
            (at, p)
        })
        .collect();
    RealSite {
        name: "tailwind-nextjs-starter-blog",
        profile: "nextjs",
        math: true,
        files: vec![(
            "package.json".into(),
            package_json("tailwind-nextjs-starter-blog"),
        )],
        docs,
    }
}

fn hugo_docs() -> RealSite {
    let dir = Path::new(TESTSUITE).join("sites/hugoDocs");
    let mut docs = Vec::new();
    walk(&dir.join("content"), "md", &mut docs);
    let docs = docs
        .into_iter()
        .map(|p| (p.strip_prefix(&dir).unwrap().display().to_string(), p))
        .collect();
    RealSite {
        name: "hugoDocs",
        profile: "hugo",
        math: false,
        files: vec![(
            "hugo.toml".into(),
            std::fs::read_to_string(dir.join("hugo.toml")).unwrap(),
        )],
        docs,
    }
}

fn mdx_js_docs() -> RealSite {
    let dir = Path::new(TESTSUITE).join("mdx/corpus/mdx-js-docs");
    let mut docs = Vec::new();
    walk(&dir, "mdx", &mut docs);
    let docs = docs
        .into_iter()
        .map(|p| {
            (
                format!("docs/{}", p.file_name().unwrap().to_string_lossy()),
                p,
            )
        })
        .collect();
    RealSite {
        name: "mdx-js/mdx docs",
        profile: "commonmark",
        math: false,
        files: vec![("package.json".into(), package_json("mdx-js-docs"))],
        docs,
    }
}

#[test]
fn every_document_of_real_sites_is_read_without_refusal() {
    let mut lines = Vec::new();
    for real in [tailwind(), hugo_docs(), mdx_js_docs()] {
        let site = Site::new();
        for (at, text) in &real.files {
            site.write(at, text);
        }
        for (at, from) in &real.docs {
            site.write(at, std::fs::read(from).unwrap());
        }
        let (mut read, mut refused) = (0, Vec::new());
        for (i, (at, _)) in real.docs.iter().enumerate() {
            let out = site
                .r2filter()
                .args([at.as_str(), "--out-dir", &format!("out-{i}")])
                .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
                .args(["--on-missing", "warn", "--report", "report.json"])
                .run();
            if out.code != Some(0) {
                refused.push(format!("{at}: {}", out.stderr));
                continue;
            }
            read += 1;
            let report: serde_json::Value =
                serde_json::from_str(&site.read("report.json")).unwrap();
            assert_eq!(report["site"]["site"], real.profile, "{}: {at}", real.name);
            assert_eq!(
                report["site"]["math"]["value"], real.math,
                "{}: {at}",
                real.name
            );
        }
        lines.push(format!(
            "{} ({}, math {}): {} documents, {read} read, {} refused",
            real.name,
            real.profile,
            if real.math { "on" } else { "off" },
            real.docs.len(),
            refused.len()
        ));
        assert!(
            refused.is_empty(),
            "{}: refused:\n{}",
            real.name,
            refused.join("\n")
        );
    }
    eprintln!("real sites:\n{}", lines.join("\n"));
}

/// Issue 21: a refused document names the profile it was read with and
/// the switch that would read it differently; the site's own files turn
/// the switch on, and a setting wins over the profile.
#[test]
fn a_refused_document_says_how_it_was_read() {
    let site = Site::new();
    site.write("package.json", r#"{"dependencies": {"next": "15"}}"#);
    site.write(
        "posts/ols.mdx",
        "# OLS\n\n$$\n\\sum{(\\mathbf{x}'_i\\beta)^2}\n$$\n",
    );
    let run = |extra: &[&str]| {
        site.r2filter()
            .args(["posts", "--out-dir", "out", "--local-store", "bucket"])
            .args(["--public-url", PUBLIC_URL, "--report", "report.json"])
            .args(extra)
            .run()
    };
    let err = run(&[]).failure(1).to_string();
    assert!(
        err.contains("posts/ols.mdx:5:")
            && err.contains("read as a nextjs site (package.json lists next); math is off; set math = true if the site uses remark-math"),
        "{err}"
    );
    assert!(
        !err.contains("the site's build reports the same error"),
        "{err}"
    );
    let report: serde_json::Value = serde_json::from_str(&site.read("report.json")).unwrap();
    assert_eq!(report["site"]["site"], "nextjs");
    assert!(
        report["errors"][0]["hint"]
            .as_str()
            .unwrap()
            .contains("set math = true"),
        "{report}"
    );
    // The flag, the variable, the config file: each reads it as math.
    run(&["--math"]).success();
    site.r2filter()
        .args(["posts", "--out-dir", "out", "--local-store", "bucket"])
        .args(["--public-url", PUBLIC_URL])
        .env("R2FILTER_MATH", "true")
        .run()
        .success();
    site.write("r2filter.toml", "math = true\n");
    run(&[]).success();
    // The site lists remark-math: math is on, and says why; `math = false`
    // wins, and the hint says so.
    site.write("r2filter.toml", "");
    site.write(
        "package.json",
        r#"{"dependencies": {"next": "15", "remark-math": "6"}}"#,
    );
    let out = run(&["-v"]);
    out.success();
    assert!(
        out.stderr
            .contains("math on (this site lists remark-math in package.json)"),
        "{}",
        out.stderr
    );
    let err = run(&["--math=false"]).failure(1).to_string();
    assert!(
        err.contains("math = false; set math = true if the site uses remark-math"),
        "{err}"
    );
    // `site` overrides detection.
    let out = run(&["--site", "commonmark", "-v"]);
    out.failure(1);
    assert!(
        out.stderr
            .contains("read as a commonmark site (site = \"commonmark\")"),
        "{}",
        out.stderr
    );
}
