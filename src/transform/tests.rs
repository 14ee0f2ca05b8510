//! Real images made by real encoders (image's JPEG and PNG encoders, libwebp),
//! with metadata put in by img-parts, then stripped and checked with
//! independent readers (kamadak-exif, the image crate's decoders).

use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::png::{Png, PngChunk};
use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageEXIF, ImageICC};

use super::exif::tests::sample as gps_tiff;
use super::xmp::tests::SAMPLE as XMP;
use super::*;

fn ty(mime: &str) -> ImageType {
    ImageType::from_mime(mime).unwrap()
}

/// A photo-like picture: gradients and a little deterministic noise.
fn picture(w: u32, h: u32) -> RgbImage {
    let mut seed = 0x2545_f491_u32;
    RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = (seed % 24) as u8;
        image::Rgb([
            (x * 255 / w) as u8 / 2 + n,
            (y * 255 / h) as u8 / 2 + n,
            ((x + y) % 128) as u8 + n,
        ])
    })
}

const ICC: &[u8] = b"fake ICC profile bytes, kept as they are";

/// A JPEG (quality 95) with EXIF (GPS + Orientation 6), XMP with a location,
/// an ICC profile and a comment.
fn located_jpeg() -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(&DynamicImage::ImageRgb8(picture(320, 240)))
        .unwrap();
    let mut j = Jpeg::from_bytes(out.into()).unwrap();
    j.set_exif(Some(gps_tiff(false).into()));
    j.set_icc_profile(Some(Bytes::from_static(ICC)));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(XMP.as_bytes());
    j.segments_mut()
        .insert(2, JpegSegment::new_with_contents(markers::APP1, xmp.into()));
    j.segments_mut().insert(
        3,
        JpegSegment::new_with_contents(markers::COM, Bytes::from_static(b"a comment")),
    );
    j.encoder().bytes().to_vec()
}

fn located_png(alpha: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let img = if alpha {
        DynamicImage::ImageRgba8(RgbaImage::from_fn(64, 48, |x, y| {
            image::Rgba([x as u8 * 4, y as u8 * 5, 90, (x + y) as u8 * 2])
        }))
    } else {
        DynamicImage::ImageRgb8(picture(64, 48))
    };
    img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    let mut p = Png::from_bytes(out.into()).unwrap();
    p.set_exif(Some(gps_tiff(true).into()));
    p.set_icc_profile(Some(Bytes::from_static(ICC)));
    // XMP in a compressed iTXt, as exiftool writes it with -z.
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(XMP.as_bytes()).unwrap();
    let mut c = b"XML:com.adobe.xmp\0\x01\x00\0\0".to_vec();
    c.extend(z.finish().unwrap());
    p.chunks_mut().insert(2, PngChunk::new(*b"iTXt", c.into()));
    p.chunks_mut().insert(
        2,
        PngChunk::new(*b"tEXt", Bytes::from_static(b"Comment\0hello")),
    );
    p.encoder().bytes().to_vec()
}

fn located_webp() -> Vec<u8> {
    let rgb = picture(128, 96);
    let lossy = webp::Encoder::from_rgb(&rgb, 128, 96).encode(85.0).to_vec();
    let mut w = WebP::from_bytes(lossy.into()).unwrap();
    w.set_exif(Some(
        [b"Exif\0\0".as_slice(), &gps_tiff(true)].concat().into(),
    ));
    w.chunks_mut().push(RiffChunk::new(
        *b"XMP ",
        RiffContent::Data(Bytes::from_static(XMP.as_bytes())),
    ));
    w.set_icc_profile(Some(Bytes::from_static(ICC)));
    w.encoder().bytes().to_vec()
}

