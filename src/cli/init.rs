//! `r2filter init`: a commented `r2filter.toml` to start from, or with
//! `--mdbook` the `[preprocessor.r2filter]` table for book.toml on stdout,
//! or with `--nextjs` what a Next.js site adds for `next/image` (the
//! `remotePatterns` entry, and an MDX image component fed by the index).
//! Every setting is there, commented out, with what R2 wants of it; nothing is
//! ever replaced without `--force`. Inside a git work tree it also adds
//! [`GITIGNORE_RULE`] to the `.gitignore` beside the config file (once);
//! elsewhere, and with `--mdbook`, it says to.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use super::Printer;
use crate::config::CONFIG_FILE;
use crate::error::Error;

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Where to write the config file
    #[arg(value_name = "FILE", default_value = CONFIG_FILE)]
    pub path: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
    /// Print the [preprocessor.r2filter] table for book.toml on stdout instead
    #[arg(long, conflicts_with_all = ["path", "force"])]
    pub mdbook: bool,
    /// Print what a Next.js site adds for next/image (remotePatterns, an MDX image component)
    #[arg(long, conflicts_with_all = ["path", "force", "mdbook"])]
    pub nextjs: bool,
}

/// The `.gitignore` line for the manifest's companions, its lock file
/// (`.lock`) and stat cache (`.cache`): never committed, unlike the
/// manifest.
/// (The default manifest's name and `.*`, as a test checks.)
pub const GITIGNORE_RULE: &str = "r2filter-manifest.json.*";

/// The top of `r2filter.toml`.
const FILE_HEADER: &str = r#"# r2filter.toml: settings for r2filter, found in the current folder (or
# pass --config FILE). Written by `r2filter init`.
#
# Precedence: command-line flags > R2FILTER_* environment variables > this
# file > defaults. Keys are kebab-case (snake_case works too); relative paths
# are relative to this file's folder. Uncomment what you need: the values
# shown are examples, or the defaults where it says so.
"#;

/// The top of the book.toml table.
const MDBOOK_HEADER: &str = r#"
[preprocessor.r2filter]
# mdBook runs `mdbook-r2filter` (installed beside r2filter by `cargo install`).
# After `links`, so text pulled in by {{#include}} is rewritten too.
after = ["links"]
# The keys are those of r2filter.toml; relative paths are relative to
# book.toml's folder, the manifest defaults to r2filter-manifest.json beside it,
# and a leading `/` in an image path resolves against src/.
"#;

/// Every setting, commented; shared by both.
const SETTINGS: &str = r#"#
# Credentials never go here (keys that look like secrets are refused): set
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (in CI, as secrets), or use an
# AWS profile (AWS_PROFILE, ~/.aws/credentials). R2: R2 -> Manage R2 API
# Tokens -> Create API token, "Object Read & Write", scoped to the bucket.
# A run whose images are all in the manifest needs no credentials at all.

# --- Where objects go: bucket and public-url are required (or local-store) ---

# The bucket (R2: Dashboard -> R2 -> Create bucket).
# bucket = "blog-assets"

# Your Cloudflare account id: the endpoint becomes
# https://<account-id>.r2.cloudflarestorage.com.
# account-id = "0123456789abcdef0123456789abcdef"

# Any other S3-compatible endpoint (wins over account-id).
# endpoint = "https://s3.example.com"

# Signing region. Default: "auto" when there is an endpoint (R2 requires it:
# another region gets 403 SignatureDoesNotMatch; MinIO accepts it); for AWS S3
# (no endpoint), AWS_REGION, AWS_DEFAULT_REGION or the AWS profile's region.
# region = "auto"

# The base URL the objects are served from. For R2, the bucket's custom domain
# (bucket -> Settings -> Public access -> Connect Domain), served through
# Cloudflare's CDN; the r2.dev URL is rate-limited and not for production.
# public-url = "https://assets.example.com"

# A local folder used as the bucket instead: no account, no network. For
# trying r2filter out (public-url then defaults to the folder's file:// URL).
# local-store = "bucket"

# --- Object keys ---

# Put every key under this folder.
# prefix = "blog"

# Default "{year}/{month}/{hash:12}.{ext}" (the month of the first upload).
# Placeholders: {hash} {hash:N} {ext} {stem} {year} {month} {day}; a hash is required.
# key-template = "{year}/{month}/{hash:12}.{ext}"

# --- Files ---

