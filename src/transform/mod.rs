//! Stage 3½: what gets published. Between hashing a source image and planning
//! its key, its metadata is stripped (`strip-metadata`, default `location`)
//! and, when asked, it is converted to WebP (`convert`, `quality`) or scaled
//! down (`max-width`). The object's key comes from the *published* bytes; the
//! manifest remembers the source hash, so a rerun never does this again.
//!
//! Pure functions over bytes:
//!
//! - [`detect`] names the location metadata an image carries: an EXIF GPS IFD
//!   (JPEG APP1, PNG `eXIf`, WebP `EXIF`, AVIF/TIFF blocks), XMP `exif:GPS*`,
//!   `photoshop:City`/`State`/`Country`, `Iptc4xmpCore:Location`,
//!   `Iptc4xmpExt:LocationCreated`/`LocationShown`, and IPTC-IIM city/country
//!   fields.
//! - [`apply`] gives the bytes to publish under some [`Settings`].
//!
//! `location` edits in place: the GPS IFD is cut out of the EXIF block and
//! the XMP properties are blanked without changing any length, so the pixel
//! data, the ICC profile, the Orientation and every offset stay byte for byte.
//! `all` then drops the EXIF, XMP, IPTC and comment segments/chunks, putting
//! back a minimal EXIF holding only the Orientation.
//!
//! ```
//! use r2filter::object::ImageType;
//! use r2filter::transform::{apply, Settings};
//! let png = ImageType::from_mime("image/png").unwrap();
//! // Only a PNG signature: nothing found, nothing changed.
//! let out = apply(b"\x89PNG\r\n\x1a\n", png, &Settings::default());
//! assert!(out.bytes.is_none() && out.location.is_empty());
//! ```

mod container;
pub(crate) mod convert;
mod exif;
mod xmp;

// For [`crate::measure`]: the Orientation of an EXIF block, and the height
// `max-width` scales an image to.
pub(crate) use convert::fitted_height;
pub(crate) use exif::{orientation, tiff_start};

use image::ImageFormat;

use crate::object::ImageType;

/// Which metadata leaves an image before it is published.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum StripMetadata {
    /// GPS and XMP/IPTC location fields, edited out in place.
    #[default]
    Location,
    /// EXIF, XMP, IPTC and comments; the ICC profile and Orientation stay.
    All,
    /// Nothing: the bytes are published as they are.
    None,
}

impl std::fmt::Display for StripMetadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StripMetadata::Location => "location",
            StripMetadata::All => "all",
            StripMetadata::None => "none",
        })
    }
}

/// A format to convert to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Convert {
    /// Keep each image's format.
    #[default]
    None,
    /// WebP: lossy at `quality` for JPEG, lossless for PNG with transparency.
    Webp,
}

/// The default lossy quality (as sharp and most image CDNs use).
pub const DEFAULT_QUALITY: u8 = 80;

/// How images are published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub strip: StripMetadata,
    pub convert: Convert,
    /// 1–100, for lossy encodes (WebP from JPEG, a downscaled JPEG).
    pub quality: u8,
    /// Scale down images wider than this.
    pub max_width: Option<u32>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            strip: StripMetadata::Location,
            convert: Convert::None,
            quality: DEFAULT_QUALITY,
            max_width: None,
        }
    }
}

impl Settings {
    /// The settings as the manifest records them: everything that changes
    /// the published bytes, nothing else (`strip-metadata=location`,
    /// `strip-metadata=all convert=webp quality=80 max-width=1600`).
    pub fn describe(&self) -> String {
        let mut s = format!("strip-metadata={}", self.strip);
        let convert = self.convert != Convert::None;
        if convert {
            s.push_str(" convert=webp");
        }
        if convert || self.max_width.is_some() {
            s.push_str(&format!(" quality={}", self.quality));
        }
        if let Some(w) = self.max_width {
            s.push_str(&format!(" max-width={w}"));
        }
        s
    }

    /// Whether publishing ever differs from the source bytes.
    pub fn is_identity(&self) -> bool {
        self.strip == StripMetadata::None
            && self.convert == Convert::None
            && self.max_width.is_none()
    }
}

/// What to publish for one source image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The bytes to publish, when they are not the source's own.
    pub bytes: Option<Vec<u8>>,
    /// Their type (WebP after a conversion).
    pub kind: ImageType,
    /// The location metadata the *source* carries (`EXIF GPS`,
    /// `XMP photoshop:City`, …); empty when none.
    pub location: Vec<String>,
    /// What went wrong without stopping the image from being published
    /// (metadata that could not be read, a conversion that failed).
    pub warnings: Vec<String>,
}

