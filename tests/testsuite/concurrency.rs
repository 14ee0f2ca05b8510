//! Several runs at once on one manifest and one bucket: every run succeeds,
//! the manifest stays valid JSON and ends up with the union of their entries,
//! and nothing is lost.
//!
//! The runs go through [`Entry`]: today the stdin filter only. When batch mode
//! (`--in-place`, `--out-dir`) and the mdBook preprocessor land, each is a new
//! variant and a match arm in [`Entry::run`]; the test mixes all variants.
//!
//! `R2FILTER_FULL=1 cargo test --test testsuite -- --nocapture concurrency::` runs more rounds.

use std::collections::BTreeSet;

use crate::support::*;

/// A way to run r2filter over one document.
#[derive(Debug, Clone, Copy)]
enum Entry {
    /// `r2filter --base-dir DIR < doc.md`
    Filter,
}

impl Entry {
    const ALL: [Entry; 1] = [Entry::Filter];

    /// Runs the document at `rel` (inside `site`) and returns its output.
    fn run(self, site: &Site, s3: &S3Server, rel: &str) -> Output {
        match self {
            Entry::Filter => {
                let dir = std::path::Path::new(rel).parent().unwrap();
                site.r2filter()
                    .against(s3)
                    .args(["--key-template", "{hash}.{ext}"])
                    .args(["--base-dir".as_ref(), dir.as_os_str()])
                    .stdin(site.read(rel))
                    .run()
            }
        }
    }
}

#[test]
fn concurrent_runs_keep_every_entry() {
    let rounds = scaled(3, 20);
    let (writers, own, shared) = (4usize, 25u32, 10u32);
    let mut total_runs = 0;
    for round in 0..rounds {
        let s3 = S3Server::start();
        let site = Site::new();
        let mut expected = BTreeSet::new();
        for s in 0..shared {
            expected.insert(sha256_hex(
                &site.image(&format!("shared/{s}.png"), 10_000 + s),
            ));
        }
        for w in 0..writers {
            let mut doc = format!("# Writer {w}\n\n");
            for i in 0..own {
                let seed = (w as u32 + 1) * 1000 + i;
                expected.insert(sha256_hex(&site.image(&format!("w{w}/img/{i}.png"), seed)));
                doc.push_str(&format!("![{i}](img/{i}.png)\n"));
            }
            for s in 0..shared {
                doc.push_str(&format!("![shared {s}](../shared/{s}.png)\n"));
            }
            site.write(&format!("w{w}/post.md"), doc);
        }
        let outputs: Vec<(usize, Output)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..writers)
                .map(|w| {
                    let (site, s3) = (&site, &s3);
                    let entry = Entry::ALL[(w + round) % Entry::ALL.len()];
                    scope.spawn(move || (w, entry.run(site, s3, &format!("w{w}/post.md"))))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        total_runs += outputs.len();
        for (w, out) in &outputs {
            let text = out.success();
            assert!(!text.contains("](img/"), "writer {w} kept a local path");
            assert_eq!(text.matches(PUBLIC_URL).count(), (own + shared) as usize);
        }
        // Valid JSON with the union of every run's entries, each in the bucket.
        let m = site.manifest().expect("manifest is valid JSON");
        let listed: BTreeSet<String> = m["objects"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(listed, expected, "round {round}");
        let keys: BTreeSet<String> = s3.keys().into_iter().collect();
        for hash in &expected {
            assert!(
                keys.contains(&format!("{hash}.png")),
                "{hash} not in the bucket"
            );
        }
        assert_eq!(keys.len(), expected.len());
        // No temp file is left beside it.
        let stray: Vec<String> = tree(&site.root)
            .into_iter()
            .filter(|p| p.contains(".r2filter-manifest."))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
    }
    eprintln!("concurrency: {rounds} rounds of {writers} runs at once: {total_runs} runs");
}
