//! Everyday use: the report, dry runs, offline runs, error rendering, `init`,
//! the progress bar and `--help`, through the built binary against a real S3
//! server (s3s-fs, SigV4 on).

use crate::support::*;
use serde_json::json;

/// `{hash}.{ext}` keys make every URL computable from the bytes alone.
const FLAT: [&str; 2] = ["--key-template", "{hash}.{ext}"];

fn key_of(bytes: &[u8]) -> String {
    format!("{}.png", sha256_hex(bytes))
}

fn url_of(bytes: &[u8]) -> String {
    format!("{PUBLIC_URL}/{}", key_of(bytes))
}

const POST: &str = "# Post\n\n![a](img/a.png) ![again](img/a.png)\n\n![b](img/b.png \"B\")\n\n![logo](https://example.org/logo.png)\n";

struct Fixture {
    site: Site,
    a: Vec<u8>,
}

fn fixture() -> Fixture {
    let site = Site::new();
    let a = site.image("img/a.png", 1);
    site.image("img/b.png", 2);
    site.write("post.md", POST);
    Fixture { site, a }
}

fn reference(
    line: usize,
    column: usize,
    original: &str,
    bytes: &[u8],
    status: &str,
) -> serde_json::Value {
    json!({
        "document": "<stdin>", "line": line, "column": column, "original": original,
        "url": url_of(bytes), "key": key_of(bytes), "status": status,
    })
}

/// The report file without its elapsed time.
fn report(site: &Site, name: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(&site.read(name)).unwrap();
    if let Some(t) = v["totals"].as_object_mut() {
        assert!(t.remove("elapsed_ms").unwrap().is_u64());
    }
    v
}

