//! Video, audio, captions and listed assets (issue 24): media elements count
//! in every context images are read in; `assets` lets links publish listed
//! types; the Content-Type comes from the bytes, and bytes that are not of
//! the type a name says are refused; big files go up in parts (S3 multipart
//! upload), retried part by part, aborted on failure, cleaned up after a
//! `kill -9`; `orphans` lists and aborts incomplete uploads; `max-bytes`
//! refuses larger files. All against the real in-process S3 server.
//!
//! The multipart threshold is set low (6 MiB) so the big files stay small.

use std::time::{Duration, Instant};

use crate::support::*;

const MIB: usize = 1024 * 1024;

/// An MP4 header, then `len` bytes of deterministic noise from `seed`.
fn mp4(seed: u64, len: usize) -> Vec<u8> {
    with_header(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom", seed, len)
}

fn with_header(header: &[u8], seed: u64, len: usize) -> Vec<u8> {
    let mut out = header.to_vec();
    let mut x = seed;
    while out.len() < len {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len.max(header.len()));
    out
}

const WEBM: &[u8] =
    b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84webm";
const MP3: &[u8] = b"ID3\x04\0\0\0\0\0\0";
const OGG: &[u8] = b"OggS\0\x02\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\x01\x1e\x01vorbis";
const VTT: &[u8] = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// The key `{hash}.{ext}` gives `bytes`.
fn key(bytes: &[u8], ext: &str) -> String {
    format!("{}.{ext}", sha256_hex(bytes))
}

fn url(bytes: &[u8], ext: &str) -> String {
    format!("{PUBLIC_URL}/{}", key(bytes, ext))
}

/// A run against `s3` with `{hash}.{ext}` keys.
fn run(site: &Site, s3: &S3Server) -> Run {
    site.r2filter()
        .against(s3)
        .args(["--key-template", "{hash}.{ext}"])
}

/// A file of a site: its bytes, its path, its key's extension.
type File = (Vec<u8>, &'static str, &'static str);

/// A site with a video, its poster, a webm source, captions, an MP3 and an
/// Ogg file.
fn media_site() -> (Site, Vec<File>) {
    let site = Site::new();
    let files = vec![
        (mp4(1, 4096), "media/clip.mp4", "mp4"),
        (png(1), "media/poster.png", "png"),
        (with_header(WEBM, 2, 3000), "media/clip.webm", "webm"),
        (VTT.to_vec(), "media/en.vtt", "vtt"),
        (with_header(MP3, 3, 2000), "media/talk.mp3", "mp3"),
        (with_header(OGG, 4, 2000), "media/talk.oga", "ogg"),
    ];
    for (bytes, path, _) in &files {
        site.write(path, bytes);
    }
    (site, files)
}

#[test]
fn media_elements_are_published_in_every_context_with_their_types() {
    let s3 = S3Server::start();
    let (site, files) = media_site();
    let doc = "# Talk\n\n<video src=\"media/clip.mp4\" poster=\"media/poster.png\" controls>\n  <source src='media/clip.webm' type=\"video/webm\">\n  <track src=media/en.vtt kind=\"captions\">\n</video>\n\n> <audio\n>   src=\"media/talk.mp3\"></audio>\n\n- item <audio src=\"media/talk.oga\"></audio>\n\n`<video src=\"media/clip.mp4\">` in code stays.\n\n<embed src=\"media/clip.mp4\"> is no media element.\n";
    let out = run(&site, &s3).stdin(doc).run();
    let stdout = out.success();
    let mut expected = doc.to_string();
    for (bytes, path, ext) in &files {
        expected = expected.replacen(&format!("{path}\""), &format!("{}\"", url(bytes, ext)), 1);
        expected = expected.replacen(&format!("{path}'"), &format!("{}'", url(bytes, ext)), 1);
        expected = expected.replacen(&format!("{path} "), &format!("{} ", url(bytes, ext)), 1);
    }
    assert_eq!(stdout, expected);
    assert!(stdout.contains("`<video src=\"media/clip.mp4\">` in code stays"));
    assert!(stdout.contains("<embed src=\"media/clip.mp4\">"));

    // Each object has the type its bytes say and the images' Cache-Control.
    let types = [
        "video/mp4",
        "image/png",
        "video/webm",
        "text/vtt",
        "audio/mpeg",
        "audio/ogg",
    ];
    for ((bytes, path, ext), mime) in files.iter().zip(types) {
        let object = s3.get(&key(bytes, ext)).unwrap_or_else(|| panic!("{path}"));
        assert_eq!(&object.bytes, bytes, "{path}");
        assert_eq!(object.content_type.as_deref(), Some(mime), "{path}");
        assert_eq!(
            object.cache_control.as_deref(),
            Some("public, max-age=31536000, immutable"),
            "{path}"
        );
    }
    assert_eq!(s3.keys().len(), files.len());

    // A rerun: all from the manifest, no request.
    s3.forget_requests();
    let again = run(&site, &s3).stdin(doc).run();
    assert_eq!(again.success(), stdout);
    assert_eq!(s3.requests().len(), 0);
}

#[test]
fn media_props_in_mdx_are_published() {
    let s3 = S3Server::start();
    let (site, files) = media_site();
    site.write(
        "post.mdx",
        "import Player from './player'\n\n<video\n  src=\"media/clip.mp4\"\n  poster={\"media/poster.png\"}\n>\n  <source src={'media/clip.webm'} />\n  <track src=\"media/en.vtt\" />\n</video>\n\n> <audio src=\"media/talk.mp3\" />\n\n- <audio src=\"media/talk.oga\" />\n\n<Player src=\"media/clip.mp4\" />\n",
    );
    let out = run(&site, &s3).args(["post.mdx", "--in-place"]).run();
    out.success();
    let text = site.read("post.mdx");
    for (bytes, path, ext) in &files {
        assert!(text.contains(&url(bytes, ext)), "{path}: {text}");
    }
    // `<Player>` is a component: its `src` counts only when it is an image.
    assert!(text.contains("<Player src=\"media/clip.mp4\" />"), "{text}");
    assert!(text.starts_with("import Player from './player'\n\n<video\n  src=\""));
}

#[test]
fn listed_assets_publish_from_links_and_nothing_else_changes() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.write("talk.pdf", PDF);
    site.write("data.zip", ZIP);
    site.write("notes.txt", "plain text\n");
    let doc = "[Slides](talk.pdf#page=2) [Data](data.zip) [Notes](notes.txt) <a href=\"talk.pdf\">pdf</a>\n\n![not an image](talk.pdf)\n";

    // Not listed: left alone, nothing sent.
    let out = run(&site, &s3).stdin(doc).run();
    assert_eq!(out.success(), doc);
    assert_eq!(s3.requests().len(), 0);

    // Listed by flag, by environment, by r2filter.toml: the same result.
    let pdf = url(PDF, "pdf");
    let expected = format!(
        "[Slides]({pdf}#page=2) [Data](data.zip) [Notes](notes.txt) <a href=\"{pdf}\">pdf</a>\n\n![not an image](talk.pdf)\n"
    );
    let by_flag = run(&site, &s3).args(["--assets", "pdf"]).stdin(doc).run();
    assert_eq!(by_flag.success(), expected);
    let by_env = run(&site, &s3)
        .env("R2FILTER_ASSETS", "PDF,epub")
        .stdin(doc)
        .run();
    assert_eq!(by_env.success(), expected);
    site.write("r2filter.toml", "assets = [\"pdf\", \"zip\"]\n");
    let by_file = run(&site, &s3).stdin(doc).run();
    assert_eq!(
        by_file.success(),
        expected.replace("(data.zip)", &format!("({})", url(ZIP, "zip")))
    );
    let object = s3.get(&key(PDF, "pdf")).unwrap();
    assert_eq!(object.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(
        s3.get(&key(ZIP, "zip")).unwrap().content_type.as_deref(),
        Some("application/zip")
    );

    // The root still confines what is published.
    let outside = site.dir.path().join("secret.pdf");
    std::fs::write(&outside, PDF).unwrap();
    let out = run(&site, &s3).stdin("[x](../secret.pdf)\n").run();
    let err = out.failure(1);
    assert!(err.contains("<stdin>:1:5: "), "{err}");
    assert!(err.contains("leaves the root folder"), "{err}");

    // An extension r2filter cannot tell from the bytes is refused.
    let out = run(&site, &s3).args(["--assets", "txt"]).stdin(doc).run();
    let err = out.failure(2);
    assert!(
        err.contains(
            "assets \"txt\": r2filter publishes a file only when its bytes say what it is"
        ),
        "{err}"
    );
}

#[test]
fn bytes_that_are_not_of_the_named_type_are_refused_with_their_place() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.write("clip.mp4", "just some text, not a video\n");
    site.write("talk.pdf", ZIP);
    site.write("en.vtt", "not captions\n");
    site.image("shot.mp4", 9);
    let doc = "Intro\n\n<video src=\"clip.mp4\"></video>\n<track src=\"en.vtt\">\n\n[s](talk.pdf)\n\n<video src=\"shot.mp4\"></video>\n";
    let out = run(&site, &s3).args(["--assets", "pdf"]).stdin(doc).run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:3:13: clip.mp4 is not a .mp4 file (its bytes are of no type r2filter publishes)
  |
3 | <video src="clip.mp4"></video>
  |             ^^^^^^^^
  = hint: r2filter publishes a file only when its bytes are of the type its name says: fix the reference, or replace the file
error: <stdin>:4:13: en.vtt is not a .vtt file (its bytes are of no type r2filter publishes)
  |
4 | <track src="en.vtt">
  |             ^^^^^^
  = hint: r2filter publishes a file only when its bytes are of the type its name says: fix the reference, or replace the file
error: <stdin>:8:13: shot.mp4 is not a .mp4 file (its bytes are image/png)
  |
8 | <video src="shot.mp4"></video>
  |             ^^^^^^^^
  = hint: r2filter publishes a file only when its bytes are of the type its name says: fix the reference, or replace the file
error: <stdin>:6:5: talk.pdf is not a .pdf file (its bytes are application/zip)
  |
6 | [s](talk.pdf)
  |     ^^^^^^^^
  = hint: r2filter publishes a file only when its bytes are of the type its name says: fix the reference, or replace the file
error: 4 references failed; nothing was written

"#]]);
    assert_eq!(s3.requests().len(), 0, "nothing is sent");
    assert!(site.manifest().is_none());
}

