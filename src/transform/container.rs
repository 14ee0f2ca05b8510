//! Where the metadata sits in each container, and the two ways of stripping
//! it: `location` edits metadata payloads in place (no byte of pixel data, and
//! no container offset, moves), `all` drops metadata segments and chunks
//! (img-parts re-assembles the container; pixel data is copied as it was).

use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::png::{Png, PngChunk};
use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::webp::{CHUNK_EXIF, CHUNK_XMP, WebP};
use img_parts::{Bytes, ImageEXIF};

use super::exif;
use super::xmp::{self, find_bytes};

const EXIF_PREFIX: &[u8] = b"Exif\0\0";
const XMP_PREFIX: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXT_PREFIX: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
const IRB_PREFIX: &[u8] = b"Photoshop 3.0\0";

/// What `location` found (labels such as `EXIF GPS`, `XMP photoshop:City`).
pub type Found = Vec<String>;

fn add(found: &mut Found, label: impl Into<String>) {
    let label = label.into();
    if !found.contains(&label) {
        found.push(label);
    }
}

// ---------------------------------------------------------------- JPEG

/// Finds (and with `edit`, blanks) the location in a JPEG, in place: every
/// APP1 Exif, APP1 XMP (standard and extended) and APP13 IPTC segment in the
/// file, including those of the extra images some phones append after the
/// main one (MPF: gain maps, depth maps, previews).
pub fn jpeg_location(buf: &mut [u8], edit: bool) -> Found {
    let mut found = Found::new();
    // Extended XMP: (GUID, offset in the whole, range in buf) per chunk.
    let mut extended: Vec<([u8; 32], usize, std::ops::Range<usize>)> = Vec::new();
    let mut i = 2;
    while i + 4 <= buf.len() {
        // Entropy-coded data stuffs every 0xFF with a 0x00, so a marker here
        // is a real one (or inside another segment's payload).
        let Some(ff) = memchr::memchr(0xFF, &buf[i..buf.len() - 3]) else {
            break;
        };
        i += ff;
        if !matches!(buf[i + 1], 0xE1 | 0xED) {
            i += 1;
            continue;
        }
        let len = u16::from_be_bytes([buf[i + 2], buf[i + 3]]) as usize;
        let (start, end) = (i + 4, (i + 2 + len).min(buf.len()));
        if len < 2 || start > end {
            i += 2;
            continue;
        }
        let payload = start..end;
        let marker = buf[i + 1];
        let p = &buf[payload.clone()];
        if marker == 0xE1 && p.starts_with(EXIF_PREFIX) {
            let tiff = &mut buf[start + EXIF_PREFIX.len()..end];
            if exif::has_location(tiff) {
                add(&mut found, "EXIF GPS");
                if edit {
                    exif::remove_gps(tiff);
                }
            }
        } else if marker == 0xE1 && p.starts_with(XMP_PREFIX) {
            xmp_in_place(&mut buf[start + XMP_PREFIX.len()..end], edit, &mut found);
        } else if marker == 0xE1 && p.starts_with(XMP_EXT_PREFIX) {
            let h = start + XMP_EXT_PREFIX.len();
            if h + 40 <= end {
                let guid: [u8; 32] = buf[h..h + 32].try_into().expect("32 bytes");
                let offset = u32::from_be_bytes(buf[h + 36..h + 40].try_into().expect("4"));
                extended.push((guid, offset as usize, h + 40..end));
            }
        } else if marker == 0xED && p.starts_with(IRB_PREFIX) {
            iptc_location(&mut buf[start + IRB_PREFIX.len()..end], edit, &mut found);
        }
        // Metadata segments never nest: go on after this one.
        i = end;
    }
    // Extended XMP is one packet cut into chunks: put it together, edit it,
    // and put the chunks back where they were.
    extended.sort_by_key(|(guid, offset, _)| (*guid, *offset));
    for group in extended.chunk_by(|a, b| a.0 == b.0) {
        let mut whole: Vec<u8> = group
            .iter()
            .flat_map(|(_, _, r)| buf[r.clone()].to_vec())
            .collect();
        if xmp_in_place(&mut whole, edit, &mut found) && edit {
            let mut at = 0;
            for (_, _, r) in group {
                buf[r.clone()].copy_from_slice(&whole[at..at + r.len()]);
                at += r.len();
            }
        }
    }
    found
}

/// Finds (and blanks) location properties in an XMP packet. Returns whether
/// it found any.
fn xmp_in_place(packet: &mut [u8], edit: bool, found: &mut Found) -> bool {
    let fields = xmp::location_fields(packet);
    for f in &fields {
        add(found, format!("XMP {f}"));
    }
    if edit && !fields.is_empty() {
        xmp::blank_location(packet);
    }
    !fields.is_empty()
}

