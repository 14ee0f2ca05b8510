//! `r2filter migrate` on a real git repository against the real S3 server:
//! the images leave the checkout (git rm), the ones code still names stay,
//! and `r2filter eject` gives the tree back byte for byte.

use std::time::Instant;

use crate::support::*;

/// Bytes that sniff as PNG, of a size that varies with `seed` (2–32 KiB).
fn photo(seed: u32) -> Vec<u8> {
    let mut b = png(seed);
    b.resize(2048 + (seed as usize * 7919) % 30_000, (seed % 251) as u8);
    b
}

/// A blog in git: 10 posts and 50 images, referenced every way the scanner
/// knows (relative, `./`, title, reference definition, front matter, site
/// path, HTML, percent-encoded Chinese name, a shared folder, a symlink),
/// one image still named by code, one by a front-matter key r2filter does not rewrite, one unused.
fn blog(site: &Site) -> u32 {
    let mut seed = 0;
    let mut image = |rel: &str| {
        seed += 1;
        site.write(rel, photo(seed));
    };
    for i in 1..=10 {
        let slug = format!("p{i:02}");
        for name in ["1", "2", "3", "cover"] {
            image(&format!("posts/{slug}/img/{name}.png"));
        }
        let extra = match i {
            1 => {
                "<img src=\"/static/images/logo.png\" alt=\"logo\">\n\n![banner](/static/images/banner-1.png)\n"
            }
            2 => {
                "<a href=\"img/full.png\"><img src=\"img/full.png\" width=\"300\"></a>\n\n![banner](/static/images/banner-2.png)\n"
            }
            3 => "![via a link](img/link.png)\n\n![banner](/static/images/banner-3.png)\n",
            4 | 5 => "![diagram](../shared/diagram.png)\n",
            6 => "![截图](img/%E6%88%AA%E5%9B%BE%201.png)\n",
            7 => "![fig][fig]\n\n[fig]: img/fig.png \"Figure\"\n",
            _ => "",
        };
        // A front-matter key r2filter does not rewrite still needs its file.
        let hero = if i == 2 { "hero: img/full.png\n" } else { "" };
        site.write(
            &format!("posts/{slug}/index.md"),
            format!(
                "---\ntitle: Post {i}\ncover: img/cover.png\n{hero}---\n# Post {i}\n\n![one](img/1.png) and ![two](./img/2.png \"Two\")\n\n![three][three]\n\n{extra}\n[three]: img/3.png\n"
            ),
        );
    }
    for name in [
        "logo", "banner-1", "banner-2", "banner-3", "target", "unused",
    ] {
        image(&format!("public/static/images/{name}.png"));
    }
    image("posts/shared/diagram.png");
    image("posts/p02/img/full.png");
    image("posts/p06/img/截图 1.png");
    image("posts/p07/img/fig.png");
    std::os::unix::fs::symlink(
        "../../../public/static/images/target.png",
        site.path("posts/p03/img/link.png"),
    )
    .unwrap();
    site.write(
        "data/siteMetadata.js",
        "const siteMetadata = {\n  title: 'A blog',\n  siteLogo: '/static/images/logo.png',\n}\n\nmodule.exports = siteMetadata\n",
    );
    site.write(".gitignore", "r2filter-manifest.json.*\n");
    seed
}

fn is_manifest(rel: &str) -> bool {
    rel.starts_with("r2filter-manifest.json")
}