#[test]
fn max_bytes_refuses_larger_files_with_their_place() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.write("big.mp4", mp4(5, 3000));
    site.write("small.mp4", mp4(6, 1000));
    let doc = "<video src=\"small.mp4\"></video>\n<video src=\"big.mp4\"></video>\n";
    let out = run(&site, &s3)
        .env("R2FILTER_MAX_BYTES", "2KB")
        .stdin(doc)
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:2:13: big.mp4 has 3000 bytes, more than max-bytes (2000)
  |
2 | <video src="big.mp4"></video>
  |             ^^^^^^^
  = hint: link to it elsewhere, compress it, or raise max-bytes

"#]]);
    assert_eq!(s3.requests().len(), 0);
    let out = run(&site, &s3)
        .args(["--max-bytes", "3000"])
        .stdin(doc)
        .run();
    out.success();
}

#[test]
fn range_requests_work_from_the_bucket() {
    let s3 = S3Server::start();
    let site = Site::new();
    let video = mp4(7, 100_000);
    site.write("clip.mp4", &video);
    run(&site, &s3)
        .stdin("<video src=\"clip.mp4\"></video>\n")
        .run()
        .success();
    let k = key(&video, "mp4");
    let (bytes, range, length) = s3.with_client(|c| async move {
        let resp = c
            .get_object()
            .bucket(BUCKET)
            .key(&k)
            .range("bytes=1000-1999")
            .send()
            .await
            .unwrap();
        let range = resp.content_range().map(str::to_string);
        let length = resp.content_length();
        let bytes = resp.body.collect().await.unwrap().into_bytes().to_vec();
        (bytes, range, length)
    });
    assert_eq!(bytes, &video[1000..2000]);
    assert_eq!(range.as_deref(), Some("bytes 1000-1999/100000"));
    assert_eq!(length, Some(1000));
}

