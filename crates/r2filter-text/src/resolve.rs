//! Which URLs are local images, from the text alone: the pure half of
//! resolving (the file system half, confined to the root, is r2filter's
//! `resolve` module).

use std::path::Path;

use percent_encoding::percent_decode_str;

use crate::scan::Context;

/// File extensions taken as images. A path with no extension is a candidate too
/// when the syntax says "image" (`![](diagram)`); its bytes decide.
pub const IMAGE_EXTENSIONS: &[&str] = &[
    "png", "apng", "jpg", "jpeg", "jpe", "jfif", "gif", "webp", "avif", "svg", "ico", "bmp", "tif",
    "tiff",
];

/// What a URL is, before touching the file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Url {
    /// Left alone, and why.
    Skip(Skip),
    /// A local file path (percent-decoded) and the `?query#fragment` that
    /// followed it, carried over to the new URL.
    Local { path: String, suffix: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// `https:`, `//host`, `mailto:`, `data:`, any scheme.
    Remote,
    /// `#anchor`, `?query` or empty.
    NotAPath,
    /// A link, attribute or front-matter value whose path is not an image.
    NotAnImage,
}

/// Video, audio and captions files: a candidate in the `src` of a media
/// element (`<video>`, `<audio>`, `<source>`, `<track>`; [`Context::is_media`]).
pub const MEDIA_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "webm", "ogv", "mov", "mp3", "m4a", "ogg", "oga", "wav", "flac", "vtt",
];

/// Classifies `url` found in `context`, with no `assets` listed (see
/// [`classify_with`]).
///
/// ```
/// use r2filter_text::resolve::{classify, Url, Skip};
/// use r2filter_text::scan::Context;
/// let img = Context::MarkdownImage;
/// assert_eq!(classify("https://x.org/a.png", img), Url::Skip(Skip::Remote));
/// assert_eq!(classify("//cdn/a.png", img), Url::Skip(Skip::Remote));
/// assert_eq!(classify("data:image/png;base64,AA", img), Url::Skip(Skip::Remote));
/// assert_eq!(
///     classify("caf%C3%A9.png#wide", img),
///     Url::Local { path: "café.png".into(), suffix: "#wide".into() }
/// );
/// assert_eq!(classify("notes.md", Context::MarkdownLink), Url::Skip(Skip::NotAnImage));
/// // A remote link is an image reference only when it names an image.
/// assert_eq!(classify("https://katex.org/docs/supported.html", Context::MarkdownLink), Url::Skip(Skip::NotAnImage));
/// assert_eq!(classify("https://x.org/big.png", Context::MarkdownLink), Url::Skip(Skip::Remote));
/// // A video counts in a media element's `src`, not as an image.
/// let media = Context::Media { quote: Some(b'"') };
/// assert_eq!(classify("clip.mp4", media), Url::Local { path: "clip.mp4".into(), suffix: "".into() });
/// assert_eq!(classify("clip.mp4", img), Url::Skip(Skip::NotAnImage));
/// ```
pub fn classify(url: &str, context: Context) -> Url {
    classify_with(url, context, &[])
}