#[test]
fn migrate_delete_commit_then_eject_gives_the_tree_back() {
    if tool("git", "apt-get install git").is_none() {
        return;
    }
    let s3 = S3Server::start();
    let site = Site::new();
    assert_eq!(blog(&site), 50);
    git_init(&site.root);
    git_commit_all(&site.root, "A blog with its images");
    let before = checkout(&site.root, is_manifest);
    let image_bytes_before = tracked_image_bytes(&site.root);
    let git_kib_before = git_object_kib(&site.root);

    // 1. The dry run: documents rewritten, images uploaded, nothing deleted.
    let started = Instant::now();
    let out = site.r2filter().against(&s3).arg("migrate").run();
    let dry_secs = started.elapsed().as_secs_f64();
    out.success();
    let stdout: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        stdout.iter().filter(|l| l.starts_with("delete ")).count(),
        46
    );
    let hero = site
        .read("posts/p02/index.md")
        .lines()
        .position(|l| l.starts_with("hero:"))
        .unwrap()
        + 1;
    let kept: Vec<&str> = stdout
        .iter()
        .copied()
        .filter(|l| l.starts_with("kept "))
        .collect();
    assert_eq!(
        kept,
        [
            format!("kept posts/p02/img/full.png: still referenced by posts/p02/index.md:{hero}"),
            "kept public/static/images/logo.png: still referenced by data/siteMetadata.js:3".into(),
            "kept public/static/images/target.png: the target of the symlink posts/p03/img/link.png".into(),
        ]
    );
    assert!(
        stdout
            .iter()
            .any(|l| l.starts_with("delete posts/p06/img/截图 1.png (")),
        "{}",
        out.stdout
    );
    // What can go: every image but the three kept and the one never used.
    let keep = [
        "posts/p02/img/full.png",
        "public/static/images/logo.png",
        "public/static/images/target.png",
        "public/static/images/unused.png",
    ];
    let kept_bytes: u64 = keep
        .iter()
        .map(|f| std::fs::metadata(site.path(f)).unwrap().len())
        .sum();
    let freed = image_bytes_before - kept_bytes;
    let freed_text = format!("{} ({freed} bytes)", indicatif::HumanBytes(freed));
    assert!(
        out.stderr.contains(&format!(
            "r2filter migrate: 46 files can be deleted, {freed_text}; 3 kept. Nothing was deleted: run again with --delete"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(
        s3.stored_puts().len(),
        49,
        "every referenced image uploaded"
    );
    assert_eq!(tracked_image_bytes(&site.root), image_bytes_before);
    assert!(site.path("posts/p01/img/1.png").exists());
    let status = git(&site.root, &["status", "--porcelain"]);
    assert!(
        status
            .lines()
            .all(|l| l.starts_with(" M posts/") || l == "?? r2filter-manifest.json"),
        "{status}"
    );

    // 2. --delete: git rm of exactly the 46, after a HEAD of each object.
    s3.forget_requests();
    let started = Instant::now();
    let out = site
        .r2filter()
        .against(&s3)
        .args(["migrate", "--delete"])
        .run();
    let delete_secs = started.elapsed().as_secs_f64();
    out.success();
    assert_eq!(s3.count("HEAD"), 46);
    assert_eq!(s3.count("PUT"), 0);
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("deleted "))
            .count(),
        46
    );
    // A commit-ready index: the 46 deletions, the 10 rewritten posts and the
    // new manifest staged together; nothing left unstaged or untracked.
    let staged = git(&site.root, &["status", "--porcelain"]);
    eprintln!("git status --porcelain after migrate --delete:\n{staged}");
    let count = |prefix: &str| staged.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("D  "), 46, "{staged}");
    assert_eq!(count("M  posts/"), 10, "{staged}");
    assert_eq!(count("A  r2filter-manifest.json"), 1, "{staged}");
    assert_eq!(staged.lines().count(), 57, "{staged}");
    assert_eq!(
        out.stderr.lines().last().unwrap(),
        format!(
            "r2filter migrate: deleted 46 files with git rm, {freed_text} freed; 3 kept; staged with the documents and r2filter-manifest.json. Commit to finish: git commit -m \"Move images to the bucket\""
        )
    );
    // The commit `r2filter migrate --help` shows: no `git add`, no `-a`.
    git(&site.root, &["commit", "-q", "-m", "Move images to R2"]);
    assert_eq!(git(&site.root, &["status", "--porcelain"]), "");
    let committed = git(&site.root, &["show", "--stat", "--format=", "HEAD"]);
    eprintln!("git show --stat HEAD:\n{committed}");
    assert!(committed.contains("57 files changed"), "{committed}");

    // The commit is a consistent tree: a clone of it links no deleted file,
    // and its manifest knows every object (`check` is offline).
    let clone = tempfile::tempdir().unwrap();
    let clone_root = clone.path().join("site");
    git(
        clone.path(),
        &["clone", "-q", &site.root.display().to_string(), "site"],
    );
    let out = Run::new(R2FILTER, &clone_root)
        .endpoint(&s3.endpoint)
        .args(["check", "posts"])
        .run();
    out.success();
    assert!(out.stderr.contains("all on disk and in"), "{}", out.stderr);

    // The checkout keeps only the images something else still names (and
    // the one nothing ever named); history still holds the rest.
    let image_bytes_after = tracked_image_bytes(&site.root);
    assert_eq!(image_bytes_after, kept_bytes);
    let git_kib_after = git_object_kib(&site.root);
    assert!(git_kib_after >= git_kib_before, "history keeps the blobs");
    eprintln!(
        "migrate: image bytes in the checkout {image_bytes_before} -> {image_bytes_after}; \
         .git objects {git_kib_before} KiB -> {git_kib_after} KiB; \
         dry run {dry_secs:.2}s, --delete {delete_secs:.2}s"
    );

    // 3. eject: every object downloaded once, checked, put back; the tree is
    // the one first committed, byte for byte (the manifest aside).
    s3.forget_requests();
    let started = Instant::now();
    let out = site.r2filter().against(&s3).arg("eject").run();
    let eject_secs = started.elapsed().as_secs_f64();
    out.success();
    assert_eq!(s3.count("GET"), 46);
    assert_eq!(
        out.stderr.lines().last().unwrap(),
        format!(
            "r2filter eject: 51 references back to local paths; 46 files restored ({} downloaded, SHA-256 checked), 3 already there",
            indicatif::HumanBytes(freed)
        )
    );
    let after = checkout(&site.root, is_manifest);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    for (path, node) in &before {
        assert!(after[path] == *node, "{path} differs after eject");
    }
    eprintln!("eject: {eject_secs:.2}s");
}

