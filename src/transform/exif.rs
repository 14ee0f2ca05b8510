//! EXIF (a TIFF structure) edited in place: the GPS IFD is cut out without
//! moving a byte, so every other offset in the block (maker notes, the
//! thumbnail, the Exif IFD) stays valid and the block keeps its length.
//!
//! No crate edits EXIF this way: the writers (kamadak-exif's experimental
//! writer, little_exif) re-serialize the whole block, which breaks maker notes
//! that hold absolute offsets. The tests check the result with kamadak-exif,
//! an independent reader.

/// Tag of the pointer to the GPS IFD.
const GPS_POINTER: u16 = 0x8825;
/// Tag of the pointer to the Exif IFD.
const EXIF_POINTER: u16 = 0x8769;
/// Tag of Orientation (IFD0, SHORT).
const ORIENTATION: u16 = 0x0112;
/// GPS tags that say where: latitude/longitude (and their refs), the
/// destination's, the area's name and the H-positioning error's companions.
const GPS_WHERE: &[u16] = &[1, 2, 3, 4, 0x13, 0x14, 0x15, 0x16, 0x1B, 0x1C];

/// A TIFF header's byte order.
#[derive(Clone, Copy)]
struct Order {
    le: bool,
}

impl Order {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }
}

/// Where a TIFF block starts in `data`: right away, or after an `Exif\0\0`
/// prefix (PNG `eXIf` and WebP `EXIF` are written both ways).
pub fn tiff_start(data: &[u8]) -> Option<usize> {
    [0, 6]
        .into_iter()
        .find(|&s| order(data.get(s..).unwrap_or_default()).is_some())
}

fn order(tiff: &[u8]) -> Option<Order> {
    match tiff.get(..4)? {
        b"II*\0" => Some(Order { le: true }),
        b"MM\0*" => Some(Order { le: false }),
        _ => None,
    }
}

/// Bytes per value of a TIFF field type (0 for unknown types).
fn type_size(kind: u16) -> usize {
    match kind {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => 0,
    }
}

/// One IFD entry: where it is, its tag, type, count and value/offset field.
struct Field {
    at: usize,
    tag: u16,
    kind: u16,
    count: u32,
    value: u32,
}

/// The entries of the IFD at `ifd`, and the offset of the next IFD. `None`
/// when the IFD does not fit in the block.
fn read_ifd(tiff: &[u8], o: Order, ifd: usize) -> Option<(Vec<Field>, u32)> {
    let n = o.u16(tiff, ifd)? as usize;
    let end = ifd.checked_add(2 + 12 * n + 4)?;
    if end > tiff.len() {
        return None;
    }
    let fields = (0..n)
        .map(|i| {
            let at = ifd + 2 + 12 * i;
            Field {
                at,
                tag: o.u16(tiff, at).unwrap_or(0),
                kind: o.u16(tiff, at + 2).unwrap_or(0),
                count: o.u32(tiff, at + 4).unwrap_or(0),
                value: o.u32(tiff, at + 8).unwrap_or(0),
            }
        })
        .collect();
    Some((fields, o.u32(tiff, end - 4)?))
}

/// The IFDs that may hold the GPS pointer: the IFD chain from IFD0 (bounded),
/// and the Exif IFD (some writers put it there).
fn pointer_ifds(tiff: &[u8], o: Order) -> Vec<usize> {
    let mut out = Vec::new();
    let mut next = o.u32(tiff, 4).unwrap_or(0) as usize;
    while next != 0 && out.len() < 8 && !out.contains(&next) {
        let Some((fields, following)) = read_ifd(tiff, o, next) else {
            break;
        };
        out.push(next);
        for f in &fields {
            let sub = f.value as usize;
            if f.tag == EXIF_POINTER && sub != 0 && !out.contains(&sub) {
                out.push(sub);
            }
        }
        next = following as usize;
    }
    out.retain(|&ifd| read_ifd(tiff, o, ifd).is_some());
    out
}

/// Whether the TIFF block at `tiff` records where it was taken: a GPS IFD with
/// coordinates or an area name (a GPS IFD holding only a version or a time is
/// not a location).
pub fn has_location(tiff: &[u8]) -> bool {
    let Some(o) = order(tiff) else { return false };
    pointer_ifds(tiff, o).into_iter().any(|ifd| {
        read_ifd(tiff, o, ifd).is_some_and(|(fields, _)| {
            fields
                .iter()
                .filter(|f| f.tag == GPS_POINTER)
                .any(|f| gps_has_where(tiff, o, f.value as usize))
        })
    })
}