# The manifest: which images are uploaded already. Commit it; its lock file
# and stat cache stay out of git (.gitignore: r2filter-manifest.json.*).
# Default: beside this file.
# manifest = "r2filter-manifest.json"

# Only files inside root may be published. Default: this file's folder.
# root = "."

# Where relative image paths in standard input resolve. Default: the current folder.
# base-dir = "."

# Where a path with a leading `/` resolves. Default: public/ if present.
# site-root = "public"

# More folders to look for images in, after the document's own.
# image-dirs = ["images"]

# Front-matter keys whose values are images.
# front-matter-keys = ["image", "images", "cover", "coverImage", "cover_image", "thumbnail", "banner", "ogImage", "avatar"]

# MDX: more JSX props that name an image, besides src, srcSet and poster
# (<Hero background="a.png" />). Default: none.
# jsx-props = ["background"]

# A reference to a missing file: "error" (default) or "warn" (keep it as written).
# on-missing = "error"

# --- The kind of site (docs/src/profiles.md) ---

# Detected from this folder's files: nextjs, hugo, hexo, mdbook, obsidian,
# docusaurus, astro, or commonmark when nothing matches. Each kind reads its
# site's syntax; each switch below, when set, wins over it.
# site = "nextjs"

# remark-math's $…$ and $$…$$ are math, never images or parse errors. Default:
# on when package.json lists remark-math (Next.js, Docusaurus, Astro), for
# Obsidian, and for mdBook with [preprocessor.katex].
# math = true

# Hugo shortcodes whose parameter names an image. Default on a Hugo site:
# Hugo's built-in figure (figure = "src"); a theme's own shortcodes only when
# listed, as a theme may process the file as a page resource.
# hugo-shortcodes = { img = "src" }

# Hexo sites (post_asset_folder: true): rewrite {% asset_img name title %},
# {% asset_link %} and {% asset_path %}, which name files of the post's folder
# source/_posts/<slug>/, to ![title](URL), [title](URL) and the URL. Default:
# on for a Hexo site (_config.yml, and hexo in package.json), else off.
# hexo-tags = false

# Obsidian's ![[image.png]] embeds. Default: on for an Obsidian vault.
# wikilinks = false

# --- Uploads ---

# Uploads at once. Default 16.
# concurrency = 16

# Default: keys never change, so objects are cached for a year.
# cache-control = "public, max-age=31536000, immutable"

# A canned ACL to send. Leave it unset for R2, which answers 501 NotImplemented
# to x-amz-acl (make an R2 bucket public with a custom domain instead).
# acl = "public-read"

# Tries per request on transient failures (5xx, SlowDown, 429, resets). Default 5.
# max-attempts = 5

# --- What is published: privacy and image weight ---

# Metadata removed before publishing. "location" (default): GPS coordinates and
# XMP/IPTC place names, edited out in place (pixels, ICC profile and
# Orientation untouched). "all": EXIF, XMP, IPTC and comments too (ICC and
# Orientation kept). "none": the bytes as they are.
# strip-metadata = "location"

# Convert JPEG and PNG to WebP when that is smaller: lossy at `quality`,
# lossless for PNG with transparency. Default: keep each format.
# convert = "webp"

# Lossy quality of conversions and downscales, 1-100. Default 80.
# quality = 80

# Scale down images wider than this many pixels. Default: keep every width.
# max-width = 1600

# --- Rescue: remote images on dying hosts ---

# Hosts whose images are downloaded and published like local files (the
# manifest remembers each URL; `r2filter eject` puts it back). `*.domain` is
# any name under it; `http://host` allows plain HTTP (otherwise HTTPS only).
# Other hosts are never contacted. Default: none.
# adopt = ["i.imgur.com", "*.sinaimg.cn", "user-images.githubusercontent.com"]

# Largest image adopted, in bytes. Default 52428800 (50 MiB).
# adopt-max-bytes = 52428800

# Fetch from loopback and private addresses (tests, intranets). Default false.
# adopt-private = false

# Seconds to connect and between reads; a download gets ten times this. Default 30.
# adopt-timeout = 30

# A remote image that cannot be adopted fails the run. Default false: it is
# kept as written, reported, and the run goes on.
# strict = false

# --- Video, audio and other files ---

# <video>, <audio>, <source> and <track> src and poster are published by
# default. Links publish these listed file types too (recognised by their
# bytes: pdf, zip, epub, gz, tgz, xz, bz2, 7z, tar, docx, xlsx, pptx, odt, ods,
# odp, and image, video and audio types). Default: none.
# assets = ["pdf", "zip"]

