//! The properties every scan + splice keeps, checked by the property tests
//! (tests/properties.rs) and the cargo-fuzz targets (fuzz/): no panic; the
//! output differs from the input only inside reference spans; a second pass
//! changes nothing; each new URL parses back to itself; the output parses to
//! the same pulldown-cmark events but for the destinations.

use crate::resolve::{Url, classify};
use crate::rewrite::{Replacement, replacement, splice, stable};
use crate::scan::{Flavor, Reference, markdown_options, scan};

/// The stand-in public URL of a local path: remote, and a pure function of
/// the path so a second pass can be compared with the first.
pub fn public_url(path: &str) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in path.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("https://cdn.example.com/img/{h:016x}.png")
}

/// What r2filter does to a document, minus the network: every local image
/// reference replaced by its URL (query and fragment kept), encoded for its
/// context, spliced into the source.
pub fn rewrite(doc: &str, flavor: Flavor) -> (String, Vec<Reference>, Vec<Replacement>) {
    // Documents whose front matter does not parse are refused, not rewritten.
    let refs = scan(doc, &flavor.into())
        .map(|s| s.references)
        .unwrap_or_default();
    let reps: Vec<Replacement> = refs
        .iter()
        .filter_map(|r| match classify(&r.url, r.context) {
            Url::Local { path, suffix } => Some(Replacement {
                span: r.span.clone(),
                text: replacement(
                    r.context,
                    &format!("{}{suffix}", public_url(&path)),
                    &doc[r.span.clone()],
                ),
            }),
            Url::Skip(_) => None,
        })
        .collect();
    let out = splice(doc, &reps);
    (out, refs, reps)
}

/// Checks every property on `doc`; the first violation, explained.
pub fn check(doc: &str, flavor: Flavor) -> Result<(), String> {
    // Refused (front matter or MDX that does not parse, or a rewrite that
    // would change the text around it): nothing is rewritten.
    let opts = flavor.into();
    let refused = match scan(doc, &opts) {
        Ok(found) => stable(doc, &opts, &found).is_err(),
        Err(_) => true,
    };
    if refused {
        return Ok(());
    }
    let (out, refs, reps) = rewrite(doc, flavor);
    check_output(doc, flavor, &out, &refs, &reps)
}

/// The properties of `out`, a rewrite of `doc` with these references and
/// replacements (separate so a test can hand it a broken rewrite).
pub fn check_output(
    doc: &str,
    flavor: Flavor,
    out: &str,
    refs: &[Reference],
    reps: &[Replacement],
) -> Result<(), String> {
    // Spans: in bounds, on char boundaries, sorted, disjoint.
    let mut at = 0;
    for r in refs {
        if r.span.start < at || r.span.end > doc.len() || r.span.start > r.span.end {
            return Err(format!("bad span {:?} after {at} in {doc:?}", r.span));
        }
        if !doc.is_char_boundary(r.span.start) || !doc.is_char_boundary(r.span.end) {
            return Err(format!("span {:?} splits a character in {doc:?}", r.span));
        }
        at = r.span.end;
    }

    // Outside the replaced spans, the output is the input byte for byte.
    let mut i = 0; // in doc
    let mut o = 0; // in out
    for rep in reps {
        let gap = &doc[i..rep.span.start];
        if out.get(o..o + gap.len()) != Some(gap) {
            return Err(format!(
                "bytes before {:?} changed: {doc:?} -> {out:?}",
                rep.span
            ));
        }
        o += gap.len();
        if out.get(o..o + rep.text.len()) != Some(rep.text.as_str()) {
            return Err(format!("replacement at {:?} missing in {out:?}", rep.span));
        }
        o += rep.text.len();
        i = rep.span.end;
    }
    if out.get(o..) != Some(&doc[i..]) {
        return Err(format!("tail changed: {doc:?} -> {out:?}"));
    }

    // Idempotent: the output has no local reference left to rewrite.
    let (twice, _, reps2) = rewrite(out, flavor);
    if twice != out {
        return Err(format!(
            "not idempotent: {doc:?} -> {out:?} -> {twice:?} (rewrote {:?})",
            reps2
                .iter()
                .map(|r| &out[r.span.clone()])
                .collect::<Vec<_>>()
        ));
    }

    // Each new URL parses back to itself where it was written: scanning the
    // output finds the same references, local ones now at their URLs.
    let found: Vec<String> = scan(out, &flavor.into())
        .map_err(|e| format!("the output does not scan: {e}: {out:?}"))?
        .references
        .into_iter()
        .map(|r| r.url)
        .collect();
    let expected: Vec<String> = refs
        .iter()
        .map(|r| match classify(&r.url, r.context) {
            Url::Local { path, suffix } => format!("{}{suffix}", public_url(&path)),
            Url::Skip(_) => r.url.clone(),
        })
        .collect();
    if found != expected {
        return Err(format!(
            "references changed: {doc:?} -> {out:?}\n  found    {found:?}\n  expected {expected:?}"
        ));
    }

    // The Markdown structure is unchanged: the same events, but for image and
    // link destinations (and the raw HTML whose attributes were rewritten).
    if flavor == Flavor::Markdown && events(doc) != events(out) {
        return Err(format!(
            "structure changed: {doc:?} -> {out:?}\n  {:?}\n  {:?}",
            events(doc),
            events(out)
        ));
    }
    Ok(())
}

/// pulldown-cmark's events with destinations, raw HTML and front matter
/// blanked.
fn events(doc: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut in_front_matter = false;
    // Front matter as the scanner reads it (after a BOM or blank lines too)
    // is blanked, at the same offsets.
    let masked = crate::scan::frontmatter::detect(doc).map(|b| b.mask(doc));
    Parser::new_ext(masked.as_deref().unwrap_or(doc), markdown_options())
        .map(|e| match e {
            Event::Start(Tag::MetadataBlock(k)) => {
                in_front_matter = true;
                format!("MetadataBlock({k:?})")
            }
            Event::End(TagEnd::MetadataBlock(k)) => {
                in_front_matter = false;
                format!("/MetadataBlock({k:?})")
            }
            // Front-matter values are rewritten: blank them.
            Event::Text(_) if in_front_matter => "FrontMatter".into(),
            Event::Start(Tag::Image {
                link_type,
                title,
                id,
                ..
            }) => format!("Image({link_type:?}, {title:?}, {id:?})"),
            Event::Start(Tag::Link {
                link_type,
                title,
                id,
                ..
            }) => format!("Link({link_type:?}, {title:?}, {id:?})"),
            Event::Html(_) => "Html".into(),
            Event::InlineHtml(_) => "InlineHtml".into(),
            other => format!("{other:?}"),
        })
        .collect()
}