#[test]
fn big_files_go_up_in_parts_and_reruns_send_nothing() {
    let s3 = S3Server::start();
    let site = Site::new();
    let video = mp4(8, 20 * MIB + 12345);
    site.write("talk.mp4", &video);
    let doc = "<video src=\"talk.mp4\"></video>\n";
    let out = run(&site, &s3)
        .args(["--multipart-threshold", "6MiB"])
        .stdin(doc)
        .run();
    assert_eq!(
        out.success(),
        format!("<video src=\"{}\"></video>\n", url(&video, "mp4"))
    );
    let k = key(&video, "mp4");
    assert_eq!(s3.stored(&k).as_deref(), Some(&video[..]));
    let object = s3.get(&k).unwrap();
    assert_eq!(object.content_type.as_deref(), Some("video/mp4"));
    assert_eq!(
        object.metadata.get("sha256").map(String::as_str),
        Some(sha256_hex(&video).as_str())
    );
    // A HEAD, a listing of stale uploads, the start, 3 parts of 8 MiB at
    // most, the completion: conditional, as a PUT is.
    let methods: Vec<String> = s3.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods.iter().filter(|m| *m == "PUT").count(),
        3,
        "{methods:?}"
    );
    assert_eq!(
        methods.iter().filter(|m| *m == "POST").count(),
        2,
        "{methods:?}"
    );
    let complete = s3
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        complete.headers.get("if-none-match").map(String::as_str),
        Some("*")
    );
    for part in s3.requests().iter().filter(|r| r.method == "PUT") {
        let hash = part.headers.get("x-amz-content-sha256").unwrap();
        assert_eq!(hash.len(), 64, "each part is signed with its SHA-256");
    }
    assert!(s3.open_uploads().is_empty());
    assert_eq!(s3.stored_parts(), 0);

    // Under the threshold, the same bytes in one PUT make the same object.
    let s3b = S3Server::start();
    run(&site, &s3b)
        .args(["--manifest", "other.json"])
        .stdin(doc)
        .run()
        .success();
    assert_eq!(s3b.stored(&k), s3.stored(&k));
    assert_eq!(s3b.count("PUT"), 1);
    assert_eq!(s3b.count("POST"), 0);

    // Reruns: no request; a dry run and verify see it like an image.
    s3.forget_requests();
    let again = run(&site, &s3)
        .args(["--multipart-threshold", "6MiB"])
        .stdin(doc)
        .run();
    assert_eq!(again.success(), out.stdout);
    assert_eq!(s3.requests().len(), 0);
    run(&site, &s3).arg("--dry-run").stdin(doc).run().success();
    assert_eq!(s3.requests().len(), 0);
    let verify = run(&site, &s3).arg("verify").run();
    verify.success();
    assert!(
        verify
            .stderr
            .contains("1 object in the manifest, all in the bucket with the right size and type"),
        "{}",
        verify.stderr
    );
}

