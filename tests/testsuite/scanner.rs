//! Issue 10's cases, each through the built binary with the exact input the
//! issue shows, a real image file at the named path, and the local store.

use crate::support::*;

/// `{hash}.{ext}` keys make every URL computable from the bytes alone.
fn run(site: &Site, doc: &str, extra: &[&str]) -> Output {
    site.r2filter()
        .args([
            "--local-store",
            "bucket",
            "--public-url",
            PUBLIC_URL,
            "--key-template",
            "{hash}.{ext}",
        ])
        .args(extra)
        .stdin(doc)
        .run()
}

fn url_of(bytes: &[u8]) -> String {
    format!("{PUBLIC_URL}/{}.png", sha256_hex(bytes))
}

/// The objects in the local bucket.
fn stored(site: &Site) -> usize {
    std::fs::read_dir(site.path("bucket")).map_or(0, |d| d.count())
}

#[test]
fn case_1_ampersand_then_non_ascii_does_not_crash() {
    let site = Site::new();
    let doc = "[Suche](https://example.com/s?lang=de&query=abcdé)\n";
    assert_eq!(run(&site, doc, &[]).success(), doc);

    let png = site.image("Q&A说明截图.png", 1);
    let out = run(&site, "![x](Q&A说明截图.png)", &[]);
    assert_eq!(out.success(), format!("![x]({})", url_of(&png)));

    let png = site.image("&aaaaaaaaaa截.png", 2);
    let out = run(&site, "<img src=\"&aaaaaaaaaa截.png\">", &[]);
    assert_eq!(out.success(), format!("<img src=\"{}\">", url_of(&png)));
}

#[test]
fn case_2_every_named_character_reference() {
    let site = Site::new();
    let png = site.image("café.png", 1);
    let out = run(&site, "![e](caf&eacute;.png)", &[]);
    assert_eq!(out.success(), format!("![e]({})", url_of(&png)));
    assert!(out.stderr.contains("1 reference"), "{}", out.stderr);
    let out = run(&site, "<img src=\"caf&eacute;.png\">", &[]);
    assert_eq!(out.success(), format!("<img src=\"{}\">", url_of(&png)));
}

#[test]
fn case_3_tag_over_lines_of_a_blockquote() {
    let site = Site::new();
    let png = site.image("bq.png", 1);
    let out = run(&site, "> <img\n> src=\"bq.png\">", &[]);
    assert_eq!(
        out.success(),
        format!("> <img\n> src=\"{}\">", url_of(&png))
    );
}

#[test]
fn case_4_table_cell_stays_whole() {
    let site = Site::new();
    let png = site.image("t.png", 1);
    let doc = "| a |\n|---|\n| ![a](t.png?a\\|b) |\n";
    let out = run(&site, doc, &[]);
    assert_eq!(
        out.success(),
        format!("| a |\n|---|\n| ![a]({}?a\\|b) |\n", url_of(&png))
    );
}

#[test]
fn case_5_attribute_text_is_escaped_for_the_attribute() {
    let site = Site::new();
    let png = site.image("e.png", 1);
    let out = run(&site, "<img src=\"e.png?q=&amp;lt;\">", &[]);
    assert_eq!(
        out.success(),
        format!("<img src=\"{}?q=&amp;lt;\">", url_of(&png))
    );
}

#[test]
fn case_6_text_that_is_not_a_live_tag() {
    let site = Site::new();
    site.image("a.png", 1);
    for doc in [
        "<textarea>\n<img src=\"a.png\">\n</textarea>\n",
        "<![CDATA[ <img src=\"a.png\"> ]]>\n",
        "<?php echo '<img src=\"a.png\">'; ?>\n",
        "<!DOCTYPE html <img src=\"a.png\">>\n",
    ] {
        let out = run(&site, doc, &[]);
        assert_eq!(out.success(), doc);
        assert!(out.stderr.contains("0 references"), "{doc}: {}", out.stderr);
    }
    assert_eq!(stored(&site), 0);
}