#[test]
fn migrate_never_deletes_what_the_bucket_does_not_confirm() {
    let s3 = S3Server::start();
    let site = Site::new();
    for (i, name) in ["kept", "gone", "other", "fine"].iter().enumerate() {
        site.write(&format!("posts/img/{name}.png"), photo(i as u32 + 1));
    }
    site.write(
        "posts/a.md",
        "![k](img/kept.png) ![g](img/gone.png) ![o](img/other.png) ![f](img/fine.png)\n",
    );
    site.r2filter()
        .against(&s3)
        .args(["--key-template", "{hash}.{ext}", "migrate", "posts"])
        .run()
        .success();
    // The bucket loses one object and another changes under its key.
    let key = |seed: u32| format!("{}.png", sha256_hex(&photo(seed)));
    std::fs::remove_file(s3.dir.path().join(BUCKET).join(key(2))).unwrap();
    std::fs::write(s3.dir.path().join(BUCKET).join(key(3)), png(99)).unwrap();
    // A manifest is input: a recorded source outside the root is ignored.
    let outside = site.dir.path().join("outside.png");
    std::fs::write(&outside, photo(4)).unwrap();
    let text = site.read("r2filter-manifest.json");
    site.write(
        "r2filter-manifest.json",
        text.replace("\"posts/img/fine.png\": [", "\"../outside.png\": [\n          \"img/fine.png\"\n        ],\n        \"posts/img/fine.png\": ["),
    );
    // And a file changed since it was published is not the object any more.
    site.write("posts/img/kept.png", photo(50));

    let out = site
        .r2filter()
        .against(&s3)
        .args([
            "--key-template",
            "{hash}.{ext}",
            "migrate",
            "posts",
            "--delete",
        ])
        .run();
    out.success();
    assert_eq!(
        out.stdout,
        format!(
            "deleted posts/img/fine.png ({})\n\
             kept posts/img/gone.png: the bucket's {} is missing\n\
             kept posts/img/kept.png: its bytes changed since they were published\n\
             kept posts/img/other.png: the bucket's {} has {} bytes, not {}\n",
            indicatif::HumanBytes(photo(4).len() as u64),
            key(2),
            key(3),
            png(99).len(),
            photo(3).len()
        )
    );
    assert!(outside.exists(), "a file outside the root is never deleted");
    for name in ["gone", "other", "kept"] {
        assert!(site.path(&format!("posts/img/{name}.png")).exists());
    }
    assert!(!site.path("posts/img/fine.png").exists());
}

