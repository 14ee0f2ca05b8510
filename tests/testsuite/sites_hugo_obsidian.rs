//! Whole real sites, Hugo and Obsidian (issue 21), through the built binary
//! with a local store: every document of the vendored excerpts
//! (`hugo/corpus/hugoDocs`, `hugo/site`, `obsidian/corpus/quartz-docs`,
//! `obsidian/corpus/vault`), each run on its own in a site whose own files
//! give its profile (`hugo.toml`, `.obsidian/`), is read without refusal;
//! a vault's embeds publish and `eject` gives every one back byte for byte;
//! an ambiguous embed stops the run naming its candidates.

use std::path::{Path, PathBuf};

use crate::support::*;

const TESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testsuite");

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn markdown(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            markdown(&p, out);
        } else if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
    out.sort();
}

/// Runs each document of `under` on its own (with `extra` arguments);
/// returns (read, refused with the first error line).
fn read_each(site: &Site, under: &str, extra: &[&str]) -> (usize, Vec<String>) {
    let mut docs = Vec::new();
    markdown(&site.path(under), &mut docs);
    let mut refused = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let rel = doc
            .strip_prefix(&site.root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let out = site
            .r2filter()
            .args([rel.as_str(), "--out-dir", &format!("out/{i}")])
            .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
            .args(["--on-missing", "warn"])
            .args(extra)
            .run();
        if out.code != Some(0) {
            let first = out.stderr.lines().next().unwrap_or_default();
            refused.push(first.to_string());
        }
    }
    (docs.len(), refused)
}

/// The vault of `obsidian/corpus` (ours and Quartz's docs) with its images.
fn vault() -> Site {
    let site = Site::new();
    copy_tree(&Path::new(TESTS).join("obsidian/corpus/vault"), &site.root);
    copy_tree(
        &Path::new(TESTS).join("obsidian/corpus/quartz-docs"),
        &site.path("quartz"),
    );
    std::fs::remove_file(site.path("quartz/LICENSE.txt")).unwrap();
    for (i, image) in [
        "cat.png",
        "attachments/dog.jpg",
        "photos/sunset 1.jpg",
        "quartz/images/quartz layout.png",
        "quartz/images/giscus-example.png",
        "quartz/images/giscus-repo.png",
        "quartz/images/giscus-discussion.png",
        "quartz/images/giscus-results.png",
    ]
    .iter()
    .enumerate()
    {
        site.image(image, 100 + i as u32);
    }
    site
}

#[test]
fn real_hugo_and_obsidian_documents_are_read_without_refusal() {
    // Hugo: the site's own hugo.toml makes it a Hugo site.
    let hugo = Site::new();
    copy_tree(&Path::new(TESTS).join("hugo/site"), &hugo.root);
    copy_tree(
        &Path::new(TESTS).join("hugo/corpus/hugoDocs"),
        &hugo.path("content/docs"),
    );
    std::fs::remove_file(hugo.path("content/docs/LICENSE.md")).unwrap();
    // The site's own images (the excerpts' are left out: missing, kept).
    for (i, image) in [
        "content/post/a.jpg",
        "content/post/a b.jpg",
        "content/post/sub/c.png",
        "content/post/big.png",
        "content/toml-bundle/a.jpg",
        "content/toml-bundle/sub/d.png",
        "content/section/s.jpg",
        "static/img/static.jpg",
    ]
    .iter()
    .enumerate()
    {
        hugo.image(image, 200 + i as u32);
    }
    // A leading `/` is Hugo's `static/`.
    let (hugo_read, hugo_refused) = read_each(&hugo, "content", &["--site-root", "static"]);
    let obsidian = vault();
    let (vault_read, vault_refused) = read_each(&obsidian, ".", &[]);
    eprintln!(
        "whole sites: hugo {hugo_read} documents, {} refused; obsidian {vault_read} documents, {} refused",
        hugo_refused.len(),
        vault_refused.len()
    );
    assert_eq!(hugo_refused, Vec::<String>::new());
    assert_eq!(vault_refused, Vec::<String>::new());
    assert_eq!((hugo_read, vault_read), (11, 6));
    // Read as the sites they are: the figure and the embeds were published.
    let post = std::fs::read_dir(hugo.path("out"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("index.md"))
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("A leaf bundle")))
        .unwrap();
    let post = std::fs::read_to_string(post).unwrap();
    assert!(
        post.contains(&format!("{{{{< figure src=\"{PUBLIC_URL}/")),
        "{post}"
    );
}