#[test]
fn case_7_images_inside_an_image_description() {
    // CommonMark examples 576, 522 and 577: only the outer image is one.
    let site = Site::new();
    let png = site.image("public/url2", 1);
    let doc = "![foo ![bar](/url)](/url2)\n";
    let out = run(&site, doc, &[]);
    assert_eq!(
        out.success(),
        format!("![foo ![bar](/url)]({})\n", url_of(&png))
    );
    let png = site.image("uri3", 2);
    let out = run(&site, "![[[foo](uri1)](uri2)](uri3)\n", &[]);
    assert_eq!(
        out.success(),
        format!("![[[foo](uri1)](uri2)]({})\n", url_of(&png))
    );
    let out = run(&site, "![foo [bar](/url)](/url2)\n", &[]);
    assert_eq!(
        out.success(),
        format!(
            "![foo [bar](/url)]({})\n",
            url_of(&std::fs::read(site.path("public/url2")).unwrap())
        )
    );
}

#[test]
fn case_8_slash_between_tag_name_and_attribute() {
    let site = Site::new();
    let png = site.image("s.png", 1);
    let out = run(&site, "<div>\n<img/src=\"s.png\">\n</div>\n", &[]);
    assert_eq!(
        out.success(),
        format!("<div>\n<img/src=\"{}\">\n</div>\n", url_of(&png))
    );
}

#[test]
fn case_11_a_block_in_the_middle_is_not_front_matter() {
    let site = Site::new();
    site.image("b.png", 1);
    let doc = "Intro.\n\n---\ncover: b.png\n---";
    let out = run(&site, doc, &[]);
    assert_eq!(out.success(), doc);
    assert_eq!(stored(&site), 0);
}

#[test]
fn case_12_remote_links_are_not_image_references() {
    let site = Site::new();
    let doc =
        "See [KaTeX](https://katex.org/docs/supported.html) and ![r](https://example.org/r.png).\n";
    let out = run(&site, doc, &["--dry-run", "--report", "report.json"]);
    let plan = out.success();
    assert!(!plan.contains("katex"), "{plan}");
    assert!(plan.contains("https://example.org/r.png"), "{plan}");
    assert!(out.stderr.contains("1 remote skipped"), "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&site.read("report.json")).unwrap();
    let originals: Vec<&str> = report["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["original"].as_str().unwrap())
        .collect();
    assert_eq!(originals, ["https://example.org/r.png"]);
}

#[test]
fn a_value_over_lines_of_a_blockquote_keeps_its_lines() {
    // The browser loads `ab.png` (line breaks are dropped from URLs); the
    // rewrite keeps the line break and the `> ` so the blockquote stays whole,
    // and `&#10;` (a line break, dropped too) where the value's last line was:
    // what follows the value there may be nothing.
    let site = Site::new();
    let png = site.image("ab.png", 1);
    let out = run(&site, "Intro\n\n> <img src=\"a\n> b.png\">\n", &[]);
    assert_eq!(
        out.success(),
        format!("Intro\n\n> <img src=\"{}\n> &#10;\">\n", url_of(&png))
    );
}

#[test]
fn an_image_that_cannot_be_placed_fails_the_run_naming_it() {
    // A line of the value starts with `>`: the browser loads `a>b.png`, and
    // no rewrite that keeps the document's lines can replace it.
    let site = Site::new();
    site.image("a>b.png", 1);
    let out = run(
        &site,
        "Intro\n\n<div>\n<img src=\"a\n>b.png\">\n</div>\n",
        &[],
    );
    let err = out.failure(1);
    assert!(
        err.contains("<stdin>:4:11: the image \"a>b.png\" is rendered, but its place in the source could not be found"),
        "{err}"
    );
    assert_eq!(stored(&site), 0);
}

#[test]
fn check_fails_on_an_image_that_cannot_be_placed() {
    let site = Site::new();
    site.image("a>b.png", 1);
    site.write("post.md", "<div>\n<img src=\"a\n>b.png\">\n</div>\n");
    let out = site
        .r2filter()
        .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
        .args(["check", "post.md"])
        .run();
    let err = out.failure(1);
    assert!(err.contains("post.md:2:11: the image \"a>b.png\""), "{err}");
}