#[test]
fn migrate_refuses_offline_and_dry_run() {
    let site = Site::new();
    for flag in ["--offline", "--dry-run"] {
        let out = site
            .r2filter()
            .args(["--local-store", "bucket", flag, "migrate"])
            .run();
        let err = out.failure(2);
        assert!(err.contains(&format!("migrate refuses {flag}")), "{err}");
    }
    assert!(!site.path("bucket").exists());
}

#[test]
fn a_file_git_has_changes_for_is_not_dropped() {
    if tool("git", "apt-get install git").is_none() {
        return;
    }
    let s3 = S3Server::start();
    let site = Site::new();
    site.write("posts/img/a.png", photo(1));
    site.write("posts/a.md", "![a](img/a.png)\n");
    git_init(&site.root);
    git_commit_all(&site.root, "one post");
    // Staged bytes that are not the worktree's: git rm refuses, and says so.
    site.write("posts/img/a.png", photo(2));
    git(&site.root, &["add", "posts/img/a.png"]);
    site.write("posts/img/a.png", photo(1));
    site.r2filter().against(&s3).arg("migrate").run().success();
    let out = site
        .r2filter()
        .against(&s3)
        .args(["migrate", "--delete"])
        .run();
    let err = out.failure(1);
    assert!(err.contains("error: `git rm -q -- posts/img/a.png …` failed: error: the following file has staged content different from both the"), "{err}");
    assert!(
        err.contains("hint: git will not drop a file whose changes it has not recorded"),
        "{err}"
    );
    assert!(site.path("posts/img/a.png").exists());
}

/// What `migrate --delete` does not stage: a document git does not track
/// (the person adds it), and a manifest `.gitignore` covers (the closing
/// line says so); what it stages is the deletion and the tracked document.
#[test]
fn an_untracked_post_and_an_ignored_manifest_are_left_to_the_person() {
    if tool("git", "apt-get install git").is_none() {
        return;
    }
    let s3 = S3Server::start();
    let site = Site::new();
    site.write("posts/img/a.png", photo(1));
    site.write("posts/a.md", "![a](img/a.png)\n");
    site.write(".gitignore", "r2filter-manifest.json*\n");
    git_init(&site.root);
    git_commit_all(&site.root, "one post");
    site.write("posts/b.md", "A draft: ![a](img/a.png)\n");
    let out = site
        .r2filter()
        .against(&s3)
        .args(["migrate", "--delete"])
        .run();
    out.success();
    assert_eq!(
        out.stderr.lines().last().unwrap(),
        format!(
            "r2filter migrate: deleted 1 file with git rm, {} ({} bytes) freed; 0 kept; staged with the documents (r2filter-manifest.json is outside the repository or ignored: add it yourself). Commit to finish: git commit -m \"Move images to the bucket\"",
            indicatif::HumanBytes(photo(1).len() as u64),
            photo(1).len()
        )
    );
    assert_eq!(
        git(&site.root, &["status", "--porcelain"]),
        "M  posts/a.md\nD  posts/img/a.png\n?? posts/b.md\n"
    );
    assert!(site.read("posts/b.md").contains(PUBLIC_URL));
}

