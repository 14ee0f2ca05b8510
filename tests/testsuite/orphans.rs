//! `r2filter orphans`: LIST under the prefix, minus what the manifest
//! names; deletes only on request, only what is old enough, never a named key
//! or a key outside the prefix.

use std::time::{Duration, SystemTime};

use crate::support::*;

/// Puts an object straight into the server's bucket folder (another tool,
/// another site, an old run), last written `days` ago.
fn object(s3: &S3Server, key: &str, bytes: &[u8], days: u64) {
    let path = s3.dir.path().join(BUCKET).join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    let when = SystemTime::now() - Duration::from_secs(days * 86_400 + 60);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// A site whose two images are published under the prefix `blog`.
fn site(s3: &S3Server) -> Site {
    let site = Site::new();
    site.image("a.png", 1);
    site.image("b.png", 2);
    site.r2filter()
        .against(s3)
        .args(["--prefix", "blog", "--key-template", "{hash:12}.{ext}"])
        .stdin("![a](a.png) ![b](b.png)\n")
        .run()
        .success();
    site
}

#[test]
fn orphans_lists_what_the_manifest_does_not_name_under_the_prefix() {
    let s3 = S3Server::start();
    let site = site(&s3);
    object(&s3, "blog/2020/01/old.png", &png(3), 40);
    object(&s3, "blog/new.png", &png(4), 0);
    // Outside the prefix: another site's, or a prefix that only starts alike.
    object(&s3, "blog-old/x.png", &png(5), 400);
    object(&s3, "other/y.png", &png(6), 400);
    s3.forget_requests();

    let out = site
        .r2filter()
        .against(&s3)
        .args(["--prefix", "blog", "orphans"])
        .run();
    out.success();
    assert_eq!(
        out.stdout,
        format!(
            "blog/2020/01/old.png\t{}\t40d\nblog/new.png\t{}\t0d\n",
            png(3).len(),
            png(4).len()
        )
    );
    assert!(
        out.stderr.contains(&format!(
            "r2filter orphans: 2 objects under blog/ not named by {}/r2filter-manifest.json ({n} B, {n} bytes); 2 named",
            site.root.display(),
            n = png(3).len() + png(4).len()
        )),
        "{}",
        out.stderr
    );
    assert!(s3.requests().iter().all(|r| r.method == "GET"), "only LIST");

    // --delete needs --min-age: nothing is deleted without it.
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--prefix", "blog", "orphans", "--delete"])
        .run();
    let err = out.failure(2);
    assert!(err.contains("--min-age <DAYS>"), "{err}");
    assert_eq!(s3.count("DELETE"), 0);

    // Older than 30 days: only the old orphan goes.
    let before = s3.keys();
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--prefix", "blog", "orphans", "--delete", "--min-age", "30"])
        .run();
    out.success();
    let deletes: Vec<String> = s3
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(deletes, [format!("/{BUCKET}/blog/2020/01/old.png")]);
    let after = s3.keys();
    let gone: Vec<&String> = before.iter().filter(|k| !after.contains(k)).collect();
    assert_eq!(gone, ["blog/2020/01/old.png"]);
    assert!(
        out.stderr.contains(&format!(
            "r2filter orphans: deleted 1 object ({} B); kept 1 younger than 30 days",
            png(3).len()
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn without_a_prefix_the_whole_bucket_is_looked_at_and_named_keys_stay() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.image("a.png", 1);
    site.r2filter()
        .against(&s3)
        .stdin("![a](a.png)\n")
        .run()
        .success();
    object(&s3, "elsewhere/z.png", &png(7), 90);
    // Every named key is older than the minimum age too: it stays.
    for key in s3.keys() {
        let path = s3.dir.path().join(BUCKET).join(&key);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(100 * 86_400))
            .unwrap();
    }
    let out = site
        .r2filter()
        .against(&s3)
        .args(["orphans", "--delete", "--min-age", "0"])
        .run();
    out.success();
    assert!(
        out.stderr
            .contains("1 object in the whole bucket (no prefix is set)"),
        "{}",
        out.stderr
    );
    assert_eq!(s3.keys().len(), 1);
    assert!(!s3.keys().contains(&"elsewhere/z.png".to_string()));
}

// A listing runs over several pages (S3 returns at most 1,000 keys per LIST;
// the listing follows the continuation token to the last page).
#[test]
fn orphans_lists_every_page() {
    let s3 = S3Server::start();
    let site = site(&s3);
    for i in 0..1_005 {
        object(&s3, &format!("blog/old/{i:04}.png"), b"x", 40);
    }
    s3.forget_requests();
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--prefix", "blog", "orphans"])
        .run();
    out.success();
    assert_eq!(out.stdout.lines().count(), 1_005, "{}", out.stderr);
    assert!(out.stdout.contains("blog/old/1004.png\t1\t40d\n"));
    // Besides one ListMultipartUploads (`GET /bucket?uploads`).
    let lists = s3
        .requests()
        .into_iter()
        .filter(|r| {
            let uploads = r
                .query
                .split('&')
                .any(|p| p == "uploads" || p.starts_with("uploads="));
            r.method == "GET" && !uploads
        })
        .count();
    assert_eq!(lists, 2, "two LIST pages: {:?}", s3.requests());
}
