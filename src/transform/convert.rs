//! Re-encoding: WebP (libwebp, the reference encoder) and `max-width`
//! downscales. Decoding, orientation and resizing come from the `image` crate.
//! A re-encoded image carries its ICC profile and nothing else: its EXIF
//! orientation is applied to the pixels, so it displays the same everywhere.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use img_parts::{Bytes, ImageICC};

/// A decoded image, upright.
pub struct Decoded {
    pub image: DynamicImage,
    pub icc: Option<Vec<u8>>,
    pub format: ImageFormat,
    /// Stored without loss (PNG, lossless WebP): a re-encode stays lossless.
    pub lossless: bool,
}

pub fn decode(bytes: &[u8], format: ImageFormat) -> Result<Decoded, String> {
    let lossless = match format {
        ImageFormat::Png => true,
        ImageFormat::WebP => img_parts::webp::WebP::from_bytes(Bytes::copy_from_slice(bytes))
            .is_ok_and(|w| w.has_chunk(img_parts::webp::CHUNK_VP8L)),
        _ => false,
    };
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().map_err(|e| e.to_string())?;
    let icc = decoder.icc_profile().ok().flatten();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    image.apply_orientation(orientation);
    Ok(Decoded {
        image,
        icc,
        format,
        lossless,
    })
}

/// The image scaled down to `max_width` (Lanczos3), or `None` when it is no
/// wider than that.
pub fn fit(image: &DynamicImage, max_width: u32) -> Option<DynamicImage> {
    let (w, h) = (image.width(), image.height());
    if w <= max_width || max_width == 0 {
        return None;
    }
    let nh = fitted_height(w, h, max_width);
    Some(image.resize_exact(max_width, nh, FilterType::Lanczos3))
}

/// The height of a `w`×`h` image scaled to `max_width` wide (rounded, at
/// least 1).
pub fn fitted_height(w: u32, h: u32, max_width: u32) -> u32 {
    ((h as u64 * max_width as u64 + w as u64 / 2) / w.max(1) as u64).max(1) as u32
}

/// WebP: lossless when asked (PNG with alpha), lossy at `quality` otherwise.
pub fn webp(
    image: &DynamicImage,
    lossless: bool,
    quality: u8,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    let (w, h) = (image.width(), image.height());
    if w > 16383 || h > 16383 {
        return Err(format!("{w}×{h} is larger than WebP allows (16383)"));
    }
    let memory = if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        let enc = webp::Encoder::from_rgba(&rgba, w, h);
        if lossless {
            enc.encode_lossless()
        } else {
            enc.encode(quality as f32)
        }
    } else {
        let rgb = image.to_rgb8();
        let enc = webp::Encoder::from_rgb(&rgb, w, h);
        if lossless {
            enc.encode_lossless()
        } else {
            enc.encode(quality as f32)
        }
    };
    let bytes = memory.to_vec();
    if bytes.is_empty() {
        return Err("the WebP encoder gave no output".into());
    }
    with_icc_webp(bytes, icc)
}

fn with_icc_webp(bytes: Vec<u8>, icc: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let Some(icc) = icc else { return Ok(bytes) };
    let mut w = img_parts::webp::WebP::from_bytes(bytes.into()).map_err(|e| e.to_string())?;
    w.set_icc_profile(Some(Bytes::copy_from_slice(icc)));
    Ok(w.encoder().bytes().to_vec())
}

/// The image in its own format again (for `max-width` without `convert`).
pub fn same_format(d: &Decoded, image: &DynamicImage, quality: u8) -> Result<Vec<u8>, String> {
    let icc = d.icc.as_deref();
    match d.format {
        ImageFormat::Jpeg => {
            let mut out = Vec::new();
            JpegEncoder::new_with_quality(&mut out, quality)
                .encode_image(&DynamicImage::ImageRgb8(image.to_rgb8()))
                .map_err(|e| e.to_string())?;
            let Some(icc) = icc else { return Ok(out) };
            let mut j = img_parts::jpeg::Jpeg::from_bytes(out.into()).map_err(|e| e.to_string())?;
            j.set_icc_profile(Some(Bytes::copy_from_slice(icc)));
            Ok(j.encoder().bytes().to_vec())
        }
        ImageFormat::Png => {
            let mut out = Vec::new();
            image
                .write_with_encoder(PngEncoder::new_with_quality(
                    &mut out,
                    CompressionType::Best,
                    PngFilter::Adaptive,
                ))
                .map_err(|e| e.to_string())?;
            let Some(icc) = icc else { return Ok(out) };
            let mut p = img_parts::png::Png::from_bytes(out.into()).map_err(|e| e.to_string())?;
            p.set_icc_profile(Some(Bytes::copy_from_slice(icc)));
            Ok(p.encoder().bytes().to_vec())
        }
        ImageFormat::WebP => webp(image, d.lossless, quality, icc),
        other => Err(format!("cannot re-encode {other:?}")),
    }
}