#[test]
fn a_photo_published_without_its_location_stays_and_eject_says_what_it_restores() {
    let s3 = S3Server::start();
    let site = Site::new();
    let located = crate::privacy::located_jpeg();
    site.write("posts/img/trip.jpg", &located);
    site.write("posts/img/fine.png", photo(1));
    site.write("posts/a.md", "![t](img/trip.jpg) ![f](img/fine.png)\n");
    let out = site
        .r2filter()
        .against(&s3)
        .args(["migrate", "posts", "--delete"])
        .run();
    out.success();
    // The bucket holds the photo stripped: deleting it would lose its
    // location for good, so it stays.
    assert_eq!(
        out.stdout,
        format!(
            "deleted posts/img/fine.png ({})\n\
             kept posts/img/trip.jpg: the bucket holds it transformed (strip-metadata=location), not these bytes\n",
            indicatif::HumanBytes(photo(1).len() as u64),
        )
    );
    // eject: the photo is there with its own bytes (present), fine.png comes back.
    let out = site.r2filter().against(&s3).args(["eject", "posts"]).run();
    out.success();
    assert_eq!(
        std::fs::read(site.path("posts/img/trip.jpg")).unwrap(),
        located
    );
    assert_eq!(
        std::fs::read(site.path("posts/img/fine.png")).unwrap(),
        photo(1)
    );
    assert_eq!(
        site.read("posts/a.md"),
        "![t](img/trip.jpg) ![f](img/fine.png)\n"
    );
    // Deleted by hand and ejected again: the only bytes left are the
    // published ones, checked against published_sha256, and eject says so.
    site.r2filter()
        .against(&s3)
        .args(["--in-place", "posts"])
        .run()
        .success();
    std::fs::remove_file(site.path("posts/img/trip.jpg")).unwrap();
    let out = site.r2filter().against(&s3).args(["eject", "posts"]).run();
    out.success();
    assert!(
        out.stderr.contains(
            "posts/img/trip.jpg: restored as published (strip-metadata=location): the bucket never held the original bytes"
        ),
        "{}",
        out.stderr
    );
    let restored = std::fs::read(site.path("posts/img/trip.jpg")).unwrap();
    assert_ne!(restored, located);
    let manifest = site.manifest().unwrap();
    assert_eq!(
        manifest["objects"][sha256_hex(&located)]["published_sha256"],
        sha256_hex(&restored).as_str()
    );
}