/// What s3s-fs 0.14.1 does with `If-None-Match: *` on
/// CompleteMultipartUpload: an object already under the key answers 412
/// and stays as it was (r2filter relies on it, as S3 and R2 document it).
#[test]
fn s3s_fs_honours_if_none_match_on_complete() {
    let s3 = S3Server::start();
    let status = s3.with_client(|c| async move {
        c.put_object()
            .bucket(BUCKET)
            .key("k.bin")
            .body(b"first".to_vec().into())
            .send()
            .await
            .unwrap();
        let id = c
            .create_multipart_upload()
            .bucket(BUCKET)
            .key("k.bin")
            .send()
            .await
            .unwrap()
            .upload_id()
            .unwrap()
            .to_string();
        let part = c
            .upload_part()
            .bucket(BUCKET)
            .key("k.bin")
            .upload_id(&id)
            .part_number(1)
            .body(b"second".to_vec().into())
            .send()
            .await
            .unwrap();
        let done = aws_sdk_s3::types::CompletedMultipartUpload::builder()
            .parts(
                aws_sdk_s3::types::CompletedPart::builder()
                    .part_number(1)
                    .e_tag(part.e_tag().unwrap())
                    .build(),
            )
            .build();
        let err = c
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key("k.bin")
            .upload_id(&id)
            .multipart_upload(done)
            .if_none_match("*")
            .send()
            .await
            .unwrap_err();
        err.raw_response().unwrap().status().as_u16()
    });
    assert_eq!(status, 412);
    assert_eq!(s3.stored("k.bin").as_deref(), Some(&b"first"[..]));
}

