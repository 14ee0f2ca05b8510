//! The locate phase, first half: find every place in a document that names an image, with the exact
//! byte span of its URL.
//!
//! One front end per flavor, one [`Reference`] model:
//!
//! - `.md` documents and mdBook chapters: pulldown-cmark's offset iterator
//!   (for chapters exactly mdBook's parser), so code spans and code blocks are
//!   never looked into; raw HTML (`<img src>`, `srcset`, `poster`, `<a href>`)
//!   is read as a browser reads the rendered page ([`markdown`]).
//! - `.mdx` documents: markdown-rs, the Rust port of micromark that the MDX
//!   compiler parses with; JSX children are Markdown, JSX props are read from
//!   the tags, expressions, ESM and code are left alone ([`mdx`]).
//!
//! Front matter counts only at the very start of a document, never in an
//! mdBook chapter. The spans found here are the only bytes the rewrite stage
//! may change.
//!
//! Slicing user text at a computed offset can panic; the scanner modules deny
//! `clippy::string_slice` and slice with `str::get`.
//!
//! ```
//! use r2filter_text::scan::{scan, Flavor};
//! let doc = "See ![a cat](img/cat.png \"Cat\") and `![not](this.png)`.\n";
//! let refs = scan(doc, &Flavor::Markdown.into()).unwrap().references;
//! assert_eq!(refs.len(), 1);
//! assert_eq!(&doc[refs[0].span.clone()], "img/cat.png");
//! assert_eq!(refs[0].url, "img/cat.png");
//! ```

#![deny(clippy::string_slice)]

pub mod frontmatter;
pub mod hexo;
pub mod html;
pub mod hugo;
pub mod markdown;
pub mod mdx;
pub mod obsidian;

use std::ops::Range;

pub use hexo::HexoTag;
pub use markdown::{MdBookMarkdown, markdown_options};

/// What kind of document is being scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// CommonMark with GFM tables, strikethrough, task lists and footnotes,
    /// and heading attributes; front matter at the start.
    Markdown,
    /// MDX: Markdown with JSX, expressions and ESM, read by markdown-rs as
    /// the MDX compiler reads it; front matter at the start.
    Mdx,
    /// An mdBook chapter: exactly mdBook's parser options, no front matter.
    MdBook(MdBookMarkdown),
}

impl Flavor {
    /// The flavor a file name implies (`.mdx` → MDX, anything else Markdown).
    pub fn from_path(path: &std::path::Path) -> Flavor {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("mdx") => Flavor::Mdx,
            _ => Flavor::Markdown,
        }
    }
}

/// What to look for besides Markdown images and links.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub flavor: Flavor,
    /// Front-matter keys whose values name images (the README's defaults).
    pub front_matter_keys: Vec<String>,
    /// JSX props that name an image on any element, besides
    /// [`mdx::IMAGE_PROPS`] (`jsx-props`).
    pub jsx_props: Vec<String>,
    /// Hexo asset tags (`hexo-tags = true`): the post's asset folder, relative
    /// to the document's folder (see [`hexo::asset_dir`]). None: not looked at.
    pub hexo_assets: Option<String>,
    /// remark-math's `$…$` and `$$…$$` (`math = true`, or a site that lists
    /// remark-math): math in `.md` and `.mdx`, never scanned for images and
    /// never a parse error. mdBook chapters read it only when the book
    /// enables a math preprocessor (mdBook's own parser has no math).
    pub math: bool,
    /// Hugo's shortcodes (`hugo-shortcodes`): None, Hugo syntax is off;
    /// `Some(map)`, the built-in `figure` shortcode's `src` (and its `link`
    /// when it names an image) plus each listed `name → parameter` (a
    /// parameter name, or the index of a positional one). Turns on Hugo's
    /// JSON front matter too. See [`hugo`].
    pub hugo_shortcodes: Option<std::collections::BTreeMap<String, String>>,
    /// Obsidian's image embeds `![[name.png|300]]` (`wikilinks`); `.md`
    /// documents only. See [`obsidian`].
    pub wikilinks: bool,
    /// File extensions (lower case, no dot) a plain link may publish besides
    /// images (`assets = ["pdf", "zip"]`; see [`crate::resolve::classify_with`]).
    pub assets: Vec<String>,
}

/// Front-matter keys looked at when none are configured.
pub const DEFAULT_FRONT_MATTER_KEYS: &[&str] = &[
    "image",
    "images",
    "cover",
    "coverImage",
    "cover_image",
    "thumbnail",
    "banner",
    "ogImage",
    "avatar",
];

