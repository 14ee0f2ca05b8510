//! What a page needs to know about an object besides its URL: its displayed
//! width and height, and on request a tiny blurred placeholder.
//!
//! Sizes come from the header alone (the `imagesize` crate; SVG's root
//! element here), never from decoding pixels, with the EXIF orientation of
//! JPEG, PNG, WebP and TIFF applied (a portrait photo stored sideways is
//! taller than wide on the page) and AVIF's `irot`. Animated GIF, WebP and
//! AVIF give their first frame's (the canvas's) size. A placeholder decodes
//! the pixels (JPEG, PNG, WebP), so it is made once per object and kept in
//! the manifest.
//!
//! ```
//! use r2filter::measure::{Size, size};
//! use r2filter::object::ImageType;
//! let svg = ImageType::from_mime("image/svg+xml").unwrap();
//! assert_eq!(size(br#"<svg viewBox="0 0 40 30"/>"#, svg), Ok(Size { width: 40, height: 30 }));
//! ```

pub mod placeholder;
mod svg;

use crate::manifest::Entry;
use crate::object::ImageType;

/// Displayed size in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

/// The displayed size of an image of type `kind`, from its header; `Err`
/// says why there is none (truncated, not what its type says, no size).
pub fn size(bytes: &[u8], kind: ImageType) -> Result<Size, String> {
    if kind.mime == "image/svg+xml" {
        return svg::size(bytes);
    }
    let s = imagesize::blob_size(bytes).map_err(|e| match e {
        imagesize::ImageError::NotSupported => {
            "its header is not one r2filter can read".to_string()
        }
        imagesize::ImageError::CorruptedImage => "its header is corrupt".to_string(),
        imagesize::ImageError::IoError(_) => "its header is cut off".to_string(),
    })?;
    // 2^31 - 1 is PNG's limit and past any a browser lays out: a header
    // beyond it is corrupt (random bytes behind a real signature).
    let (Ok(w), Ok(h)) = (i32::try_from(s.width), i32::try_from(s.height)) else {
        return Err(format!("its header says {}×{}", s.width, s.height));
    };
    if w == 0 || h == 0 {
        return Err(format!("its header says {w}×{h}"));
    }
    let (w, h) = (w.unsigned_abs(), h.unsigned_abs());
    // Orientations 5 to 8 turn the picture a quarter.
    Ok(match exif_orientation(bytes, kind) {
        Some(5..=8) => Size {
            width: h,
            height: w,
        },
        _ => Size {
            width: w,
            height: h,
        },
    })
}

/// The EXIF Orientation (1–8) of a JPEG, PNG, WebP or TIFF, found by
/// walking the container's segments up to the pixel data.
fn exif_orientation(b: &[u8], kind: ImageType) -> Option<u16> {
    let tiff = match kind.mime {
        "image/jpeg" => jpeg_exif(b)?,
        "image/png" | "image/apng" => png_exif(b)?,
        "image/webp" => webp_exif(b)?,
        "image/tiff" => b,
        _ => return None,
    };
    crate::transform::orientation(tiff)
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// The payload of a JPEG's APP1 `Exif` segment (before the scan starts).
fn jpeg_exif(b: &[u8]) -> Option<&[u8]> {
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        let marker = *b.get(i + 1)?;
        match marker {
            0xFF => i += 1, // fill byte
            0xD8 | 0x01 | 0xD0..=0xD7 => i += 2,
            0xDA | 0xD9 => return None,
            _ => {
                let len = be16(b, i + 2)?;
                let payload = b.get(i + 4..(i + 2).checked_add(len)?)?;
                if marker == 0xE1
                    && let Some(tiff) = payload.strip_prefix(b"Exif\0\0")
                {
                    return Some(tiff);
                }
                i += 2 + len.max(2);
            }
        }
    }
}

/// The contents of a PNG's `eXIf` chunk (before the image data).
fn png_exif(b: &[u8]) -> Option<&[u8]> {
    let mut i = 8;
    loop {
        let len = be32(b, i)?;
        let kind = b.get(i + 4..i + 8)?;
        match kind {
            b"eXIf" => {
                let data = b.get(i + 8..(i + 8).checked_add(len)?)?;
                return data.get(crate::transform::tiff_start(data)?..);
            }
            b"IDAT" | b"IEND" => return None,
            _ => i = i.checked_add(12)?.checked_add(len)?,
        }
    }
}

/// The contents of a WebP's `EXIF` chunk.
fn webp_exif(b: &[u8]) -> Option<&[u8]> {
    if b.get(..4)? != b"RIFF" || b.get(8..12)? != b"WEBP" {
        return None;
    }
    let mut i = 12;
    loop {
        let id = b.get(i..i + 4)?;
        let len = u32::from_le_bytes(b.get(i + 4..i + 8)?.try_into().ok()?) as usize;
        if id == b"EXIF" {
            let data = b.get(i + 8..(i + 8).checked_add(len)?)?;
            return data.get(crate::transform::tiff_start(data)?..);
        }
        i = i.checked_add(8)?.checked_add(len)?.checked_add(len & 1)?;
    }
}

/// What measuring an object found, as its manifest entry records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Measured {
    pub(crate) size: Option<Size>,
    /// What could not be read (the header: no size; the pixels: no
    /// placeholder).
    pub(crate) unreadable: Option<String>,
    pub(crate) placeholder: Option<String>,
}

impl Measured {
    /// Measures the bytes of an object of type `kind`; with `placeholder`,
    /// makes its placeholder too (when its type has one).
    pub(crate) fn of(bytes: &[u8], kind: ImageType, placeholder: bool) -> Measured {
        let mut m = Measured::default();
        match size(bytes, kind) {
            Ok(s) => m.size = Some(s),
            Err(e) => {
                m.unreadable = Some(e);
                return m;
            }
        }
        if placeholder && placeholder::supported(kind.mime) {
            match placeholder::blur(bytes, kind) {
                Ok(p) => m.placeholder = Some(p),
                Err(e) => m.unreadable = Some(format!("its pixels could not be decoded ({e})")),
            }
        }
        m
    }

    /// What `entry` records.
    pub(crate) fn of_entry(entry: &Entry) -> Measured {
        Measured {
            size: entry
                .width
                .zip(entry.height)
                .map(|(width, height)| Size { width, height }),
            unreadable: entry.unreadable.clone(),
            placeholder: entry.placeholder.clone(),
        }
    }

    /// An entry holding only this (to [`Entry::learn_measurements`] from).
    pub(crate) fn entry(&self) -> Entry {
        Entry {
            width: self.size.map(|s| s.width),
            height: self.size.map(|s| s.height),
            unreadable: self.unreadable.clone(),
            placeholder: self.placeholder.clone(),
            ..Entry::default()
        }
    }

    /// `self` scaled as `max-width` scales an object down (the same
    /// rounding as [`crate::transform`]'s).
    pub(crate) fn fitted(mut self, max_width: u32) -> Measured {
        if let Some(s) = &mut self.size
            && s.width > max_width
        {
            *s = Size {
                width: max_width,
                height: crate::transform::fitted_height(s.width, s.height, max_width),
            };
        }
        self
    }
}

/// Whether `entry` lacks a measurement this run makes: its size (never
/// tried), or a placeholder that `placeholder` asks for and its type has.
/// What could not be read is not tried again.
pub(crate) fn lacking(entry: &Entry, placeholder: bool) -> bool {
    entry.unreadable.is_none()
        && (entry.width.is_none()
            || placeholder
                && entry.placeholder.is_none()
                && placeholder::supported(&entry.content_type))
}

#[cfg(test)]
mod tests;