fn gps_has_where(tiff: &[u8], o: Order, gps: usize) -> bool {
    read_ifd(tiff, o, gps)
        .is_some_and(|(fields, _)| fields.iter().any(|f| GPS_WHERE.contains(&f.tag)))
}

/// Cuts the GPS IFD out of the TIFF block in place, keeping its length: the
/// pointer entry leaves its IFD (the entries after it move up one slot), and
/// the GPS IFD and the values it points to are zeroed. Returns whether
/// anything was removed.
pub fn remove_gps(tiff: &mut [u8]) -> bool {
    let Some(o) = order(tiff) else { return false };
    let mut removed = false;
    for ifd in pointer_ifds(tiff, o) {
        // Re-read each time: removing an entry shifts the ones after it.
        while let Some(f) = read_ifd(tiff, o, ifd)
            .and_then(|(fields, _)| fields.into_iter().find(|f| f.tag == GPS_POINTER))
        {
            zero_ifd(tiff, o, f.value as usize);
            remove_entry(tiff, o, ifd, f.at);
            removed = true;
        }
    }
    removed
}

/// Zeroes the IFD at `ifd` and the out-of-line values of its entries.
fn zero_ifd(tiff: &mut [u8], o: Order, ifd: usize) {
    let Some((fields, _)) = read_ifd(tiff, o, ifd) else {
        return;
    };
    for f in &fields {
        let len = type_size(f.kind).saturating_mul(f.count as usize);
        if len > 4 {
            let start = f.value as usize;
            // Never the header, never past the end.
            if start >= 8 && start.saturating_add(len) <= tiff.len() {
                tiff[start..start + len].fill(0);
            }
        }
    }
    let end = ifd + 2 + 12 * fields.len() + 4;
    tiff[ifd..end].fill(0);
}

/// Removes the entry at `at` from the IFD at `ifd`: the entries after it and
/// the next-IFD offset move up 12 bytes, the freed last 12 bytes are zeroed.
fn remove_entry(tiff: &mut [u8], o: Order, ifd: usize, at: usize) {
    let n = o.u16(tiff, ifd).unwrap_or(0);
    let end = ifd + 2 + 12 * n as usize + 4;
    tiff.copy_within(at + 12..end, at);
    tiff[end - 12..end].fill(0);
    let count = if o.le {
        (n - 1).to_le_bytes()
    } else {
        (n - 1).to_be_bytes()
    };
    tiff[ifd..ifd + 2].copy_from_slice(&count);
}

/// The Orientation in IFD0 (1–8), if the block has one.
pub fn orientation(tiff: &[u8]) -> Option<u16> {
    let o = order(tiff)?;
    let ifd0 = o.u32(tiff, 4)? as usize;
    let (fields, _) = read_ifd(tiff, o, ifd0)?;
    let f = fields
        .iter()
        .find(|f| f.tag == ORIENTATION && f.kind == 3)?;
    let v = o.u16(tiff, f.at + 8)?;
    (1..=8).contains(&v).then_some(v)
}

/// A minimal TIFF block holding only `Orientation = value` (26 bytes).
pub fn orientation_only(value: u16) -> Vec<u8> {
    let mut b = Vec::with_capacity(26);
    b.extend_from_slice(b"MM\0*");
    b.extend_from_slice(&8u32.to_be_bytes());
    b.extend_from_slice(&1u16.to_be_bytes());
    b.extend_from_slice(&ORIENTATION.to_be_bytes());
    b.extend_from_slice(&3u16.to_be_bytes());
    b.extend_from_slice(&1u32.to_be_bytes());
    b.extend_from_slice(&value.to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&0u32.to_be_bytes());
    b
}

