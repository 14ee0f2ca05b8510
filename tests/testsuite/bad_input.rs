//! The bad-input matrix: one test per way a document, a file, the manifest,
//! the credentials or the store can be wrong. Each asserts the message, the
//! exit code, an empty stdout, and that nothing was uploaded or written (the
//! site's files are the same before and after the run).
//!
//! A few cases also appear in tests/testsuite/filter.rs as part of longer stories; here
//! each stands alone with the full set of assertions.

use std::path::Path;

use crate::support::*;

/// Runs `doc` through the filter against `s3`, expecting failure `code`, and
/// checks nothing was uploaded or written.
#[track_caller]
fn refused(site: &Site, s3: &S3Server, run: Run, code: i32) -> Output {
    let before = tree(&site.root);
    let manifest_before = std::fs::read(site.path("r2filter-manifest.json")).ok();
    let out = run.run();
    let err = out.failure(code).to_string();
    assert_eq!(tree(&site.root), before, "the run wrote files\n{err}");
    assert_eq!(
        std::fs::read(site.path("r2filter-manifest.json")).ok(),
        manifest_before,
        "the manifest changed"
    );
    assert!(
        s3.keys().is_empty(),
        "something was uploaded: {:?}",
        s3.keys()
    );
    assert!(s3.stored_puts().is_empty(), "a PUT was stored\n{err}");
    out
}

/// As [`refused`], and no request reached the store at all (the problem was
/// caught before any network use).
#[track_caller]
fn refused_offline(site: &Site, s3: &S3Server, run: Run, code: i32) -> Output {
    let out = refused(site, s3, run, code);
    assert_eq!(s3.requests().len(), 0, "a request was sent\n{}", out.stderr);
    out
}

#[track_caller]
fn says(err: &str, what: &[&str]) {
    for w in what {
        assert!(err.contains(w), "expected {w:?} in\n{err}");
    }
}

/// A PNG outside the root, at `<tmp>/secret.png`; returns its absolute path.
fn secret_outside(site: &Site) -> std::path::PathBuf {
    let p = site.dir.path().join("secret.png");
    std::fs::write(&p, png(666)).unwrap();
    p
}

