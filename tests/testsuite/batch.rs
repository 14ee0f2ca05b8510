//! Batch modes (`--in-place`, `--out-dir`) against a real S3 server: front
//! matter, MDX, the site root, all-or-nothing writes.

use std::time::{Duration, SystemTime};

use crate::support::*;

/// `{hash}.{ext}` keys make every URL computable from the bytes alone.
const FLAT: [&str; 2] = ["--key-template", "{hash}.{ext}"];

fn url_of(bytes: &[u8]) -> String {
    format!("{PUBLIC_URL}/{}.png", sha256_hex(bytes))
}

const MD_POST: &str = "---\ntitle: \"Hello: world\"\ncover: ./images/cover.png\nimages:\n  - images/shot.png\n  - 'images/cover.png'\nthumbnail: {url: \"images/shot.png\", alt: images/not-a-key.png}\navatar: /static/images/me.png # site root\n---\n\n# Hello\r\n\n![shot](images/shot.png \"Shot\")\n";

const MDX_POST: &str = "---\ncoverImage: \"./images/cover.png\"\n---\nimport img from './images/shot.png'\nexport const meta = { image: './images/shot.png' }\n\n# Components\n\n<Image src=\"./images/cover.png\" width={800} alt={\"./images/shot.png\"} />\n\n<Figure\n  srcSet=\"images/shot.png 1x, images/cover.png 2x\"\n  caption={`<img src=\"./images/shot.png\">`}\n/>\n\n<video poster='images/shot.png' />\n\n{/* <Image src=\"./images/shot.png\" /> */}\n\n```jsx\n<Image src=\"./images/shot.png\" />\n```\n";

struct Blog {
    site: Site,
    cover: Vec<u8>,
    shot: Vec<u8>,
    me: Vec<u8>,
}

fn blog() -> Blog {
    let site = Site::new();
    let cover = site.image("content/posts/images/cover.png", 1);
    let shot = site.image("content/posts/images/shot.png", 2);
    let me = site.image("public/static/images/me.png", 3);
    site.write("content/posts/hello.md", MD_POST);
    site.write("content/posts/components.mdx", MDX_POST);
    site.write("content/posts/plain.markdown", "No images here.\n");
    site.write("content/posts/drafts/wip.md", "![x](missing.png)\n");
    site.write("content/posts/.gitignore", "drafts/\n");
    Blog {
        site,
        cover,
        shot,
        me,
    }
}

fn expected_md(b: &Blog) -> String {
    let (cover, shot) = (url_of(&b.cover), url_of(&b.shot));
    MD_POST
        .replacen("./images/cover.png", &cover, 1)
        .replacen("  - images/shot.png", &format!("  - {shot}"), 1)
        .replacen("'images/cover.png'", &format!("'{cover}'"), 1)
        .replacen("\"images/shot.png\"", &format!("\"{shot}\""), 1)
        .replacen("/static/images/me.png", &url_of(&b.me), 1)
        .replacen("(images/shot.png", &format!("({shot}"), 1)
}

fn expected_mdx(b: &Blog) -> String {
    let (cover, shot) = (url_of(&b.cover), url_of(&b.shot));
    MDX_POST
        .replacen("\"./images/cover.png\"", &format!("\"{cover}\""), 2)
        .replacen(
            "srcSet=\"images/shot.png 1x, images/cover.png 2x\"",
            &format!("srcSet=\"{shot} 1x, {cover} 2x\""),
            1,
        )
        .replacen("poster='images/shot.png'", &format!("poster='{shot}'"), 1)
}