fn format_of(kind: ImageType) -> Option<ImageFormat> {
    match kind.mime {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// The location metadata in `bytes` (an image of type `kind`).
pub fn detect(bytes: &[u8], kind: ImageType) -> Vec<String> {
    let mut warnings = Vec::new();
    strip_location(bytes, kind, false, &mut warnings).1
}

/// Finds, and with `edit` removes, the location. Returns the new bytes (when
/// changed) and what was found: EXIF first, then XMP, then IPTC.
fn strip_location(
    bytes: &[u8],
    kind: ImageType,
    edit: bool,
    warnings: &mut Vec<String>,
) -> (Option<Vec<u8>>, Vec<String>) {
    let (bytes, mut found) = strip_location_unsorted(bytes, kind, edit, warnings);
    found.sort_by_key(|l| {
        ["EXIF", "XMP", "IPTC"]
            .iter()
            .position(|p| l.starts_with(p))
    });
    (bytes, found)
}

fn strip_location_unsorted(
    bytes: &[u8],
    kind: ImageType,
    edit: bool,
    warnings: &mut Vec<String>,
) -> (Option<Vec<u8>>, Vec<String>) {
    let mut found = Vec::new();
    // A container that does not parse (truncated, or not quite what its
    // magic bytes say) is read as plain bytes: a GPS block or an XMP packet in
    // it is still found, and blanked in place.
    let plain = |warnings: &mut Vec<String>, e: String| {
        let mut buf = bytes.to_vec();
        let found = container::bytes_location(&mut buf, false, edit);
        if found.is_empty() {
            return (None, found);
        }
        if edit {
            warnings.push(format!(
                "its container could not be read ({e}); its location was blanked in place"
            ));
        }
        (edit.then_some(buf), found)
    };
    match kind.mime {
        "image/jpeg" => {
            let mut buf = bytes.to_vec();
            found = container::jpeg_location(&mut buf, edit);
            let changed = edit && !found.is_empty();
            (changed.then_some(buf), found)
        }
        "image/png" | "image/apng" => match container::png_location(bytes, edit, &mut found) {
            Ok(b) => (b, found),
            Err(e) => plain(warnings, e),
        },
        "image/webp" => match container::webp_location(bytes, edit, &mut found) {
            Ok(b) => (b, found),
            Err(e) => plain(warnings, e),
        },
        "image/tiff" | "image/avif" => {
            let mut buf = bytes.to_vec();
            found = container::bytes_location(&mut buf, kind.mime == "image/tiff", edit);
            let changed = edit && !found.is_empty();
            (changed.then_some(buf), found)
        }
        // GIF, SVG, BMP, ICO: no EXIF/XMP container a camera or phone writes.
        _ => (None, found),
    }
}

/// The bytes to publish for the source `bytes` of type `kind`.
pub fn apply(bytes: &[u8], kind: ImageType, settings: &Settings) -> Published {
    let mut warnings = Vec::new();
    let edit = settings.strip != StripMetadata::None;
    let (mut stripped, location) = strip_location(bytes, kind, edit, &mut warnings);
    if settings.strip == StripMetadata::All {
        let current = stripped.clone().unwrap_or_else(|| bytes.to_vec());
        let all = match kind.mime {
            "image/jpeg" => Some(container::jpeg_all(current)),
            "image/png" | "image/apng" => Some(container::png_all(current)),
            "image/webp" => Some(container::webp_all(current)),
            _ => None,
        };
        match all {
            Some(Ok(b)) if b != bytes => stripped = Some(b),
            Some(Ok(_)) | None => {}
            Some(Err(e)) => warnings.push(format!(
                "its metadata could not be rewritten ({e}); only its location was removed"
            )),
        }
    }
    let mut out = Published {
        bytes: stripped,
        kind,
        location,
        warnings,
    };
    if settings.convert != Convert::None || settings.max_width.is_some() {
        reencode(bytes, settings, &mut out);
    }
    out
}

/// `convert` and `max-width`: re-encode when that is asked for and possible
/// (JPEG, PNG, still WebP), and keep a conversion only when it is smaller.
fn reencode(source: &[u8], settings: &Settings, out: &mut Published) {
    let Some(format) = format_of(out.kind) else {
        return;
    };
    let current = out.bytes.as_deref().unwrap_or(source);
    if out.kind.mime == "image/webp"
        && img_parts::webp::WebP::from_bytes(img_parts::Bytes::copy_from_slice(current))
            .is_ok_and(|w| w.has_chunk(img_parts::webp::CHUNK_ANIM))
    {
        return; // animated: leave it
    }
    let decoded = match convert::decode(current, format) {
        Ok(d) => d,
        Err(e) => {
            out.warnings.push(format!(
                "it could not be decoded ({e}); published unconverted"
            ));
            return;
        }
    };
    let resized = settings
        .max_width
        .and_then(|w| convert::fit(&decoded.image, w));
    let image = resized.as_ref().unwrap_or(&decoded.image);
    if resized.is_some() {
        match convert::same_format(&decoded, image, settings.quality) {
            Ok(b) => out.bytes = Some(b),
            Err(e) => {
                out.warnings.push(format!(
                    "it could not be scaled down ({e}); published as it is"
                ));
                return;
            }
        }
    }
    if settings.convert == Convert::Webp && format != ImageFormat::WebP {
        let lossless = format == ImageFormat::Png && image.color().has_alpha();
        match convert::webp(image, lossless, settings.quality, decoded.icc.as_deref()) {
            Ok(w) => {
                let base = out.bytes.as_deref().unwrap_or(source).len();
                if w.len() < base {
                    out.bytes = Some(w);
                    out.kind = ImageType::from_mime("image/webp").expect("a known type");
                }
            }
            Err(e) => out
                .warnings
                .push(format!("it could not be converted to WebP ({e})")),
        }
    }
}

#[cfg(test)]
mod tests;
