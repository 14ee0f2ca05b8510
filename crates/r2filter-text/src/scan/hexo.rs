//! Hexo's asset tags (`hexo-tags = true`): in a Hexo site with
//! `post_asset_folder: true`, a post `source/_posts/<slug>.md` names the files
//! of its folder `source/_posts/<slug>/` with
//!
//! - `{% asset_img name [title] %}` (also `[class …] name [width [height]]
//!   ['"title" "alt"']`, as Hexo's `img` tag takes them),
//! - `{% asset_link name [title] [escape] %}`,
//! - `{% asset_path name %}`,
//!
//! names and titles bare or quoted, in any language. Unlike every other
//! reference, the whole tag is replaced, by what works in Hexo and in the
//! Next.js/remark world alike: `![title](URL)`, `[title](URL)` or the bare URL
//! (in an HTML block, where Markdown is not read, the `<img>` / `<a>` Hexo
//! itself would have written).
//!
//! Tags in code, front matter and `{% raw %}` are left alone, as Hexo leaves
//! them. A tag must sit on one line.
//!
//! ```
//! use r2filter_text::scan::{scan, Context, Flavor, HexoTag, ScanOptions};
//! let doc = "{% asset_img \"my cat.png\" 我的猫 %}\n";
//! let opts = ScanOptions { hexo_assets: Some("first-post".into()), ..Flavor::Markdown.into() };
//! let refs = scan(doc, &opts).unwrap().references;
//! assert_eq!(refs[0].url, "first-post/my cat.png");
//! assert_eq!(refs[0].context, Context::HexoTag { tag: HexoTag::Img, html: false });
//! assert_eq!(
//!     r2filter_text::scan::hexo::render(&doc[refs[0].span.clone()], false, "https://cdn/a.png", "https://cdn/a.png"),
//!     "![我的猫](https://cdn/a.png)"
//! );
//! ```

use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};

use super::{Context, Reference};

/// Which asset tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HexoTag {
    /// `{% asset_img %}`: becomes `![title](URL)`.
    Img,
    /// `{% asset_link %}`: becomes `[title](URL)`.
    Link,
    /// `{% asset_path %}`: becomes the URL.
    Path,
}

/// The post's asset folder for a document named `name` (its file stem), or
/// `""` (the document's own folder) for standard input.
pub fn asset_dir(name: &str) -> String {
    if name == "<stdin>" {
        return String::new();
    }
    std::path::Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Finds the asset tags of `source`; `asset_dir` is the post's asset folder
/// relative to the document's folder. Each reference spans the whole tag; its
/// URL is `asset_dir/name`, percent-encoded where a path would misread it.
pub(crate) fn scan(source: &str, asset_dir: &str) -> Vec<Reference> {
    let (skip, html_blocks) = regions(source);
    let mut refs = Vec::new();
    let mut at = 0;
    let mut raw = false;
    while let Some(found) = source.get(at..).and_then(|rest| rest.find("{%")) {
        let start = at + found;
        let Some(tag) = parse_at(source, start) else {
            at = start + 2;
            continue;
        };
        at = tag.end;
        if let Some(i) = skip.iter().position(|r| r.contains(&start)) {
            at = at.max(skip[i].end);
            continue;
        }
        match tag.name {
            "raw" => raw = true,
            "endraw" => raw = false,
            _ if raw => {}
            _ => {
                if let Some(r) = reference(&tag, asset_dir, &html_blocks) {
                    refs.push(r);
                }
            }
        }
    }
    refs
}

/// Merges the tags into `refs` (sorted), dropping a tag that overlaps a
/// reference found otherwise.
pub(crate) fn merge(mut refs: Vec<Reference>, tags: Vec<Reference>) -> Vec<Reference> {
    if tags.is_empty() {
        return refs;
    }
    let others = refs.clone();
    refs.extend(
        tags.into_iter()
            .filter(|t| !others.iter().any(|r| overlaps(&r.span, &t.span))),
    );
    refs.sort_by_key(|r| r.span.start);
    refs
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Code and front matter (never looked into) and HTML blocks (where the
/// replacement must be HTML).
fn regions(source: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let mut skip = Vec::new();
    let mut html = Vec::new();
    for (event, range) in Parser::new_ext(source, super::markdown_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::MetadataBlock(_)) | Event::Code(_) => {
                skip.push(range)
            }
            Event::Start(Tag::HtmlBlock) => html.push(range),
            _ => {}
        }
    }
    (skip, html)
}

/// A `{% name args %}` on one line.
struct Parsed<'a> {
    start: usize,
    end: usize,
    name: &'a str,
    args: Vec<String>,
}

