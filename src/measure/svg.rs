//! An SVG's size as an `<img>` shows it: the root element's `width` and
//! `height` in absolute units, the missing one from the `viewBox`'s aspect
//! ratio, or the `viewBox`'s own width and height when neither is given (as
//! the npm `image-size` package reads it, which Next.js and Astro build on).
//! A percentage (`width="100%"`) is no size of its own.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::Size;

/// Elements before the root `<svg>` that are read past (a prolog can hold
/// comments and processing instructions, never elements).
const MAX_EVENTS: usize = 64;

pub(super) fn size(bytes: &[u8]) -> Result<Size, String> {
    let mut reader = Reader::from_reader(bytes);
    for _ in 0..MAX_EVENTS {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                if e.local_name().as_ref() != b"svg" {
                    return Err("its root element is not <svg>".into());
                }
                let (mut width, mut height, mut view_box) = (None, None, None);
                for attr in e.attributes().with_checks(false).flatten() {
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?;
                    match attr.key.local_name().as_ref() {
                        b"width" => width = length(&value),
                        b"height" => height = length(&value),
                        b"viewBox" => view_box = self::view_box(&value),
                        _ => {}
                    }
                }
                return from_parts(width, height, view_box);
            }
            Ok(Event::Eof) => return Err("no <svg> element".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("it is not well-formed XML ({e})")),
        }
    }
    Err("no <svg> element near its start".into())
}

fn from_parts(
    width: Option<f64>,
    height: Option<f64>,
    view_box: Option<(f64, f64)>,
) -> Result<Size, String> {
    let (w, h) = match (width, height, view_box) {
        (Some(w), Some(h), _) => (w, h),
        (Some(w), None, Some((vw, vh))) => (w, w * vh / vw),
        (None, Some(h), Some((vw, vh))) => (h * vw / vh, h),
        (None, None, Some((vw, vh))) => (vw, vh),
        _ => {
            return Err(
                "its <svg> has no width and height in absolute units, and no viewBox".into(),
            );
        }
    };
    let px = |v: f64| v.round().clamp(1.0, f64::from(u32::MAX)) as u32;
    Ok(Size {
        width: px(w),
        height: px(h),
    })
}

/// A length in CSS pixels: a number with an absolute unit (or none, which
/// is pixels); `em`/`ex` at the browser's default 16px font. `None` for a
/// percentage, `auto`, zero or anything else.
fn length(value: &str) -> Option<f64> {
    let v = value.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-' | 'e' | 'E')))
        .unwrap_or(v.len());
    // `1e3` is a number, but `1em` is a unit: take the `e` back when what
    // follows it is not a digit.
    let split = if v[..split].ends_with(['e', 'E']) {
        split - 1
    } else {
        split
    };
    let (number, unit) = v.split_at(split);
    let n: f64 = number.parse().ok()?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "px" => 1.0,
        "pt" => 96.0 / 72.0,
        "pc" => 16.0,
        "in" => 96.0,
        "cm" => 96.0 / 2.54,
        "mm" => 96.0 / 25.4,
        "q" => 96.0 / 101.6,
        "em" => 16.0,
        "ex" => 8.0,
        _ => return None,
    };
    let px = n * scale;
    (px.is_finite() && px > 0.0).then_some(px)
}

/// A `viewBox`'s width and height (`min-x min-y width height`, separated
/// by white space and/or commas); `None` unless both are positive.
fn view_box(value: &str) -> Option<(f64, f64)> {
    let parts: Vec<f64> = value
        .split(|c: char| c.is_ascii_whitespace() || c == ',')
        .filter(|p| !p.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    match parts[..] {
        [_, _, w, h] if w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite() => Some((w, h)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wh(svg: &str) -> Result<(u32, u32), String> {
        size(svg.as_bytes()).map(|s| (s.width, s.height))
    }

    #[test]
    fn width_and_height_or_the_view_box() {
        assert_eq!(wh(r#"<svg width="120" height="80"/>"#), Ok((120, 80)));
        assert_eq!(
            wh(
                r#"<?xml version="1.0"?><!-- x --><!DOCTYPE svg><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"></svg>"#
            ),
            Ok((300, 150))
        );
        // One given: the other from the viewBox's ratio.
        assert_eq!(
            wh(r#"<svg width="600" viewBox="0,0,300,150">"#),
            Ok((600, 300))
        );
        assert_eq!(
            wh(r#"<svg height="10px" viewBox="0 0 300 150">"#),
            Ok((20, 10))
        );
        // Units, and a percentage that is no size.
        assert_eq!(wh(r#"<svg width="1in" height="72pt">"#), Ok((96, 96)));
        assert_eq!(wh(r#"<svg width="2em" height="1e2">"#), Ok((32, 100)));
        assert_eq!(
            wh(r#"<svg width="100%" height="100%" viewBox="0 0 24 24">"#),
            Ok((24, 24))
        );
        assert_eq!(
            wh(r#"<svg:svg xmlns:svg="http://www.w3.org/2000/svg" width="5" height="6">"#),
            Ok((5, 6))
        );
    }

    #[test]
    fn no_size_is_an_error_never_a_guess() {
        for bad in [
            r#"<svg width="100%">"#,
            r#"<svg viewBox="0 0 0 10">"#,
            r#"<svg viewBox="a b c d">"#,
            r#"<html><svg width="1" height="1"></svg></html>"#,
            "",
            "<svg width=\"1\" height=",
            "<svg width='-5' height='5'>",
        ] {
            assert!(wh(bad).is_err(), "{bad}");
        }
    }
}
