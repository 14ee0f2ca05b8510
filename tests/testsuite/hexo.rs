//! Hexo's asset tags on the fixture site `fixtures/hexo` (post_asset_folder,
//! `hexo-tags = true` in its r2filter.toml): a post's asset folder migrated
//! away entirely, and brought back by eject.

use std::path::Path;

use crate::support::*;

fn hexo_site() -> Site {
    let site = Site::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hexo");
    copy_dir(&fixture, &site.root);
    site
}

#[test]
fn hexo_tags_are_off_unless_asked_for() {
    let s3 = S3Server::start();
    let site = hexo_site();
    let doc = "{% asset_img cat.png A cat %}\n";
    // The fixture's r2filter.toml turns them on; the flag turns them off.
    let out = site
        .r2filter()
        .against(&s3)
        .args([
            "--hexo-tags=false",
            "--base-dir",
            "source/_posts/hello-world",
        ])
        .stdin(doc)
        .run();
    assert_eq!(out.success(), doc);
    assert_eq!(s3.count("PUT"), 0);
    // On standard input the asset folder is --base-dir.
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--base-dir", "source/_posts/hello-world"])
        .stdin(doc)
        .run();
    let key = format!(
        "{}.png",
        &sha256_hex(&std::fs::read(site.path("source/_posts/hello-world/cat.png")).unwrap())[..12]
    );
    site.snapshot(
        out.success(),
        str![[r#"
![A cat](https://assets.example.com/[YEAR_MONTH]a442d95f47d3.png)

"#]],
    );
    assert!(out.stdout.ends_with(&format!("{key})\n")));
}

#[test]
fn a_posts_asset_folder_migrates_away_and_comes_back() {
    let s3 = S3Server::start();
    let site = hexo_site();
    let before = checkout(&site.root, |_| false);

    let out = site
        .r2filter()
        .against(&s3)
        .args(["migrate", "source/_posts", "--delete"])
        .run();
    out.success();
    site.snapshot(
        site.read("source/_posts/hello-world.md"),
        str![[r#"
---
title: Hello World
date: 2026-11-01 10:00:00
tags: [r2]
---
Welcome to [Hexo](https://hexo.io/)! A cat from this post's folder:

![A cat on the keyboard](https://assets.example.com/[YEAR_MONTH]a442d95f47d3.png)

Quoted names and titles, in any language:

![截图：设置页面](https://assets.example.com/[YEAR_MONTH]a6f5c8deb118.png)

![Alt text](https://assets.example.com/[YEAR_MONTH]e6f7c45f4e9e.png "Title")

A size Markdown cannot say is kept, as HTML: <img src="https://assets.example.com/[YEAR_MONTH]cd9b08a2ee48.png" width="640" height="360" title="Hero" alt="Hero">

[Download the picture](https://assets.example.com/[YEAR_MONTH]a442d95f47d3.png), or [see it](https://assets.example.com/[YEAR_MONTH]a442d95f47d3.png).

<div class="gallery">
<img src="https://assets.example.com/[YEAR_MONTH]a442d95f47d3.png" title="In a gallery" alt="In a gallery">
</div>

Code is left alone: `{% asset_img cat.png %}`, and

```
{% asset_img cat.png %}
```

"#]],
    );
    // The first post's folder held only images: it is gone entirely. The
    // second keeps its PDF, and the PDF's tag.
    assert!(!site.path("source/_posts/hello-world").exists());
    assert_eq!(tree(&site.path("source/_posts/second-post")), ["notes.pdf"]);
    assert!(
        site.read("source/_posts/second-post.md")
            .contains("{% asset_link notes.pdf \"The notes\" %}")
    );
    assert_eq!(s3.stored_puts().len(), 5);

    // eject: every file back in its asset folder, byte for byte; the tags
    // come back as Markdown pointing into the folder.
    let out = site
        .r2filter()
        .against(&s3)
        .args(["eject", "source/_posts"])
        .run();
    out.success();
    let after = checkout(&site.root, |rel| rel.starts_with("r2filter-manifest.json"));
    for (path, node) in &before {
        if path.starts_with("source/_posts/") && !path.ends_with(".md") {
            assert!(after.get(path) == Some(node), "{path} did not come back");
        }
    }
    let post = site.read("source/_posts/hello-world.md");
    assert!(
        post.contains("![A cat on the keyboard](hello-world/cat.png)"),
        "{post}"
    );
    assert!(
        post.contains("![截图：设置页面](<hello-world/my screenshot.png>)"),
        "{post}"
    );
    assert!(
        post.contains("<img src=\"hello-world/hero.png\" width=\"640\""),
        "{post}"
    );
}