fn parse_at(source: &str, start: usize) -> Option<Parsed<'_>> {
    let line = source.get(start + 2..)?.split('\n').next()?;
    let (body, _) = line.split_once("%}")?;
    let inner = body.strip_prefix('-').unwrap_or(body);
    let inner = inner.strip_suffix('-').unwrap_or(inner).trim();
    let (name, args) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
    Some(Parsed {
        start,
        end: start + 2 + body.len() + 2,
        name,
        args: split_args(args),
    })
}

/// Hexo's argument splitting: whitespace separates, a quoted part ('…' or
/// "…", backslash escapes inside) is taken without its quotes and may hold
/// spaces; parts that touch join into one argument.
fn split_args(s: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut started = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                started = true;
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => cur.extend(chars.next()),
                        d if d == c => break,
                        d => cur.push(d),
                    }
                }
            }
            c if c.is_whitespace() => {
                if started {
                    args.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            c => {
                started = true;
                cur.push(c);
            }
        }
    }
    if started {
        args.push(cur);
    }
    args
}

fn reference(tag: &Parsed, asset_dir: &str, html_blocks: &[Range<usize>]) -> Option<Reference> {
    let kind = match tag.name {
        "asset_img" => HexoTag::Img,
        "asset_link" => HexoTag::Link,
        "asset_path" => HexoTag::Path,
        _ => return None,
    };
    let name = match kind {
        HexoTag::Img => img_args(&tag.args)?.name,
        _ => tag.args.first()?.as_str(),
    };
    // Not an asset of the post: Hexo leaves such a tag empty, and so do we.
    if name.is_empty() || name.contains("://") || name.starts_with("//") {
        return None;
    }
    let mut url = String::new();
    if !asset_dir.is_empty() {
        url.push_str(&encode(asset_dir));
        url.push('/');
    }
    url.push_str(&encode(name));
    Some(Reference {
        span: tag.start..tag.end,
        url,
        context: Context::HexoTag {
            tag: kind,
            html: html_blocks.iter().any(|r| r.contains(&tag.start)),
        },
    })
}

/// A file name as a path that resolve's classify reads back as that name.
fn encode(name: &str) -> String {
    name.replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23")
}

/// `{% asset_img %}`'s arguments, as Hexo's `img` tag reads them.
struct ImgArgs<'a> {
    classes: Vec<&'a str>,
    name: &'a str,
    width: Option<&'a str>,
    height: Option<&'a str>,
    title: Option<String>,
    alt: Option<String>,
}

fn img_args(args: &[String]) -> Option<ImgArgs<'_>> {
    // Hexo takes the first argument that is one of the post's assets; classes
    // may come before it. A file name has an extension of letters (`.png`,
    // not the `.1` of a title's `Fig.1`), a class has none.
    let at = args
        .iter()
        .position(|a| {
            std::path::Path::new(a)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| {
                    (2..=5).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_alphabetic())
                })
        })
        .unwrap_or(0);
    let name = args.get(at)?.as_str();
    let classes = args[..at].iter().map(String::as_str).collect();
    let mut rest = &args[at + 1..];
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut width = None;
    let mut height = None;
    if let Some(w) = rest.first().filter(|w| digits(w)) {
        width = Some(w.as_str());
        rest = &rest[1..];
        if let Some(h) = rest.first().filter(|h| digits(h)) {
            height = Some(h.as_str());
            rest = &rest[1..];
        }
    }
    let (title, alt) = title_alt(&rest.join(" "));
    Some(ImgArgs {
        classes,
        name,
        width,
        height,
        title,
        alt,
    })
}

