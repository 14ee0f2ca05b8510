//! `placeholder = "blur"`: a tiny, blurred copy of the picture as a
//! `data:image/png;base64,…` URI of at most [`MAX_BYTES`], what
//! `next/image`'s `blurDataURL` takes, and what any page can show as a CSS
//! background until the image arrives.
//!
//! The picture is decoded upright (EXIF orientation applied), reduced to at
//! most 16 pixels on its long side, blurred a little and written as PNG
//! (lossless, so the URI is the same on every machine); when the URI would be
//! longer than the limit, it is made smaller still. Only JPEG, PNG and WebP
//! (their first frame) are decoded; other types get no placeholder.
//!
//! (A ThumbHash or BlurHash string would be shorter, ~30 bytes, but needs a
//! decoder in the page's JavaScript; a data: URI works in `next/image`,
//! Astro, Hugo templates and plain CSS as it is.)

use base64::Engine as _;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageFormat};

use crate::object::ImageType;

/// The longest a placeholder URI may be, in bytes.
pub const MAX_BYTES: usize = 1000;

/// Long sides tried, largest first, until the URI fits.
const SIDES: &[u32] = &[16, 12, 8, 6, 4, 2];

/// Whether objects of this Content-Type get a placeholder.
pub fn supported(mime: &str) -> bool {
    matches!(
        mime,
        "image/jpeg" | "image/png" | "image/apng" | "image/webp"
    )
}

/// The placeholder of an image of type `kind`.
pub fn blur(bytes: &[u8], kind: ImageType) -> Result<String, String> {
    let format = match kind.mime {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" | "image/apng" => ImageFormat::Png,
        "image/webp" => ImageFormat::WebP,
        other => return Err(format!("no placeholder for {other}")),
    };
    let decoded = crate::transform::convert::decode(bytes, format)?;
    let image = decoded.image;
    for &side in SIDES {
        let uri = data_uri(&tiny(&image, side))?;
        if uri.len() <= MAX_BYTES {
            return Ok(uri);
        }
    }
    Err("even a 2-pixel placeholder is too long".into())
}

/// `image` reduced to at most `side` pixels on its long side (at least 1 on
/// the other), and blurred.
fn tiny(image: &DynamicImage, side: u32) -> DynamicImage {
    let (w, h) = (image.width().max(1), image.height().max(1));
    let (tw, th) = if w >= h {
        (
            side,
            ((h as u64 * side as u64 + w as u64 / 2) / w as u64).max(1) as u32,
        )
    } else {
        (
            ((w as u64 * side as u64 + h as u64 / 2) / h as u64).max(1) as u32,
            side,
        )
    };
    let small = image.thumbnail_exact(tw.min(w), th.min(h));
    if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image::imageops::blur(&small.to_rgba8(), 0.6))
    } else {
        DynamicImage::ImageRgb8(image::imageops::blur(&small.to_rgb8(), 0.6))
    }
}

fn data_uri(image: &DynamicImage) -> Result<String, String> {
    let mut png = Vec::new();
    image
        .write_with_encoder(PngEncoder::new_with_quality(
            &mut png,
            CompressionType::Best,
            FilterType::Adaptive,
        ))
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&png)
    ))
}