impl From<Flavor> for ScanOptions {
    fn from(flavor: Flavor) -> ScanOptions {
        ScanOptions {
            flavor,
            front_matter_keys: DEFAULT_FRONT_MATTER_KEYS
                .iter()
                .map(|k| k.to_string())
                .collect(),
            jsx_props: Vec::new(),
            hexo_assets: None,
            math: false,
            hugo_shortcodes: None,
            wikilinks: false,
            assets: Vec::new(),
        }
    }
}

/// Where a reference was found; decides which URLs are candidates and how a new
/// URL must be written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// `![alt](dest)` or a reference definition used by an image.
    MarkdownImage,
    /// `[text](dest)` or a definition used only by links: rewritten only when the
    /// destination is a local image file.
    MarkdownLink,
    /// An HTML/JSX attribute value (`src`, `poster`) or one `srcset` candidate.
    /// `quote` is the quote character around the value, if any.
    Attribute { quote: Option<u8> },
    /// `src` of `<img>`, `srcset` of `<img>` and `<source>`, `poster` of
    /// `<video>` in raw HTML: image syntax, like [`Context::MarkdownImage`].
    HtmlImage { quote: Option<u8> },
    /// `src` of `<video>`, `<audio>`, `<source>` and `<track>` (raw HTML, or a
    /// string prop in MDX's JSX): an image, or a video, audio or captions
    /// file ([`crate::resolve::MEDIA_EXTENSIONS`]), by its extension.
    Media { quote: Option<u8> },
    /// The `href` of a raw HTML `<a>`: like [`Context::MarkdownLink`], it
    /// counts only when it names an image file.
    HtmlLink { quote: Option<u8> },
    /// A front-matter value (the span: a plain scalar, or what lies between
    /// the quotes); its style says how a new value is written there.
    FrontMatter(frontmatter::Style),
    /// A JavaScript string literal that is a JSX prop's whole value in MDX
    /// (`src={"a.png"}`): the span is what lies between its quotes (`"`,
    /// `'` or a backtick). `image` when the prop shows an image whatever
    /// its path (`<img src>`); `media` when it is a media element's `src`
    /// (`<video src={"clip.mp4"}>`, as [`Context::Media`]).
    JsString { quote: u8, image: bool, media: bool },
    /// A whole Hexo asset tag (`{% asset_img … %}`), replaced by Markdown, or
    /// by HTML when `html` (the tag sits in an HTML block).
    HexoTag { tag: HexoTag, html: bool },
    /// A parameter's value in a Hugo shortcode (`{{< figure src="a.jpg" >}}`):
    /// the span is the value without its quotes (`"`, a backtick, or none).
    /// `image` when the parameter shows an image whatever its path (`figure`'s
    /// `src`, a listed parameter); otherwise (`figure`'s `link`) it counts
    /// only when it names an image file.
    Shortcode { quote: Option<u8>, image: bool },
    /// A whole Obsidian image embed (`![[name.png|caption|300]]`), replaced
    /// by a Markdown image, or by an `<img>` when it sets a size
    /// ([`obsidian::render`]).
    Embed,
}

impl Context {
    /// True when the syntax itself says "this is an image" (as opposed to a link,
    /// attribute or front-matter value that only names one when its path does).
    pub fn is_image_syntax(self) -> bool {
        matches!(
            self,
            Context::MarkdownImage
                | Context::HtmlImage { .. }
                | Context::JsString { image: true, .. }
                | Context::HexoTag {
                    tag: HexoTag::Img,
                    ..
                }
                | Context::Shortcode { image: true, .. }
                | Context::Embed
        )
    }

    /// True for a link (`[text](dest)`, `<a href>`): it concerns r2filter only
    /// when its destination is an image file, remote or local.
    pub fn is_link(self) -> bool {
        matches!(
            self,
            Context::MarkdownLink
                | Context::HtmlLink { .. }
                | Context::Shortcode { image: false, .. }
        )
    }

    /// True for the `src` of a media element (`<video>`, `<audio>`,
    /// `<source>`, `<track>`): a video, audio or captions file counts there.
    pub fn is_media(self) -> bool {
        matches!(
            self,
            Context::Media { .. } | Context::JsString { media: true, .. }
        )
    }
}

/// One URL inside a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Bytes of the document holding the destination exactly as written
    /// (including `<angle brackets>` when they were used).
    pub span: Range<usize>,
    /// The destination as the document means it: escapes and entities decoded,
    /// percent-encoding kept.
    pub url: String,
    pub context: Context,
}