/// Faults on part uploads only (never the start or the completion).
fn part_faults(seed: u64, permille: u64, kinds: Vec<Fault>) -> Quirks {
    Quirks {
        faults: Some(Faults {
            kinds,
            method: Some("PUT"),
            ..Faults::every_kind(seed, permille)
        }),
        ..Quirks::default()
    }
}

#[test]
fn faults_during_parts_are_retried_part_by_part() {
    let kinds = vec![
        Fault::Internal,
        Fault::Unavailable,
        Fault::SlowDown,
        Fault::Reset,
    ];
    let s3 = S3Server::start_with(part_faults(0xfa17, 300, kinds));
    let site = Site::new();
    let video = mp4(9, 30 * MIB);
    site.write("talk.mp4", &video);
    site.write("r2filter.toml", "max-attempts = 10\n");
    let out = run(&site, &s3)
        .args(["--multipart-threshold", "6MiB"])
        .stdin("<video src=\"talk.mp4\"></video>\n")
        .run();
    out.success();
    let k = key(&video, "mp4");
    assert_eq!(s3.stored(&k).as_deref(), Some(&video[..]));
    assert!(s3.open_uploads().is_empty());
    assert_eq!(s3.stored_parts(), 0);
    eprintln!("faults over parts: {:?}", s3.faults());
    assert!(s3.fault_count() >= 1, "faults were injected");
    // 4 parts; each tried until one try reached the store.
    let part_tries = s3.count("PUT");
    assert_eq!(part_tries, 4 + s3.fault_count());
}

#[test]
fn a_store_that_keeps_failing_a_part_gets_the_upload_aborted() {
    let s3 = S3Server::start_with(part_faults(3, 1000, vec![Fault::Internal]));
    let site = Site::new();
    let video = mp4(10, 14 * MIB);
    site.write("talk.mp4", &video);
    site.write("r2filter.toml", "max-attempts = 2\n");
    let out = run(&site, &s3)
        .args(["--multipart-threshold", "6MiB"])
        .stdin("<video src=\"talk.mp4\"></video>\n")
        .run();
    let err = out.failure(1);
    // The 500 itself, or the broken pipe of a body the server stopped
    // reading when it answered early (either way, after the retries).
    assert!(err.contains("<stdin>:1:13: uploading talk.mp4: "), "{err}");
    assert!(
        err.contains("UPLOAD PART") || err.contains("Broken pipe"),
        "{err}"
    );
    assert!(s3.keys().is_empty());
    assert!(s3.open_uploads().is_empty(), "the upload was aborted");
    assert_eq!(s3.stored_parts(), 0);
    assert!(
        s3.requests().iter().any(|r| r.method == "DELETE"),
        "ABORT sent"
    );
    assert!(site.manifest().is_none());
}

/// Starts a multipart upload of `key` with one part, as a run killed
/// mid-upload leaves it; answers its id.
fn leave_an_upload(s3: &S3Server, key: &str) -> String {
    let key = key.to_string();
    s3.with_client(|c| async move {
        let id = c
            .create_multipart_upload()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .unwrap()
            .upload_id()
            .unwrap()
            .to_string();
        c.upload_part()
            .bucket(BUCKET)
            .key(&key)
            .upload_id(&id)
            .part_number(1)
            .body(vec![7u8; 5 * MIB].into())
            .send()
            .await
            .unwrap();
        id
    })
}

