//! `r2filter check` (offline lint) and `r2filter verify` (HEAD every object).

use crate::support::*;

const FLAT: [&str; 2] = ["--key-template", "{hash}.{ext}"];

/// A site whose posts/a.md is uploaded; posts/b.mdx references an image not
/// uploaded yet and one that does not exist.
fn half_published(s3: &S3Server) -> Site {
    let site = Site::new();
    site.image("posts/img/a.png", 1);
    site.image("posts/img/b.png", 2);
    site.write("posts/a.md", "# A\n\n![a](img/a.png)\n");
    site.write(
        "posts/b.mdx",
        "# B\n\n<Figure src=\"img/b.png\" />\n\n![gone](img/c.png)\n![a again](img/a.png)\n",
    );
    // Ignored folders are not checked.
    site.write(".gitignore", "node_modules/\n");
    site.write("posts/node_modules/pkg/README.md", "![x](nope.png)\n");
    site.r2filter()
        .against(s3)
        .args(FLAT)
        .args(["--base-dir", "posts"])
        .stdin(site.read("posts/a.md"))
        .run()
        .success();
    site
}

#[test]
fn check_lists_every_image_missing_from_disk_or_manifest_offline() {
    let s3 = S3Server::start();
    let site = half_published(&s3);
    let manifest = site.read("r2filter-manifest.json");
    s3.forget_requests();
    // No credentials, and the endpoint would refuse a connection anyway.
    let out = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(FLAT)
        .args(["check", "posts"])
        .run();
    let err = out.failure(1);
    out.stderr_eq(str![[r#"
r2filter: read as a commonmark site (nothing matched); math off; hugo-shortcodes off; hexo-tags off; wikilinks off
error: posts/b.mdx:3:14: posts/img/b.png is not in the manifest [ROOT]/r2filter-manifest.json
  |
3 | <Figure src="img/b.png" />
  |              ^^^^^^^^^
  = hint: run r2filter on this document (with credentials) to upload it, and commit the manifest
error: posts/b.mdx:5:9: image file not found: "img/c.png" (looked for posts/img/c.png)
  |
5 | ![gone](img/c.png)
  |         ^^^^^^^^^
  = hint: fix the path, add the file, or set on-missing to warn (`--on-missing warn`, or `on-missing = "warn"` in the config) to keep the link as it is
error: 2 references failed; nothing was written

"#]]);
    assert!(!err.contains("a.md"), "{err}");
    assert!(!err.contains("node_modules"), "{err}");
    assert_eq!(s3.requests().len(), 0, "check made a request");
    assert_eq!(site.read("r2filter-manifest.json"), manifest);

    // Publish b, drop the missing one: check passes, files or folders alike.
    site.write("posts/b.mdx", "# B\n\n<Figure src=\"img/b.png\" />\n");
    site.r2filter()
        .against(&s3)
        .args(FLAT)
        .args(["--base-dir", "posts", "--mdx"])
        .stdin(site.read("posts/b.mdx"))
        .run()
        .success();
    s3.forget_requests();
    let out = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(["check", "posts/a.md", "posts"])
        .run();
    out.success();
    out.stderr_eq(str![[r#"
r2filter: read as a commonmark site (nothing matched); math off; hugo-shortcodes off; hexo-tags off; wikilinks off
r2filter check: 2 local image references in 2 documents: all on disk and in [ROOT]/r2filter-manifest.json

"#]]);
    assert_eq!(s3.requests().len(), 0);
}

#[test]
fn check_reads_standard_input_without_paths() {
    let s3 = S3Server::start();
    let site = half_published(&s3);
    let out = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(["check", "--base-dir", "posts"])
        .stdin("![a](img/a.png) ![b](img/b.png)\n")
        .run();
    let err = out.failure(1);
    out.stderr_eq(str![[r#"
r2filter: read as a commonmark site (nothing matched); math off; hugo-shortcodes off; hexo-tags off; wikilinks off
error: <stdin>:1:22: posts/img/b.png is not in the manifest [ROOT]/r2filter-manifest.json
  |
1 | ![a](img/a.png) ![b](img/b.png)
  |                      ^^^^^^^^^
  = hint: run r2filter on this document (with credentials) to upload it, and commit the manifest

"#]]);
    assert_eq!(err.matches("error:").count(), 1, "{err}");
}

#[test]
fn check_refuses_what_the_filter_would_refuse() {
    let s3 = S3Server::start();
    let site = half_published(&s3);
    site.write("posts/img/notes.png", "not an image");
    std::fs::write(site.dir.path().join("secret.png"), png(9)).unwrap();
    let out = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(["check", "--base-dir", "posts"])
        .stdin("![n](img/notes.png) ![s](../../secret.png)\n")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
r2filter: read as a commonmark site (nothing matched); math off; hugo-shortcodes off; hexo-tags off; wikilinks off
error: <stdin>:1:6: posts/img/notes.png is not an image (its bytes are not PNG, JPEG, GIF, WebP, AVIF, SVG, ICO, BMP or TIFF)
  |
1 | ![n](img/notes.png) ![s](../../secret.png)
  |      ^^^^^^^^^^^^^
  = hint: only images are published: fix the reference, or replace the file with a real image
error: <stdin>:1:26: image path "../../secret.png" leaves the root folder [ROOT]
  |
1 | ![n](img/notes.png) ![s](../../secret.png)
  |                          ^^^^^^^^^^^^^^^^
  = hint: only files inside the root can be published; move the image inside it or set --root / `root`
error: 2 references failed; nothing was written

"#]]);
}

#[test]
fn verify_reports_missing_and_mismatched_objects() {
    let s3 = S3Server::start();
    let site = Site::new();
    let mut doc = String::new();
    let mut images = Vec::new();
    for i in 0..4 {
        images.push(site.image(&format!("{i}.png"), i));
        doc.push_str(&format!("![{i}]({i}.png)\n"));
    }
    site.r2filter()
        .against(&s3)
        .args(FLAT)
        .stdin(&doc)
        .run()
        .success();
    let key = |i: usize| format!("{}.png", sha256_hex(&images[i]));

    s3.forget_requests();
    let out = site.r2filter().against(&s3).args(["verify"]).run();
    out.success();
    out.stderr_eq(str![[r#"
r2filter verify: 4 objects in the manifest, all in the bucket with the right size and type

"#]]);
    assert_eq!(s3.count("HEAD"), 4);
    assert_eq!(s3.requests().len(), 4, "HEAD only");

    // Object 0 vanishes, object 1 is truncated, object 2's manifest entry
    // claims another type; object 3 stays right.
    let bucket = s3.dir.path().join(BUCKET);
    std::fs::remove_file(bucket.join(key(0))).unwrap();
    std::fs::write(bucket.join(key(1)), &images[1][..10]).unwrap();
    let mut m = site.manifest().unwrap();
    m["objects"][sha256_hex(&images[2])]["content_type"] = "image/jpeg".into();
    site.write(
        "r2filter-manifest.json",
        serde_json::to_string_pretty(&m).unwrap(),
    );

    let out = site.r2filter().against(&s3).args(["verify"]).run();
    let err = out.failure(1);
    out.stderr_eq(str![[r#"
error: 38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png: 10 bytes in the bucket, the manifest says 54
error: 467ea2c87b9a83b8332254d91a4875fdba76494e5907adf1b84d1917a4208d4a.png: missing from the bucket
error: 4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png: Content-Type "image/png" in the bucket, the manifest says "image/jpeg"
error: 3 of 4 objects in the manifest are wrong in the bucket
  = hint: run r2filter on the documents that use them to upload them again, or remove their entries from the manifest

"#]]);
    assert!(!err.contains(&key(3)), "{err}");
}

#[test]
fn verify_needs_the_store() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.image("a.png", 1);
    site.r2filter()
        .against(&s3)
        .stdin("![a](a.png)\n")
        .run()
        .success();
    let wrong = "wrong-secret-for-verify-0123456789";
    let out = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .credentials(ACCESS_KEY, wrong)
        .args(["verify"])
        .run();
    let err = out.failure(1);
    out.stderr_eq(str![[r#"
error: cannot verify: HEAD [YEAR_MONTH]38a5fe0b9c70.png: HTTP 403
  = hint: check the credentials and that the token may write this bucket (R2: Object Read & Write, scoped to the bucket); for R2 the region must be `auto`

"#]]);
    assert!(!err.contains(wrong), "{err}");
}
