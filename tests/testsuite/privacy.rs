//! Privacy and image weight through the binary, against the in-process S3
//! server: photos made by real encoders (image's JPEG/PNG encoders, libwebp)
//! with GPS EXIF put in by img-parts; the uploaded objects are read back and
//! checked with independent readers (kamadak-exif, image's decoders).

use image::{DynamicImage, ImageFormat, RgbImage};
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageEXIF};

use crate::support::{BUCKET, PUBLIC_URL, S3Server, Site, sha256_hex};

/// A photo-like picture (gradients plus deterministic noise).
fn picture(w: u32, h: u32) -> RgbImage {
    let mut seed = 0x9e37_79b9_u32;
    RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = (seed % 32) as u8;
        image::Rgb([
            (x * 200 / w) as u8 + n,
            (y * 200 / h) as u8 + n,
            ((x * y) % 150) as u8 + n,
        ])
    })
}

/// A big-endian EXIF block: IFD0 with Make, Orientation (6) and a GPS IFD
/// pointer; the GPS IFD with latitude N 51° 30' 0".
fn gps_exif() -> Vec<u8> {
    gps_exif_at(51)
}

fn gps_exif_at(degrees: u32) -> Vec<u8> {
    let mut b = b"MM\0*\0\0\0\x08".to_vec();
    let entry = |b: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        b.extend_from_slice(&tag.to_be_bytes());
        b.extend_from_slice(&kind.to_be_bytes());
        b.extend_from_slice(&count.to_be_bytes());
        b.extend_from_slice(&value);
    };
    b.extend_from_slice(&3u16.to_be_bytes());
    entry(&mut b, 0x010F, 2, 4, *b"Cam\0");
    entry(&mut b, 0x0112, 3, 1, [0, 6, 0, 0]);
    entry(&mut b, 0x8825, 4, 1, 50u32.to_be_bytes());
    b.extend_from_slice(&[0; 4]);
    // GPS IFD at 50, values at 92.
    b.extend_from_slice(&3u16.to_be_bytes());
    entry(&mut b, 0, 1, 4, [2, 3, 0, 0]);
    entry(&mut b, 1, 2, 2, *b"N\0\0\0");
    entry(&mut b, 2, 5, 3, 92u32.to_be_bytes());
    b.extend_from_slice(&[0; 4]);
    for (n, d) in [(degrees, 1u32), (30, 1), (0, 1)] {
        b.extend_from_slice(&n.to_be_bytes());
        b.extend_from_slice(&d.to_be_bytes());
    }
    b
}

const XMP: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Lisbon"/></rdf:RDF></x:xmpmeta>"#;

/// A JPEG with GPS EXIF, Orientation 6 and an XMP city.
pub(crate) fn located_jpeg() -> Vec<u8> {
    located_jpeg_at(51, "Lisbon")
}

fn located_jpeg_at(degrees: u32, city: &str) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&DynamicImage::ImageRgb8(picture(400, 300)))
        .unwrap();
    let mut j = Jpeg::from_bytes(out.into()).unwrap();
    j.set_exif(Some(gps_exif_at(degrees).into()));
    let xmp = XMP.replace("Lisbon", city);
    let xmp = [b"http://ns.adobe.com/xap/1.0/\0".as_slice(), xmp.as_bytes()].concat();
    j.segments_mut()
        .insert(2, JpegSegment::new_with_contents(markers::APP1, xmp.into()));
    j.encoder().bytes().to_vec()
}

/// A PNG with an `eXIf` chunk.
fn located_png() -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(picture(96, 64))
        .write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    let mut p = Png::from_bytes(out.into()).unwrap();
    p.set_exif(Some(gps_exif().into()));
    p.encoder().bytes().to_vec()
}

/// A lossy WebP (libwebp) with an `EXIF` chunk.
fn located_webp() -> Vec<u8> {
    let rgb = picture(96, 64);
    let lossy = webp::Encoder::from_rgb(&rgb, 96, 64).encode(85.0).to_vec();
    let mut w = WebP::from_bytes(lossy.into()).unwrap();
    w.set_exif(Some(gps_exif().into()));
    w.encoder().bytes().to_vec()
}

fn exif_block(bytes: &[u8]) -> Option<Bytes> {
    let b = Bytes::copy_from_slice(bytes);
    match image::guess_format(bytes).unwrap() {
        ImageFormat::Jpeg => Jpeg::from_bytes(b).unwrap().exif(),
        ImageFormat::Png => Png::from_bytes(b).unwrap().exif(),
        ImageFormat::WebP => WebP::from_bytes(b).unwrap().exif(),
        f => panic!("{f:?}"),
    }
}