#[test]
fn missing_file_suggests_the_near_miss() {
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("img/Sunset.png", 1);
    let run = site
        .r2filter()
        .against(&s3)
        .stdin("# Post\n\n![s](img/sunset.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:3:6: image file not found: "img/sunset.png" (looked for img/sunset.png)
  |
3 | ![s](img/sunset.png)
  |      ^^^^^^^^^^^^^^
  = hint: did you mean "Sunset.png"?

"#]]);
}

#[test]
fn a_directory_is_not_an_image() {
    let (s3, site) = (S3Server::start(), Site::new());
    std::fs::create_dir_all(site.path("img/folder.png")).unwrap();
    let run = site.r2filter().against(&s3).stdin("![d](img/folder.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: "img/folder.png" is a directory, not an image file
  |
1 | ![d](img/folder.png)
  |      ^^^^^^^^^^^^^^
  = hint: point the reference at an image file

"#]]);
}

#[test]
fn a_fifo_is_refused_without_being_opened() {
    // Opening a FIFO for reading blocks until a writer comes: a document
    // naming one must be refused by its type, not hang the build.
    let (s3, site) = (S3Server::start(), Site::new());
    std::fs::create_dir_all(site.path("img")).unwrap();
    let fifo = site.path("img/pipe.png");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let run = site.r2filter().against(&s3).stdin("![p](img/pipe.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: "img/pipe.png" is not a regular file (a FIFO), not an image file
  |
1 | ![p](img/pipe.png)
  |      ^^^^^^^^^^^^
  = hint: point the reference at an image file

"#]]);
}

#[test]
fn an_unreadable_file_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("img/locked.png", 1);
    let locked = site.path("img/locked.png");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any file whatever its mode, so as root the run is made as
    // `nobody`, with the folders on the way open to it.
    let run = if is_root() {
        for dir in [site.dir.path(), site.root.as_path(), &site.path("img")] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        site.r2filter_as(65534, 65534)
    } else {
        site.r2filter()
    };
    let run = run.against(&s3).stdin("![l](img/locked.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: cannot read img/locked.png: Permission denied (os error 13)
  |
1 | ![l](img/locked.png)
  |      ^^^^^^^^^^^^^^
  = hint: check the file's permissions

"#]]);
}

// A plain URL in place of `/u "x"` (after a no-break space) would close the
// link's title and turn the text into a link: refused, naming the place.
#[test]
fn a_rewrite_that_would_change_the_text_around_it_is_refused() {
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("post/a.jpg", 1);
    site.image("post/u\u{a0}\"x\"", 2);
    site.write("post/p.md", "[z](a.jpg \"t ![i](u\u{a0}\"x\") y\")\n");
    let run = site
        .r2filter()
        .against(&s3)
        .args(["post/p.md", "--in-place"]);
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: post/p.md:1:19: the image "u\u{a0}\"x\"" cannot be rewritten here: a plain URL in its place would change how the text around it reads
  |
1 | [z](a.jpg "t ![i](u "x") y")
  |                   ^
  = hint: the path's quotes, brackets, backquotes or spaces are read by the construct around it: rename the file, or write those characters percent-encoded (`%22` for `"`, `%28` for `(`, `%20` for a space)

"#]]);
    assert_eq!(
        site.read("post/p.md"),
        "[z](a.jpg \"t ![i](u\u{a0}\"x\") y\")\n",
        "the document is left as it was"
    );
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

#[test]
fn an_empty_file_is_not_an_image() {
    let (s3, site) = (S3Server::start(), Site::new());
    site.write("img/empty.png", "");
    let run = site.r2filter().against(&s3).stdin("![e](img/empty.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: img/empty.png is not an image (its bytes are not PNG, JPEG, GIF, WebP, AVIF, SVG, ICO, BMP or TIFF)
  |
1 | ![e](img/empty.png)
  |      ^^^^^^^^^^^^^
  = hint: only images are published: fix the reference, or replace the file with a real image

"#]]);
}

#[test]
fn text_with_an_image_extension_is_not_published() {
    let (s3, site) = (S3Server::start(), Site::new());
    site.write(
        "img/id_rsa.png",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n",
    );
    let run = site.r2filter().against(&s3).stdin("![k](img/id_rsa.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: img/id_rsa.png is not an image (its bytes are not PNG, JPEG, GIF, WebP, AVIF, SVG, ICO, BMP or TIFF)
  |
1 | ![k](img/id_rsa.png)
  |      ^^^^^^^^^^^^^^
  = hint: only images are published: fix the reference, or replace the file with a real image

"#]]);
    assert!(!out.stderr.contains("BEGIN OPENSSH"), "{}", out.stderr);
}

#[test]
fn dot_dot_traversal_is_refused() {
    let (s3, site) = (S3Server::start(), Site::new());
    secret_outside(&site);
    site.image("img/a.png", 1);
    let run = site
        .r2filter()
        .against(&s3)
        .stdin("![a](img/a.png) ![x](../secret.png) ![y](img/../../secret.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:22: image path "../secret.png" leaves the root folder [ROOT]
  |
1 | ![a](img/a.png) ![x](../secret.png) ![y](img/../../secret.png)
  |                      ^^^^^^^^^^^^^
  = hint: only files inside the root can be published; move the image inside it or set --root / `root`
error: <stdin>:1:42: image path "img/../../secret.png" leaves the root folder [ROOT]
  |
1 | ![a](img/a.png) ![x](../secret.png) ![y](img/../../secret.png)
  |                                          ^^^^^^^^^^^^^^^^^^^^
  = hint: only files inside the root can be published; move the image inside it or set --root / `root`
error: 2 references failed; nothing was written

"#]]);
}

#[test]
fn percent_encoded_traversal_is_refused() {
    let (s3, site) = (S3Server::start(), Site::new());
    secret_outside(&site);
    let run = site
        .r2filter()
        .against(&s3)
        .stdin("![x](%2e%2e%2fsecret.png) ![y](img/%2E%2E/..%2F%2e%2e/secret.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: image path "../secret.png" leaves the root folder [ROOT]
  |
1 | ![x](%2e%2e%2fsecret.png) ![y](img/%2E%2E/..%2F%2e%2e/secret.png)
  |      ^^^^^^^^^^^^^^^^^^^
  = hint: only files inside the root can be published; move the image inside it or set --root / `root`
error: <stdin>:1:32: image path "img/../../../secret.png" leaves the root folder [ROOT]
  |
1 | ![x](%2e%2e%2fsecret.png) ![y](img/%2E%2E/..%2F%2e%2e/secret.png)
  |                                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = hint: only files inside the root can be published; move the image inside it or set --root / `root`
error: 2 references failed; nothing was written

"#]]);
}

#[test]
fn an_absolute_path_resolves_inside_the_site_root_only() {
    // `/x.png` means the site root's x.png (public/, mdBook's src/), never the
    // machine's /x.png: the real file at that absolute path is not read.
    let (s3, site) = (S3Server::start(), Site::new());
    let secret = secret_outside(&site);
    let doc = format!("![x]({})\n", secret.display());
    let run = site.r2filter().against(&s3).stdin(&doc);
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: image file not found: "[TMP]/secret.png" (looked for [..]/secret.png)
  |
1 | ![x]([TMP]/secret.png)
  |      ^[..]
  = hint: fix the path, add the file, or set on-missing to warn (`--on-missing warn`, or `on-missing = "warn"` in the config) to keep the link as it is

"#]]);
}

#[test]
fn backslashes_are_refused() {
    let (s3, site) = (S3Server::start(), Site::new());
    secret_outside(&site);
    site.image("img/a.png", 1);
    let run = site
        .r2filter()
        .against(&s3)
        .stdin("<img src=\"..\\secret.png\">\n\n![a](img\\a.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:11: image path "..\\secret.png" contains a backslash or NUL
  |
1 | <img src="..\secret.png">
  |           ^^^^^^^^^^^^^
  = hint: write paths with forward slashes
error: <stdin>:3:6: image path "img\\a.png" contains a backslash or NUL
  |
3 | ![a](img\a.png)
  |      ^^^^^^^^^
  = hint: write paths with forward slashes
error: 2 references failed; nothing was written

"#]]);
}

#[test]
fn a_symlink_out_of_the_root_is_refused() {
    let (s3, site) = (S3Server::start(), Site::new());
    let secret = secret_outside(&site);
    std::fs::create_dir_all(site.path("img")).unwrap();
    std::os::unix::fs::symlink(&secret, site.path("img/innocent.png")).unwrap();
    // A symlinked folder too.
    std::os::unix::fs::symlink(site.dir.path(), site.path("img/up")).unwrap();
    let run = site
        .r2filter()
        .against(&s3)
        .stdin("![i](img/innocent.png)\n![u](img/up/secret.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: image path "img/innocent.png" leaves the root folder [ROOT]
  |
1 | ![i](img/innocent.png)
  |      ^^^^^^^^^^^^^^^^
  = hint: only files inside the root can be published; move the image inside it or set --root / `root`
error: <stdin>:2:6: image path "img/up/secret.png" leaves the root folder [ROOT]
  |
2 | ![u](img/up/secret.png)
  |      ^^^^^^^^^^^^^^^^^
  = hint: only files inside the root can be published; move the image inside it or set --root / `root`
error: 2 references failed; nothing was written

"#]]);
}

#[test]
fn invalid_utf8_is_refused() {
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("a.png", 1);
    let run = site
        .r2filter()
        .against(&s3)
        .stdin(b"![a](a.png)\n\xc3\x28 latin-1 caf\xe9\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin> is not UTF-8 text (byte 12)
  = hint: save the document as UTF-8

"#]]);
}

#[test]
fn a_corrupt_manifest_is_never_overwritten() {
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("a.png", 1);
    let conflict = "{\n<<<<<<< HEAD\n  \"version\": 1,\n=======\n>>>>>>> branch\n}\n";
    site.write("r2filter-manifest.json", conflict);
    let run = site.r2filter().against(&s3).stdin("![a](a.png)\n");
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: manifest [ROOT]/r2filter-manifest.json is not valid: line 2 column 1: key must be a string
  = hint: it was left as it is: fix it (git checkout it, or resolve the merge conflict), or delete it to rebuild it from the bucket

"#]]);
    assert_eq!(site.read("r2filter-manifest.json"), conflict);
}

#[test]
fn a_manifest_for_another_destination_is_refused() {
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("a.png", 1);
    let other = serde_json::json!({
        "version": 1,
        "destination": {
            "store": "s3",
            "endpoint": "https://0123456789abcdef.r2.cloudflarestorage.com",
            "bucket": "production-assets",
            "public_url": "https://assets.example.org"
        },
        "objects": {}
    });
    site.write(
        "r2filter-manifest.json",
        serde_json::to_string_pretty(&other).unwrap(),
    );
    let run = site.r2filter().against(&s3).stdin("![a](a.png)\n");
    let out = refused_offline(&site, &s3, run, 2);
    out.stderr_eq(str![[r#"
error: manifest [ROOT]/r2filter-manifest.json was made for bucket production-assets at https://0123456789abcdef.r2.cloudflarestorage.com, served from https://assets.example.org, but this run publishes to bucket test-bucket at [ENDPOINT], served from https://assets.example.com
  = hint: pass --manifest with another file for this destination, or delete the manifest to start over

"#]]);
}

#[test]
fn a_wrong_secret_gets_403_and_is_never_printed() {
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("a.png", 1);
    let wrong = "wrong-secret-wrong-secret-0123456789abcdef";
    let run = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .credentials(ACCESS_KEY, wrong)
        .args(["-vv"])
        .stdin("![a](a.png)\n");
    let err = refused(&site, &s3, run, 1).stderr;
    says(
        &err,
        &[
            "<stdin>:1:6: uploading a.png: PUT ",
            "HTTP 403 SignatureDoesNotMatch",
            "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
            "region must be `auto`",
        ],
    );
    // Not even in trace logging, nor any long piece of it.
    for piece in wrong.as_bytes().chunks(12) {
        let piece = std::str::from_utf8(piece).unwrap();
        assert!(!err.contains(piece), "{piece:?} printed");
    }
    assert!(!err.contains(SECRET_KEY));
}

/// The run's clock two hours in the past (libfaketime): its SigV4 dates are
/// off, and the server allows 15 minutes, as S3 does.
fn skewed(site: &Site, s3: &S3Server) -> Option<Run> {
    let lib = tool(
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "apt-get install faketime",
    )?;
    Some(
        site.r2filter()
            .against(s3)
            .env("LD_PRELOAD", &lib)
            .env("FAKETIME", "-2h")
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .stdin("![a](a.png)\n"),
    )
}

#[test]
fn a_skewed_clock_gets_request_time_too_skewed() {
    // With the SDK's clock-skew correction off (AWS_DISABLE_CLOCK_SKEW_CORRECTION,
    // as in some CI images), the store's answer reaches the person.
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("a.png", 1);
    let Some(run) = skewed(&site, &s3) else {
        return;
    };
    let run = run.env("AWS_DISABLE_CLOCK_SKEW_CORRECTION", "true");
    let err = refused(&site, &s3, run, 1).stderr;
    says(
        &err,
        &[
            "<stdin>:1:6: uploading a.png: PUT ",
            "HTTP 403 RequestTimeTooSkewed",
            "hint: this machine's clock is more than 15 minutes off: sync it",
        ],
    );
}

#[test]
fn a_skewed_clock_is_corrected_by_default() {
    // By default the SDK learns the offset from the store's Date header after
    // the first rejection and signs the next try with the corrected time.
    let (s3, site) = (S3Server::start(), Site::new());
    let bytes = site.image("a.png", 1);
    let Some(run) = skewed(&site, &s3) else {
        return;
    };
    run.args(["--key-template", "{hash}.{ext}"]).run().success();
    assert!(s3.statuses().contains(&403), "{:?}", s3.statuses());
    assert_eq!(
        s3.stored(&format!("{}.png", sha256_hex(&bytes))),
        Some(bytes)
    );
}

#[test]
fn no_such_bucket_is_explained() {
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("a.png", 1);
    let run = site
        .r2filter()
        .against(&s3)
        .args(["--bucket", "no-such-bucket"])
        .stdin("![a](a.png)\n");
    let out = refused(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: uploading a.png: PUT [YEAR_MONTH]38a5fe0b9c70.png: HTTP 404 NoSuchBucket: The specified bucket does not exist: no-such-bucket
  |
1 | ![a](a.png)
  |      ^^^^^
  = hint: create the bucket, or fix `bucket` / `endpoint` / `account-id`

"#]]);
    assert!(!Path::new(&s3.dir.path().join("no-such-bucket")).exists());
}

#[test]
fn an_unreachable_endpoint_is_explained() {
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("a.png", 1);
    let dead = closed_port_endpoint();
    let run = site
        .r2filter()
        .endpoint(&dead)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .stdin("![a](a.png)\n");
    // Unused, but lets `refused` check that nothing landed anywhere.
    let out = refused_offline(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: uploading a.png: cannot reach the store at [ENDPOINT]: dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111)
  |
1 | ![a](a.png)
  |      ^^^^^
  = hint: check `endpoint` (or `account-id`) and the network; a run with every image in the manifest needs no network

"#]]);
}

#[test]
fn acl_is_sent_only_when_configured_and_r2s_501_is_explained() {
    let s3 = S3Server::start_with(Quirks {
        reject_acl: true,
        ..Quirks::default()
    });
    let site = Site::new();
    site.image("a.png", 1);
    let run = site
        .r2filter()
        .against(&s3)
        .args(["--acl", "public-read"])
        .stdin("![a](a.png)\n");
    let out = refused(&site, &s3, run, 1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: uploading a.png: PUT [YEAR_MONTH]38a5fe0b9c70.png: HTTP 501 NotImplemented: Header 'x-amz-acl' with value 'public-read' not implemented
  |
1 | ![a](a.png)
  |      ^^^^^
  = hint: R2 does not implement x-amz-acl: remove `acl` from the configuration (make the bucket public with a custom domain instead)

"#]]);
    // Without it, the same server takes the upload.
    site.r2filter()
        .against(&s3)
        .stdin("![a](a.png)\n")
        .run()
        .success();
    assert_eq!(s3.keys().len(), 1);
}
