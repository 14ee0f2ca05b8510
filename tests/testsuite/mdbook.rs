//! Real mdBook builds of `fixtures/book` (mdbook-driver, in process) whose
//! `[preprocessor.r2filter]` command is the built binary, so mdBook spawns it
//! exactly as `mdbook build` does, against the in-process S3 server.
//!
//! mdBook's child inherits this process's environment, and tests run in
//! parallel threads, so the environment is never set here: the command is a
//! two-line `sh` script that `exec`s the real binary under `env -i` with just
//! what that build should see (credentials or none), and appends its stderr to
//! a file the test reads.

use std::collections::BTreeSet;

use crate::support::*;

const REMOTE: &str = "https://www.rust-lang.org/logos/rust-logo-512x512.png";

/// Every image of the fixture book (relative to `src/`) and its Content-Type.
const IMAGES: [(&str, &str); 8] = [
    ("images/figure.png", "image/png"),
    ("images/logo.svg", "image/svg+xml"),
    ("images/diagram.svg", "image/svg+xml"),
    ("guide/img/setup.png", "image/png"),
    ("guide/img/my screen.png", "image/png"),
    ("guide/deep/截图.png", "image/png"),
    ("guide/deep/screen-2x.png", "image/png"),
    ("guide/deep/café photo.jpg", "image/jpeg"),
];

fn url_of(bytes: &[u8], ext: &str) -> String {
    format!("{PUBLIC_URL}/{}.{ext}", sha256_hex(bytes))
}

fn ext_of(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/svg+xml" => "svg",
        other => panic!("unexpected type {other}"),
    }
}

const CLEAN: Via = Via::Clean {
    program: Program::MdbookR2filter,
    credentials: true,
};

#[test]
fn full_build_uploads_every_image_once_and_rebuilds_stay_offline() {
    let s3 = S3Server::start();
    let book = Book::new();
    book.configure(&s3, CLEAN, &[]);
    book.build().unwrap();

    // Every image of every chapter (nested, included, `/`-rooted, HTML srcset)
    // is served from the bucket; only the remote one is left alone.
    let mut expected: BTreeSet<String> = BTreeSet::from([REMOTE.to_string()]);
    for (rel, content_type) in IMAGES {
        let bytes = std::fs::read(book.src(rel)).unwrap();
        let key = format!("{}.{}", sha256_hex(&bytes), ext_of(content_type));
        let object = s3
            .get(&key)
            .unwrap_or_else(|| panic!("{rel} not in the bucket"));
        assert_eq!(object.bytes, bytes, "{rel}");
        assert_eq!(object.content_type.as_deref(), Some(content_type), "{rel}");
        expected.insert(url_of(&bytes, ext_of(content_type)));
    }
    assert_eq!(book.rendered_img_urls(), expected);
    assert_eq!(s3.count("PUT"), IMAGES.len(), "{:#?}", s3.requests());
    assert_eq!(s3.keys().len(), IMAGES.len());

    // README.md became index.html; click-to-enlarge links point at the object.
    let setup = url_of(
        &std::fs::read(book.src("guide/img/setup.png")).unwrap(),
        "png",
    );
    assert!(book.html("index.html").contains(&url_of(
        &std::fs::read(book.src("images/logo.svg")).unwrap(),
        "svg"
    )));
    assert!(
        book.html("guide/setup.html")
            .contains(&format!("<a href=\"{setup}\"><img src=\"{setup}\""))
    );
    // One manifest beside book.toml, one entry per distinct image.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(book.root.join("r2filter-manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["objects"].as_object().unwrap().len(), IMAGES.len());
    assert!(
        book.stderr()
            .contains(&format!("{} uploaded", IMAGES.len())),
        "{}",
        book.stderr()
    );

    // A rebuild (what `mdbook serve` does on every change) without any secret
    // makes no request at all and renders the same pages.
    let first = book.html("guide/deep/screens.html");
    s3.forget_requests();
    book.configure(
        &s3,
        Via::Clean {
            program: Program::MdbookR2filter,
            credentials: false,
        },
        &[],
    );
    book.build().unwrap();
    assert_eq!(s3.requests().len(), 0, "{:#?}", s3.requests());
    assert_eq!(book.html("guide/deep/screens.html"), first);

    // And with book.toml naming the binary itself, as a user writes it.
    book.configure(&s3, Via::Binary, &[]);
    book.build().unwrap();
    assert_eq!(s3.requests().len(), 0, "{:#?}", s3.requests());
    assert_eq!(book.rendered_img_urls(), expected);
}

#[test]
fn r2filter_mdbook_command_works_the_same() {
    let s3 = S3Server::start();
    let book = Book::new();
    book.configure(
        &s3,
        Via::Clean {
            program: Program::R2filterMdbook,
            credentials: true,
        },
        &[],
    );
    book.build().unwrap();
    let figure = std::fs::read(book.src("images/figure.png")).unwrap();
    // figure.png is only named by the {{#include}}d snippet.
    assert!(book.html("gallery.html").contains(&url_of(&figure, "png")));
    assert_eq!(s3.count("PUT"), IMAGES.len());
}