# Files larger than this are sent in parts (S3 multipart upload), streamed
# from disk. Default "64MiB"; at least "5MiB".
# multipart-threshold = "64MiB"

# Refuse to publish files larger than this. Default: no limit.
# max-bytes = "500MB"

# --- What pages get besides the URL ---

# Write the width, height, bytes and type (and placeholder) of every object in
# the manifest to this JSON file, keyed by public URL, for templates and
# components to read (Next.js: `r2filter init --nextjs`; Hugo: hugo.Data).
# Made from the manifest alone: no image file or request needed.
# images-index = "public/r2filter-images.json"

# A tiny blurred copy of each JPEG, PNG and WebP, as a data: URI of at most
# 1,000 bytes, kept in the manifest and the index (next/image's blurDataURL).
# Made once per image. Default "none".
# placeholder = "blur"

# Add width and height to raw HTML <img> and MDX <img>/<Image> elements that
# have neither (Markdown images stay Markdown: their size is in the index).
# Default false.
# dimensions = true
"#;

/// The `r2filter.toml` that `init` writes.
pub fn config_template() -> String {
    format!("{FILE_HEADER}{SETTINGS}")
}

/// The book.toml table that `init --mdbook` prints.
pub fn mdbook_table() -> String {
    format!("{MDBOOK_HEADER}{SETTINGS}")
}

/// The MDX image component `init --nextjs` prints (and
/// examples/nextjs-blog uses, as components/mdx-image.js).
pub const NEXTJS_COMPONENT: &str = r#"// An MDX image component for Next.js: Markdown images (![alt](url)) and
// <img>/<Image> in MDX become next/image, with the width, height and blurred
// placeholder that r2filter recorded for the URL in its images index
// (images-index = "public/r2filter-images.json", placeholder = "blur").
// Map it in your MDX components: { img: MdxImage, Image: MdxImage }.
import Image from 'next/image';
import images from '../public/r2filter-images.json';

export default function MdxImage({ src, alt = '', width, height, ...props }) {
  const info = typeof src === 'string' ? images[src.split(/[?#]/)[0]] : undefined;
  if (!info || !info.width || !info.height) {
    // Not in the index (not published by r2filter, or no size): as written.
    // eslint-disable-next-line @next/next/no-img-element
    return <img src={src} alt={alt} width={width} height={height} {...props} />;
  }
  // One of width and height given: the other keeps the image's proportions.
  const w = Number(width) || (Number(height) ? Math.round((Number(height) * info.width) / info.height) : info.width);
  const h = Number(height) || Math.round((w * info.height) / info.width);
  const blur = info.placeholder ? { placeholder: 'blur', blurDataURL: info.placeholder } : {};
  return <Image src={src} alt={alt} width={w} height={h} {...blur} {...props} />;
}
"#;

/// What `init --nextjs` prints, for images served from `public_url`.
pub fn nextjs_setup(public_url: &str) -> String {
    let (protocol, host, path) =
        crate::nextjs::split_url(public_url).unwrap_or(("https", "assets.example.com", ""));
    format!(
        "// 1. next.config.mjs (or .js, .ts): let next/image load the images r2filter
         //    publishes, inside the exported config object:
         {}

         // 2. r2filter.toml: the index the component reads, and placeholders.
         //    images-index = \"public/r2filter-images.json\"
         //    placeholder = \"blur\"

         // 3. components/mdx-image.js (the prebuild writes the index before next build):
         {NEXTJS_COMPONENT}
         // 4. Use it for MDX: <MDXRemote components={{{{ img: MdxImage, Image: MdxImage }}}} />
         //    (next-mdx-remote), or in mdx-components.js (@next/mdx):
         //    return {{ img: MdxImage, Image: MdxImage, ...components }};
",
        crate::nextjs::snippet(protocol, host, path)
    )
}

/// The public URL from the environment or ./r2filter.toml, if set.
fn configured_public_url() -> Option<String> {
    let env = crate::config::Settings::from_env(|k| std::env::var(k).ok()).ok()?;
    let file = std::path::Path::new(CONFIG_FILE);
    let from_file = if file.is_file() {
        crate::config::Settings::from_toml_file(file, None).ok()?
    } else {
        crate::config::Settings::default()
    };
    env.or(from_file).public_url
}

/// Runs `r2filter init`.
pub fn run(args: &InitArgs, printer: &Printer) -> Result<(), Error> {
    if args.mdbook {
        printer.stdout(mdbook_table().as_bytes())?;
        printer.note(format_args!(
            "add `{GITIGNORE_RULE}` to .gitignore: the manifest's lock file and stat cache (commit the manifest itself)"
        ));
        return Ok(());
    }
    if args.nextjs {
        let url = configured_public_url();
        let url = url.as_deref().unwrap_or("https://assets.example.com");
        return printer.stdout(nextjs_setup(url).as_bytes());
    }
    let path = &args.path;
    let fail = |source| Error::Output {
        path: path.clone(),
        source,
    };
    if args.force {
        crate::atomic::write_atomic(path, config_template().as_bytes(), true).map_err(fail)?;
    } else {
        // create_new, not "check, then write": a file that appears in between is
        // still never replaced.
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::Exists { path: path.clone() });
            }
            other => other.map_err(fail)?,
        };
        file.write_all(config_template().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(fail)?;
    }
    printer.note(format_args!(
        "wrote {}: set bucket, public-url and account-id (or endpoint) in it",
        path.display()
    ));
    // Beside the config file, named as the user named that.
    let (dir, gitignore) = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => (p, p.join(".gitignore")),
        _ => (Path::new("."), PathBuf::from(".gitignore")),
    };
    if !crate::ops::migrate::git::in_work_tree(dir) {
        printer.note(format_args!(
            "in git, add `{GITIGNORE_RULE}` to .gitignore: the manifest's lock file and stat cache (commit the manifest itself)"
        ));
        return Ok(());
    }
    if ignore_companions(&gitignore)? {
        printer.note(format_args!(
            "added `{GITIGNORE_RULE}` to {}: the manifest's lock file and stat cache (commit the manifest itself)",
            gitignore.display()
        ));
    }
    Ok(())
}

