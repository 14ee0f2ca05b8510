//! What publishing costs per image: `transform::apply` in memory on photos
//! made by real encoders (JPEG 1600×1200 at quality 90 with GPS EXIF and XMP,
//! PNG 1200×800 screenshots), for each setting. Prints MB/s of source bytes
//! (median of the repeats) and the size of what is published.
//!
//!     cargo run --release -p r2filter-bench --bin bench-transform [REPEATS]
//!     cargo run --release -p r2filter-bench --bin bench-transform -- --write DIR N
//!
//! `--write` puts N such photos (and N/2 screenshots) into DIR instead, for
//! `bench/transform.py`'s cold runs.

use std::time::Instant;

use image::{DynamicImage, ImageFormat, RgbImage};
use img_parts::ImageEXIF;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use r2filter::object::ImageType;
use r2filter::transform::{Convert, Settings, StripMetadata, apply};

fn picture(w: u32, h: u32, seed: u32) -> RgbImage {
    let mut s = seed | 1;
    RgbImage::from_fn(w, h, |x, y| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let n = (s % 20) as u8;
        let wave = (((x as f32 / 37.0).sin() + (y as f32 / 23.0).cos()) * 40.0 + 80.0) as u8;
        image::Rgb([
            wave + n,
            (y * 180 / h) as u8 + n,
            (x * 180 / w) as u8 + n / 2,
        ])
    })
}

fn screenshot(w: u32, h: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let band = (y / 24 + seed) % 5;
        let text = (x / 6 + y / 3 + seed).is_multiple_of(7) && x % 200 < 150;
        if text {
            image::Rgb([30, 30, 30])
        } else {
            image::Rgb([240 - band as u8 * 8, 244, 248 - band as u8 * 4])
        }
    })
}

fn gps_exif() -> Vec<u8> {
    let mut b = b"MM\0*\0\0\0\x08".to_vec();
    let entry = |b: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        b.extend_from_slice(&tag.to_be_bytes());
        b.extend_from_slice(&kind.to_be_bytes());
        b.extend_from_slice(&count.to_be_bytes());
        b.extend_from_slice(&value);
    };
    b.extend_from_slice(&3u16.to_be_bytes());
    entry(&mut b, 0x010F, 2, 4, *b"Cam\0");
    entry(&mut b, 0x0112, 3, 1, [0, 1, 0, 0]);
    entry(&mut b, 0x8825, 4, 1, 50u32.to_be_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut b, 1, 2, 2, *b"N\0\0\0");
    entry(&mut b, 2, 5, 3, 80u32.to_be_bytes());
    b.extend_from_slice(&[0; 4]);
    for v in [51u32, 1, 30, 1, 0, 1] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b
}

const XMP: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" exif:GPSLatitude="51,30.0N" exif:GPSLongitude="0,7.5W" photoshop:City="London"/></rdf:RDF></x:xmpmeta>"#;

fn photo(seed: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&DynamicImage::ImageRgb8(picture(1600, 1200, seed)))
        .unwrap();
    let mut j = Jpeg::from_bytes(out.into()).unwrap();
    j.set_exif(Some(gps_exif().into()));
    let xmp = [b"http://ns.adobe.com/xap/1.0/\0".as_slice(), XMP.as_bytes()].concat();
    j.segments_mut()
        .insert(2, JpegSegment::new_with_contents(markers::APP1, xmp.into()));
    j.encoder().bytes().to_vec()
}

fn png(seed: u32) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(screenshot(1200, 800, seed))
        .write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// `--write DIR N`: N photos and N/2 screenshots as files, for the
/// end-to-end part of bench/transform.py.
fn write(dir: &std::path::Path, n: u32) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("photo-{i:04}.jpg")), photo(i + 100)).unwrap();
        if i % 2 == 0 {
            std::fs::write(dir.join(format!("shot-{i:04}.png")), png(i + 100)).unwrap();
        }
    }
}

/// The median time of `apply` over `set` with `settings`, and the bytes
/// it published.
fn time(set: &[Vec<u8>], kind: ImageType, settings: &Settings, reps: usize) -> (f64, usize) {
    let mut times = Vec::new();
    let mut published = 0usize;
    for _ in 0..reps {
        let t = Instant::now();
        published = set
            .iter()
            .map(|b| {
                let p = apply(b, kind, settings);
                p.bytes.as_ref().map_or(b.len(), Vec::len)
            })
            .sum();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], published)
}

type Case<'a> = (&'a str, &'a [Vec<u8>], ImageType, Settings, usize);

/// The settings timed on each set of images.
fn cases<'a>(photos: &'a [Vec<u8>], shots: &'a [Vec<u8>], repeats: usize) -> Vec<Case<'a>> {
    let jpeg = ImageType::from_mime("image/jpeg").unwrap();
    let pngt = ImageType::from_mime("image/png").unwrap();
    vec![
        ("JPEG photos", photos, jpeg, Settings::default(), repeats),
        (
            "JPEG photos",
            photos,
            jpeg,
            Settings {
                strip: StripMetadata::All,
                ..Settings::default()
            },
            repeats,
        ),
        (
            "JPEG photos",
            photos,
            jpeg,
            Settings {
                convert: Convert::Webp,
                ..Settings::default()
            },
            repeats.min(3),
        ),
        (
            "JPEG photos",
            photos,
            jpeg,
            Settings {
                max_width: Some(800),
                ..Settings::default()
            },
            repeats.min(3),
        ),
        ("PNG screenshots", shots, pngt, Settings::default(), repeats),
        (
            "PNG screenshots",
            shots,
            pngt,
            Settings {
                convert: Convert::Webp,
                ..Settings::default()
            },
            repeats.min(3),
        ),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--write") {
        write(
            std::path::Path::new(&args[1]),
            args[2].parse().expect("a count"),
        );
        return;
    }
    let repeats: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    let photos: Vec<Vec<u8>> = (0..12).map(photo).collect();
    let shots: Vec<Vec<u8>> = (0..6).map(png).collect();
    let mb = |set: &[Vec<u8>]| set.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    println!(
        "photos: {} JPEG 1600×1200 q90 with GPS ({:.1} MB); screenshots: {} PNG 1200×800 ({:.1} MB); median of {repeats}",
        photos.len(),
        mb(&photos),
        shots.len(),
        mb(&shots)
    );
    println!();
    println!("| images | settings | MB/s (source) | published / source |");
    println!("|---|---|---:|---:|");
    for (what, set, kind, settings, reps) in cases(&photos, &shots, repeats) {
        let (median, published) = time(set, kind, &settings, reps);
        println!(
            "| {what} | {} | {:.0} | {:.2} |",
            settings.describe(),
            mb(set) / median,
            published as f64 / (mb(set) * 1e6)
        );
    }
}
