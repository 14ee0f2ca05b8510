//! The stat cache through the binary: a warm run reads no image (stat only),
//! a changed image is noticed even with its size and mtime put back, and a
//! corrupt cache is rebuilt without a word.

use std::time::Duration;

use crate::support::{S3Server, Site, png};

const DOC: &str = "![a](img/a.png)\n\n![b](img/b.png)\n";
const CACHE: &str = "r2filter-manifest.json.cache";

/// A site whose two images were written long enough ago to be cached (files
/// changed within the last second are hashed again next run, by design).
fn settled_site() -> Site {
    let site = Site::new();
    site.image("img/a.png", 1);
    site.image("img/b.png", 2);
    std::thread::sleep(Duration::from_millis(1100));
    site
}

#[test]
fn a_warm_run_takes_hashes_from_the_cache_and_makes_no_request() {
    let s3 = S3Server::start();
    let site = settled_site();
    let cold = site.r2filter().against(&s3).arg("-v").stdin(DOC).run();
    let out = cold.success().to_string();
    assert!(
        cold.stderr
            .contains("stat cache: 0 of 2 files unchanged, 2 hashed"),
        "{}",
        cold.stderr
    );
    let cache: serde_json::Value = serde_json::from_str(&site.read(CACHE)).unwrap();
    assert_eq!(cache["version"], 1);
    assert_eq!(cache["files"].as_object().unwrap().len(), 2);

    s3.forget_requests();
    let warm = site.r2filter().against(&s3).arg("-v").stdin(DOC).run();
    assert_eq!(warm.success(), out);
    assert!(
        warm.stderr
            .contains("stat cache: 2 of 2 files unchanged, 0 hashed"),
        "{}",
        warm.stderr
    );
    assert!(s3.requests().is_empty(), "{:?}", s3.requests());
}

#[test]
fn a_change_that_keeps_size_and_mtime_is_still_uploaded() {
    let s3 = S3Server::start();
    let site = settled_site();
    let first = site
        .r2filter()
        .against(&s3)
        .stdin(DOC)
        .run()
        .success()
        .to_string();

    // Other bytes of the same length, and the old mtime put back: a tool that
    // trusted size + mtime alone would publish the old image.
    let path = site.path("img/a.png");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let mut other = png(1);
    let last = other.len() - 1;
    other[last] ^= 0x55;
    std::fs::write(&path, &other).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);

    s3.forget_requests();
    let run = site.r2filter().against(&s3).arg("-v").stdin(DOC).run();
    let second = run.success();
    assert_ne!(second, first, "the changed image got a new URL");
    assert!(
        run.stderr
            .contains("stat cache: 1 of 2 files unchanged, 1 hashed"),
        "{}",
        run.stderr
    );
    assert_eq!(s3.count("PUT"), 1);
    let new_key = second
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("![a](https://assets.example.com/")
        .trim_end_matches(')');
    assert_eq!(s3.get(new_key).unwrap().bytes, other);
}

#[test]
fn a_corrupt_cache_is_rebuilt_and_a_dry_run_writes_none() {
    let s3 = S3Server::start();
    let site = settled_site();
    site.r2filter()
        .against(&s3)
        .arg("--dry-run")
        .stdin(DOC)
        .run()
        .success();
    assert!(!site.path(CACHE).exists(), "a dry run writes nothing");

    let first = site
        .r2filter()
        .against(&s3)
        .stdin(DOC)
        .run()
        .success()
        .to_string();
    for junk in [
        "{ merge <<<<<<< conflict",
        "{\"version\": 0, \"files\": {}}",
    ] {
        site.write(CACHE, junk);
        let run = site.r2filter().against(&s3).arg("-v").stdin(DOC).run();
        assert_eq!(run.success(), first);
        assert!(!run.stderr.contains("WARN"), "{}", run.stderr);
        assert!(run.stderr.contains("0 of 2 files unchanged, 2 hashed"));
        let cache: serde_json::Value = serde_json::from_str(&site.read(CACHE)).unwrap();
        assert_eq!(cache["files"].as_object().unwrap().len(), 2);
    }
}