/// IPTC-IIM location datasets (record 2: city, sublocation, province, country
/// code and name, location code and name) in a Photoshop IRB, blanked with
/// spaces in place.
fn iptc_location(irb: &mut [u8], edit: bool, found: &mut Found) {
    const WHERE: &[u8] = &[26, 27, 90, 92, 95, 100, 101];
    let mut i = 0;
    while i + 12 <= irb.len() && &irb[i..i + 4] == b"8BIM" {
        let id = u16::from_be_bytes([irb[i + 4], irb[i + 5]]);
        let name_len = irb[i + 6] as usize;
        // Pascal name padded to an even length (length byte included).
        let size_at = i + 6 + ((name_len + 2) & !1);
        let Some(size) = irb
            .get(size_at..size_at + 4)
            .map(|s| u32::from_be_bytes(s.try_into().expect("4")) as usize)
        else {
            return;
        };
        let data = size_at + 4;
        let end = data.saturating_add(size).min(irb.len());
        if id == 0x0404 {
            let mut d = data;
            while d + 5 <= end && irb[d] == 0x1C {
                let (record, dataset) = (irb[d + 1], irb[d + 2]);
                let n = u16::from_be_bytes([irb[d + 3], irb[d + 4]]) as usize;
                if n & 0x8000 != 0 {
                    break; // an extended length: not used for these fields
                }
                let v = (d + 5)..(d + 5 + n).min(end);
                if record == 2
                    && WHERE.contains(&dataset)
                    && irb[v.clone()].iter().any(|&b| b != b' ')
                {
                    add(found, "IPTC location");
                    if edit {
                        irb[v].fill(b' ');
                    }
                }
                d += 5 + n;
            }
        }
        i = data + ((size + 1) & !1);
    }
}

/// `all` for a JPEG whose location is already gone: drops APP1 (EXIF, XMP),
/// APP3–APP13, APP15, comments and the non-ICC, non-MPF APP2 segments; keeps
/// JFIF (APP0), ICC (APP2), MPF (APP2, its offsets moved to match) and Adobe
/// (APP14, it says how to read the colours); puts a 26-byte EXIF with only the
/// Orientation back when it was not 1. The appended images (MPF) are kept.
pub fn jpeg_all(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let mut jpeg = Jpeg::from_bytes(bytes.into()).map_err(|e| e.to_string())?;
    let orientation = jpeg
        .exif()
        .and_then(|e| exif::orientation(&e))
        .filter(|&o| o != 1);
    let keep = |s: &JpegSegment| match s.marker() {
        markers::APP0 | markers::APP14 => true,
        markers::APP2 => {
            s.contents().starts_with(b"ICC_PROFILE\0") || s.contents().starts_with(b"MPF\0")
        }
        m if (markers::APP1..=markers::APP15).contains(&m) || m == markers::COM => false,
        _ => true,
    };
    let mpf = jpeg
        .segments()
        .iter()
        .position(|s| s.marker() == markers::APP2 && s.contents().starts_with(b"MPF\0"));
    let after = |segments: &[JpegSegment], from: usize| -> i64 {
        segments[from..].iter().map(|s| s.len() as i64).sum()
    };
    let old_after = mpf.map(|m| after(jpeg.segments(), m + 1));
    jpeg.segments_mut().retain(keep);
    if let Some(old_after) = old_after {
        let m = jpeg
            .segments()
            .iter()
            .position(|s| s.marker() == markers::APP2 && s.contents().starts_with(b"MPF\0"))
            .expect("MPF is kept");
        let delta = after(jpeg.segments(), m + 1) - old_after;
        if delta != 0 {
            let mut contents = jpeg.segments()[m].contents().to_vec();
            if exif::shift_mpf(&mut contents[4..], delta) {
                jpeg.segments_mut()[m] =
                    JpegSegment::new_with_contents(markers::APP2, contents.into());
            } else {
                // Offsets we cannot fix would point into the wrong place.
                jpeg.segments_mut().remove(m);
            }
        }
    }
    if let Some(o) = orientation {
        // img-parts inserts it after APP0, before MPF, and keeps MPF right.
        jpeg.set_exif(Some(exif::orientation_only(o).into()));
    }
    Ok(jpeg.encoder().bytes().to_vec())
}

// ---------------------------------------------------------------- PNG

const XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp";

/// A text chunk (`tEXt`, `zTXt`, `iTXt`) taken apart: its text (inflated) and
/// how to put it back.
struct Text {
    keyword: Vec<u8>,
    /// Bytes between the keyword's NUL and the text (iTXt flags, language,
    /// translated keyword; zTXt's method byte).
    header: Vec<u8>,
    compressed: bool,
    text: Vec<u8>,
}

