//! XMP location fields, found with a namespace-aware XML reader (quick-xml)
//! and blanked in place: each location property — an attribute
//! (`exif:GPSLatitude="…"`) or an element with everything inside it
//! (`<Iptc4xmpExt:LocationCreated>…</…>`) — is overwritten with spaces. The
//! packet keeps its length and stays well-formed XML (whitespace between
//! attributes and between elements means nothing), so no container offset,
//! length or checksum moves.

use quick_xml::events::Event;
use quick_xml::name::{QName, ResolveResult};
use quick_xml::reader::NsReader;

const EXIF: &[u8] = b"http://ns.adobe.com/exif/1.0/";
const PHOTOSHOP: &[u8] = b"http://ns.adobe.com/photoshop/1.0/";
const IPTC_CORE: &[u8] = b"http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/";
const IPTC_EXT: &[u8] = b"http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
const DJI: &[u8] = b"http://www.dji.com/drone-dji/1.0/";

/// Whether the property `local` in namespace `ns` says where a photo was taken.
fn is_location(ns: &[u8], local: &[u8]) -> bool {
    match ns {
        EXIF => local.starts_with(b"GPS"),
        PHOTOSHOP => matches!(local, b"City" | b"State" | b"Country"),
        IPTC_CORE => matches!(local, b"Location" | b"CountryCode"),
        IPTC_EXT => matches!(local, b"LocationCreated" | b"LocationShown"),
        DJI => local.starts_with(b"Gps"),
        _ => false,
    }
}

/// A short name for a property, as reports show it (`exif:GPSLatitude`).
fn label(ns: &[u8], local: &[u8]) -> String {
    let prefix = match ns {
        EXIF => "exif",
        PHOTOSHOP => "photoshop",
        IPTC_CORE => "Iptc4xmpCore",
        IPTC_EXT => "Iptc4xmpExt",
        DJI => "drone-dji",
        _ => "?",
    };
    format!("{prefix}:{}", String::from_utf8_lossy(local))
}

/// The location properties of the XMP packet `xml` (its byte ranges, and a
/// label for each). `Err` when the XML does not parse.
fn find(xml: &[u8]) -> Result<Vec<(std::ops::Range<usize>, String)>, ()> {
    let mut reader = NsReader::from_reader(xml);
    let mut found = Vec::new();
    loop {
        let start = reader.buffer_position() as usize;
        let (ns, event) = reader.read_resolved_event().map_err(|_| ())?;
        let (e, is_start) = match event {
            Event::Eof => return Ok(found),
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            _ => continue,
        };
        let element = match ns {
            ResolveResult::Bound(ns) if is_location(ns.as_ref(), e.local_name().as_ref()) => {
                Some(label(ns.as_ref(), e.local_name().as_ref()))
            }
            _ => None,
        };
        let end = reader.buffer_position() as usize;
        if let Some(label) = element {
            let to = if is_start {
                reader.read_to_end(e.name()).map_err(|_| ())?;
                reader.buffer_position() as usize
            } else {
                end
            };
            found.push((start..to, label));
            continue;
        }
        for (name, range) in attributes(&xml[start..end]) {
            let (ns, local) = reader.resolver().resolve_attribute(QName(name));
            if let ResolveResult::Bound(ns) = ns
                && is_location(ns.as_ref(), local.as_ref())
            {
                found.push((
                    start + range.start..start + range.end,
                    label(ns.as_ref(), local.as_ref()),
                ));
            }
        }
    }
}