/// Classifies `url` found in `context`, by its extension: an image anywhere
/// an image may be; a video, audio or captions file ([`MEDIA_EXTENSIONS`])
/// in a media element's `src`; and in a link, a file whose extension is one
/// of `assets` (lower case, no dot: `assets = ["pdf"]` publishes
/// `[Slides](talk.pdf)`). Anything else is left alone.
///
/// ```
/// use r2filter_text::resolve::{classify_with, Url, Skip};
/// use r2filter_text::scan::Context;
/// let pdf = ["pdf".to_string()];
/// let local = Url::Local { path: "talk.pdf".into(), suffix: "#page=2".into() };
/// assert_eq!(classify_with("talk.pdf#page=2", Context::MarkdownLink, &pdf), local);
/// assert_eq!(classify_with("talk.PDF", Context::MarkdownLink, &[]), Url::Skip(Skip::NotAnImage));
/// assert_eq!(classify_with("data.zip", Context::MarkdownLink, &pdf), Url::Skip(Skip::NotAnImage));
/// // Assets are what links may publish; an image's place shows images.
/// assert_eq!(classify_with("talk.pdf", Context::MarkdownImage, &pdf), Url::Skip(Skip::NotAnImage));
/// ```
pub fn classify_with(url: &str, context: Context, assets: &[String]) -> Url {
    let url = url.trim();
    if url.starts_with("//") || has_scheme(url) {
        // A remote link is an image reference only when it names an image.
        if context.is_link() && !remote_has_image_extension(url) {
            return Url::Skip(Skip::NotAnImage);
        }
        return Url::Skip(Skip::Remote);
    }
    let Some((path, suffix)) = local_path(url) else {
        return Url::Skip(Skip::NotAPath);
    };
    let ext = Path::new(&path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let candidate = match ext.as_deref() {
        // `![](file)` with no extension is still meant as an image; anything
        // else must say so by its extension.
        None => context.is_image_syntax(),
        Some(e) => {
            IMAGE_EXTENSIONS.contains(&e)
                || (context.is_media() && MEDIA_EXTENSIONS.contains(&e))
                || (context.is_link() && assets.iter().any(|a| a == e))
        }
    };
    if !candidate {
        return Url::Skip(Skip::NotAnImage);
    }
    Url::Local { path, suffix }
}

/// A relative or absolute path (percent-decoded) and the `?query#fragment`
/// after it, whatever the file's extension; `None` when nothing precedes
/// the query or fragment. The caller has ruled out remote URLs.
///
/// ```
/// use r2filter_text::resolve::local_path;
/// assert_eq!(local_path("a%20b.mp4?t=1"), Some(("a b.mp4".into(), "?t=1".into())));
/// assert_eq!(local_path("#top"), None);
/// ```
pub fn local_path(url: &str) -> Option<(String, String)> {
    let url = url.trim();
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let (raw_path, suffix) = url.split_at(cut);
    if raw_path.is_empty() {
        return None;
    }
    let path = percent_decode_str(raw_path)
        .decode_utf8_lossy()
        .into_owned();
    Some((path, suffix.to_string()))
}

/// True when the last path segment of a remote URL ends in an image extension.
fn remote_has_image_extension(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let after_scheme = path.split_once("//").map_or(path, |(_, rest)| rest);
    let Some((_, path)) = after_scheme.split_once('/') else {
        return false;
    };
    let last = path.rsplit('/').next().unwrap_or_default();
    Path::new(last)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// `scheme:` as RFC 3986 has it, but not a Windows drive (`C:\`), which is
/// refused later as an absolute path.
fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMG: Context = Context::MarkdownImage;

    fn local(path: &str, suffix: &str) -> Url {
        Url::Local {
            path: path.into(),
            suffix: suffix.into(),
        }
    }

    #[test]
    fn classify_table() {
        let cases = [
            ("a.png", IMG, local("a.png", "")),
            ("./img/a.PNG?v=2", IMG, local("./img/a.PNG", "?v=2")),
            ("my%20shot.png", IMG, local("my shot.png", "")),
            ("截图.png", IMG, local("截图.png", "")),
            ("diagram", IMG, local("diagram", "")),
            (
                "diagram",
                Context::MarkdownLink,
                Url::Skip(Skip::NotAnImage),
            ),
            (
                "clip.mp4",
                Context::Attribute { quote: None },
                Url::Skip(Skip::NotAnImage),
            ),
            ("doc.pdf", IMG, Url::Skip(Skip::NotAnImage)),
            ("#top", IMG, Url::Skip(Skip::NotAPath)),
            ("", IMG, Url::Skip(Skip::NotAPath)),
            ("HTTP://x/a.png", IMG, Url::Skip(Skip::Remote)),
            // Issue 10, case 12: a remote link is listed only when it names
            // an image.
            (
                "mailto:a@b",
                Context::MarkdownLink,
                Url::Skip(Skip::NotAnImage),
            ),
            (
                "https://katex.org/docs/supported.html",
                Context::MarkdownLink,
                Url::Skip(Skip::NotAnImage),
            ),
            (
                "https://katex.org/docs/supported.html",
                Context::HtmlLink { quote: None },
                Url::Skip(Skip::NotAnImage),
            ),
            (
                "https://x.org/full.PNG?s=2",
                Context::MarkdownLink,
                Url::Skip(Skip::Remote),
            ),
            (
                "https://x.org/avatar",
                Context::Attribute { quote: None },
                Url::Skip(Skip::Remote),
            ),
            ("C:/x.png", IMG, local("C:/x.png", "")),
            ("%2e%2e/secret.png", IMG, local("../secret.png", "")),
        ];
        for (url, ctx, want) in cases {
            assert_eq!(classify(url, ctx), want, "{url}");
        }
    }

    // Issue 24: media elements' `src` take video, audio and captions.
    #[test]
    fn classify_media() {
        let cases = [
            (
                "media/Clip.MP4?t=3",
                Context::Media { quote: None },
                local("media/Clip.MP4", "?t=3"),
            ),
            (
                "subs.vtt",
                Context::JsString {
                    quote: b'"',
                    image: false,
                    media: true,
                },
                local("subs.vtt", ""),
            ),
            (
                "poster.png",
                Context::Media { quote: None },
                local("poster.png", ""),
            ),
            (
                "clip",
                Context::Media { quote: None },
                Url::Skip(Skip::NotAnImage),
            ),
            (
                "notes.txt",
                Context::Media { quote: None },
                Url::Skip(Skip::NotAnImage),
            ),
            (
                "clip.mp4",
                Context::MarkdownLink,
                Url::Skip(Skip::NotAnImage),
            ),
            (
                "https://x.org/clip.mp4",
                Context::Media { quote: None },
                Url::Skip(Skip::Remote),
            ),
        ];
        for (url, ctx, want) in cases {
            assert_eq!(classify(url, ctx), want, "{url}");
        }
    }
}
