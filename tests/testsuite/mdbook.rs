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
    book.stderr_eq(str![[r#"
r2filter: 16 references in 4 documents: 8 uploaded (1023 B), 0 from manifest, 0 already in bucket, 1 remote skipped in [ELAPSED]

"#]]);

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
    book.stderr_eq(str![[r#"
error: src/README.md:6:9: src/images/logo.svg is not in the manifest (--offline)
  |
6 | ![Logo](/images/logo.svg)
  |         ^^^^^^^^^^^^^^^^
  = hint: run once without --offline (with credentials) to upload it
error: src/guide/deep/screens.md:3:28: src/guide/deep/截图.png is not in the manifest (--offline)
  |
3 | A Chinese file name: ![截图](截图.png)
  |                              ^^^^^^^^
  = hint: run once without --offline (with credentials) to upload it
error: src/guide/deep/screens.md:5:54: src/guide/deep/café photo.jpg is not in the manifest (--offline)
  |
5 | Percent-encoded, with an accent and a space: ![Café](caf%C3%A9%20photo.jpg)
  |                                                      ^^^^^^^^^^^^^^^^^^^^^
  = hint: run once without --offline (with credentials) to upload it
error: src/guide/deep/screens.md:8:13: src/guide/deep/screen-2x.png is not in the manifest (--offline)
  |
8 |   <img src="screen-2x.png"
  |             ^^^^^^^^^^^^^
  = hint: run once without --offline (with credentials) to upload it
error: src/guide/deep/screens.md:9:34: src/guide/img/my screen.png is not in the manifest (--offline)
  |
9 |        srcset="screen-2x.png 2x, ../img/my%20screen.png 1x"
  |                                  ^^^^^^^^^^^^^^^^^^^^^^
  = hint: run once without --offline (with credentials) to upload it
error: src/guide/setup.md:3:43: src/guide/img/setup.png is not in the manifest (--offline)
  |
3 | Inline, with a title: ![The setup screen](img/setup.png "Setup")
  |                                           ^^^^^^^^^^^^^
  = hint: run once without --offline (with credentials) to upload it
error: src/guide/setup.md:18:12: src/images/diagram.svg is not in the manifest (--offline)
   |
18 | [diagram]: ../images/diagram.svg
   |            ^^^^^^^^^^^^^^^^^^^^^
   = hint: run once without --offline (with credentials) to upload it
error: src/gallery.md:7:13: src/images/figure.png is not in the manifest (--offline)
  |
7 | ![A figure](images/figure.png)
  |             ^^^^^^^^^^^^^^^^^
  = hint: run once without --offline (with credentials) to upload it
error: 8 references failed; nothing was written

"#]]);
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
    book.stderr_eq(str![[r#"
LOCATION                         ACTION  IMAGE                                                  KEY                                                                   URL
src/README.md:6:9                upload  /images/logo.svg                                       6f3ab299b8be7cda7fdbaad43668181ba1373a3b18b2de8263c26bdef9dd4cb2.svg  https://assets.example.com/6f3ab299b8be7cda7fdbaad43668181ba1373a3b18b2de8263c26bdef9dd4cb2.svg
src/README.md:8:44               remote  https://www.rust-lang.org/logos/rust-logo-512x512.png  -                                                                     -
src/gallery.md:7:13              upload  images/figure.png                                      90c5d28a909043a40fc844cb24168a6a304c35dcc12c417585449456b95b133a.png  https://assets.example.com/90c5d28a909043a40fc844cb24168a6a304c35dcc12c417585449456b95b133a.png
src/gallery.md:9:22              upload  images/diagram.svg                                     fcf32b95ddc4e861cc2de4ac612f4a1749ee4ceb3e08379b6dfdaa581ef43197.svg  https://assets.example.com/fcf32b95ddc4e861cc2de4ac612f4a1749ee4ceb3e08379b6dfdaa581ef43197.svg
src/guide/deep/screens.md:3:28   upload  截图.png                                               e45dc2079e41c42c56d0237d9fc2055d318199e729beab82e0c8222da35ca1aa.png  https://assets.example.com/e45dc2079e41c42c56d0237d9fc2055d318199e729beab82e0c8222da35ca1aa.png
src/guide/deep/screens.md:5:54   upload  caf%C3%A9%20photo.jpg                                  26943dc71b6f0b7f18fd4a035ea50b8b31e46a53a74e2a13bf9a14312be9541b.jpg  https://assets.example.com/26943dc71b6f0b7f18fd4a035ea50b8b31e46a53a74e2a13bf9a14312be9541b.jpg
src/guide/deep/screens.md:8:13   upload  screen-2x.png                                          cf5835185fb40c6b3fb7e696002095b9c81f7359176e3fd4ce43e3efd4effedc.png  https://assets.example.com/cf5835185fb40c6b3fb7e696002095b9c81f7359176e3fd4ce43e3efd4effedc.png
src/guide/deep/screens.md:9:16   upload  screen-2x.png                                          cf5835185fb40c6b3fb7e696002095b9c81f7359176e3fd4ce43e3efd4effedc.png  https://assets.example.com/cf5835185fb40c6b3fb7e696002095b9c81f7359176e3fd4ce43e3efd4effedc.png
src/guide/deep/screens.md:9:34   upload  ../img/my%20screen.png                                 027afdfa751d12811478b5f81c3c9c53d375255f7bd7a9de1d76ab0c0f345331.png  https://assets.example.com/027afdfa751d12811478b5f81c3c9c53d375255f7bd7a9de1d76ab0c0f345331.png
src/guide/deep/screens.md:14:40  upload  /images/logo.svg                                       6f3ab299b8be7cda7fdbaad43668181ba1373a3b18b2de8263c26bdef9dd4cb2.svg  https://assets.example.com/6f3ab299b8be7cda7fdbaad43668181ba1373a3b18b2de8263c26bdef9dd4cb2.svg
src/guide/setup.md:3:43          upload  img/setup.png                                          d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png  https://assets.example.com/d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png
src/guide/setup.md:5:57          upload  img/my screen.png                                      027afdfa751d12811478b5f81c3c9c53d375255f7bd7a9de1d76ab0c0f345331.png  https://assets.example.com/027afdfa751d12811478b5f81c3c9c53d375255f7bd7a9de1d76ab0c0f345331.png
src/guide/setup.md:9:36          upload  img/setup.png                                          d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png  https://assets.example.com/d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png
src/guide/setup.md:9:52          upload  img/setup.png                                          d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png  https://assets.example.com/d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png
src/guide/setup.md:17:10         upload  img/setup.png                                          d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png  https://assets.example.com/d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png
src/guide/setup.md:18:12         upload  ../images/diagram.svg                                  fcf32b95ddc4e861cc2de4ac612f4a1749ee4ceb3e08379b6dfdaa581ef43197.svg  https://assets.example.com/fcf32b95ddc4e861cc2de4ac612f4a1749ee4ceb3e08379b6dfdaa581ef43197.svg
r2filter: 16 references in 4 documents: 8 to upload (1023 B), 0 from manifest, 0 already in bucket, 1 remote skipped in [ELAPSED]

"#]]);
    assert!(
        book.html("guide/setup.html")
            .contains("<img src=\"img/setup.png\"")
    );
    book.snapshot(
        std::fs::read_to_string(book.dir.path().join("report.json")).unwrap(),
        str![[r#"
{
  "version": 1,
  "ok": true,
  "dry_run": true,
  "offline": false,
  "references": [
    {
      "document": "src/README.md",
      "line": 6,
      "column": 9,
      "original": "/images/logo.svg",
      "url": "https://assets.example.com/6f3ab299b8be7cda7fdbaad43668181ba1373a3b18b2de8263c26bdef9dd4cb2.svg",
      "key": "6f3ab299b8be7cda7fdbaad43668181ba1373a3b18b2de8263c26bdef9dd4cb2.svg",
      "status": "planned"
    },
    {
      "document": "src/README.md",
      "line": 8,
      "column": 44,
      "original": "https://www.rust-lang.org/logos/rust-logo-512x512.png",
      "status": "remote"
    },
    {
      "document": "src/gallery.md",
      "line": 7,
      "column": 13,
      "original": "images/figure.png",
      "url": "https://assets.example.com/90c5d28a909043a40fc844cb24168a6a304c35dcc12c417585449456b95b133a.png",
      "key": "90c5d28a909043a40fc844cb24168a6a304c35dcc12c417585449456b95b133a.png",
      "status": "planned"
    },
    {
      "document": "src/gallery.md",
      "line": 9,
      "column": 22,
      "original": "images/diagram.svg",
      "url": "https://assets.example.com/fcf32b95ddc4e861cc2de4ac612f4a1749ee4ceb3e08379b6dfdaa581ef43197.svg",
      "key": "fcf32b95ddc4e861cc2de4ac612f4a1749ee4ceb3e08379b6dfdaa581ef43197.svg",
      "status": "planned"
    },
    {
      "document": "src/guide/deep/screens.md",
      "line": 3,
      "column": 28,
      "original": "截图.png",
      "url": "https://assets.example.com/e45dc2079e41c42c56d0237d9fc2055d318199e729beab82e0c8222da35ca1aa.png",
      "key": "e45dc2079e41c42c56d0237d9fc2055d318199e729beab82e0c8222da35ca1aa.png",
      "status": "planned"
    },
    {
      "document": "src/guide/deep/screens.md",
      "line": 5,
      "column": 54,
      "original": "caf%C3%A9%20photo.jpg",
      "url": "https://assets.example.com/26943dc71b6f0b7f18fd4a035ea50b8b31e46a53a74e2a13bf9a14312be9541b.jpg",
      "key": "26943dc71b6f0b7f18fd4a035ea50b8b31e46a53a74e2a13bf9a14312be9541b.jpg",
      "status": "planned"
    },
    {
      "document": "src/guide/deep/screens.md",
      "line": 8,
      "column": 13,
      "original": "screen-2x.png",
      "url": "https://assets.example.com/cf5835185fb40c6b3fb7e696002095b9c81f7359176e3fd4ce43e3efd4effedc.png",
      "key": "cf5835185fb40c6b3fb7e696002095b9c81f7359176e3fd4ce43e3efd4effedc.png",
      "status": "planned"
    },
    {
      "document": "src/guide/deep/screens.md",
      "line": 9,
      "column": 16,
      "original": "screen-2x.png",
      "url": "https://assets.example.com/cf5835185fb40c6b3fb7e696002095b9c81f7359176e3fd4ce43e3efd4effedc.png",
      "key": "cf5835185fb40c6b3fb7e696002095b9c81f7359176e3fd4ce43e3efd4effedc.png",
      "status": "planned"
    },
    {
      "document": "src/guide/deep/screens.md",
      "line": 9,
      "column": 34,
      "original": "../img/my%20screen.png",
      "url": "https://assets.example.com/027afdfa751d12811478b5f81c3c9c53d375255f7bd7a9de1d76ab0c0f345331.png",
      "key": "027afdfa751d12811478b5f81c3c9c53d375255f7bd7a9de1d76ab0c0f345331.png",
      "status": "planned"
    },
    {
      "document": "src/guide/deep/screens.md",
      "line": 14,
      "column": 40,
      "original": "/images/logo.svg",
      "url": "https://assets.example.com/6f3ab299b8be7cda7fdbaad43668181ba1373a3b18b2de8263c26bdef9dd4cb2.svg",
      "key": "6f3ab299b8be7cda7fdbaad43668181ba1373a3b18b2de8263c26bdef9dd4cb2.svg",
      "status": "planned"
    },
    {
      "document": "src/guide/setup.md",
      "line": 3,
      "column": 43,
      "original": "img/setup.png",
      "url": "https://assets.example.com/d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png",
      "key": "d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png",
      "status": "planned"
    },
    {
      "document": "src/guide/setup.md",
      "line": 5,
      "column": 57,
      "original": "img/my screen.png",
      "url": "https://assets.example.com/027afdfa751d12811478b5f81c3c9c53d375255f7bd7a9de1d76ab0c0f345331.png",
      "key": "027afdfa751d12811478b5f81c3c9c53d375255f7bd7a9de1d76ab0c0f345331.png",
      "status": "planned"
    },
    {
      "document": "src/guide/setup.md",
      "line": 9,
      "column": 36,
      "original": "img/setup.png",
      "url": "https://assets.example.com/d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png",
      "key": "d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png",
      "status": "planned"
    },
    {
      "document": "src/guide/setup.md",
      "line": 9,
      "column": 52,
      "original": "img/setup.png",
      "url": "https://assets.example.com/d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png",
      "key": "d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png",
      "status": "planned"
    },
    {
      "document": "src/guide/setup.md",
      "line": 17,
      "column": 10,
      "original": "img/setup.png",
      "url": "https://assets.example.com/d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png",
      "key": "d86ad287a85d0c9312b52a9e61103c00368af50b269f4bfd29bc35194453770a.png",
      "status": "planned"
    },
    {
      "document": "src/guide/setup.md",
      "line": 18,
      "column": 12,
      "original": "../images/diagram.svg",
      "url": "https://assets.example.com/fcf32b95ddc4e861cc2de4ac612f4a1749ee4ceb3e08379b6dfdaa581ef43197.svg",
      "key": "fcf32b95ddc4e861cc2de4ac612f4a1749ee4ceb3e08379b6dfdaa581ef43197.svg",
      "status": "planned"
    }
  ],
  "totals": {
    "documents": 4,
    "references": 16,
    "uploaded": 8,
    "uploaded_bytes": 1023,
    "from_manifest": 0,
    "in_bucket": 0,
    "remote": 1,
    "missing": 0,
    "elapsed_ms": [ELAPSED_MS]
  },
  "errors": [],
  "site": {
    "site": "mdbook",
    "detected_from": "book.toml",
    "math": {
      "value": false,
      "why": {
        "by": "default"
      }
    },
    "hugo_shortcodes": {
      "value": {},
      "why": {
        "by": "default"
      }
    },
    "hexo_tags": {
      "value": false,
      "why": {
        "by": "default"
      }
    },
    "wikilinks": {
      "value": false,
      "why": {
        "by": "default"
      }
    }
  }
}

"#]],
    );
}

#[test]
fn a_missing_image_fails_the_build_naming_chapter_line_and_column() {
    let s3 = S3Server::start();
    let book = Book::new();
    let chapter = book.src("guide/setup.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    std::fs::write(&chapter, format!("{text}\nGone: ![gone](img/gone.png)\n")).unwrap();
    book.configure(&s3, CLEAN, &[]);

    let err = book.build().unwrap_err();
    assert!(
        err.contains("\"r2filter\" preprocessor exited unsuccessfully"),
        "{err}"
    );
    book.stderr_eq(str![[r#"
error: src/guide/setup.md:20:15: image file not found: "img/gone.png" (looked for src/guide/img/gone.png)
   |
20 | Gone: ![gone](img/gone.png)
   |               ^^^^^^^^^^^^
   = hint: fix the path, add the file, or set on-missing to warn (`--on-missing warn`, or `on-missing = "warn"` in the config) to keep the link as it is

"#]]);
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
    book.stderr_eq(str![[r#"
 WARN src/guide/deep/screens.md:1:9: image file not found: "gone.png" (looked for src/guide/deep/gone.png); kept as written
r2filter: 17 references in 4 documents: 8 uploaded (1023 B), 0 from manifest, 0 already in bucket, 1 remote skipped, 1 missing kept in [ELAPSED]

"#]]);
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
        let out = Run::new(mdbook_r2filter(), &site.root)
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
    let out = Run::new(mdbook_r2filter(), &site.root)
        .stdin("# not JSON\n")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: cannot read <stdin>: Unable to parse the input: expected value at line 1 column 1 (expected mdBook's [context, book] JSON: run me from mdBook)
  = hint: check the path

"#]]);
}
