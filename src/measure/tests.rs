use std::io::Cursor;

use base64::Engine as _;
use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use img_parts::{Bytes, ImageEXIF};

use super::*;

fn kind(mime: &str) -> ImageType {
    ImageType::from_mime(mime).unwrap()
}

/// A big-endian TIFF block holding only Orientation = `o`.
fn orientation_block(o: u16) -> Vec<u8> {
    let mut b = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    b.extend_from_slice(&o.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    b
}

/// A `w`×`h` picture with some detail (a gradient and a diagonal).
fn picture(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        let d = if x * h / w == y { 255 } else { 0 };
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, d])
    }))
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn jpeg_with_orientation(w: u32, h: u32, o: u16) -> Vec<u8> {
    let bytes = encode(&picture(w, h), ImageFormat::Jpeg);
    let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(bytes.into()).unwrap();
    jpeg.set_exif(Some(Bytes::from(orientation_block(o))));
    jpeg.encoder().bytes().to_vec()
}

#[test]
fn sizes_from_headers_with_the_orientation_applied() {
    let png = encode(&picture(40, 30), ImageFormat::Png);
    assert_eq!(
        size(&png, kind("image/png")),
        Ok(Size {
            width: 40,
            height: 30
        })
    );
    // Stored 40×30, shown turned a quarter (6: rotate 90° clockwise).
    for (o, shown) in [(1, (40, 30)), (3, (40, 30)), (6, (30, 40)), (8, (30, 40))] {
        let jpeg = jpeg_with_orientation(40, 30, o);
        let s = size(&jpeg, kind("image/jpeg")).unwrap();
        assert_eq!((s.width, s.height), shown, "orientation {o}");
    }
    let mut p = img_parts::png::Png::from_bytes(png.into()).unwrap();
    p.set_exif(Some(Bytes::from(orientation_block(5))));
    let png = p.encoder().bytes().to_vec();
    assert_eq!(
        size(&png, kind("image/png")),
        Ok(Size {
            width: 30,
            height: 40
        })
    );

    let webp = encode(&picture(40, 30), ImageFormat::WebP);
    let mut w = img_parts::webp::WebP::from_bytes(webp.into()).unwrap();
    w.set_exif(Some(Bytes::from(orientation_block(7))));
    let webp = w.encoder().bytes().to_vec();
    assert_eq!(
        size(&webp, kind("image/webp")),
        Ok(Size {
            width: 30,
            height: 40
        })
    );
}

#[test]
fn first_frame_sizes_of_gif_and_avif() {
    // GIF: the logical screen (every frame is drawn inside it).
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[0x20, 0x03, 0x58, 0x02]); // 800 × 600
    gif.extend_from_slice(&[0, 0, 0, b';']);
    assert_eq!(
        size(&gif, kind("image/gif")),
        Ok(Size {
            width: 800,
            height: 600
        })
    );
    // AVIF: the primary item's `ispe`, turned by `irot`.
    let avif = avif(1200, 800, Some(1));
    assert_eq!(
        size(&avif, kind("image/avif")),
        Ok(Size {
            width: 800,
            height: 1200
        })
    );
    let avif = self::avif(1200, 800, None);
    assert_eq!(
        size(&avif, kind("image/avif")),
        Ok(Size {
            width: 1200,
            height: 800
        })
    );
}

/// An AVIF's boxes down to `ispe` (and `irot`): what a header read needs.
fn avif(w: u32, h: u32, rotation: Option<u8>) -> Vec<u8> {
    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }
    let mut ispe = vec![0; 4];
    ispe.extend_from_slice(&w.to_be_bytes());
    ispe.extend_from_slice(&h.to_be_bytes());
    let mut ipco = bx(b"ispe", &ispe);
    if let Some(r) = rotation {
        ipco.extend(bx(b"irot", &[r]));
    }
    let iprp = bx(b"iprp", &bx(b"ipco", &ipco));
    let mut meta = vec![0; 4];
    meta.extend(bx(b"hdlr", &[0; 24]));
    meta.extend(iprp);
    let mut out = bx(b"ftyp", b"avif\0\0\0\0avifmif1miaf");
    out.extend(bx(b"meta", &meta));
    out.extend(bx(b"mdat", &[0; 16]));
    out
}