/// The EXIF fields as kamadak-exif reads them.
fn exif_fields(bytes: &[u8]) -> Vec<exif::Tag> {
    let Some(raw) = exif_block(bytes) else {
        return Vec::new();
    };
    exif::Reader::new()
        .read_raw(raw.to_vec())
        .unwrap()
        .fields()
        .map(|f| f.tag)
        .collect()
}

fn has_gps(bytes: &[u8]) -> bool {
    exif_fields(bytes)
        .iter()
        .any(|t| t.context() == exif::Context::Gps || *t == exif::Tag::GPSInfoIFDPointer)
}

fn orientation(bytes: &[u8]) -> Option<u32> {
    let raw = exif_block(bytes)?;
    exif::Reader::new()
        .read_raw(raw.to_vec())
        .ok()?
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)?
        .value
        .get_uint(0)
}

fn pixels(bytes: &[u8]) -> Vec<u8> {
    image::load_from_memory(bytes).unwrap().into_bytes()
}

/// The key a run gave the only image of `out` (its URL's path).
fn key_of(out: &str) -> String {
    let url = out
        .split(['(', ')'])
        .find(|s| s.starts_with("https://"))
        .unwrap_or_else(|| panic!("no URL in {out}"));
    url.split_once(".com/").unwrap().1.to_string()
}