#[test]
fn report_lists_every_reference_and_the_totals() {
    let s3 = S3Server::start();
    let f = fixture();
    let run = || {
        f.site
            .r2filter()
            .against(&s3)
            .args(FLAT)
            .args(["--report", "out/report.json"])
            .stdin(POST)
    };
    std::fs::create_dir(f.site.path("out")).unwrap();
    let out = run().run();
    out.success();
    out.text_eq(f.site.read("out/report.json"), str![[r#"
{
  "version": 1,
  "ok": true,
  "dry_run": false,
  "offline": false,
  "references": [
    {
      "document": "<stdin>",
      "line": 3,
      "column": 6,
      "original": "img/a.png",
      "url": "https://assets.example.com/38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png",
      "key": "38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png",
      "status": "uploaded"
    },
    {
      "document": "<stdin>",
      "line": 3,
      "column": 26,
      "original": "img/a.png",
      "url": "https://assets.example.com/38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png",
      "key": "38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png",
      "status": "uploaded"
    },
    {
      "document": "<stdin>",
      "line": 5,
      "column": 6,
      "original": "img/b.png",
      "url": "https://assets.example.com/4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png",
      "key": "4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png",
      "status": "uploaded"
    },
    {
      "document": "<stdin>",
      "line": 7,
      "column": 9,
      "original": "https://example.org/logo.png",
      "status": "remote"
    }
  ],
  "totals": {
    "documents": 1,
    "references": 4,
    "uploaded": 2,
    "uploaded_bytes": 108,
    "from_manifest": 0,
    "in_bucket": 0,
    "remote": 1,
    "missing": 0,
    "elapsed_ms": [ELAPSED_MS]
  },
  "errors": [],
  "site": {
    "site": "commonmark",
    "detected_from": "nothing matched",
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

"#]]);
    // Written by rename: nothing else is left in the folder.
    assert_eq!(std::fs::read_dir(f.site.path("out")).unwrap().count(), 1);

    // Warm: the same references, now from the manifest.
    let warm = run().run();
    warm.success();
    let r = report(&f.site, "out/report.json");
    assert_eq!(
        r["references"][0],
        reference(3, 6, "img/a.png", &f.a, "manifest")
    );
    assert_eq!(r["totals"]["from_manifest"], 3);
    assert_eq!(r["totals"]["uploaded"], 0);
    warm.stderr_eq(str![[r#"
r2filter: 4 references in 1 document: 0 uploaded (0 B), 3 from manifest, 0 already in bucket, 1 remote skipped in [ELAPSED]

"#]]);
}

#[test]
fn report_of_a_failed_run_has_the_errors_and_stdout_stays_empty() {
    let s3 = S3Server::start();
    let f = fixture();
    let out = f
        .site
        .r2filter()
        .against(&s3)
        .args(["--report", "report.json"])
        .stdin("ok ![a](img/a.png)\n\n![gone](img/gone.png)\n")
        .run();
    out.failure(1);
    out.text_eq(f.site.read("report.json"), str![[r#"
{
  "version": 1,
  "ok": false,
  "dry_run": false,
  "offline": false,
  "references": [],
  "totals": null,
  "errors": [
    {
      "document": "<stdin>",
      "line": 3,
      "column": 9,
      "message": "image file not found: \"img/gone.png\" (looked for img/gone.png)",
      "hint": "fix the path, add the file, or set on-missing to warn (`--on-missing warn`, or `on-missing = \"warn\"` in the config) to keep the link as it is"
    }
  ],
  "site": {
    "site": "commonmark",
    "detected_from": "nothing matched",
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

"#]]);
    assert_eq!(s3.requests().len(), 0);

    // A configuration error is reported too, without a place.
    let out = f
        .site
        .r2filter()
        .args(["--report", "report.json"])
        .stdin("x\n")
        .run();
    out.failure(2);
    out.text_eq(f.site.read("report.json"), str![[r#"
{
  "version": 1,
  "ok": false,
  "dry_run": false,
  "offline": false,
  "references": [],
  "totals": null,
  "errors": [
    {
      "message": "no bucket configured",
      "hint": "set --bucket (or R2FILTER_BUCKET), or use --local-store DIR to try it without an account"
    }
  ],
  "site": null
}

"#]]);
}

#[test]
fn a_report_that_cannot_be_written_fails_the_run_before_stdout() {
    let f = fixture();
    let out = f
        .site
        .r2filter()
        .args([
            "--local-store",
            "bucket",
            "--report",
            "no/such/dir/report.json",
        ])
        .stdin(POST)
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: cannot write no/such/dir/report.json: No such file or directory (os error 2) at path "[ROOT]/no/such/dir/[..]"
  = hint: check the folder exists and is writable

"#]]);
}

#[test]
fn dry_run_prints_the_plan_and_touches_nothing() {
    let s3 = S3Server::start();
    let f = fixture();
    // A manifest that knows `a` already, so the plan shows both reasons.
    f.site
        .r2filter()
        .against(&s3)
        .args(FLAT)
        .stdin("![a](img/a.png)\n")
        .run()
        .success();
    let manifest = f.site.read("r2filter-manifest.json");
    s3.forget_requests();

    // No credentials: a dry run never needs them.
    let out = f
        .site
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(FLAT)
        .arg("--dry-run")
        .stdin(POST)
        .run();
    out.success();
    out.stdout_eq(str![[r#"
LOCATION      ACTION       IMAGE                         KEY                                                                   URL
<stdin>:3:6   in manifest  img/a.png                     38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png  https://assets.example.com/38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png
<stdin>:3:26  in manifest  img/a.png                     38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png  https://assets.example.com/38a5fe0b9c7099ba4ded4ae9425ac8f8b05c1fffb60b0ba765f697f35ada3734.png
<stdin>:5:6   upload       img/b.png                     4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png  https://assets.example.com/4cc95e128da716b30c610927c58e3f02360520be3aacfb0c36794b71ec3737f3.png
<stdin>:7:9   remote       https://example.org/logo.png  -                                                                     -

"#]]);
    out.stderr_eq(str![[r#"
r2filter: 4 references in 1 document: 1 to upload (54 B), 2 from manifest, 0 already in bucket, 1 remote skipped in [ELAPSED]

"#]]);
    assert_eq!(s3.requests().len(), 0, "not even a HEAD");
    assert_eq!(s3.keys(), [key_of(&f.a)]);
    assert_eq!(f.site.read("r2filter-manifest.json"), manifest);
}

#[test]
fn dry_run_on_a_fresh_site_writes_no_manifest_and_no_bucket() {
    let f = fixture();
    let out = f
        .site
        .r2filter()
        .args(["--local-store", "bucket", "--dry-run", "--report", "r.json"])
        .stdin(POST)
        .run();
    assert!(out.success().starts_with("LOCATION "), "{}", out.stdout);
    assert!(f.site.manifest().is_none());
    assert!(!f.site.path("bucket").exists());
    let r = report(&f.site, "r.json");
    assert_eq!(r["dry_run"], true);
    assert_eq!(r["references"][2]["status"], "planned");
    assert_eq!(r["totals"]["uploaded"], 2);
}

#[test]
fn offline_uses_the_manifest_only() {
    let s3 = S3Server::start();
    let f = fixture();
    let cold = f
        .site
        .r2filter()
        .against(&s3)
        .args(FLAT)
        .stdin("![a](img/a.png)\n")
        .run();
    let cold = cold.success().to_string();
    let manifest = f.site.read("r2filter-manifest.json");
    s3.forget_requests();

    // Everything known: the same output, no credentials, no request.
    let warm = f
        .site
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(FLAT)
        .arg("--offline")
        .stdin("![a](img/a.png)\n")
        .run();
    assert_eq!(warm.success(), cold);

    // One image it does not know: the run fails, pointing at it.
    let out = f
        .site
        .r2filter()
        .against(&s3)
        .args(FLAT)
        .arg("--offline")
        .stdin("![a](img/a.png)\n\nNew: ![b](img/b.png)\n")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:3:11: img/b.png is not in the manifest (--offline)
  |
3 | New: ![b](img/b.png)
  |           ^^^^^^^^^
  = hint: run once without --offline (with credentials) to upload it

"#]]);
    assert_eq!(s3.requests().len(), 0);
    assert_eq!(f.site.read("r2filter-manifest.json"), manifest);
}

#[test]
fn missing_files_suggest_a_near_miss_by_case_or_extension() {
    let site = Site::new();
    site.image("img/Cat.png", 1);
    site.image("img/dog.jpeg", 2);
    let out = site
        .r2filter()
        .args(["--local-store", "bucket"])
        .stdin("# Pets\n\n![cat](img/cat.png)\n\t![dog](img/dog.png)\n")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:3:8: image file not found: "img/cat.png" (looked for img/cat.png)
  |
3 | ![cat](img/cat.png)
  |        ^^^^^^^^^^^
  = hint: did you mean "Cat.png"?
error: <stdin>:4:9: image file not found: "img/dog.png" (looked for img/dog.png)
  |
4 | 	![dog](img/dog.png)
  | 	       ^^^^^^^^^^^
  = hint: did you mean "dog.jpeg"?
error: 2 references failed; nothing was written

"#]]);
    assert!(!site.path("bucket").exists());
}

#[test]
fn the_caret_lines_up_under_wide_characters() {
    let site = Site::new();
    let out = site
        .r2filter()
        .args(["--local-store", "bucket"])
        .stdin("截图：![截图](图片/截图.png)\n")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:10: image file not found: "图片/截图.png" (looked for 图片/截图.png)
  |
1 | 截图：![截图](图片/截图.png)
  |               ^^^^^^^^^^^^^
  = hint: fix the path, add the file, or set on-missing to warn (`--on-missing warn`, or `on-missing = "warn"` in the config) to keep the link as it is

"#]]);
}

#[test]
fn paths_leaving_the_root_and_non_images_are_explained() {
    let site = Site::new();
    site.write("notes.png", "plain text");
    let out = site
        .r2filter()
        .args(["--local-store", "bucket"])
        .stdin("![k](../../etc/passwd.png)\n")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: image path "../../etc/passwd.png" leaves the root folder [ROOT]
  |
1 | ![k](../../etc/passwd.png)
  |      ^^^^^^^^^^^^^^^^^^^^
  = hint: only files inside the root can be published; move the image inside it or set --root / `root`

"#]]);
    let out = site
        .r2filter()
        .args(["--local-store", "bucket"])
        .stdin("<img src=\"notes.png\">\n")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:11: notes.png is not an image (its bytes are not PNG, JPEG, GIF, WebP, AVIF, SVG, ICO, BMP or TIFF)
  |
1 | <img src="notes.png">
  |           ^^^^^^^^^
  = hint: only images are published: fix the reference, or replace the file with a real image

"#]]);
}

#[test]
fn configuration_errors_say_what_to_set_and_exit_2() {
    let site = Site::new();
    let out = site
        .r2filter()
        .args(["--bucket", "blog-assets"])
        .stdin("x\n")
        .run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: no public-url configured
  = hint: set --public-url (or R2FILTER_PUBLIC_URL, or public-url in r2filter.toml), e.g. https://assets.example.com

"#]]);
}

#[test]
fn init_writes_a_commented_config_and_never_overwrites_it() {
    let site = Site::new();
    let out = site.r2filter().arg("init").run();
    assert_eq!(out.success(), "");
    out.stderr_eq(str![[r#"
r2filter: wrote r2filter.toml: set bucket, public-url and account-id (or endpoint) in it
r2filter: in git, add `r2filter-manifest.json.*` to .gitignore: the manifest's lock file and stat cache (commit the manifest itself)

"#]]);
    assert!(!site.path(".gitignore").exists(), "not a git work tree");
    let written = site.read("r2filter.toml");
    assert!(
        written.contains("\n# bucket = \"blog-assets\"\n"),
        "{written}"
    );
    assert!(written.contains("501 NotImplemented"), "{written}");

    // As written it configures nothing, and running says what to set.
    let out = site.r2filter().stdin("x\n").run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: no bucket configured
  = hint: set --bucket (or R2FILTER_BUCKET), or use --local-store DIR to try it without an account

"#]]);

    // Again: refused, the file untouched.
    site.write("r2filter.toml", "# mine\n");
    let out = site.r2filter().arg("init").run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: r2filter.toml already exists; nothing was written
  = hint: edit that file, or pass --force to replace it

"#]]);
    assert_eq!(site.read("r2filter.toml"), "# mine\n");
    site.r2filter().args(["init", "--force"]).run().success();
    assert_eq!(site.read("r2filter.toml"), written);
}

#[test]
fn init_in_git_ignores_the_manifests_lock_and_cache_once() {
    if tool("git", "apt-get install git").is_none() {
        return;
    }
    let site = Site::new();
    git_init(&site.root);
    site.write(".gitignore", "node_modules");
    let out = site.r2filter().arg("init").run();
    out.success();
    out.stderr_eq(str![[r#"
r2filter: wrote r2filter.toml: set bucket, public-url and account-id (or endpoint) in it
r2filter: added `r2filter-manifest.json.*` to .gitignore: the manifest's lock file and stat cache (commit the manifest itself)

"#]]);
    let ignore = "node_modules\n# r2filter: the manifest's lock file and stat cache\nr2filter-manifest.json.*\n";
    assert_eq!(site.read(".gitignore"), ignore);
    // Git ignores the companions, not the manifest.
    for (file, ignored) in [
        ("r2filter-manifest.json.lock", true),
        ("r2filter-manifest.json.cache", true),
        ("r2filter-manifest.json", false),
    ] {
        site.write(file, "{}");
        let status = std::process::Command::new("git")
            .args(["check-ignore", "-q", file])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .current_dir(&site.root)
            .status()
            .unwrap();
        assert_eq!(status.success(), ignored, "{file}");
    }
    // Once: a second init adds nothing.
    let out = site.r2filter().args(["init", "--force"]).run();
    out.success();
    assert!(!out.stderr.contains(".gitignore"), "{}", out.stderr);
    assert_eq!(site.read(".gitignore"), ignore);

    // In a subfolder: the .gitignore beside the config file.
    std::fs::create_dir(site.path("site")).unwrap();
    site.r2filter()
        .args(["init", "site/r2filter.toml"])
        .run()
        .success();
    assert!(
        site.read("site/.gitignore")
            .ends_with("\nr2filter-manifest.json.*\n")
    );
}

#[test]
fn the_written_config_works_once_filled_in() {
    let site = Site::new();
    let bytes = site.image("img/a.png", 1);
    site.r2filter().args(["init", "-q"]).run().success();
    let filled = site
        .read("r2filter.toml")
        .replace("# local-store = \"bucket\"", "local-store = \"bucket\"")
        .replace(
            "# public-url = \"https://assets.example.com\"",
            "public-url = \"https://assets.example.com\"",
        )
        .replace(
            "# key-template = \"{year}/{month}/{hash:12}.{ext}\"",
            "key-template = \"{hash}.{ext}\"",
        );
    site.write("r2filter.toml", filled);
    let out = site.r2filter().stdin("![a](img/a.png)\n").run();
    assert_eq!(out.success(), format!("![a]({})\n", url_of(&bytes)));
}

#[test]
fn init_mdbook_prints_the_table_and_writes_nothing() {
    let site = Site::new();
    let out = site.r2filter().args(["init", "--mdbook"]).run();
    let table = out.success();
    assert!(table.starts_with("\n[preprocessor.r2filter]\n"), "{table}");
    assert!(
        out.stderr
            .contains("add `r2filter-manifest.json.*` to .gitignore"),
        "{}",
        out.stderr
    );
    assert!(table.contains("\nafter = [\"links\"]\n"), "{table}");
    assert_eq!(std::fs::read_dir(&site.root).unwrap().count(), 0);
    let out = site.r2filter().args(["init", "--mdbook", "--force"]).run();
    out.failure(2);
}

#[test]
fn off_a_terminal_stderr_is_the_summary_line_alone() {
    let f = fixture();
    let out = f
        .site
        .r2filter()
        .args(["--local-store", "bucket"])
        .stdin(POST)
        .run();
    out.success();
    // No bar, no escape codes, no carriage returns: exactly one line.
    out.stderr_eq(str![[r#"
r2filter: 4 references in 1 document: 2 uploaded (108 B), 0 from manifest, 0 already in bucket, 1 remote skipped in [ELAPSED]

"#]]);
    assert!(!out.stderr.contains(['\r', '\x1b']));

    let quiet = f
        .site
        .r2filter()
        .args(["--local-store", "bucket", "-q"])
        .stdin(POST)
        .run();
    quiet.success();
    assert_eq!(quiet.stderr, "");
}

/// With stderr on a pseudo-terminal (util-linux `script`), the bar draws.
#[test]
fn on_a_terminal_the_progress_bar_draws() {
    // Skipped only outside CI where no pseudo-terminal can be had (no util-linux
    // `script`, or no /dev/pts in a container).
    let pty = std::process::Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output();
    if !pty.is_ok_and(|o| o.status.success()) {
        // CI installs util-linux and has /dev/pts: there, a skip would hide a gap.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must provide `script` and a pseudo-terminal"
        );
        eprintln!("skipped: cannot get a pseudo-terminal with `script` here");
        return;
    }
    let f = fixture();
    let bin = env!("CARGO_BIN_EXE_r2filter");
    let cmd = format!("'{bin}' --local-store bucket < post.md > out.md");
    // indicatif draws nothing for TERM unset or `dumb`, as a terminal would want.
    let out = Run::new("script", &f.site.root)
        .env("TERM", "xterm")
        .args(["-qec", &cmd, "/dev/null"])
        .run();
    let tty = out.success();
    assert!(
        // Every draw of the upload phase shows the total; the phase has its own.
        // (A phase as short as scanning one document may end before its first draw.)
        tty.contains(" uploading [") && tty.contains("/108 B "),
        "{tty:?}"
    );
    assert!(tty.contains("r2filter: 4 references"), "{tty:?}");
    // The document still went to its file, rewritten.
    let doc = f.site.read("out.md");
    assert!(doc.starts_with("# Post\n\n![a](file://"), "{doc}");
}

#[test]
fn help_shows_examples_for_each_entry() {
    let site = Site::new();
    let out = site.r2filter().arg("--help").run();
    let help = out.success();
    for example in [
        "r2filter init\n",
        "r2filter < post.md > out.md\n",
        "r2filter --dry-run < post.md\n",
        "r2filter --offline < post.md > out.md\n",
        "r2filter --report r2filter-report.json < post.md > out.md\n",
        "r2filter init --mdbook >> book.toml",
    ] {
        assert!(help.contains(example), "{example:?} in\n{help}");
    }
    let out = site.r2filter().args(["init", "--help"]).run();
    assert!(
        out.success()
            .contains("r2filter init site/r2filter.toml --force")
    );
    // Every subcommand has examples of its own.
    for (command, example) in [
        ("init", "r2filter init --mdbook >> book.toml"),
        ("mdbook", "r2filter mdbook supports html"),
        ("check", "r2filter check content/posts"),
        (
            "verify",
            "r2filter verify --manifest site/r2filter-manifest.json -j 32",
        ),
        (
            "migrate",
            "r2filter migrate --delete && git commit -m \"Move images to R2\"",
        ),
        ("eject", "r2filter eject --from-public-url content/posts"),
        ("orphans", "r2filter orphans --delete --min-age 30"),
    ] {
        let out = site.r2filter().args([command, "--help"]).run();
        let help = out.success();
        assert!(help.contains("\nExamples:\n"), "{command}:\n{help}");
        assert!(help.contains(example), "{command}: {example:?} in\n{help}");
    }
}

/// The text of `--help`'s section `heading` (up to the next blank line
/// followed by an unindented line).
fn section<'a>(help: &'a str, heading: &str) -> Option<&'a str> {
    let start = help.find(&format!("\n{heading}:\n"))? + heading.len() + 3;
    let rest = &help[start..];
    let end = rest
        .match_indices("\n\n")
        .map(|(i, _)| i)
        .find(|&i| rest[i + 2..].starts_with(|c: char| !c.is_whitespace()))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

#[test]
fn help_groups_the_options_and_each_subcommand_shows_what_it_takes() {
    let site = Site::new();
    // Variables are named, their values never shown.
    let help = |args: &[&str]| {
        let out = site
            .r2filter()
            .args(args)
            .env("R2FILTER_BUCKET", "a-bucket-of-mine")
            // An invalid variable does not stand in the way of help.
            .env("R2FILTER_CONCURRENCY", "many")
            .run();
        let text = out.success().to_string();
        assert!(!text.contains("a-bucket-of-mine"), "{text}");
        text
    };
    let main = help(&["--help"]);
    let headings = [
        "Input and output",
        "Destination",
        "Connection",
        "Object keys",
        "Documents",
        "Site and syntax",
        "Uploads",
        "Images",
        "Run",
    ];
    let at: Vec<usize> = headings
        .iter()
        .map(|h| {
            main.find(&format!("\n{h}:\n"))
                .unwrap_or_else(|| panic!("{h}:\n{main}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "heading order {at:?}");
    let input = section(&main, "Input and output").unwrap();
    assert!(
        input.contains("--in-place") && input.contains("--base-dir"),
        "{input}"
    );
    let run = section(&main, "Run").unwrap();
    assert!(
        run.contains("--dry-run") && run.contains("--config"),
        "{run}"
    );
    let destination = section(&main, "Destination").unwrap();
    assert!(destination.contains("--bucket <NAME>"), "{destination}");
    assert!(
        destination.contains("[env: R2FILTER_BUCKET]"),
        "{destination}"
    );
    let connection = section(&main, "Connection").unwrap();
    assert!(connection.contains("[default: 16]"), "{connection}");

    let verify = help(&["verify", "--help"]);
    for shown in ["Destination", "Connection", "Run"] {
        assert!(section(&verify, shown).is_some(), "{shown} in\n{verify}");
    }
    for hidden in [
        "--quality",
        "--strip-metadata",
        "--key-template",
        "--root",
        "--acl",
        "--in-place",
        "--base-dir",
    ] {
        assert!(!verify.contains(hidden), "{hidden} in\n{verify}");
    }
    let check = help(&["check", "--help"]);
    for hidden in ["--region", "--concurrency", "--acl", "--cache-control"] {
        assert!(!check.contains(hidden), "{hidden} in\n{check}");
    }
    assert!(
        check.contains("--strip-metadata") && check.contains("--mdx"),
        "{check}"
    );
    let orphans = help(&["orphans", "--help"]);
    assert!(
        orphans.contains("--prefix") && !orphans.contains("--site-root"),
        "{orphans}"
    );
    let eject = help(&["eject", "--help"]);
    assert!(
        eject.contains("--site-root") && !eject.contains("--prefix"),
        "{eject}"
    );
}

#[test]
fn a_setting_given_to_a_subcommand_that_does_not_use_it_is_refused() {
    let site = Site::new();
    let out = site
        .r2filter()
        .args(["verify", "--local-store", "bucket", "--quality", "50"])
        .run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: `r2filter verify` does not use --quality; it is a setting of r2filter, check, migrate (`r2filter` being the filter itself)

Usage: r2filter verify [OPTIONS]

For more information, try '--help'.

"#]]);
    // Before the subcommand every setting is accepted (they are the filter's).
    let out = site
        .r2filter()
        .args(["--quality", "50", "--local-store", "bucket", "verify"])
        .run();
    assert_ne!(out.code, Some(2), "{}", out.stderr);
}

#[test]
fn flags_then_variables_then_the_config_file_with_clap_showing_the_variables() {
    let site = Site::new();
    let bytes = site.image("img/a.png", 1);
    site.write(
        "r2filter.toml",
        "local-store = \"bucket\"\npublic-url = \"https://file.example\"\nprefix = \"from-file\"\nkey-template = \"{hash}.{ext}\"\n",
    );
    let run = |args: &[&str]| {
        let out = site
            .r2filter()
            .args(args)
            .env("R2FILTER_PUBLIC_URL", "https://env.example")
            .stdin("![a](img/a.png)\n")
            .run();
        out.success().to_string()
    };
    let key = format!("{}.png", sha256_hex(&bytes));
    assert_eq!(
        run(&["--manifest", "env.json"]),
        format!("![a](https://env.example/from-file/{key})\n")
    );
    assert_eq!(
        run(&[
            "--manifest",
            "flag.json",
            "--public-url",
            "https://flag.example"
        ]),
        format!("![a](https://flag.example/from-file/{key})\n")
    );
    // A variable clap would read is parsed by r2filter, with its own error.
    let out = site
        .r2filter()
        .env("R2FILTER_CONCURRENCY", "many")
        .stdin("x\n")
        .run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: R2FILTER_CONCURRENCY: "many" is not a whole number
  = hint: fix or unset the variable

"#]]);
}