/// Hexo's `/["']?([^"']+)?["']?\s*["']?([^"']+)?["']?/` on the rest of the
/// arguments: `title text` or `'"title text" "alt text"'`.
fn title_alt(s: &str) -> (Option<String>, Option<String>) {
    let quote = |s: &str| s.strip_prefix(['"', '\'']).map_or(s, |r| r).to_string();
    let mut rest = quote(s);
    let take = |rest: &mut String| {
        let end = rest.find(['"', '\'']).unwrap_or(rest.len());
        let tail = rest.split_off(end);
        Some(std::mem::replace(rest, tail)).filter(|p| !p.is_empty())
    };
    let title = take(&mut rest);
    rest = quote(&rest);
    rest = quote(rest.trim_start());
    let alt = take(&mut rest);
    (title, alt)
}

/// The text that replaces the tag `tag_source` once its file is at `url`:
/// Markdown, or HTML when the tag sits in an HTML block (`html`). `dest` is
/// `url` written as a Markdown link destination (the rewrite stage knows how).
pub fn render(tag_source: &str, html: bool, url: &str, dest: &str) -> String {
    let Some(tag) = parse_at(tag_source, 0) else {
        return url.to_string();
    };
    match tag.name {
        "asset_img" => {
            let Some(a) = img_args(&tag.args) else {
                return url.to_string();
            };
            // What Markdown cannot say (classes, a size) is kept as the <img>
            // Hexo itself would have written.
            if html || !a.classes.is_empty() || a.width.is_some() {
                let mut out = format!("<img src=\"{}\"", attr(url));
                let classes = a.classes.join(" ");
                for (k, v) in [
                    ("class", Some(classes.as_str()).filter(|c| !c.is_empty())),
                    ("width", a.width),
                    ("height", a.height),
                    ("title", a.title.as_deref()),
                    ("alt", a.alt.as_deref().or(a.title.as_deref())),
                ] {
                    if let Some(v) = v {
                        out.push_str(&format!(" {k}=\"{}\"", attr(v)));
                    }
                }
                out.push('>');
                return out;
            }
            match (a.title, a.alt) {
                (Some(title), Some(alt)) => {
                    format!("![{}]({dest} \"{}\")", text(&alt), title_text(&title))
                }
                (title, alt) => format!("![{}]({dest})", text(&title.or(alt).unwrap_or_default())),
            }
        }
        "asset_link" => {
            let mut args: Vec<&str> = tag.args.iter().map(String::as_str).collect();
            let name = if args.is_empty() { "" } else { args.remove(0) };
            if matches!(args.last(), Some(&"true" | &"false")) {
                args.pop();
            }
            let title = if args.is_empty() {
                name.to_string()
            } else {
                args.join(" ")
            };
            if html {
                format!(
                    "<a href=\"{}\" title=\"{}\">{}</a>",
                    attr(url),
                    attr(&title),
                    attr(&title)
                )
            } else {
                format!("[{}]({dest})", text(&title))
            }
        }
        _ => url.to_string(),
    }
}

