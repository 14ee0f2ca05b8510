//! A store that fails: 500, 503, SlowDown, 429, dropped connections and
//! stalls, injected by the test server (`Quirks::faults`, deterministic per
//! seed). r2filter must retry its way through, upload every object exactly
//! once with the right bytes, and when the store keeps failing, stop after
//! bounded retries with a clear error and a manifest that lists only objects
//! that exist.
//!
//! CI counts by default; `R2FILTER_FULL=1 cargo test --test testsuite -- --nocapture faults::`
//! runs the full ones (and prints what was injected either way).

use std::collections::BTreeSet;

use crate::support::*;

/// Short timeouts so a stall (1.5 s) outlasts the read timeout; more tries than
/// the default so a run at a 15% fault rate is not a coin toss.
fn faulty_run(site: &Site, s3: &S3Server, attempts: u32) -> Run {
    site.write("r2filter.toml", format!("max-attempts = {attempts}\n"));
    site.r2filter()
        .against(s3)
        .args(["--key-template", "{hash}.{ext}"])
        .env("R2FILTER_READ_TIMEOUT_MS", "400")
        .env("R2FILTER_CONNECT_TIMEOUT_MS", "1000")
}

/// `n` distinct images, one document referencing each (some twice).
fn gallery(site: &Site, n: usize) -> (String, Vec<Vec<u8>>) {
    let mut doc = String::from("# Gallery\n\n");
    let mut images = Vec::new();
    for i in 0..n {
        let bytes = site.image(&format!("img/{i}.png"), i as u32);
        doc.push_str(&format!("![{i}](img/{i}.png)\n"));
        if i % 7 == 0 {
            doc.push_str(&format!("<img src=\"img/{i}.png\">\n"));
        }
        images.push(bytes);
    }
    (doc, images)
}

#[test]
fn every_image_arrives_once_through_every_kind_of_fault() {
    let n = scaled(200, 1000);
    let s3 = S3Server::start_with(Quirks {
        faults: Some(Faults::every_kind(0x5eed, 150)),
        ..Quirks::default()
    });
    let site = Site::new();
    let (doc, images) = gallery(&site, n);
    let out = faulty_run(&site, &s3, 10).stdin(&doc).run();
    let stdout = out.success();

    let mut expected_doc = doc.clone();
    for (i, bytes) in images.iter().enumerate() {
        let url = format!("{PUBLIC_URL}/{}.png", sha256_hex(bytes));
        expected_doc = expected_doc
            .replace(&format!("(img/{i}.png)"), &format!("({url})"))
            .replace(&format!("\"img/{i}.png\""), &format!("\"{url}\""));
    }
    assert_eq!(stdout, expected_doc);

    // Exactly the images, each with its own bytes, each stored by one PUT.
    let keys: BTreeSet<String> = images
        .iter()
        .map(|b| format!("{}.png", sha256_hex(b)))
        .collect();
    assert_eq!(s3.keys().into_iter().collect::<BTreeSet<_>>(), keys);
    for bytes in &images {
        let key = format!("{}.png", sha256_hex(bytes));
        assert_eq!(s3.stored(&key).as_ref(), Some(bytes), "{key}");
    }
    let puts = s3.stored_puts();
    assert_eq!(puts.keys().cloned().collect::<BTreeSet<_>>(), keys);
    assert!(
        puts.values().all(|&n| n == 1),
        "a key stored twice: {puts:?}"
    );

    let m = site.manifest().expect("manifest written");
    let objects = m["objects"].as_object().unwrap();
    assert_eq!(objects.len(), n);
    for bytes in &images {
        assert_eq!(
            objects[&sha256_hex(bytes)]["key"],
            format!("{}.png", sha256_hex(bytes))
        );
    }

    let faults = s3.faults();
    eprintln!(
        "faults: {n} images, {} requests, {} faults injected: {faults:?}",
        s3.requests().len(),
        s3.fault_count()
    );
    for kind in Fault::ALL {
        assert!(faults.get(&kind).copied().unwrap_or(0) > 0, "no {kind:?}");
    }
}

#[test]
fn a_store_that_keeps_failing_ends_in_a_clear_error() {
    let n = scaled(40, 200);
    // The same requests fail on every try: some objects can never get there.
    let s3 = S3Server::start_with(Quirks {
        faults: Some(Faults {
            sticky: true,
            ..Faults::every_kind(7, 250)
        }),
        ..Quirks::default()
    });
    let site = Site::new();
    let (doc, images) = gallery(&site, n);
    let out = faulty_run(&site, &s3, 3).stdin(&doc).run();
    let err = out.failure(1);
    assert!(err.contains("nothing was written"), "{err}");

    // Bounded: no failing request was tried more than max-attempts times.
    // (Fewer is allowed: the SDK's retry quota, 500 tokens at 14 a retry,
    // stops retrying early when many requests fail at once.)
    let mut tries: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for r in s3.requests() {
        *tries.entry((r.method, r.path)).or_default() += 1;
    }
    let stored: BTreeSet<String> = s3.keys().into_iter().collect();
    let mut failed = 0;
    for bytes in &images {
        let key = format!("{}.png", sha256_hex(bytes));
        if stored.contains(&key) {
            continue;
        }
        failed += 1;
        let path = format!("/{BUCKET}/{key}");
        // A conditional PUT each (a HEAD only follows a 412, and a faulty
        // request never reaches the store, so none came).
        let head = tries
            .get(&("HEAD".to_string(), path.clone()))
            .copied()
            .unwrap_or(0);
        let put = tries.get(&("PUT".to_string(), path)).copied().unwrap_or(0);
        assert!(
            (1..=3).contains(&put) && head == 0,
            "{key}: HEAD {head} PUT {put}"
        );
        // Each failure names its image, says what happened and what to do.
        let name = format!(
            "img/{}.png",
            images.iter().position(|b| b == bytes).unwrap()
        );
        assert!(err.contains(&format!("uploading {name}:")), "{name}\n{err}");
    }
    assert!(failed > 0 && failed < n, "{failed} of {n} failed");
    // The listing (40 pending uploads) is bounded the same way; when it keeps
    // failing, each PUT asks instead.
    let listing = tries
        .get(&("GET".to_string(), format!("/{BUCKET}/")))
        .copied()
        .unwrap_or(0);
    assert!((1..=3).contains(&listing), "LIST tried {listing} times");
    assert!(
        err.contains(&format!("{failed} references failed")),
        "{failed}\n{err}"
    );
    for hint in [
        "the store kept failing after retries",
        "the store is slow or unreachable",
    ] {
        assert!(err.contains(hint), "{hint}\n{err}");
    }

    // The manifest holds exactly what reached the bucket.
    let m = site.manifest().expect("successes are recorded");
    let listed: BTreeSet<String> = m["objects"]
        .as_object()
        .unwrap()
        .values()
        .map(|e| e["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, stored);
    eprintln!(
        "keeps-failing: {n} images, {failed} failed for good, {} faults injected: {:?}",
        s3.fault_count(),
        s3.faults()
    );

    // The store recovers: the next run sends only what is missing, once each.
    s3.heal();
    let again = faulty_run(&site, &s3, 3).stdin(&doc).run();
    again.success();
    assert_eq!(s3.keys().len(), n);
    assert!(s3.stored_puts().values().all(|&n| n == 1));
    assert_eq!(
        site.manifest().unwrap()["objects"]
            .as_object()
            .unwrap()
            .len(),
        n
    );
}