/// What a scan of one document found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Every URL that may name a local image, sorted by position, spans never
    /// overlapping.
    pub references: Vec<Reference>,
    /// Front-matter values under an image key that are left as written by
    /// rule (block scalars, other tags, TOML multi-line strings): shown with
    /// `-v`.
    pub kept: Vec<frontmatter::Kept>,
    /// Images and links the renderer sees but whose destination could not be
    /// mapped back to a span of the source (`span` is the whole construct).
    /// A local image among them must fail the run: it would be a silent miss.
    pub unmapped: Vec<Reference>,
}

/// A document that cannot be scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    FrontMatter(#[from] frontmatter::FrontMatterError),
    /// The MDX parser's own message (the MDX compiler stops there too).
    #[error("MDX does not parse: {reason}")]
    Mdx { offset: usize, reason: String },
    /// markdown-rs itself failed (a bug of the parser, not of the document).
    #[error("the MDX parser (markdown-rs) crashed on this document")]
    MdxParserCrash,
    /// Writing a new URL over this destination would change how the text
    /// around it parses ([`crate::rewrite::stable`]).
    #[error(
        "the image {url:?} cannot be rewritten here: a plain URL in its place would change how the text around it reads"
    )]
    Unstable { offset: usize, url: String },
}

impl ScanError {
    /// Where in the document (a byte offset).
    pub fn offset(&self) -> usize {
        match self {
            ScanError::FrontMatter(e) => e.offset,
            ScanError::Mdx { offset, .. } => *offset,
            ScanError::MdxParserCrash => 0,
            ScanError::Unstable { offset, .. } => *offset,
        }
    }

    pub fn hint(&self) -> String {
        match self {
            ScanError::FrontMatter(e) => e.hint(),
            ScanError::Mdx { .. } => "@mdx-js/mdx stops here too when the site adds no syntax of its own: fix the MDX (a literal `{` or `<` in text is written `\\{` or `\\<`); if the site's build reads this document, a remark plugin of the site adds syntax r2filter does not read: please report it".into(),
            ScanError::MdxParserCrash => "please report this document to r2filter; meanwhile, simplify the construct that trips the parser".into(),
            ScanError::Unstable { .. } => "the path's quotes, brackets, backquotes or spaces are read by the construct around it: rename the file, or write those characters percent-encoded (`%22` for `\"`, `%28` for `(`, `%20` for a space)".into(),
        }
    }
}

/// Finds every URL in `source` that may name a local image, with the front
/// end of its flavor: sorted by position, spans never overlapping, and what
/// the renderer shows but could not be mapped back to the source. Whether a
/// URL is local is decided later (resolve).
pub fn scan(source: &str, opts: &ScanOptions) -> Result<Scanned, ScanError> {
    let mut found = match opts.flavor {
        Flavor::Mdx => mdx::scan(source, opts)?,
        Flavor::Markdown | Flavor::MdBook(_) => markdown::scan(source, opts)?,
    };
    let mut refs = std::mem::take(&mut found.references);
    refs.sort_by_key(|r| r.span.start);
    // Keep the first of any overlapping pair.
    for r in refs {
        if found
            .references
            .last()
            .is_none_or(|last| last.span.end <= r.span.start)
        {
            found.references.push(r);
        }
    }
    // Hexo's asset tags when asked for ([`ScanOptions::hexo_assets`]).
    if let Some(dir) = &opts.hexo_assets {
        let refs = std::mem::take(&mut found.references);
        found.references = hexo::merge(refs, hexo::scan(source, dir));
    }
    // Hugo's shortcodes: Hugo runs them before Markdown sees the text.
    if let (Some(listed), Flavor::Markdown) = (&opts.hugo_shortcodes, opts.flavor) {
        let mut shortcodes = hugo::scan(source, listed);
        found.unmapped.append(&mut shortcodes.unmapped);
        let refs = std::mem::take(&mut found.references);
        found.references = hugo::merge(refs, shortcodes);
    }
    found.unmapped.sort_by_key(|r| r.span.start);
    Ok(found)
}

/// 1-based line and column (in characters) of byte `offset`.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = source.as_bytes().get(..offset).unwrap_or(source.as_bytes());
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let tail = before.get(line_start..).unwrap_or_default();
    // Characters are counted by their first bytes (not continuation bytes).
    (
        line,
        tail.iter().filter(|&&b| (b as i8) >= -0x40).count() + 1,
    )
}