#[test]
fn an_unreadable_header_is_an_error_that_says_why() {
    let png = encode(&picture(40, 30), ImageFormat::Png);
    for (bytes, mime) in [
        (&png[..12], "image/png"),
        (&b"\xff\xd8\xff\xe0\0\x10JFIF"[..], "image/jpeg"),
        (&b"RIFF\0\0\0\0WEBPVP8X"[..], "image/webp"),
        (&b"not an image at all"[..], "image/bmp"),
        (&b"<svg width='100%'>"[..], "image/svg+xml"),
    ] {
        let e = size(bytes, kind(mime)).unwrap_err();
        assert!(!e.is_empty(), "{mime}");
        let m = Measured::of(bytes, kind(mime), true);
        assert_eq!((m.size, m.placeholder), (None, None), "{mime}");
        assert_eq!(m.unreadable, Some(e));
    }
    // The test images of the integration tests: a 1×1 PNG header and text.
    let stub =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89 r2filter";
    assert_eq!(
        size(stub, kind("image/png")),
        Ok(Size {
            width: 1,
            height: 1
        })
    );
    // Random bytes behind a PNG signature: a width past 2^31 - 1 is no size.
    let huge =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\x7b\xa5\x3c\x76\xe7\x8f\x2d\x1d\x08\x06\0\0\0\0\0\0\0";
    assert_eq!(
        size(huge, kind("image/png")).unwrap_err(),
        "its header says 2074426486×3884920093"
    );
    // Its header reads, its pixels do not: a size, and why no placeholder.
    let m = Measured::of(stub, kind("image/png"), true);
    assert_eq!(
        m.size,
        Some(Size {
            width: 1,
            height: 1
        })
    );
    assert!(
        m.unreadable
            .unwrap()
            .starts_with("its pixels could not be decoded")
    );
}

/// The placeholder decoded: its type and size.
fn decoded(uri: &str) -> DynamicImage {
    let b64 = uri.strip_prefix("data:image/png;base64,").expect(uri);
    let png = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap()
}

#[test]
fn placeholders_are_small_upright_and_the_same_every_time() {
    let jpeg = jpeg_with_orientation(400, 300, 6);
    let uri = placeholder::blur(&jpeg, kind("image/jpeg")).unwrap();
    assert!(uri.len() <= placeholder::MAX_BYTES, "{}", uri.len());
    let tiny = decoded(&uri);
    assert_eq!(
        (tiny.width(), tiny.height()),
        (12, 16),
        "upright, 16 on the long side"
    );
    assert_eq!(placeholder::blur(&jpeg, kind("image/jpeg")).unwrap(), uri);

    // Noise with transparency compresses worst: it still fits, smaller.
    let mut seed = 1u32;
    let noise = RgbaImage::from_fn(300, 200, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        image::Rgba(seed.to_be_bytes())
    });
    let png = encode(&DynamicImage::ImageRgba8(noise), ImageFormat::Png);
    let uri = placeholder::blur(&png, kind("image/png")).unwrap();
    assert!(uri.len() <= placeholder::MAX_BYTES, "{}", uri.len());
    assert!(decoded(&uri).color().has_alpha());

    let m = Measured::of(&png, kind("image/png"), true);
    assert_eq!(
        m.size,
        Some(Size {
            width: 300,
            height: 200
        })
    );
    assert_eq!(m.placeholder, Some(uri));
    assert_eq!(m.unreadable, None);
    // Only asked for: a size alone.
    assert_eq!(
        Measured::of(&png, kind("image/png"), false).placeholder,
        None
    );
    // GIF, SVG: no placeholder, and nothing unreadable about it.
    let svg = Measured::of(b"<svg width='4' height='2'/>", kind("image/svg+xml"), true);
    assert_eq!(
        (svg.size, svg.placeholder, svg.unreadable),
        (
            Some(Size {
                width: 4,
                height: 2
            }),
            None,
            None
        )
    );
}

#[test]
fn entries_lacking_measurements_learn_them_once() {
    let mut old = Entry {
        content_type: "image/png".into(),
        ..Entry::default()
    };
    assert!(lacking(&old, false));
    let m = Measured {
        size: Some(Size {
            width: 8,
            height: 6,
        }),
        unreadable: None,
        placeholder: None,
    };
    old.learn_measurements(&m.entry());
    assert_eq!((old.width, old.height), (Some(8), Some(6)));
    assert!(!lacking(&old, false));
    // Placeholders asked for later: only those are learnt.
    assert!(lacking(&old, true));
    let later = Measured {
        size: Some(Size {
            width: 99,
            height: 99,
        }),
        unreadable: None,
        placeholder: Some("data:image/png;base64,AA".into()),
    };
    old.learn_measurements(&later.entry());
    assert_eq!(
        (old.width, old.placeholder.as_deref()),
        (Some(8), Some("data:image/png;base64,AA"))
    );
    assert!(!lacking(&old, true));
    // Pixels that do not decode: recorded, and not tried again.
    let mut broken = Entry {
        content_type: "image/jpeg".into(),
        ..Entry::default()
    };
    let failed = Measured {
        size: Some(Size {
            width: 3,
            height: 2,
        }),
        unreadable: Some("its pixels could not be decoded (x)".into()),
        placeholder: None,
    };
    broken.learn_measurements(&failed.entry());
    assert_eq!(broken.unreadable, failed.unreadable);
    assert!(!lacking(&broken, true));
    // A GIF never gets a placeholder, so it lacks none.
    let gif = Entry {
        content_type: "image/gif".into(),
        width: Some(1),
        height: Some(1),
        ..Entry::default()
    };
    assert!(!lacking(&gif, true));
    assert_eq!(
        Measured::of_entry(&old).fitted(4).size,
        Some(Size {
            width: 4,
            height: 3
        })
    );
}