fn text_chunk(chunk: &PngChunk) -> Option<Text> {
    let c = chunk.contents();
    let nul = c.iter().position(|&b| b == 0)?;
    let keyword = c[..nul].to_vec();
    let rest = &c[nul + 1..];
    let (header_len, compressed) = match &chunk.kind() {
        b"tEXt" => (0, false),
        b"zTXt" => (1, true),
        b"iTXt" => {
            let compressed = *rest.first()? == 1;
            // flag, method, language\0, translated keyword\0
            let lang = rest.get(2..)?.iter().position(|&b| b == 0)? + 3;
            let tkw = rest.get(lang..)?.iter().position(|&b| b == 0)? + lang + 1;
            (tkw, compressed)
        }
        _ => return None,
    };
    let header = rest.get(..header_len)?.to_vec();
    let body = rest.get(header_len..)?;
    let text = if compressed {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(body)
            .take(64 << 20)
            .read_to_end(&mut out)
            .ok()?;
        out
    } else {
        body.to_vec()
    };
    Some(Text {
        keyword,
        header,
        compressed,
        text,
    })
}

fn text_chunk_bytes(kind: [u8; 4], t: &Text) -> PngChunk {
    let mut c = t.keyword.clone();
    c.push(0);
    c.extend_from_slice(&t.header);
    if t.compressed {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&t.text).expect("writing to a Vec");
        c.extend(z.finish().expect("writing to a Vec"));
    } else {
        c.extend_from_slice(&t.text);
    }
    PngChunk::new(kind, c.into())
}

/// ImageMagick's "Raw profile type exif/APP1/xmp" text: a name line, a length
/// line, then the bytes in hex. Calls `f` on the decoded bytes and writes them
/// back over the same hex digits. Returns what `f` returned.
fn raw_profile(text: &mut [u8], f: impl FnOnce(&mut [u8]) -> bool) -> bool {
    // Skip "\n<name>\n<spaces><length>\n".
    let mut lines = 0;
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' {
            lines += 1;
            if lines == 3 {
                start = i + 1;
                break;
            }
        }
    }
    if lines < 3 {
        return false;
    }
    let digits: Vec<usize> = (start..text.len())
        .filter(|&i| text[i].is_ascii_hexdigit())
        .collect();
    let hex = |b: u8| (b as char).to_digit(16).expect("hex digit") as u8;
    let mut bytes: Vec<u8> = digits
        .chunks_exact(2)
        .map(|p| hex(text[p[0]]) << 4 | hex(text[p[1]]))
        .collect();
    if !f(&mut bytes) {
        return false;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (p, b) in digits.chunks_exact(2).zip(bytes) {
        text[p[0]] = HEX[(b >> 4) as usize];
        text[p[1]] = HEX[(b & 15) as usize];
    }
    true
}

/// Finds (and with `edit`, removes) the location in a PNG: `eXIf`, XMP in
/// `iTXt`, and ImageMagick's raw EXIF/XMP profiles in text chunks. Changed
/// chunks get a new CRC; IDAT is not touched. `Ok(None)`: nothing to change.
pub fn png_location(
    bytes: &[u8],
    edit: bool,
    found: &mut Found,
) -> Result<Option<Vec<u8>>, String> {
    let mut png = Png::from_bytes(Bytes::copy_from_slice(bytes)).map_err(|e| e.to_string())?;
    let mut changed = false;
    for chunk in png.chunks_mut() {
        let kind = chunk.kind();
        if &kind == b"eXIf" {
            let mut c = chunk.contents().to_vec();
            let Some(s) = exif::tiff_start(&c) else {
                continue;
            };
            if exif::has_location(&c[s..]) {
                add(found, "EXIF GPS");
                if edit {
                    exif::remove_gps(&mut c[s..]);
                    *chunk = PngChunk::new(kind, c.into());
                    changed = true;
                }
            }
            continue;
        }
        let Some(mut t) = text_chunk(chunk) else {
            continue;
        };
        let hit = if t.keyword == XMP_KEYWORD {
            xmp_in_place(&mut t.text, edit, found)
        } else if t.keyword.starts_with(b"Raw profile type ") {
            let name = t.keyword[17..].to_ascii_lowercase();
            let mut local = Found::new();
            let hit = raw_profile(&mut t.text, |b| match name.as_slice() {
                b"exif" | b"app1" => {
                    let s = exif::tiff_start(b).unwrap_or(b.len());
                    let tiff = &mut b[s..];
                    let located = exif::has_location(tiff);
                    if located {
                        add(&mut local, "EXIF GPS");
                        if edit {
                            exif::remove_gps(tiff);
                        }
                    }
                    located
                }
                b"xmp" => xmp_in_place(b, edit, &mut local),
                _ => false,
            });
            local.into_iter().for_each(|l| add(found, l));
            hit
        } else {
            false
        };
        if hit && edit {
            *chunk = text_chunk_bytes(kind, &t);
            changed = true;
        }
    }
    Ok(changed.then(|| png.encoder().bytes().to_vec()))
}

