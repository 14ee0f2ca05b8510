//! `r2filter eject`: the way back, from the bucket or from the public URL;
//! every object checked against its SHA-256; nothing written unless every
//! reference comes back; never a file overwritten.

use crate::support::*;

/// A post whose two images are published (and deleted from the site).
fn published(s3: &S3Server, public_url: Option<&str>) -> Site {
    let site = Site::new();
    site.image("posts/img/a.png", 1);
    site.image("posts/img/b c.png", 2);
    site.write(
        "posts/a.md",
        "---\ncover: img/b c.png\n---\n![a](img/a.png#wide) and <img src='img/b%20c.png'>\n",
    );
    let out = run(&site, s3, public_url)
        .args(["migrate", "posts", "--delete"])
        .run();
    out.success();
    assert!(!site.path("posts/img").exists());
    site
}

fn run(site: &Site, s3: &S3Server, public_url: Option<&str>) -> Run {
    let run = site.r2filter().against(s3);
    match public_url {
        Some(url) => run.args(["--public-url", url]),
        None => run,
    }
}

const ORIGINAL: &str =
    "---\ncover: img/b c.png\n---\n![a](img/a.png#wide) and <img src='img/b%20c.png'>\n";

#[test]
fn eject_from_the_public_url_needs_no_credentials() {
    let s3 = S3Server::start();
    let cdn = StaticServer::serve(s3.dir.path().join(BUCKET));
    let site = published(&s3, Some(&cdn.url));
    s3.forget_requests();
    // No credentials: only the CDN serves (the S3 server sees no request).
    let out = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(["--public-url", &cdn.url, "eject", "--from-public-url"])
        .run();
    out.success();
    assert_eq!(s3.requests().len(), 0);
    assert_eq!(cdn.hits(), 2);
    assert_eq!(site.read("posts/a.md"), ORIGINAL);
    assert_eq!(std::fs::read(site.path("posts/img/a.png")).unwrap(), png(1));
    assert_eq!(
        std::fs::read(site.path("posts/img/b c.png")).unwrap(),
        png(2)
    );
    // Restored files are readable by all, as checked-out files are.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(site.path("posts/img/a.png"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    // Again: everything is there already, nothing is fetched.
    let again = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(["--public-url", &cdn.url, "eject", "--from-public-url"])
        .run();
    again.success();
    assert_eq!(cdn.hits(), 2);
}

#[test]
fn a_corrupted_object_restores_nothing() {
    let s3 = S3Server::start();
    let site = published(&s3, None);
    let keys = s3.keys();
    let bad = keys
        .iter()
        .find(|k| s3.stored(k).unwrap() == png(2))
        .unwrap();
    std::fs::write(s3.dir.path().join(BUCKET).join(bad), png(3)).unwrap();
    let rewritten = site.read("posts/a.md");
    let out = site.r2filter().against(&s3).arg("eject").run();
    let err = out.failure(1);
    let sha = sha256_hex(&png(3));
    assert!(
        err.contains(&format!(
            "error: posts/a.md:2:8: the object {bad} arrived with sha256 {sha}; the manifest says {}",
            sha256_hex(&png(2))
        )),
        "{err}"
    );
    assert_eq!(site.read("posts/a.md"), rewritten);
    assert!(!site.path("posts/img").exists());
    // No staging folder is left behind.
    assert_eq!(
        tree(&site.root)
            .iter()
            .filter(|p| p.contains("eject"))
            .count(),
        0
    );
}

#[test]
fn eject_never_overwrites_a_file() {
    let s3 = S3Server::start();
    let site = published(&s3, None);
    site.write("posts/img/a.png", "my own bytes");
    let rewritten = site.read("posts/a.md");
    let out = site.r2filter().against(&s3).arg("eject").run();
    let err = out.failure(1);
    assert!(
        err.contains("posts/img/a.png already exists with other bytes than the object"),
        "{err}"
    );
    assert!(err.contains("hint: eject never overwrites a file"), "{err}");
    assert_eq!(site.read("posts/a.md"), rewritten);
    assert_eq!(site.read("posts/img/a.png"), "my own bytes");
    assert!(!site.path("posts/img/b c.png").exists());
}

#[test]
fn unknown_urls_and_old_manifests() {
    let s3 = S3Server::start();
    let site = published(&s3, None);
    // A URL of this destination that the manifest does not know: an error,
    // or with on-missing = warn, kept as written.
    site.write(
        "posts/b.md",
        format!("![x]({PUBLIC_URL}/2020/01/unknown.png)\n"),
    );
    let out = site.r2filter().against(&s3).arg("eject").run();
    let err = out.failure(1);
    assert!(err.contains("error: posts/b.md:1:6: https://assets.example.com/2020/01/unknown.png is not in the manifest, so its bytes cannot be checked"), "{err}");
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--on-missing", "warn", "eject"])
        .run();
    out.success();
    assert!(out.stderr.contains("posts/b.md:1:6: https://assets.example.com/2020/01/unknown.png is not in the manifest; kept as written"), "{}", out.stderr);
    assert_eq!(site.read("posts/a.md"), ORIGINAL);
    assert_eq!(
        site.read("posts/b.md"),
        format!("![x]({PUBLIC_URL}/2020/01/unknown.png)\n")
    );

    // A manifest written before sources were recorded: the file comes back
    // beside its document, under images/.
    let site = published(&s3, None);
    let mut m = site.manifest().unwrap();
    for (_, e) in m["objects"].as_object_mut().unwrap() {
        e.as_object_mut().unwrap().remove("sources");
    }
    site.write(
        "r2filter-manifest.json",
        serde_json::to_string_pretty(&m).unwrap(),
    );
    let out = site.r2filter().against(&s3).args(["eject", "posts"]).run();
    out.success();
    assert!(
        out.stderr
            .contains("warning: 3 reference(s) to objects with no recorded source path"),
        "{}",
        out.stderr
    );
    let a_key = format!("{}.png", &sha256_hex(&png(1))[..12]);
    assert!(
        site.read("posts/a.md")
            .contains(&format!("![a](images/{a_key}#wide)"))
    );
    assert_eq!(
        std::fs::read(site.path(&format!("posts/images/{a_key}"))).unwrap(),
        png(1)
    );
}