/// Alt or link text that reads back as `s` (ASCII punctuation that could
/// start Markdown syntax is backslash-escaped).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '[' | ']' | '*' | '_' | '`' | '<' | '>' | '&' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `"…"` link title.
fn title_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// An HTML attribute value inside double quotes.
fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Flavor, ScanOptions};

    fn refs(doc: &str) -> Vec<(String, String)> {
        let opts = ScanOptions {
            hexo_assets: Some("post".into()),
            ..Flavor::Markdown.into()
        };
        crate::scan::scan(doc, &opts)
            .unwrap()
            .references
            .into_iter()
            .map(|r| (doc.get(r.span).unwrap().to_string(), r.url))
            .collect()
    }

    #[test]
    fn tags_and_their_names() {
        let doc = "\
{% asset_img cat.png A cat %}
{% asset_link \"spaced name.png\" '标题 with space' %} and {%asset_path x%20y.png%}
{%- asset_img left shot.jpg 300 200 '\"T\" \"A\"' -%}
{% asset_link doc.pdf %} {% img /a.png %} {% asset_path https://x.org/a.png %}
";
        assert_eq!(
            refs(doc),
            [
                (
                    "{% asset_img cat.png A cat %}".into(),
                    "post/cat.png".into()
                ),
                (
                    "{% asset_link \"spaced name.png\" '标题 with space' %}".into(),
                    "post/spaced name.png".into()
                ),
                ("{%asset_path x%20y.png%}".into(), "post/x%2520y.png".into()),
                (
                    "{%- asset_img left shot.jpg 300 200 '\"T\" \"A\"' -%}".into(),
                    "post/shot.jpg".into()
                ),
                // A link to a non-image is found here and skipped by resolve.
                ("{% asset_link doc.pdf %}".into(), "post/doc.pdf".into()),
            ]
        );
    }

    #[test]
    fn code_front_matter_and_raw_are_left_alone() {
        let doc = "\
---
cover: '{% asset_path a.png %}'
---
`{% asset_img b.png %}`

```
{% asset_img c.png %}
```

    {% asset_img d.png %}

{% raw %}{% asset_img e.png %}{% endraw %}
{% asset_img f.png %}
";
        // (The front-matter value is a reference of its own, not a tag.)
        assert_eq!(
            refs(doc),
            [
                (
                    "{% asset_path a.png %}".into(),
                    "{% asset_path a.png %}".into()
                ),
                ("{% asset_img f.png %}".into(), "post/f.png".into())
            ]
        );
    }

    #[test]
    fn a_markdown_image_wins_over_an_overlapping_tag() {
        let doc = "![x]({% asset_path a.png %}) ![y](b.png)\n";
        let found = refs(doc);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().any(|(_, u)| u == "b.png"));
    }

    #[test]
    fn off_by_default() {
        let doc = "{% asset_img cat.png %}\n";
        assert!(
            crate::scan::scan(doc, &Flavor::Markdown.into())
                .unwrap()
                .references
                .is_empty()
        );
    }

    #[test]
    fn replacements() {
        let url = "https://cdn.example.com/2026/11/abc.png";
        let cases = [
            ("{% asset_img cat.png %}", false, format!("![]({url})")),
            (
                "{% asset_img cat.png A [fat] *cat* %}",
                false,
                format!("![A \\[fat\\] \\*cat\\*]({url})"),
            ),
            (
                "{% asset_img cat.png '\"Title\" \"Alt\"' %}",
                false,
                format!("![Alt]({url} \"Title\")"),
            ),
            (
                "{% asset_img big cat.png 300 200 '\"T\" \"A\"' %}",
                false,
                format!(
                    "<img src=\"{url}\" class=\"big\" width=\"300\" height=\"200\" title=\"T\" alt=\"A\">"
                ),
            ),
            (
                "{% asset_link cat.png %}",
                false,
                format!("[cat.png]({url})"),
            ),
            (
                "{% asset_link cat.png \"一只猫\" false %}",
                false,
                format!("[一只猫]({url})"),
            ),
            ("{% asset_path cat.png %}", false, url.to_string()),
            (
                "{% asset_img cat.png \"Tom & <Jerry>\" %}",
                true,
                format!(
                    "<img src=\"{url}\" title=\"Tom &amp; &lt;Jerry&gt;\" alt=\"Tom &amp; &lt;Jerry&gt;\">"
                ),
            ),
            (
                "{% asset_link cat.png Cat %}",
                true,
                format!("<a href=\"{url}\" title=\"Cat\">Cat</a>"),
            ),
        ];
        for (tag, html, want) in cases {
            assert_eq!(render(tag, html, url, url), want, "{tag}");
        }
    }

    #[test]
    fn rewritten_tags_parse_back_to_the_url_and_title() {
        let url = "https://cdn.example.com/a(1) b.png";
        let dest = crate::rewrite::markdown_destination(url);
        let out = render("{% asset_img x.png 'Fat [cat]_1' %}", false, url, &dest);
        let found = crate::scan::scan(&out, &Flavor::Markdown.into())
            .unwrap()
            .references;
        assert_eq!(found.len(), 1, "{out}");
        assert_eq!(found[0].url, url);
        let mut alt = String::new();
        for event in Parser::new(&out) {
            if let Event::Text(t) = event {
                alt.push_str(&t);
            }
        }
        assert_eq!(alt, "Fat [cat]_1");
    }

    #[test]
    fn asset_dirs() {
        assert_eq!(asset_dir("source/_posts/hello-world.md"), "hello-world");
        assert_eq!(asset_dir("<stdin>"), "");
    }
}