/// The attributes of a start tag `<name a="1" b='2'>` as (name, range of
/// `name="value"`) pairs. The tag has already been read by the XML reader,
/// so it is well-formed.
fn attributes(tag: &[u8]) -> Vec<(&[u8], std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let is_space = |b: u8| b.is_ascii_whitespace();
    let mut i = 1;
    // Skip the element name.
    while i < tag.len() && !is_space(tag[i]) && tag[i] != b'>' && tag[i] != b'/' {
        i += 1;
    }
    loop {
        while i < tag.len() && is_space(tag[i]) {
            i += 1;
        }
        let name_start = i;
        while i < tag.len() && !is_space(tag[i]) && !matches!(tag[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        if i == name_start {
            return out;
        }
        let name_end = i;
        while i < tag.len() && (is_space(tag[i]) || tag[i] == b'=') {
            i += 1;
        }
        let Some(&quote) = tag.get(i).filter(|&&q| q == b'"' || q == b'\'') else {
            return out;
        };
        let Some(close) = tag[i + 1..].iter().position(|&b| b == quote) else {
            return out;
        };
        i += close + 2;
        out.push((&tag[name_start..name_end], name_start..i));
    }
}

/// The location properties named in the XMP packet `xml` (empty when there
/// are none). A packet that does not parse but mentions a location property
/// counts as located.
pub fn location_fields(xml: &[u8]) -> Vec<String> {
    match find(xml) {
        Ok(found) => found.into_iter().map(|(_, l)| l).collect(),
        Err(()) if mentions_location(xml) => vec!["XMP (unreadable)".into()],
        Err(()) => Vec::new(),
    }
}

fn mentions_location(xml: &[u8]) -> bool {
    [
        &b"GPSLatitude"[..],
        b"GPSLongitude",
        b"photoshop:City",
        b"LocationCreated",
    ]
    .iter()
    .any(|needle| xml.windows(needle.len()).any(|w| w == *needle))
}

/// Blanks the location properties of the XMP packet `xml` in place. A packet
/// that does not parse but mentions a location is blanked whole (still valid:
/// an empty packet). Returns whether anything changed.
pub fn blank_location(xml: &mut [u8]) -> bool {
    match find(xml) {
        Ok(found) => {
            for (range, _) in &found {
                xml[range.clone()].fill(b' ');
            }
            !found.is_empty()
        }
        Err(()) if mentions_location(xml) => {
            xml.fill(b' ');
            true
        }
        Err(()) => false,
    }
}

/// Byte ranges of the XMP packets in `data` (`<x:xmpmeta` … `</x:xmpmeta>`),
/// for containers read as plain bytes.
pub fn packets(data: &[u8]) -> Vec<std::ops::Range<usize>> {
    const OPEN: &[u8] = b"<x:xmpmeta";
    const CLOSE: &[u8] = b"</x:xmpmeta>";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(s) = find_bytes(&data[from..], OPEN).map(|p| from + p) {
        let Some(e) = find_bytes(&data[s..], CLOSE).map(|p| s + p + CLOSE.len()) else {
            break;
        };
        out.push(s..e);
        from = e;
    }
    out
}

pub(crate) fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const SAMPLE: &str = r#"<?xpacket begin="﻿" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:ps="http://ns.adobe.com/photoshop/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmp:Rating="5" exif:GPSLatitude="51,30.1234N" ps:City='London'
    exif:GPSLongitude="0,7.5W">
   <ps:State>England</ps:State>
   <Iptc4xmpExt:LocationCreated>
    <rdf:Bag><rdf:li rdf:parseType="Resource"><Iptc4xmpExt:City>London</Iptc4xmpExt:City></rdf:li></rdf:Bag>
   </Iptc4xmpExt:LocationCreated>
   <exif:GPSAltitude/>
   <xmp:CreatorTool>Camera</xmp:CreatorTool>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#;

    #[test]
    fn finds_location_by_namespace_not_prefix() {
        let fields = location_fields(SAMPLE.as_bytes());
        assert_eq!(
            fields,
            [
                "exif:GPSLatitude",
                "photoshop:City",
                "exif:GPSLongitude",
                "photoshop:State",
                "Iptc4xmpExt:LocationCreated",
                "exif:GPSAltitude",
            ]
        );
    }

    #[test]
    fn blanks_in_place_and_keeps_the_rest() {
        let mut xml = SAMPLE.as_bytes().to_vec();
        assert!(blank_location(&mut xml));
        assert_eq!(xml.len(), SAMPLE.len());
        let text = String::from_utf8(xml.clone()).unwrap();
        for gone in ["GPS", "London", "England", "Location", "City"] {
            assert!(!text.contains(gone), "{gone} left in {text}");
        }
        for kept in [
            "xmp:Rating=\"5\"",
            "<xmp:CreatorTool>Camera</xmp:CreatorTool>",
        ] {
            assert!(text.contains(kept), "{kept} lost");
        }
        // Still XML, and nothing more to find.
        assert_eq!(find(&xml).unwrap(), []);
        assert!(!blank_location(&mut xml));
    }

    #[test]
    fn packets_are_found_in_plain_bytes() {
        let data = [b"junk\0".as_slice(), SAMPLE.as_bytes(), b"\0tail"].concat();
        let p = packets(&data);
        assert_eq!(p.len(), 1);
        assert!(data[p[0].clone()].starts_with(b"<x:xmpmeta"));
        assert!(data[p[0].clone()].ends_with(b"</x:xmpmeta>"));
    }

    #[test]
    fn broken_xml_with_a_location_is_blanked_whole() {
        let mut xml = b"<x:xmpmeta><a exif:GPSLatitude='1'></b>".to_vec();
        assert_eq!(location_fields(&xml), ["XMP (unreadable)"]);
        assert!(blank_location(&mut xml));
        assert!(xml.iter().all(|&b| b == b' '));
        let mut plain = b"<x:xmpmeta><a></b>".to_vec();
        assert!(!blank_location(&mut plain));
    }
}