#[test]
fn in_place_rewrites_front_matter_markdown_and_mdx_with_one_upload_each() {
    let s3 = S3Server::start();
    let b = blog();
    let out = b
        .site
        .r2filter()
        .against(&s3)
        .args(FLAT)
        .args(["--in-place", "content/posts"])
        .run();
    out.success();
    assert_eq!(b.site.read("content/posts/hello.md"), expected_md(&b));
    assert_eq!(
        b.site.read("content/posts/components.mdx"),
        expected_mdx(&b)
    );
    assert_eq!(
        b.site.read("content/posts/plain.markdown"),
        "No images here.\n"
    );
    // .gitignore'd drafts are not looked at (their missing image is no error).
    assert_eq!(
        b.site.read("content/posts/drafts/wip.md"),
        "![x](missing.png)\n"
    );
    // Three distinct images across both documents: three PUTs, one manifest.
    assert_eq!(s3.count("PUT"), 3);
    for bytes in [&b.cover, &b.shot, &b.me] {
        let key = format!("{}.png", sha256_hex(bytes));
        assert_eq!(&s3.get(&key).expect("uploaded").bytes, bytes);
    }
    assert_eq!(
        b.site.manifest().unwrap()["objects"]
            .as_object()
            .unwrap()
            .len(),
        3
    );
    out.stderr_eq(str![[r#"
r2filter: 11 references in 3 documents: 3 uploaded (162 B), 0 from manifest, 0 already in bucket, 0 remote skipped in [ELAPSED]

"#]]);
}

#[test]
fn warm_in_place_run_touches_no_file_and_no_network() {
    let s3 = S3Server::start();
    let b = blog();
    let run = || {
        b.site
            .r2filter()
            .against(&s3)
            .args(FLAT)
            .args(["--in-place", "content/posts"])
            .run()
    };
    run().success();
    let first = b.site.read("content/posts/hello.md");
    // Mark the files: an untouched file keeps this mtime.
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for f in ["hello.md", "components.mdx"] {
        let file = std::fs::File::options()
            .write(true)
            .open(b.site.path(&format!("content/posts/{f}")))
            .unwrap();
        file.set_modified(old).unwrap();
    }
    s3.forget_requests();
    let out = run();
    out.success();
    assert_eq!(s3.requests().len(), 0, "{:?}", s3.requests());
    assert_eq!(b.site.read("content/posts/hello.md"), first);
    for f in ["hello.md", "components.mdx"] {
        let meta = std::fs::metadata(b.site.path(&format!("content/posts/{f}"))).unwrap();
        assert_eq!(meta.modified().unwrap(), old, "{f} was rewritten");
    }
    out.stderr_eq(str![[r#"
r2filter: 11 references in 3 documents: 0 uploaded (0 B), 0 from manifest, 0 already in bucket, 11 remote skipped in [ELAPSED]

"#]]);
}

#[test]
fn batch_lists_files_only_with_verbose_and_ends_with_the_summary() {
    let b = blog();
    let run = |extra: &[&str]| {
        b.site
            .r2filter()
            .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
            .args(FLAT)
            .args(["--in-place", "content/posts"])
            .args(extra)
            .run()
    };
    // A 1,000-post prebuild must not print 1,000 lines: the summary alone.
    let out = run(&[]);
    out.success();
    out.stderr_eq(str![[r#"
r2filter: 11 references in 3 documents: 3 uploaded (162 B), 0 from manifest, 0 already in bucket, 0 remote skipped in [ELAPSED]

"#]]);
    // -v lists each file written (and logs at debug level).
    b.site.write("content/posts/hello.md", MD_POST);
    let out = run(&["-v"]);
    out.success();
    out.stderr_eq(str![[r#"
DEBUG read as a commonmark site (nothing matched); math off; hugo-shortcodes off; hexo-tags off; wikilinks off
DEBUG stat cache: [..] of 3 files unchanged, [..] hashed
r2filter: wrote content/posts/hello.md
r2filter: 2 file(s) unchanged
r2filter: 11 references in 3 documents: 0 uploaded (0 B), 6 from manifest, 0 already in bucket, 5 remote skipped in [ELAPSED]

"#]]);
    let out = run(&["-q"]);
    out.success();
    assert_eq!(out.stderr, "");
}

#[test]
fn out_dir_publishes_a_draft_with_its_images() {
    let s3 = S3Server::start();
    let site = Site::new();
    let shot = site.image("tmp/draft/images/screenshot.png", 7);
    let draft = "# My article\n\n![screen](images/screenshot.png)\n";
    site.write("tmp/draft/my-article.md", draft);
    site.write(
        "tmp/draft/series/part-2.md",
        "![again](../images/screenshot.png)\n",
    );
    site.write("content/posts/older.md", "kept\n");
    site.r2filter()
        .against(&s3)
        .args(FLAT)
        .args(["tmp/draft", "--out-dir", "content/posts"])
        .run()
        .success();
    let url = url_of(&shot);
    assert_eq!(
        site.read("content/posts/my-article.md"),
        format!("# My article\n\n![screen]({url})\n")
    );
    assert_eq!(
        site.read("content/posts/series/part-2.md"),
        format!("![again]({url})\n")
    );
    // The draft is left as it was; nothing else in the folder is touched.
    assert_eq!(site.read("tmp/draft/my-article.md"), draft);
    assert_eq!(site.read("content/posts/older.md"), "kept\n");
    assert!(!site.path("content/posts/images").exists());
    assert_eq!(s3.count("PUT"), 1);
}

#[test]
fn one_bad_reference_writes_nothing_and_uploads_nothing() {
    let s3 = S3Server::start();
    let b = blog();
    let bad =
        "---\ncover: images/cover.png\n---\n\n![a](images/shot.png)\n\n![b](images/nope.png)\n";
    b.site.write("content/posts/zz-bad.md", bad);
    let before_md = b.site.read("content/posts/hello.md");
    let out = b
        .site
        .r2filter()
        .against(&s3)
        .args(FLAT)
        .args(["--in-place", "content/posts"])
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: content/posts/zz-bad.md:7:6: image file not found: "images/nope.png" (looked for content/posts/images/nope.png)
  |
7 | ![b](images/nope.png)
  |      ^^^^^^^^^^^^^^^
  = hint: fix the path, add the file, or set on-missing to warn (`--on-missing warn`, or `on-missing = "warn"` in the config) to keep the link as it is

"#]]);
    assert_eq!(b.site.read("content/posts/hello.md"), before_md);
    assert_eq!(b.site.read("content/posts/zz-bad.md"), bad);
    assert_eq!(b.site.read("content/posts/components.mdx"), MDX_POST);
    assert_eq!(s3.count("PUT"), 0);
    assert!(b.site.manifest().is_none());
    let leftovers: Vec<_> = std::fs::read_dir(b.site.path("content/posts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}

#[test]
fn front_matter_values_that_are_not_images_or_not_local_stay() {
    let s3 = S3Server::start();
    let site = Site::new();
    let doc = "+++\ntitle = \"T\"\ncover = \"https://example.org/c.png\"\nimage = \"notes.txt\"\n[banner]\nurl = 'b.png'\nalt = 'x.png'\n+++\n\nBody\n";
    let b = site.image("b.png", 9);
    site.write("t.md", doc);
    site.r2filter()
        .against(&s3)
        .args(FLAT)
        .args(["--in-place", "t.md"])
        .run()
        .success();
    assert_eq!(
        site.read("t.md"),
        doc.replacen("'b.png'", &format!("'{}'", url_of(&b)), 1)
    );
}

#[test]
fn paths_need_a_destination_and_must_exist() {
    let site = Site::new();
    site.write("a.md", "x\n");
    let out = site.r2filter().arg("a.md").run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: files given: say where the results go, with --in-place or --out-dir DIR
(to filter standard input, give no PATH)

Usage: r2filter [OPTIONS] [PATH]... [COMMAND]

For more information, try '--help'.

"#]]);
    let out = site
        .r2filter()
        .args(["--local-store", "bucket", "--in-place", "nope.md"])
        .run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: nope.md: no such file or folder
  = hint: check the path (relative to the current folder)

"#]]);
    let out = site
        .r2filter()
        .args(["--in-place", "a.md", "--out-dir", "out"])
        .run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: the argument '--in-place' cannot be used with '--out-dir <DIR>'

Usage: r2filter --in-place <PATH>...

For more information, try '--help'.

"#]]);
    assert_eq!(site.read("a.md"), "x\n");
}

#[test]
fn dry_run_plans_the_batch_and_writes_nothing() {
    let s3 = S3Server::start();
    let b = blog();
    let out = b
        .site
        .r2filter()
        .against(&s3)
        .args(FLAT)
        .args(["--dry-run", "--in-place", "content/posts"])
        .run();
    out.success();
    out.stdout_eq(str![[r#"
LOCATION                            ACTION  IMAGE                  KEY                                                                   URL
content/posts/components.mdx:2:14   upload  ./images/cover.png     38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png  https://assets.example.com/38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png
content/posts/components.mdx:9:13   upload  ./images/cover.png     38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png  https://assets.example.com/38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png
content/posts/components.mdx:12:11  upload  images/shot.png        4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png  https://assets.example.com/4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png
content/posts/components.mdx:12:31  upload  images/cover.png       38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png  https://assets.example.com/38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png
content/posts/components.mdx:16:16  upload  images/shot.png        4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png  https://assets.example.com/4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png
content/posts/hello.md:3:8          upload  ./images/cover.png     38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png  https://assets.example.com/38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png
content/posts/hello.md:5:5          upload  images/shot.png        4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png  https://assets.example.com/4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png
content/posts/hello.md:6:6          upload  images/cover.png       38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png  https://assets.example.com/38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png
content/posts/hello.md:7:19         upload  images/shot.png        4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png  https://assets.example.com/4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png
content/posts/hello.md:8:9          upload  /static/images/me.png  3428bbf5a5d2418d111bc8e1b1807b733a29e6b74764371bf3d2c02d8e130339.png  https://assets.example.com/3428bbf5a5d2418d111bc8e1b1807b733a29e6b74764371bf3d2c02d8e130339.png
content/posts/hello.md:13:9         upload  images/shot.png        4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png  https://assets.example.com/4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png

"#]]);
    out.stderr_eq(str![[r#"
r2filter: 11 references in 3 documents: 3 to upload (162 B), 0 from manifest, 0 already in bucket, 0 remote skipped in [ELAPSED]

"#]]);
    assert_eq!(b.site.read("content/posts/hello.md"), MD_POST);
    assert_eq!(b.site.read("content/posts/components.mdx"), MDX_POST);
    assert_eq!(s3.requests().len(), 0);
    assert!(b.site.manifest().is_none());
}