#[test]
fn offline_builds_use_the_manifest_or_fail() {
    let s3 = S3Server::start();
    let book = Book::new();
    let offline = Via::Clean {
        program: Program::R2filterOfflineMdbook,
        credentials: false,
    };
    book.configure(&s3, offline, &[]);
    let err = book.build().unwrap_err();
    assert!(err.contains("preprocessor exited unsuccessfully"), "{err}");
    assert!(
        book.stderr().contains(
            "error: src/README.md:6:9: src/images/logo.svg is not in the manifest (--offline)"
        ),
        "{}",
        book.stderr()
    );
    assert_eq!(s3.requests().len(), 0);

    book.configure(&s3, CLEAN, &[]);
    book.build().unwrap();
    s3.forget_requests();
    book.configure(&s3, offline, &[]);
    book.build().unwrap();
    assert_eq!(s3.requests().len(), 0);
    assert_eq!(book.rendered_img_urls().len(), IMAGES.len() + 1);
}

#[test]
fn dry_run_plans_on_stderr_reports_and_renders_the_book_unchanged() {
    let s3 = S3Server::start();
    let book = Book::new();
    book.configure(
        &s3,
        Via::Clean {
            program: Program::R2filterDryRunMdbook,
            credentials: false,
        },
        &[],
    );
    book.build().unwrap();
    assert_eq!(s3.requests().len(), 0);
    assert!(!book.root.join("r2filter-manifest.json").exists());
    let plan = book.stderr();
    let line = plan
        .lines()
        .find(|l| l.starts_with("src/guide/deep/screens.md:3:28 "))
        .unwrap_or_else(|| panic!("{plan}"));
    assert!(line.contains(" upload  截图.png "), "{line}");
    assert!(
        book.html("guide/setup.html")
            .contains("<img src=\"img/setup.png\"")
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(book.dir.path().join("report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["totals"]["documents"], 4);
}

#[test]
fn a_missing_image_fails_the_build_naming_chapter_line_and_column() {
    let s3 = S3Server::start();
    let book = Book::new();
    let chapter = book.src("guide/setup.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    std::fs::write(&chapter, format!("{text}\nGone: ![gone](img/gone.png)\n")).unwrap();
    let line = text.lines().count() + 2;
    book.configure(&s3, CLEAN, &[]);

    let err = book.build().unwrap_err();
    assert!(
        err.contains("\"r2filter\" preprocessor exited unsuccessfully"),
        "{err}"
    );
    let stderr = book.stderr();
    assert!(
        stderr.contains(&format!(
            "error: src/guide/setup.md:{line}:15: image file not found: \"img/gone.png\""
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{line} | Gone: ![gone](img/gone.png)\n   |               ^^^^^^^^^^^^\n"
        )),
        "{stderr}"
    );
    // Nothing was uploaded and no manifest written: the book fails as a whole.
    assert_eq!(s3.count("PUT"), 0);
    assert!(!book.root.join("r2filter-manifest.json").exists());
}

#[test]
fn on_missing_warn_keeps_the_link_and_warns() {
    let s3 = S3Server::start();
    let book = Book::new();
    let chapter = book.src("guide/deep/screens.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    std::fs::write(&chapter, format!("![gone](gone.png)\n\n{text}")).unwrap();
    book.configure(
        &s3,
        Via::Clean {
            program: Program::R2filterMdbook,
            credentials: true,
        },
        &[("on-missing", "warn")],
    );

    book.build().unwrap();
    let stderr = book.stderr();
    assert!(
        stderr.contains("src/guide/deep/screens.md:1:9: image file not found: \"gone.png\""),
        "{stderr}"
    );
    assert!(stderr.contains("1 missing kept"), "{stderr}");
    // Kept as written: on the chapter's page, and made relative to the book's
    // root on print.html (mdBook does that); everything else is rewritten.
    let urls = book.rendered_img_urls();
    let kept: Vec<&str> = urls
        .iter()
        .filter(|u| !u.starts_with("https://"))
        .map(String::as_str)
        .collect();
    assert_eq!(kept, ["gone.png", "guide/deep/gone.png"]);
    assert_eq!(urls.len(), IMAGES.len() + 3, "{urls:#?}");
    assert_eq!(s3.count("PUT"), IMAGES.len());
}

#[test]
fn supports_every_renderer_and_prints_nothing() {
    let site = Site::new();
    for renderer in ["html", "markdown", "epub", "anything"] {
        let out = Run::new(MDBOOK_R2FILTER, &site.root)
            .args(["supports", renderer])
            .run();
        assert_eq!(out.success(), "");
        assert_eq!(out.stderr, "");
        let out = site.r2filter().args(["mdbook", "supports", renderer]).run();
        assert_eq!(out.success(), "");
        assert_eq!(out.stderr, "");
    }
}

#[test]
fn input_that_is_not_from_mdbook_is_refused_with_nothing_on_stdout() {
    let site = Site::new();
    let out = Run::new(MDBOOK_R2FILTER, &site.root)
        .stdin("# not JSON\n")
        .run();
    let stderr = out.failure(1);
    assert!(stderr.contains("run me from mdBook"), "{stderr}");
}
