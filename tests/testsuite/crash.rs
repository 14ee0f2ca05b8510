//! kill -9 at random moments during an upload of 300 images; the next run
//! finishes, and its output, the bucket and the manifest equal a clean run's.
//! Between the kill and the rerun, the manifest is absent or valid and lists
//! only objects that are in the bucket with their full bytes.
//!
//! CI runs 10 trials; `R2FILTER_FULL=1 cargo test --test testsuite -- --nocapture crash::`
//! runs 50. Batch mode and mdBook, when they land, get an arm in `start`
//! (and `--in-place` / `--out-dir` a check that each file is old or new whole).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support::*;

const IMAGES: u32 = 300;

fn site_with_gallery() -> (Site, String) {
    let site = Site::new();
    let mut doc = String::from("# Three hundred\n\n");
    for i in 0..IMAGES {
        site.image(&format!("img/{i}.png"), i);
        doc.push_str(&format!("![{i}](img/{i}.png)\n"));
    }
    site.write("post.md", &doc);
    (site, doc)
}

fn start(site: &Site, s3: &S3Server, doc: &str) -> Run {
    site.r2filter()
        .against(s3)
        .args(["--key-template", "{hash}.{ext}"])
        .stdin(doc)
}

/// The manifest's objects without their upload times (a rerun uploads later).
fn objects(site: &Site) -> BTreeMap<String, serde_json::Value> {
    let m = site.manifest().expect("manifest written");
    m["objects"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let mut v = v.clone();
            v.as_object_mut().unwrap().remove("uploaded");
            (k.clone(), v)
        })
        .collect()
}

/// Every manifest entry is in the bucket with the bytes its hash names.
fn manifest_only_lists_stored_objects(site: &Site, s3: &S3Server) -> usize {
    let Ok(text) = std::fs::read_to_string(site.path("r2filter-manifest.json")) else {
        return 0;
    };
    let m: serde_json::Value = serde_json::from_str(&text).expect("manifest is valid JSON");
    let objects = m["objects"].as_object().unwrap();
    for (hash, e) in objects {
        let bytes = s3
            .stored(e["key"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{hash} listed but not stored"));
        assert_eq!(&sha256_hex(&bytes), hash);
    }
    objects.len()
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn kill_9_at_random_moments_then_rerun_equals_a_clean_run() {
    let trials = scaled(10, 50);

    // The clean run, and how long it takes (kill moments spread over it).
    let clean_s3 = S3Server::start();
    let (clean_site, doc) = site_with_gallery();
    let began = Instant::now();
    let clean = start(&clean_site, &clean_s3, &doc).run();
    let clean_time = began.elapsed();
    let clean_out = clean.success().to_string();
    let clean_objects = objects(&clean_site);
    let clean_keys = clean_s3.keys();
    assert_eq!(clean_keys.len(), IMAGES as usize);

    let mut killed_mid_upload = 0;
    let mut finished_before_kill = 0;
    for trial in 0..trials {
        let s3 = S3Server::start();
        let (site, doc) = site_with_gallery();
        // Uniform over 0..1.2× the clean run's time (some kills land after the end).
        let span = clean_time.as_micros() as u64 * 12 / 10;
        let at = Duration::from_micros(splitmix64(trial as u64) % span.max(1));
        let mut child = start(&site, &s3, &doc).spawn();
        std::thread::sleep(at);
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs
        child.wait().unwrap();
        let stored = s3.keys().len();
        let listed = manifest_only_lists_stored_objects(&site, &s3);
        if finished {
            finished_before_kill += 1;
        } else if stored > 0 && stored < IMAGES as usize {
            killed_mid_upload += 1;
        }
        eprintln!(
            "crash trial {trial}: killed at {at:?} of ~{clean_time:?}: {stored} stored, {listed} in the manifest"
        );

        let rerun = start(&site, &s3, &doc).run();
        assert_eq!(rerun.success(), clean_out, "trial {trial}");
        assert_eq!(s3.keys(), clean_keys, "trial {trial}");
        for key in &clean_keys {
            assert_eq!(s3.stored(key), clean_s3.stored(key), "trial {trial}: {key}");
        }
        assert_eq!(objects(&site), clean_objects, "trial {trial}");
        let stray: Vec<String> = tree(&site.root)
            .into_iter()
            .filter(|p| p.contains(".r2filter-manifest.") && p.ends_with(".tmp"))
            .collect();
        assert!(stray.len() <= 1, "trial {trial}: {stray:?}");
    }
    eprintln!(
        "crash: {trials} trials of {IMAGES} images, {killed_mid_upload} killed mid-upload, {finished_before_kill} had finished"
    );
}