/// Issue 21: `migrate` on tailwind-nextjs-starter-blog (its 13 documents of
/// `data/`, its package.json dependencies, and its `public/static/images`
/// file names with bytes of ours). The starter lists remark-math, so its
/// `$$ … {…} … $$` post is math (it was refused before); every image moves
/// to the bucket, the documents change only where they named one, and a
/// second run changes nothing.
#[test]
fn migrate_works_on_the_tailwind_nextjs_starter() {
    if tool("git", "apt-get install git").is_none() {
        return;
    }
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testsuite/mdx/corpus/tailwind-nextjs-starter-blog");
    let site_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("site.json")).unwrap()).unwrap();
    let s3 = S3Server::start();
    let site = Site::new();
    site.write("package.json", site_json["package.json"].to_string());
    let mut docs = Vec::new();
    for e in std::fs::read_dir(&corpus).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".mdx") {
            continue;
        }
        let at = if let Some(author) = name.strip_prefix("authors-") {
            format!("data/authors/{author}")
        } else if let Some(nested) = name.strip_prefix("nested-route-") {
            format!("data/blog/nested-route/{nested}")
        } else {
            format!("data/blog/{name}")
        };
        site.write(&at, std::fs::read(&p).unwrap());
        docs.push(at);
    }
    assert_eq!(docs.len(), 13);
    // The starter's public/static/images, by name.
    let images = [
        "avatar.png",
        "canada/lake.jpg",
        "canada/maple.jpg",
        "canada/mountains.jpg",
        "canada/toronto.jpg",
        "github-traffic.png",
        "google.png",
        "logo.png",
        "ocean.jpeg",
        "sparrowhawk-avatar.jpg",
        "time-machine.jpg",
        "twitter-card.png",
    ];
    for (i, name) in images.iter().enumerate() {
        site.write(&format!("public/static/images/{name}"), photo(i as u32 + 1));
    }
    git_init(&site.root);
    git_commit_all(&site.root, "The starter");
    let before: Vec<String> = docs.iter().map(|d| site.read(d)).collect();

    let out = site
        .r2filter()
        .against(&s3)
        .args(["migrate", "--delete", "data"])
        .run();
    out.success();
    let manifest = site.manifest().unwrap();
    let urls: Vec<String> = manifest["objects"]
        .as_object()
        .unwrap()
        .values()
        .map(|e| e["url"].as_str().unwrap().to_string())
        .collect();
    // Every image the posts show (in Markdown, JSX and front matter) is in
    // the bucket; a file goes from the checkout unless a document still
    // names it in text migrate does not rewrite (the starter's posts show
    // their own Markdown in code blocks), which is kept and said.
    let deleted: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("deleted public/static/images/"))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        deleted,
        [
            "github-traffic.png",
            "sparrowhawk-avatar.jpg",
            "twitter-card.png"
        ],
        "{}",
        out.stdout
    );
    let kept: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("kept "))
        .collect();
    assert_eq!(
        kept,
        [
            "kept public/static/images/avatar.png: still referenced by data/blog/new-features-in-v1.mdx:248",
            "kept public/static/images/canada/lake.jpg: still referenced by data/blog/pictures-of-canada.mdx:44",
            "kept public/static/images/canada/maple.jpg: still referenced by data/blog/pictures-of-canada.mdx:41",
            "kept public/static/images/canada/mountains.jpg: still referenced by data/blog/introducing-tailwind-nextjs-starter-blog.mdx:168",
            "kept public/static/images/canada/toronto.jpg: still referenced by data/blog/introducing-tailwind-nextjs-starter-blog.mdx:168",
            "kept public/static/images/ocean.jpeg: still referenced by data/blog/guide-to-using-images-in-nextjs.mdx:72",
        ],
        "{}",
        out.stdout
    );
    for name in deleted {
        assert!(!site.path(&format!("public/static/images/{name}")).exists());
    }
    for stays in [
        "google.png",
        "logo.png",
        "time-machine.jpg",
        "canada/lake.jpg",
    ] {
        assert!(site.path(&format!("public/static/images/{stays}")).exists());
    }
    assert_eq!(urls.len(), 9, "{manifest}");
    // The math post has no image: byte for byte the same.
    let ols = docs
        .iter()
        .position(|d| d.ends_with("deriving-ols-estimator.mdx"))
        .unwrap();
    assert_eq!(site.read(&docs[ols]), before[ols]);
    for (doc, old) in docs.iter().zip(&before) {
        let new = site.read(doc);
        if new != *old {
            assert!(urls.iter().any(|u| new.contains(u.as_str())), "{doc}");
        }
    }
    // `check` says how the site was read, and finds every image published.
    let check = site.r2filter().against(&s3).args(["check", "data"]).run();
    check.success();
    assert!(
        check
            .stderr
            .contains("read as a nextjs site (package.json lists next); math on (this site lists remark-math in package.json)"),
        "{}",
        check.stderr
    );
    // A second run finds nothing left to do.
    let after: Vec<String> = docs.iter().map(|d| site.read(d)).collect();
    site.r2filter()
        .against(&s3)
        .args(["migrate", "data"])
        .run()
        .success();
    for (doc, text) in docs.iter().zip(&after) {
        assert_eq!(&site.read(doc), text, "{doc}");
    }
}