/// `all` for a PNG: drops `eXIf`, every text chunk (tEXt, zTXt, iTXt: XMP,
/// comments, raw profiles) and `tIME`; keeps iCCP, sRGB, gAMA, cHRM, pHYs and
/// the rest; puts an `eXIf` with only the Orientation back when it was not 1.
pub fn png_all(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let mut png = Png::from_bytes(bytes.into()).map_err(|e| e.to_string())?;
    let orientation = png
        .exif()
        .and_then(|e| exif::tiff_start(&e).and_then(|s| exif::orientation(&e[s..])))
        .filter(|&o| o != 1);
    png.chunks_mut()
        .retain(|c| !matches!(&c.kind(), b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME"));
    png.set_exif(orientation.map(|o| exif::orientation_only(o).into()));
    Ok(png.encoder().bytes().to_vec())
}

// ---------------------------------------------------------------- WebP

/// Finds (and with `edit`, removes) the location in a WebP's `EXIF` and `XMP `
/// chunks, in place (RIFF has no checksums; lengths do not change).
pub fn webp_location(
    bytes: &[u8],
    edit: bool,
    found: &mut Found,
) -> Result<Option<Vec<u8>>, String> {
    let mut webp = WebP::from_bytes(Bytes::copy_from_slice(bytes)).map_err(|e| e.to_string())?;
    let mut changed = false;
    for chunk in webp.chunks_mut() {
        let id = chunk.id();
        let Some(data) = chunk.content().data() else {
            continue;
        };
        let mut c = data.to_vec();
        let hit = match id {
            CHUNK_EXIF => match exif::tiff_start(&c) {
                Some(s) if exif::has_location(&c[s..]) => {
                    add(found, "EXIF GPS");
                    exif::remove_gps(&mut c[s..])
                }
                _ => false,
            },
            CHUNK_XMP => xmp_in_place(&mut c, edit, found),
            _ => false,
        };
        if hit && edit {
            *chunk = RiffChunk::new(id, RiffContent::Data(c.into()));
            changed = true;
        }
    }
    Ok(changed.then(|| webp.encoder().bytes().to_vec()))
}

/// `all` for a WebP: drops `EXIF` and `XMP ` (the VP8X flags follow); keeps
/// ICCP, animation and alpha; an EXIF with only the Orientation when not 1.
pub fn webp_all(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let mut webp = WebP::from_bytes(bytes.into()).map_err(|e| e.to_string())?;
    let orientation = webp
        .exif()
        .and_then(|e| exif::tiff_start(&e).and_then(|s| exif::orientation(&e[s..])))
        .filter(|&o| o != 1);
    webp.remove_chunks_by_id(CHUNK_XMP);
    // set_exif also fixes the VP8X flags (or drops VP8X when nothing needs it).
    webp.set_exif(orientation.map(|o| exif::orientation_only(o).into()));
    Ok(webp.encoder().bytes().to_vec())
}

// ---------------------------------------------------------------- others

/// Other containers (AVIF/HEIF boxes, TIFF), read as plain bytes: EXIF blocks
/// with a GPS IFD and XMP packets are edited in place, lengths unchanged.
/// A TIFF file is itself one EXIF-like block.
pub fn bytes_location(buf: &mut [u8], whole_is_tiff: bool, edit: bool) -> Found {
    let mut found = Found::new();
    if whole_is_tiff && exif::has_location(buf) {
        add(&mut found, "EXIF GPS");
        if edit {
            exif::remove_gps(buf);
        }
    }
    if !whole_is_tiff {
        // With or without an `Exif\0\0` prefix (HEIF writers differ): any TIFF
        // header whose IFDs parse and hold GPS coordinates.
        for magic in [&b"II*\0"[..], b"MM\0*"] {
            let mut from = 0;
            while let Some(p) = find_bytes(&buf[from..], magic).map(|p| from + p) {
                let tiff = &mut buf[p..];
                if exif::has_location(tiff) {
                    add(&mut found, "EXIF GPS");
                    if edit {
                        exif::remove_gps(tiff);
                    }
                }
                from = p + magic.len();
            }
        }
    }
    for range in xmp::packets(buf) {
        xmp_in_place(&mut buf[range], edit, &mut found);
    }
    found
}