#[test]
fn kill_9_mid_upload_then_rerun_leaves_one_object_and_no_incomplete_upload() {
    let trials = scaled(3, 20);
    let video = mp4(11, 48 * MIB);
    let doc = "<video src=\"talk.mp4\"></video>\n";
    let mut killed_mid_upload = 0;
    for trial in 0..trials {
        let s3 = S3Server::start();
        let site = Site::new();
        site.write("talk.mp4", &video);
        let start = || {
            run(&site, &s3)
                .args(["--multipart-threshold", "6MiB"])
                .stdin(doc)
        };
        let mut child = start().spawn();
        // Kill once some parts are in, at a moment that moves with the trial.
        let began = Instant::now();
        let want = 1 + trial % 4;
        while s3.stored_parts() < want && began.elapsed() < Duration::from_secs(60) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL: nothing runs after it
        child.wait().unwrap();
        let left = s3.open_uploads();
        if !left.is_empty() {
            killed_mid_upload += 1;
        }
        eprintln!(
            "media crash trial {trial}: {} part(s) stored, {} open upload(s), {} object(s)",
            s3.stored_parts(),
            left.len(),
            s3.keys().len()
        );

        let rerun = start().run();
        assert_eq!(
            rerun.success(),
            format!("<video src=\"{}\"></video>\n", url(&video, "mp4")),
            "trial {trial}"
        );
        assert_eq!(s3.keys(), [key(&video, "mp4")], "trial {trial}");
        assert_eq!(
            s3.stored(&key(&video, "mp4")).as_deref(),
            Some(&video[..]),
            "trial {trial}"
        );
        assert!(
            s3.open_uploads().is_empty(),
            "trial {trial}: {:?}",
            s3.open_uploads()
        );
        assert_eq!(s3.stored_parts(), 0, "trial {trial}");
        if !left.is_empty() {
            assert!(
                rerun.stderr.contains("aborted the incomplete upload"),
                "trial {trial}: {}",
                rerun.stderr
            );
        }
    }
    eprintln!("media crash: {trials} trials, {killed_mid_upload} killed mid-upload");
    assert!(killed_mid_upload > 0, "no kill landed mid-upload");
}

#[test]
fn orphans_lists_and_aborts_incomplete_uploads_under_the_prefix() {
    let s3 = S3Server::start();
    let site = Site::new();
    let inside = leave_an_upload(&s3, "blog/2026/01/abc.mp4");
    let outside = leave_an_upload(&s3, "other/def.mp4");
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--prefix", "blog", "orphans"])
        .run();
    out.success();
    assert_eq!(
        out.stdout,
        format!("blog/2026/01/abc.mp4\tincomplete-upload\t0d\t{inside}\n")
    );
    assert!(
        out.stderr
            .contains("r2filter orphans: 1 incomplete multipart upload under blog/"),
        "{}",
        out.stderr
    );

    // Younger than a day: kept.
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--prefix", "blog", "orphans", "--delete", "--min-age", "1"])
        .run();
    out.success();
    assert!(
        out.stderr
            .contains("aborted 0 incomplete uploads; kept 1 younger than 1 day"),
        "{}",
        out.stderr
    );
    assert_eq!(s3.open_uploads().len(), 2);

    let out = site
        .r2filter()
        .against(&s3)
        .args(["--prefix", "blog", "orphans", "--delete", "--min-age", "0"])
        .run();
    out.success();
    assert!(
        out.stderr.contains("aborted 1 incomplete upload; kept 0"),
        "{}",
        out.stderr
    );
    assert_eq!(s3.open_uploads(), [outside]);
}

#[test]
fn migrate_and_eject_treat_media_and_assets_like_images() {
    let s3 = S3Server::start();
    let site = Site::new();
    let video = mp4(12, 5000);
    site.write("posts/media/clip.mp4", &video);
    site.write("posts/slides.pdf", PDF);
    let original = "<video src=\"media/clip.mp4\"></video>\n\n[Slides](slides.pdf)\n";
    site.write("posts/a.md", original);
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--assets", "pdf", "migrate", "posts", "--delete"])
        .run();
    out.success();
    assert!(!site.path("posts/media/clip.mp4").exists());
    assert!(!site.path("posts/slides.pdf").exists());
    let published = site.read("posts/a.md");
    assert!(published.contains(PUBLIC_URL), "{published}");

    let out = site
        .r2filter()
        .against(&s3)
        .args(["--assets", "pdf", "eject"])
        .run();
    out.success();
    assert_eq!(site.read("posts/a.md"), original);
    assert_eq!(
        std::fs::read(site.path("posts/media/clip.mp4")).unwrap(),
        video
    );
    assert_eq!(std::fs::read(site.path("posts/slides.pdf")).unwrap(), PDF);
}
