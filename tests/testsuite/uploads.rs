//! What an upload costs in requests, against the real s3s-fs server: one
//! conditional PUT (`If-None-Match: *`) per new image; one ListObjectsV2 per
//! prefix when 20 or more uploads are pending; a HEAD only to tell an object
//! that is already there (412, or listed) from a collision. moto.rs runs
//! the same against moto, whose listings carry the MD5 ETag.

use crate::support::*;

const FLAT: [&str; 2] = ["--key-template", "{hash}.{ext}"];
/// r2filter lists a prefix from this many pending uploads on (store::ensure::LIST_MIN).
const LIST_MIN: u32 = 20;

/// `n` images `img/{from..from+n}.png` and a post naming each once.
fn gallery(site: &Site, from: u32, n: u32) -> String {
    let mut doc = String::new();
    for i in from..from + n {
        site.image(&format!("img/{i}.png"), i);
        doc.push_str(&format!("![{i}](img/{i}.png)\n"));
    }
    doc
}

/// ListObjectsV2 requests (a GET of the bucket itself).
fn lists(s3: &S3Server) -> usize {
    s3.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.trim_end_matches('/') == format!("/{BUCKET}"))
        .count()
}

#[test]
fn a_cold_run_sends_one_conditional_put_per_new_image() {
    let s3 = S3Server::start();
    let site = Site::new();
    // Fewer than LIST_MIN pending: no listing, a PUT each.
    let few = gallery(&site, 0, LIST_MIN - 1);
    site.r2filter()
        .against(&s3)
        .args(FLAT)
        .stdin(&few)
        .run()
        .success();
    assert_eq!(s3.requests().len(), (LIST_MIN - 1) as usize);
    assert_eq!(s3.count("PUT"), (LIST_MIN - 1) as usize);
    for put in s3.requests() {
        assert_eq!(
            put.headers.get("if-none-match").map(String::as_str),
            Some("*"),
            "{put:?}"
        );
    }
    // 40 more: one listing, then a PUT each: 41 requests for 40 images.
    s3.forget_requests();
    let many = gallery(&site, 100, 40);
    site.r2filter()
        .against(&s3)
        .args(FLAT)
        .stdin(format!("{few}{many}"))
        .run()
        .success();
    assert_eq!((lists(&s3), s3.count("PUT"), s3.count("HEAD")), (1, 40, 0));
    assert_eq!(s3.requests().len(), 41);
    assert_eq!(s3.keys().len(), (LIST_MIN - 1 + 40) as usize);
}

/// A gallery of `n` images published, its manifest lost, and published
/// again (requests counted from there): the second run must print the same
/// document and find all `n` already in the bucket.
fn rerun_without_manifest(s3: &S3Server, site: &Site, n: u32) {
    let doc = gallery(site, 0, n);
    let cold = site.r2filter().against(s3).args(FLAT).stdin(&doc).run();
    let cold = cold.success().to_string();
    std::fs::remove_file(site.path("r2filter-manifest.json")).unwrap();
    s3.forget_requests();
    let again = site.r2filter().against(s3).args(FLAT).stdin(&doc).run();
    assert_eq!(again.success(), cold);
    assert!(
        again.stderr.contains(&format!("{n} already in bucket")),
        "{}",
        again.stderr
    );
}