fn pixels(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

fn exif_of(bytes: &[u8]) -> Option<::exif::Exif> {
    let raw = match image::guess_format(bytes).unwrap() {
        ImageFormat::Jpeg => Jpeg::from_bytes(Bytes::copy_from_slice(bytes))
            .unwrap()
            .exif(),
        ImageFormat::Png => Png::from_bytes(Bytes::copy_from_slice(bytes))
            .unwrap()
            .exif(),
        ImageFormat::WebP => WebP::from_bytes(Bytes::copy_from_slice(bytes))
            .unwrap()
            .exif(),
        _ => None,
    }?;
    let s = exif::tiff_start(&raw).unwrap();
    Some(::exif::Reader::new().read_raw(raw[s..].to_vec()).unwrap())
}

fn has_gps(bytes: &[u8]) -> bool {
    exif_of(bytes).is_some_and(|e| {
        e.fields().any(|f| {
            f.tag.context() == ::exif::Context::Gps || f.tag == ::exif::Tag::GPSInfoIFDPointer
        })
    })
}

fn orientation_of(bytes: &[u8]) -> Option<u32> {
    exif_of(bytes)?
        .get_field(::exif::Tag::Orientation, ::exif::In::PRIMARY)?
        .value
        .get_uint(0)
}

fn icc_of(bytes: &[u8]) -> Option<Bytes> {
    match image::guess_format(bytes).unwrap() {
        ImageFormat::Jpeg => Jpeg::from_bytes(Bytes::copy_from_slice(bytes))
            .unwrap()
            .icc_profile(),
        ImageFormat::Png => Png::from_bytes(Bytes::copy_from_slice(bytes))
            .unwrap()
            .icc_profile(),
        ImageFormat::WebP => WebP::from_bytes(Bytes::copy_from_slice(bytes))
            .unwrap()
            .icc_profile(),
        _ => None,
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const ALL_FOUND: [&str; 7] = [
    "EXIF GPS",
    "XMP exif:GPSLatitude",
    "XMP photoshop:City",
    "XMP exif:GPSLongitude",
    "XMP photoshop:State",
    "XMP Iptc4xmpExt:LocationCreated",
    "XMP exif:GPSAltitude",
];

#[test]
fn detects_location_in_each_container() {
    assert_eq!(detect(&located_jpeg(), ty("image/jpeg")), ALL_FOUND);
    let png = detect(&located_png(false), ty("image/png"));
    assert_eq!(png, ALL_FOUND);
    assert_eq!(detect(&located_webp(), ty("image/webp")), ALL_FOUND);
}

#[test]
fn clean_images_are_left_alone() {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(picture(32, 32))
        .write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Jpeg)
        .unwrap();
    assert!(detect(&out, ty("image/jpeg")).is_empty());
    let p = apply(&out, ty("image/jpeg"), &Settings::default());
    assert_eq!(p.bytes, None, "no location: the source bytes are published");
}

/// `location` changes metadata bytes only, in place: same length, and every
/// byte that differs lies in an APP1 segment (pixels byte-identical).
#[test]
fn jpeg_location_is_lossless_and_in_place() {
    let src = located_jpeg();
    let p = apply(&src, ty("image/jpeg"), &Settings::default());
    let out = p.bytes.expect("changed");
    assert_eq!(p.location, ALL_FOUND);
    assert_eq!(out.len(), src.len());
    let sos = src.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    assert_eq!(out[sos..], src[sos..], "scan data untouched");
    assert_eq!(pixels(&out).as_bytes(), pixels(&src).as_bytes());
    assert!(has_gps(&src) && !has_gps(&out));
    assert_eq!(orientation_of(&out), Some(6));
    assert_eq!(icc_of(&out).as_deref(), Some(ICC));
    assert!(detect(&out, ty("image/jpeg")).is_empty());
    let t = text(&out);
    assert!(!t.contains("London") && !t.contains("GPS"));
    assert!(t.contains("xmp:Rating=\"5\"") && t.contains("a comment"));
}

#[test]
fn jpeg_all_keeps_only_icc_and_orientation() {
    let src = located_jpeg();
    let s = Settings {
        strip: StripMetadata::All,
        ..Settings::default()
    };
    let out = apply(&src, ty("image/jpeg"), &s).bytes.unwrap();
    assert!(out.len() < src.len());
    assert_eq!(pixels(&out).as_bytes(), pixels(&src).as_bytes());
    let e = exif_of(&out).unwrap();
    assert_eq!(
        e.fields().map(|f| f.tag).collect::<Vec<_>>(),
        [::exif::Tag::Orientation]
    );
    assert_eq!(orientation_of(&out), Some(6));
    assert_eq!(icc_of(&out).as_deref(), Some(ICC));
    let t = text(&out);
    assert!(!t.contains("xmpmeta") && !t.contains("a comment") && !t.contains("Cam"));
}

#[test]
fn none_publishes_the_source() {
    for (bytes, mime) in [
        (located_jpeg(), "image/jpeg"),
        (located_png(false), "image/png"),
        (located_webp(), "image/webp"),
    ] {
        let s = Settings {
            strip: StripMetadata::None,
            ..Settings::default()
        };
        let p = apply(&bytes, ty(mime), &s);
        assert_eq!(p.bytes, None, "{mime}");
        assert_eq!(p.location, ALL_FOUND, "{mime}: still reported");
    }
}

#[test]
fn png_location_and_all() {
    let src = located_png(false);
    let out = apply(&src, ty("image/png"), &Settings::default())
        .bytes
        .unwrap();
    assert_eq!(pixels(&out).as_bytes(), pixels(&src).as_bytes());
    let idat = |b: &[u8]| {
        Png::from_bytes(Bytes::copy_from_slice(b))
            .unwrap()
            .chunks_by_type(*b"IDAT")
            .map(|c| c.contents().clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(idat(&out), idat(&src), "IDAT untouched");
    assert!(has_gps(&src) && !has_gps(&out));
    assert_eq!(orientation_of(&out), Some(6));
    assert_eq!(icc_of(&out).as_deref(), Some(ICC));
    assert!(detect(&out, ty("image/png")).is_empty());
    // The png crate checks every CRC: it decodes, so they are right.
    let s = Settings {
        strip: StripMetadata::All,
        ..Settings::default()
    };
    let all = apply(&src, ty("image/png"), &s).bytes.unwrap();
    assert_eq!(idat(&all), idat(&src));
    let kinds: Vec<_> = Png::from_bytes(all.clone().into())
        .unwrap()
        .chunks()
        .iter()
        .map(|c| text(&c.kind()))
        .collect();
    assert!(
        !kinds.iter().any(|k| k == "tEXt" || k == "iTXt"),
        "{kinds:?}"
    );
    assert_eq!(orientation_of(&all), Some(6));
    assert_eq!(icc_of(&all).as_deref(), Some(ICC));
}

#[test]
fn png_raw_profile_exif_is_stripped() {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(picture(16, 16))
        .write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    let tiff = [b"Exif\0\0".as_slice(), &gps_tiff(false)].concat();
    let hex: String = tiff.iter().map(|b| format!("{b:02x}")).collect();
    let body = format!("\nexif\n{:8}\n{hex}\n", tiff.len());
    let mut p = Png::from_bytes(out.into()).unwrap();
    let mut c = b"Raw profile type exif\0".to_vec();
    c.extend_from_slice(body.as_bytes());
    p.chunks_mut().insert(1, PngChunk::new(*b"tEXt", c.into()));
    let src = p.encoder().bytes().to_vec();
    assert_eq!(detect(&src, ty("image/png")), ["EXIF GPS"]);
    let stripped = apply(&src, ty("image/png"), &Settings::default())
        .bytes
        .unwrap();
    assert!(detect(&stripped, ty("image/png")).is_empty());
    assert_eq!(stripped.len(), src.len());
}

#[test]
fn webp_location_and_all() {
    let src = located_webp();
    let out = apply(&src, ty("image/webp"), &Settings::default())
        .bytes
        .unwrap();
    assert_eq!(out.len(), src.len());
    assert_eq!(pixels(&out).as_bytes(), pixels(&src).as_bytes());
    assert!(has_gps(&src) && !has_gps(&out));
    assert_eq!(orientation_of(&out), Some(6));
    assert_eq!(icc_of(&out).as_deref(), Some(ICC));
    let s = Settings {
        strip: StripMetadata::All,
        ..Settings::default()
    };
    let all = apply(&src, ty("image/webp"), &s).bytes.unwrap();
    assert_eq!(pixels(&all).as_bytes(), pixels(&src).as_bytes());
    assert!(!text(&all).contains("xmpmeta"));
    assert_eq!(orientation_of(&all), Some(6));
    assert_eq!(icc_of(&all).as_deref(), Some(ICC));
}

#[test]
fn jpeg_appended_images_lose_their_location_too() {
    // A second JPEG after the first one's EOI, as MPF gain maps and previews are.
    let first = located_jpeg();
    let second = located_jpeg();
    let both = [first.as_slice(), &second].concat();
    let out = apply(&both, ty("image/jpeg"), &Settings::default())
        .bytes
        .unwrap();
    assert_eq!(out.len(), both.len());
    assert!(detect(&out[first.len()..], ty("image/jpeg")).is_empty());
    assert!(!text(&out).contains("London"));
}

#[test]
fn iptc_city_is_blanked() {
    let mut irb = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
    let iim = [
        &[0x1C, 2, 90, 0, 6][..],
        b"London",
        &[0x1C, 2, 5, 0, 5],
        b"Title",
    ]
    .concat();
    irb.extend_from_slice(&(iim.len() as u32).to_be_bytes());
    irb.extend_from_slice(&iim);
    let mut j = Jpeg::from_bytes(located_jpeg().into()).unwrap();
    j.segments_mut().insert(
        1,
        JpegSegment::new_with_contents(markers::APP13, irb.into()),
    );
    let src = j.encoder().bytes().to_vec();
    assert!(detect(&src, ty("image/jpeg")).contains(&"IPTC location".to_string()));
    let out = apply(&src, ty("image/jpeg"), &Settings::default())
        .bytes
        .unwrap();
    let t = text(&out);
    assert!(!t.contains("London") && t.contains("Title"));
}

#[test]
fn webp_conversion_is_smaller_and_upright() {
    let src = located_jpeg();
    let s = Settings {
        convert: Convert::Webp,
        ..Settings::default()
    };
    let p = apply(&src, ty("image/jpeg"), &s);
    let out = p.bytes.unwrap();
    assert_eq!(p.kind.mime, "image/webp");
    assert!(out.len() < src.len(), "{} < {}", out.len(), src.len());
    let img = pixels(&out);
    // Orientation 6 applied: 320×240 stored, 240×320 shown.
    assert_eq!((img.width(), img.height()), (240, 320));
    assert!(!has_gps(&out) && !text(&out).contains("London"));
    assert_eq!(icc_of(&out).as_deref(), Some(ICC));
}

#[test]
fn png_with_alpha_converts_losslessly() {
    let src = located_png(true);
    let s = Settings {
        convert: Convert::Webp,
        ..Settings::default()
    };
    let p = apply(&src, ty("image/png"), &s);
    assert_eq!(p.kind.mime, "image/webp", "lossless WebP beats PNG here");
    {
        let out = p.bytes.unwrap();
        // Orientation 6 applies to both decodes alike.
        let mut want = pixels(&src);
        want.apply_orientation(image::metadata::Orientation::Rotate90);
        let (got, want) = (pixels(&out).to_rgba8(), want.to_rgba8());
        assert_eq!(got.dimensions(), want.dimensions());
        // Exact wherever a pixel can be seen (libwebp may change the colour
        // of fully transparent ones).
        for (g, w) in got.pixels().zip(want.pixels()) {
            if w[3] > 0 {
                assert_eq!(g, w);
            }
        }
    }
}

#[test]
fn a_bigger_conversion_is_not_used() {
    // A JPEG at quality 10 beats a WebP at quality 100.
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 10)
        .encode_image(&DynamicImage::ImageRgb8(picture(320, 240)))
        .unwrap();
    let s = Settings {
        convert: Convert::Webp,
        quality: 100,
        ..Settings::default()
    };
    let p = apply(&out, ty("image/jpeg"), &s);
    assert_eq!(p.kind.mime, "image/jpeg");
    assert_eq!(p.bytes, None);
    // And a WebP source is not converted again.
    let w = located_webp();
    let p = apply(&w, ty("image/webp"), &s);
    assert_eq!(p.kind.mime, "image/webp");
}

#[test]
fn max_width_scales_down_in_the_same_format() {
    let src = located_jpeg();
    let s = Settings {
        max_width: Some(100),
        ..Settings::default()
    };
    let p = apply(&src, ty("image/jpeg"), &s);
    let out = p.bytes.unwrap();
    assert_eq!(p.kind.mime, "image/jpeg");
    let img = pixels(&out);
    // Upright first (240 wide), then 100 wide.
    assert_eq!((img.width(), img.height()), (100, 133));
    assert!(!has_gps(&out));
    assert_eq!(icc_of(&out).as_deref(), Some(ICC));
    // Narrow enough already: untouched apart from the location.
    let wide = Settings {
        max_width: Some(4000),
        ..Settings::default()
    };
    assert_eq!(
        apply(&src, ty("image/jpeg"), &wide).bytes,
        apply(&src, ty("image/jpeg"), &Settings::default()).bytes
    );
}

#[test]
fn describe_names_what_changes_bytes() {
    assert_eq!(Settings::default().describe(), "strip-metadata=location");
    let s = Settings {
        strip: StripMetadata::All,
        convert: Convert::Webp,
        quality: 70,
        max_width: Some(1600),
    };
    assert_eq!(
        s.describe(),
        "strip-metadata=all convert=webp quality=70 max-width=1600"
    );
}

#[test]
fn truncated_and_garbage_input_never_panics() {
    let settings = [
        Settings::default(),
        Settings {
            strip: StripMetadata::All,
            convert: Convert::Webp,
            quality: 50,
            max_width: Some(10),
        },
    ];
    for (bytes, mime) in [
        (located_jpeg(), "image/jpeg"),
        (located_png(false), "image/png"),
        (located_webp(), "image/webp"),
    ] {
        let step = (bytes.len() / 40).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            for s in &settings {
                let _ = apply(&bytes[..cut], ty(mime), s);
            }
        }
        let mut flipped = bytes.clone();
        for i in (0..flipped.len()).step_by(7) {
            flipped[i] ^= 0x5A;
        }
        for s in &settings {
            let _ = apply(&flipped, ty(mime), s);
        }
    }
}