#[test]
fn a_vault_publishes_and_ejects_byte_for_byte() {
    let site = vault();
    let mut docs = Vec::new();
    markdown(&site.root, &mut docs);
    let originals: Vec<String> = docs
        .iter()
        .map(|d| std::fs::read_to_string(d).unwrap())
        .collect();
    let local = ["--local-store", "bucket", "--public-url", PUBLIC_URL];
    let out = site.r2filter().args(["--in-place", "."]).args(local).run();
    out.success();
    let embeds = site.read("notes/embeds.md");
    assert!(
        embeds.contains(&format!("<span><img src=\"{PUBLIC_URL}/"))
            && embeds.contains(&format!("](<{PUBLIC_URL}/"))
            && !embeds.contains("![[cat.png|")
            && embeds.contains("![[Other note]]"),
        "{embeds}"
    );
    for image in ["cat.png", "attachments/dog.jpg", "photos/sunset 1.jpg"] {
        std::fs::remove_file(site.path(image)).unwrap();
    }
    let out = site.r2filter().arg("eject").args(local).run();
    out.success();
    for (doc, original) in docs.iter().zip(&originals) {
        assert_eq!(
            &std::fs::read_to_string(doc).unwrap(),
            original,
            "{}",
            doc.display()
        );
    }
    assert_eq!(std::fs::read(site.path("cat.png")).unwrap(), png(100));
    assert_eq!(
        std::fs::read(site.path("photos/sunset 1.jpg")).unwrap(),
        png(102)
    );
}

#[test]
fn an_ambiguous_embed_names_its_candidates() {
    let site = Site::new();
    site.write(".obsidian/app.json", "{}");
    site.image("a/shot.png", 1);
    site.image("b/shot.png", 2);
    site.write("note.md", "# Note\n\nSee ![[shot.png|300]].\n");
    let out = site
        .r2filter()
        .args(["note.md", "--out-dir", "out", "--local-store", "bucket"])
        .args(["--public-url", PUBLIC_URL])
        .run();
    let err = out.failure(1);
    assert!(
        err.contains(
            "error: note.md:3:5: the embed \"shot.png\" names 2 files: a/shot.png, b/shot.png"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: write more of the path so that one file matches (for example ![[a/shot.png]])"
        ),
        "{err}"
    );
    assert!(!site.path("out").exists());
}

#[test]
fn a_hugo_bundle_publishes_and_ejects_byte_for_byte() {
    let site = Site::new();
    copy_tree(&Path::new(TESTS).join("hugo/site"), &site.root);
    for (i, image) in [
        "content/post/a.jpg",
        "content/post/a b.jpg",
        "content/post/sub/c.png",
        "content/post/big.png",
        "static/img/static.jpg",
    ]
    .iter()
    .enumerate()
    {
        site.image(image, 300 + i as u32);
    }
    let docs = ["content/post/index.md", "content/json.md"];
    let originals: Vec<String> = docs.iter().map(|d| site.read(d)).collect();
    let args = ["--local-store", "bucket", "--public-url", PUBLIC_URL];
    let root = ["--site-root", "static"];
    let out = site
        .r2filter()
        .args(["--in-place"])
        .args(docs)
        .args(args)
        .args(root)
        .run();
    out.success();
    let post = site.read("content/post/index.md");
    assert!(
        post.contains(&format!("src=`{PUBLIC_URL}/"))
            && post.contains("{{</* figure src=\"a.jpg\" */>}}"),
        "{post}"
    );
    assert!(
        site.read("content/json.md")
            .contains(&format!("\"images\": [\"{PUBLIC_URL}/"))
    );
    std::fs::remove_file(site.path("content/post/a b.jpg")).unwrap();
    let out = site
        .r2filter()
        .arg("eject")
        .args(docs)
        .args(args)
        .args(root)
        .run();
    out.success();
    for (doc, original) in docs.iter().zip(&originals) {
        assert_eq!(&site.read(doc), original, "{doc}");
    }
    assert_eq!(
        std::fs::read(site.path("content/post/a b.jpg")).unwrap(),
        png(301)
    );
}