#[test]
fn gps_is_stripped_pixels_and_orientation_kept_and_a_rerun_sends_nothing() {
    let s3 = S3Server::start();
    let site = Site::new();
    let photo = located_jpeg();
    site.write("photo.jpg", &photo);
    let doc = "Trip: ![beach](photo.jpg)\n";
    let run = site.r2filter().against(&s3).stdin(doc).run();
    let out = run.success().to_string();
    assert!(
        run.stderr.contains(
            "<stdin>:1:16: photo.jpg carries a location (EXIF GPS, XMP photoshop:City): published without it"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("1 with a location"), "{}", run.stderr);

    let key = key_of(&out);
    let object = s3.get(&key).expect("uploaded");
    let stored = object.bytes;
    assert!(has_gps(&photo), "the test photo has GPS");
    assert!(!has_gps(&stored), "uploaded without GPS");
    assert!(!String::from_utf8_lossy(&stored).contains("Lisbon"));
    assert_eq!(pixels(&stored), pixels(&photo), "pixels identical");
    assert_eq!(orientation(&stored), Some(6), "orientation kept");
    assert!(
        exif_fields(&stored).contains(&exif::Tag::Make),
        "the rest kept"
    );
    assert_eq!(object.content_type.as_deref(), Some("image/jpeg"));
    // Keyed by the published bytes; the manifest maps the source to them.
    let published = sha256_hex(&stored);
    assert!(key.ends_with(&format!("{}.jpg", &published[..12])), "{key}");
    let manifest = site.manifest().unwrap();
    let entry = &manifest["objects"][sha256_hex(&photo)];
    assert_eq!(entry["key"], key.as_str());
    assert_eq!(entry["transform"], "strip-metadata=location");
    assert_eq!(entry["published_sha256"], published.as_str());
    assert_eq!(entry["size"], stored.len() as u64);
    assert_eq!(entry["location"][0], "EXIF GPS");

    // A rerun: no request at all, same output, the location still reported.
    s3.forget_requests();
    let again = site.r2filter().against(&s3).stdin(doc).run();
    assert_eq!(again.success(), out);
    assert!(s3.requests().is_empty(), "{:?}", s3.requests());
    assert!(
        again.stderr.contains("carries a location"),
        "{}",
        again.stderr
    );
}

#[test]
fn png_exif_and_webp_exif_are_stripped_too() {
    let s3 = S3Server::start();
    let site = Site::new();
    let (png, webp) = (located_png(), located_webp());
    site.write("a.png", &png).write("b.webp", &webp);
    let run = site
        .r2filter()
        .against(&s3)
        .stdin("![a](a.png)\n\n![b](b.webp)\n")
        .run();
    run.success();
    for (source, ext) in [(&png, "png"), (&webp, "webp")] {
        assert!(has_gps(source), "{ext}");
        let entry = &site.manifest().unwrap()["objects"][sha256_hex(source)];
        let key = entry["key"].as_str().unwrap().to_string();
        assert!(key.ends_with(ext), "{key}");
        let stored = s3.stored(&key).unwrap();
        assert!(!has_gps(&stored), "{ext}: uploaded without GPS");
        assert_eq!(pixels(&stored), pixels(source), "{ext}: pixels identical");
        assert_eq!(orientation(&stored), Some(6), "{ext}: orientation kept");
        assert_eq!(stored.len(), source.len(), "{ext}: edited in place");
    }
}

#[test]
fn none_publishes_the_bytes_untouched_and_says_so() {
    let s3 = S3Server::start();
    let site = Site::new();
    let photo = located_jpeg();
    site.write("photo.jpg", &photo);
    let run = site
        .r2filter()
        .against(&s3)
        .env("R2FILTER_STRIP_METADATA", "none")
        .stdin("![p](photo.jpg)\n")
        .run();
    let key = key_of(run.success());
    assert_eq!(s3.stored(&key).unwrap(), photo, "byte for byte");
    assert!(key.contains(&sha256_hex(&photo)[..12]), "{key}");
    assert!(
        run.stderr
            .contains("published WITH it (strip-metadata = \"none\")"),
        "{}",
        run.stderr
    );
}

#[test]
fn webp_conversion_decodes_is_smaller_and_a_rerun_sends_nothing() {
    let s3 = S3Server::start();
    let site = Site::new();
    let photo = located_jpeg();
    site.write("photo.jpg", &photo);
    let doc = "![p](photo.jpg)\n";
    let run = site
        .r2filter()
        .against(&s3)
        .args(["--convert", "webp", "--quality", "75"])
        .stdin(doc)
        .run();
    let out = run.success().to_string();
    let key = key_of(&out);
    assert!(key.ends_with(".webp"), "{key}");
    let object = s3.get(&key).unwrap();
    assert_eq!(object.content_type.as_deref(), Some("image/webp"));
    assert!(
        object.bytes.len() < photo.len(),
        "{} < {}",
        object.bytes.len(),
        photo.len()
    );
    let img = image::load_from_memory_with_format(&object.bytes, ImageFormat::WebP).unwrap();
    // Orientation 6 is applied to the pixels: 400×300 stored, 300×400 shown.
    assert_eq!((img.width(), img.height()), (300, 400));
    assert!(!String::from_utf8_lossy(&object.bytes).contains("Lisbon"));
    let entry = &site.manifest().unwrap()["objects"][sha256_hex(&photo)];
    assert_eq!(
        entry["transform"],
        "strip-metadata=location convert=webp quality=75"
    );
    assert_eq!(entry["content_type"], "image/webp");

    s3.forget_requests();
    let again = site
        .r2filter()
        .against(&s3)
        .args(["--convert", "webp", "--quality", "75"])
        .stdin(doc)
        .run();
    assert_eq!(again.success(), out);
    assert!(s3.requests().is_empty(), "{:?}", s3.requests());

    // Other settings make another object (and say nothing is wrong).
    let wider = site
        .r2filter()
        .against(&s3)
        .args(["--convert", "webp", "--max-width", "120"])
        .stdin(doc)
        .run();
    let small = s3.stored(&key_of(wider.success())).unwrap();
    assert_eq!(image::load_from_memory(&small).unwrap().width(), 120);
}

#[test]
fn an_old_manifest_entry_with_a_location_is_republished_stripped() {
    let s3 = S3Server::start();
    let site = Site::new();
    let photo = located_jpeg();
    site.write("photo.jpg", &photo);
    let doc = "![p](photo.jpg)\n";
    // As r2filter published it before it stripped locations: as is, and an
    // entry without the new fields.
    let old = site
        .r2filter()
        .against(&s3)
        .args(["--strip-metadata", "none"])
        .stdin(doc)
        .run();
    let old_key = key_of(old.success());
    let path = site.path("r2filter-manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&site.read("r2filter-manifest.json")).unwrap();
    let entry = m["objects"][sha256_hex(&photo)].as_object_mut().unwrap();
    for new_field in ["transform", "published_sha256", "location"] {
        entry.remove(new_field);
    }
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();

    let run = site.r2filter().against(&s3).stdin(doc).run();
    let new_key = key_of(run.success());
    assert_ne!(new_key, old_key);
    assert!(
        run.stderr.contains(&format!(
            "photo.jpg was published with its location as {old_key}; republished without it under a new key"
        )),
        "{}",
        run.stderr
    );
    assert!(!has_gps(&s3.stored(&new_key).unwrap()));
    let entry = &site.manifest().unwrap()["objects"][sha256_hex(&photo)];
    assert_eq!(entry["key"], new_key.as_str());
    assert_eq!(entry["transform"], "strip-metadata=location");
}

#[test]
fn an_old_entry_without_a_location_keeps_its_key_and_learns_the_settings() {
    let s3 = S3Server::start();
    let site = Site::new();
    let mut clean = Vec::new();
    DynamicImage::ImageRgb8(picture(64, 64))
        .write_to(&mut std::io::Cursor::new(&mut clean), ImageFormat::Jpeg)
        .unwrap();
    site.write("clean.jpg", &clean);
    let doc = "![c](clean.jpg)\n";
    let first = site.r2filter().against(&s3).stdin(doc).run();
    let out = first.success().to_string();
    assert!(!first.stderr.contains("location"), "{}", first.stderr);
    assert_eq!(s3.stored(&key_of(&out)).unwrap(), clean, "nothing to strip");
    // Without the new fields, as an older r2filter wrote it.
    let mut m: serde_json::Value =
        serde_json::from_str(&site.read("r2filter-manifest.json")).unwrap();
    m["objects"][sha256_hex(&clean)]
        .as_object_mut()
        .unwrap()
        .remove("transform");
    std::fs::write(
        site.path("r2filter-manifest.json"),
        serde_json::to_string_pretty(&m).unwrap(),
    )
    .unwrap();
    s3.forget_requests();
    let again = site.r2filter().against(&s3).stdin(doc).run();
    assert_eq!(again.success(), out, "same key");
    assert!(s3.requests().is_empty(), "{:?}", s3.requests());
    let entry = &site.manifest().unwrap()["objects"][sha256_hex(&clean)];
    assert_eq!(entry["transform"], "strip-metadata=location");
}

#[test]
fn check_reports_located_images_with_their_place() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.write("post.md", "# Trip\n\n![p](photo.jpg)\n")
        .write("photo.jpg", located_jpeg());
    site.r2filter()
        .against(&s3)
        .args(["--in-place", "post.md"])
        .run()
        .success();
    // Back to the local path, so check has a reference to look at.
    site.write("post.md", "# Trip\n\n![p](photo.jpg)\n");
    let checked = site
        .r2filter()
        .args(["check", "--bucket", BUCKET, "--endpoint", &s3.endpoint])
        .args(["--public-url", PUBLIC_URL, "post.md"])
        .run();
    assert!(
        checked
            .stderr
            .contains("post.md:3:6: photo.jpg carries a location (EXIF GPS, XMP photoshop:City)"),
        "{}",
        checked.stderr
    );
}

#[test]
fn bad_settings_are_usage_errors() {
    let site = Site::new();
    for (var, value) in [
        ("R2FILTER_STRIP_METADATA", "gps"),
        ("R2FILTER_CONVERT", "avif"),
        ("R2FILTER_QUALITY", "0"),
        ("R2FILTER_MAX_WIDTH", "wide"),
    ] {
        let run = site
            .r2filter()
            .args(["--local-store", "bucket"])
            .env(var, value)
            .stdin("text\n")
            .run();
        let err = run.failure(2);
        assert!(err.contains(var) || err.contains("quality"), "{var}: {err}");
    }
}

#[test]
fn two_photos_that_differ_only_in_their_location_are_one_object() {
    let s3 = S3Server::start();
    let site = Site::new();
    let (a, b) = (located_jpeg_at(51, "Lisbon"), located_jpeg_at(38, "Berlin"));
    assert_ne!(a, b);
    site.write("a.jpg", &a).write("b.jpg", &b);
    let out = site
        .r2filter()
        .against(&s3)
        .stdin("![a](a.jpg) ![b](b.jpg)\n")
        .run()
        .success()
        .to_string();
    assert_eq!(s3.count("PUT"), 1, "{:?}", s3.requests());
    let m = site.manifest().unwrap();
    let (ka, kb) = (
        &m["objects"][sha256_hex(&a)]["key"],
        &m["objects"][sha256_hex(&b)]["key"],
    );
    assert_eq!(ka, kb);
    assert_eq!(out.matches(ka.as_str().unwrap()).count(), 2, "{out}");
}