/// Moves the other images an MPF segment (JPEG APP2 `MPF\0` + TIFF) lists by
/// `delta` bytes, after the segments between it and the end of the first
/// image changed size. Offsets are relative to the MPF TIFF header; the first
/// image's (0) stays. Returns `false` when the MPF block does not parse.
pub fn shift_mpf(tiff: &mut [u8], delta: i64) -> bool {
    const MP_ENTRY: u16 = 0xB002;
    let Some(o) = order(tiff) else { return false };
    let Some(ifd0) = o.u32(tiff, 4) else {
        return false;
    };
    let Some((fields, _)) = read_ifd(tiff, o, ifd0 as usize) else {
        return false;
    };
    let Some(f) = fields.iter().find(|f| f.tag == MP_ENTRY) else {
        return false;
    };
    let (start, n) = (f.value as usize, f.count as usize / 16);
    if start.saturating_add(16 * n) > tiff.len() {
        return false;
    }
    for i in 0..n {
        let at = start + 16 * i + 8;
        let Some(offset) = o.u32(tiff, at) else {
            return false;
        };
        if offset == 0 {
            continue;
        }
        let Ok(moved) = u32::try_from(offset as i64 + delta) else {
            return false;
        };
        let bytes = if o.le {
            moved.to_le_bytes()
        } else {
            moved.to_be_bytes()
        };
        tiff[at..at + 4].copy_from_slice(&bytes);
    }
    true
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A little TIFF block: IFD0 with Make, Orientation 6 and the GPS pointer;
    /// a GPS IFD with a version and latitude/longitude rationals.
    pub fn sample(le: bool) -> Vec<u8> {
        let o = Order { le };
        let mut b = Vec::new();
        let u16b = |v: u16| {
            if o.le {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let u32b = |v: u32| {
            if o.le {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        b.extend_from_slice(if le { b"II*\0" } else { b"MM\0*" });
        b.extend_from_slice(&u32b(8));
        // IFD0 at 8: 3 entries → ends at 8 + 2 + 36 + 4 = 50.
        b.extend_from_slice(&u16b(3));
        let entry = |b: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            b.extend_from_slice(&u16b(tag));
            b.extend_from_slice(&u16b(kind));
            b.extend_from_slice(&u32b(count));
            b.extend_from_slice(&value);
        };
        entry(&mut b, 0x010F, 2, 4, *b"Cam\0");
        let mut v = [0u8; 4];
        v[..2].copy_from_slice(&u16b(6));
        entry(&mut b, ORIENTATION, 3, 1, v);
        entry(&mut b, GPS_POINTER, 4, 1, u32b(50));
        b.extend_from_slice(&u32b(0));
        // GPS IFD at 50: 3 entries → ends at 50 + 42 = 92; values after.
        b.extend_from_slice(&u16b(3));
        entry(&mut b, 0, 1, 4, [2, 3, 0, 0]);
        entry(&mut b, 1, 2, 2, *b"N\0\0\0");
        entry(&mut b, 2, 5, 3, u32b(92));
        b.extend_from_slice(&u32b(0));
        for (n, d) in [(51u32, 1u32), (30, 1), (0, 1)] {
            b.extend_from_slice(&u32b(n));
            b.extend_from_slice(&u32b(d));
        }
        b
    }

    #[test]
    fn removes_gps_in_place_and_keeps_the_rest() {
        for le in [true, false] {
            let mut t = sample(le);
            let len = t.len();
            assert!(has_location(&t));
            assert_eq!(orientation(&t), Some(6));
            assert!(remove_gps(&mut t));
            assert_eq!(t.len(), len);
            assert!(!has_location(&t));
            assert_eq!(orientation(&t), Some(6));
            // The GPS IFD and its rationals are gone, byte for byte.
            assert!(t[50..].iter().all(|&b| b == 0));
            // An independent reader sees Make and Orientation, and no GPS.
            let exif = ::exif::Reader::new().read_raw(t.clone()).unwrap();
            let tags: Vec<_> = exif.fields().map(|f| f.tag).collect();
            assert_eq!(tags, [::exif::Tag::Make, ::exif::Tag::Orientation]);
            assert!(!remove_gps(&mut t), "nothing left to remove");
        }
    }

    #[test]
    fn gps_without_coordinates_is_no_location() {
        let mut t = sample(true);
        // Drop the latitude entries: count 3 → 1 (version only).
        t[50] = 1;
        assert!(!has_location(&t));
    }

    #[test]
    fn garbage_never_panics() {
        let t = sample(false);
        for cut in 0..t.len() {
            let mut part = t[..cut].to_vec();
            let _ = has_location(&part);
            let _ = remove_gps(&mut part);
            let _ = orientation(&part);
            let _ = shift_mpf(&mut part, -7);
        }
        let mut loops = sample(true);
        loops[46..50].copy_from_slice(&8u32.to_le_bytes()); // IFD0 → IFD0
        assert!(remove_gps(&mut loops));
    }

    #[test]
    fn orientation_only_block_reads_back() {
        let t = orientation_only(6);
        assert_eq!(t.len(), 26);
        assert_eq!(orientation(&t), Some(6));
        let exif = ::exif::Reader::new().read_raw(t).unwrap();
        let f = exif
            .get_field(::exif::Tag::Orientation, ::exif::In::PRIMARY)
            .unwrap();
        assert_eq!(f.value.get_uint(0), Some(6));
    }
}