/// Appends [`GITIGNORE_RULE`] to `gitignore` (created if need be) unless a
/// line of it is that rule already; true when it was added.
fn ignore_companions(gitignore: &Path) -> Result<bool, Error> {
    let fail = |source| Error::Output {
        path: gitignore.to_path_buf(),
        source,
    };
    let text = match std::fs::read_to_string(gitignore) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(fail(e)),
    };
    if text.lines().any(|l| l.trim() == GITIGNORE_RULE) {
        return Ok(false);
    }
    let newline = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(gitignore)
        .map_err(fail)?;
    file.write_all(
        format!("{newline}# r2filter: the manifest's lock file and stat cache\n{GITIGNORE_RULE}\n")
            .as_bytes(),
    )
    .map_err(fail)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use std::path::Path;

    /// The text with every commented-out `key = value` line switched on.
    fn uncommented(text: &str) -> String {
        text.lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest
                        .split_once(" = ")
                        .is_some_and(|(k, _)| !k.contains(' ')) =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every field of `Settings` is set: its Debug output names no `None`.
    fn assert_every_key(s: &Settings) {
        let debug = format!("{s:?}");
        assert!(!debug.contains("None"), "a key is missing: {debug}");
    }

    #[test]
    fn the_template_names_every_key_and_each_parses() {
        let text = config_template();
        // As written, it configures nothing (so running without editing it says
        // what is missing, rather than uploading to an example bucket).
        let plain = Settings::from_toml(&text, Path::new("r2filter.toml"), None).unwrap();
        assert_eq!(plain, Settings::default());
        let on = uncommented(&text);
        let all = Settings::from_toml(&on, Path::new("r2filter.toml"), None).unwrap();
        assert_every_key(&all);
        assert_eq!(all.region.as_deref(), Some("auto"));
    }

    #[test]
    fn the_gitignore_rule_covers_the_manifests_lock_and_cache() {
        assert_eq!(
            GITIGNORE_RULE,
            format!("{}.*", crate::config::MANIFEST_FILE)
        );
        assert!(config_template().contains(GITIGNORE_RULE));
    }

    #[test]
    fn the_mdbook_table_parses_as_book_toml() {
        let book = format!("[book]\ntitle = \"t\"\n{}", uncommented(&mdbook_table()));
        let all = Settings::from_toml(&book, Path::new("book.toml"), Some("preprocessor.r2filter"))
            .unwrap();
        assert_every_key(&all);
        let table: toml::Table = toml::from_str(&book).unwrap();
        assert_eq!(
            table["preprocessor"]["r2filter"]["after"],
            toml::Value::Array(vec!["links".into()])
        );
    }
}