#[test]
fn a_lost_manifest_with_few_images_gets_412_and_a_head_never_an_overwrite() {
    let (s3, site) = (S3Server::start(), Site::new());
    rerun_without_manifest(&s3, &site, 3);
    // s3s-fs honours If-None-Match: the second PUT of each key is refused
    // (412) before a byte is stored, and a HEAD confirms the bytes.
    assert_eq!((s3.count("PUT"), s3.count("HEAD")), (3, 3));
    let puts: Vec<u16> = s3.statuses().into_iter().filter(|s| *s == 412).collect();
    assert_eq!(puts.len(), 3);
    assert!(s3.stored_puts().values().all(|&n| n == 1));
    assert_eq!(
        site.manifest().unwrap()["objects"]
            .as_object()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_lost_manifest_costs_a_listing_not_a_put_per_image() {
    let (s3, site) = (S3Server::start(), Site::new());
    rerun_without_manifest(&s3, &site, 30);
    // One listing and no PUT. s3s-fs lists no ETag, so each listed key is
    // confirmed by its recorded SHA-256 (a HEAD); moto, S3 and R2 list the MD5
    // and need none (moto.rs).
    assert_eq!((lists(&s3), s3.count("PUT"), s3.count("HEAD")), (1, 0, 30));
    assert!(s3.stored_puts().values().all(|&n| n == 1));
}

#[test]
fn a_foreign_object_under_a_key_is_reported_and_kept() {
    for n in [1, LIST_MIN + 5] {
        let s3 = S3Server::start();
        let site = Site::new();
        let doc = gallery(&site, 0, n);
        // Another object already sits under the key of img/0.png.
        let key = format!("{}.png", sha256_hex(&png(0)));
        let foreign = s3.dir.path().join(BUCKET).join(&key);
        std::fs::write(&foreign, b"someone else's bytes").unwrap();
        let out = site.r2filter().against(&s3).args(FLAT).stdin(&doc).run();
        let err = out.failure(1);
        assert!(
            err.contains(&format!("key {key} already holds other bytes")),
            "{n}: {err}"
        );
        assert!(err.contains("use a longer hash"), "{err}");
        assert_eq!(std::fs::read(&foreign).unwrap(), b"someone else's bytes");
        if n > LIST_MIN {
            // The listing showed it (another size): no PUT, no HEAD for it.
            assert_eq!(lists(&s3), 1);
            assert_eq!(s3.count("HEAD"), 0);
            assert_eq!(s3.count("PUT"), (n - 1) as usize);
        } else {
            // Its conditional PUT was refused (412), a HEAD told it apart.
            assert_eq!((s3.count("PUT"), s3.count("HEAD")), (1, 1));
        }
        // The others are uploaded and recorded; nothing is written to stdout.
        let m = site.manifest();
        let recorded = m.map_or(0, |m| m["objects"].as_object().unwrap().len());
        assert_eq!(recorded, (n - 1) as usize);
    }
}

#[test]
fn a_store_without_conditional_writes_gets_a_head_before_each_put() {
    let s3 = S3Server::start_with(Quirks {
        reject_conditional: true,
        ..Quirks::default()
    });
    let site = Site::new();
    let doc = gallery(&site, 0, 3);
    let out = site.r2filter().against(&s3).args(FLAT).stdin(&doc).run();
    out.success();
    assert!(
        out.stderr.contains("answered 501 to If-None-Match"),
        "{}",
        out.stderr
    );
    assert_eq!(s3.keys().len(), 3);
    // At most one refused conditional PUT per concurrent upload before the
    // switch; then a HEAD and a plain PUT each.
    let plain: Vec<_> = s3
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && !r.headers.contains_key("if-none-match"))
        .collect();
    assert_eq!(plain.len(), 3);
    assert_eq!(s3.count("HEAD"), 3);
    assert!(s3.stored_puts().values().all(|&n| n == 1));
}

#[test]
fn many_outputs_stay_under_a_low_file_descriptor_limit() {
    // Outputs are staged as closed temp files: 300 of them under `ulimit -n
    // 64` would fail with "Too many open files" if each stayed open.
    let site = Site::new();
    site.image("posts/img/a.png", 1);
    for i in 0..300 {
        site.write(
            &format!("posts/p{i:03}.md"),
            format!("# {i}\n\n![a](img/a.png)\n"),
        );
    }
    let bin = env!("CARGO_BIN_EXE_r2filter");
    let out = Run::new("sh", &site.root)
        .args([
            "-c",
            &format!(
                "ulimit -n 64 && exec '{bin}' --local-store bucket --public-url {PUBLIC_URL} posts --out-dir out"
            ),
        ])
        .run();
    out.success();
    for i in [0, 150, 299] {
        let text = site.read(&format!("out/p{i:03}.md"));
        assert!(
            text.starts_with(&format!("# {i}\n\n![a]({PUBLIC_URL}/")),
            "{text}"
        );
    }
    let names: Vec<String> = tree(&site.path("out"))
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "temp files left: {names:?}");
}
