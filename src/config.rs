//! Configuration: flags > `R2FILTER_*` environment > `r2filter.toml` (or
//! `[preprocessor.r2filter]` in book.toml) > defaults.
//!
//! Every layer is a [`Settings`] with optional fields; [`Settings::or`] stacks
//! them and [`Settings::resolve`] checks the result into a [`Config`].
//! Credentials are never part of it: they come from the AWS chain only.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cli::help;
use crate::manifest::Destination;
use crate::object::{DEFAULT_KEY_TEMPLATE, KeyTemplate, TemplateError};
use crate::site::{Profile, Shortcodes, SiteKind, Switches};
use crate::store::S3Settings;
pub use crate::store::StoreConfig;
use crate::transform::{self, Convert, StripMetadata};
use r2filter_text::scan::{DEFAULT_FRONT_MATTER_KEYS, Flavor, ScanOptions, hexo};

/// The config file looked for in the current folder.
pub const CONFIG_FILE: &str = "r2filter.toml";
/// The manifest's default file name.
pub const MANIFEST_FILE: &str = "r2filter-manifest.json";
/// `Cache-Control` for objects: keys are content addresses, so they never change.
pub const DEFAULT_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
pub const DEFAULT_CONCURRENCY: usize = 16;
/// The region requests are signed for when an endpoint is given: R2's, and
/// what MinIO and most other stores accept.
pub const DEFAULT_REGION: &str = "auto";
/// Tries per request (the first included) for transient failures.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// What to do when a referenced image file does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum OnMissing {
    /// Stop: the run fails, and nothing is written.
    #[default]
    Error,
    /// Keep the reference as written and warn on stderr.
    Warn,
}

/// One layer of configuration, declared once: the flags (clap), the config
/// file's keys (serde: kebab-case as in book.toml, snake_case accepted) and
/// the `R2FILTER_*` variables (clap's `env`: `R2FILTER_` + the key in upper
/// snake case) all come from this struct. Every field is optional;
/// [`Settings::or`] stacks layers and [`Settings::resolve`] checks the result
/// into a [`Config`].
///
/// A new setting is a field here, and only here:
/// - `help_heading = help::…`: where `--help` lists it, and (through
///   [`help::TAKEN_BY`]) which subcommands take it;
/// - `env = "R2FILTER_…"` when a variable may set it; `default_value` (or
///   `default_value = X.to_string()`) when its default is one value, shown by `--help`
///   but never parsed (the layers below flags must stay visible): the real
///   default is what [`Settings::resolve`] uses when the field is unset,
///   and a test checks the two agree;
/// - a config-file-only setting (`#[arg(skip)]`) has an entry in
///   [`FILE_ONLY`] instead;
/// - then `SNAPSHOTS=overwrite cargo test --test testsuite docs::` rewrites
///   the settings and commands reference pages from these definitions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, clap::Args)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Settings {
    /// Bucket name
    #[arg(long, value_name = "NAME", env = "R2FILTER_BUCKET", help_heading = help::DESTINATION)]
    pub bucket: Option<String>,
    /// S3 endpoint URL; unset: R2's from --account-id, or AWS S3 (the SDK's for the region)
    #[arg(long, value_name = "URL", env = "R2FILTER_ENDPOINT", help_heading = help::DESTINATION)]
    pub endpoint: Option<String>,
    /// Cloudflare account id: the endpoint becomes https://<ID>.r2.cloudflarestorage.com
    #[serde(alias = "account_id")]
    #[arg(long, value_name = "ID", env = "R2FILTER_ACCOUNT_ID", help_heading = help::DESTINATION)]
    pub account_id: Option<String>,
    /// Signing region; unset: auto when there is an endpoint (R2's), else (AWS S3) AWS_REGION,
    /// AWS_DEFAULT_REGION or the AWS profile's region
    #[arg(long, env = "R2FILTER_REGION", help_heading = help::CONNECTION)]
    pub region: Option<String>,
    /// Base URL objects are served from, e.g. https://assets.example.com (unset with a local
    /// store: the folder's file:// URL)
    #[serde(alias = "public_url")]
    #[arg(long, value_name = "URL", env = "R2FILTER_PUBLIC_URL", help_heading = help::DESTINATION)]
    pub public_url: Option<String>,
    /// Use a local folder as the bucket: no account, no network
    #[serde(alias = "local_store")]
    #[arg(long, value_name = "DIR", env = "R2FILTER_LOCAL_STORE", help_heading = help::DESTINATION)]
    pub local_store: Option<PathBuf>,
    /// Key prefix, e.g. blog
    #[arg(long, env = "R2FILTER_PREFIX", help_heading = help::KEYS)]
    pub prefix: Option<String>,
    /// Key template: {hash}, {hash:N}, {ext}, {stem}, {year}, {month}, {day} (of the first upload)
    #[serde(alias = "key_template")]
    #[arg(long, value_name = "TEMPLATE", env = "R2FILTER_KEY_TEMPLATE", default_value = DEFAULT_KEY_TEMPLATE, help_heading = help::KEYS)]
    pub key_template: Option<String>,
    /// Manifest file; unset: beside the config file (relative paths in a config file are
    /// relative to its folder)
    #[arg(long, value_name = "FILE", env = "R2FILTER_MANIFEST", default_value = MANIFEST_FILE, help_heading = help::DESTINATION)]
    pub manifest: Option<PathBuf>,
    /// Only files inside this folder may be published; unset: the config file's folder
    #[arg(long, value_name = "DIR", env = "R2FILTER_ROOT", default_value = ".", help_heading = help::DOCUMENTS)]
    pub root: Option<PathBuf>,
    /// Folder that relative paths in standard input resolve against
    #[serde(alias = "base_dir")]
    #[arg(long, value_name = "DIR", default_value = ".", help_heading = help::INPUT)]
    pub base_dir: Option<PathBuf>,
    /// Folder a leading `/` resolves against; unset: public/ under the root if present
    #[serde(alias = "site_root")]
    #[arg(long, value_name = "DIR", env = "R2FILTER_SITE_ROOT", help_heading = help::DOCUMENTS)]
    pub site_root: Option<PathBuf>,
    /// Another folder to look for images in (repeatable)
    #[serde(alias = "image_dirs")]
    #[arg(long = "image-dir", value_name = "DIR", help_heading = help::DOCUMENTS)]
    pub image_dirs: Option<Vec<PathBuf>>,
    /// Requests (and file reads) at once, 1-256
    #[arg(short = 'j', long, value_name = "N", env = "R2FILTER_CONCURRENCY", default_value = DEFAULT_CONCURRENCY.to_string(), help_heading = help::CONNECTION)]
    pub concurrency: Option<usize>,
    /// What to do with a reference to a missing file
    #[serde(alias = "on_missing")]
    #[arg(long, value_enum, value_name = "WHAT", default_value = shown(OnMissing::default()), help_heading = help::DOCUMENTS)]
    pub on_missing: Option<OnMissing>,
    /// Front-matter keys whose values are images (config file only).
    #[serde(alias = "front_matter_keys")]
    #[arg(skip)]
    pub front_matter_keys: Option<Vec<String>>,
    /// MDX: more JSX props that name an image, besides src, srcSet, poster
    /// (repeatable, or comma-separated)
    #[serde(alias = "jsx_props")]
    #[arg(long = "jsx-prop", value_name = "NAME", value_delimiter = ',', env = "R2FILTER_JSX_PROPS", help_heading = help::SITE)]
    pub jsx_props: Option<Vec<String>>,
    /// Tries per request for transient failures (default 5; config file only).
    #[serde(alias = "max_attempts")]
    #[arg(skip)]
    pub max_attempts: Option<u32>,
    /// Rewrite Hexo asset tags ({% asset_img %}, {% asset_link %}, {% asset_path %}); unset: on
    /// for Hexo sites
    #[serde(alias = "hexo_tags")]
    #[arg(
        long,
        env = "R2FILTER_HEXO_TAGS",
        help_heading = help::SITE,
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true",
        require_equals = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub hexo_tags: Option<bool>,
    /// The kind of site, whose profile says how documents are read; unset: detected from the
    /// root's files
    #[arg(long, value_enum, value_name = "KIND", env = "R2FILTER_SITE", help_heading = help::SITE)]
    pub site: Option<SiteKind>,
    /// Read $…$ and $$…$$ as math, as remark-math does; unset: from the site's profile
    #[arg(
        long,
        env = "R2FILTER_MATH",
        help_heading = help::SITE,
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true",
        require_equals = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub math: Option<bool>,
    /// Hugo shortcodes whose parameter is an image, NAME=PARAM,...; unset: figure=src on Hugo
    /// sites
    #[serde(alias = "hugo_shortcodes")]
    #[arg(long, value_name = "NAME=PARAM,...", env = "R2FILTER_HUGO_SHORTCODES", help_heading = help::SITE, value_parser = clap::builder::ValueParser::new(|s: &str| s.parse::<Shortcodes>()))]
    pub hugo_shortcodes: Option<Shortcodes>,
    /// Rewrite Obsidian's ![[…]] image embeds; unset: on for Obsidian vaults
    #[arg(
        long,
        env = "R2FILTER_WIKILINKS",
        help_heading = help::SITE,
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true",
        require_equals = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub wikilinks: Option<bool>,
    /// Cache-Control of new objects (keys never change, so a year, immutable)
    #[serde(alias = "cache_control")]
    #[arg(long, value_name = "VALUE", default_value = DEFAULT_CACHE_CONTROL, help_heading = help::UPLOADS)]
    pub cache_control: Option<String>,
    /// Canned ACL to send (R2 does not implement it: leave unset there)
    #[arg(long, help_heading = help::UPLOADS)]
    pub acl: Option<String>,
    /// Metadata to remove before publishing
    #[serde(alias = "strip_metadata")]
    #[arg(long, value_enum, value_name = "WHAT", env = "R2FILTER_STRIP_METADATA", default_value = shown(StripMetadata::default()), help_heading = help::IMAGES)]
    pub strip_metadata: Option<StripMetadata>,
    /// Convert JPEG and PNG to this format when that is smaller
    #[arg(long, value_enum, value_name = "FORMAT", env = "R2FILTER_CONVERT", default_value = shown(Convert::default()), help_heading = help::IMAGES)]
    pub convert: Option<Convert>,
    /// Lossy quality of conversions and downscales, 1-100
    #[arg(long, value_name = "N", env = "R2FILTER_QUALITY", default_value = transform::DEFAULT_QUALITY.to_string(), help_heading = help::IMAGES)]
    pub quality: Option<u8>,
    /// Scale down images wider than N pixels
    #[serde(alias = "max_width")]
    #[arg(long, value_name = "N", env = "R2FILTER_MAX_WIDTH", help_heading = help::IMAGES)]
    pub max_width: Option<u32>,

    // Rescue (issue 23): remote images on listed hosts, adopted.
    /// Download remote images on HOST and publish them like local files:
    /// i.imgur.com, *.sinaimg.cn, http://host for plain HTTP (repeatable, or
    /// comma-separated)
    #[arg(long = "adopt", value_name = "HOST", value_delimiter = ',', env = "R2FILTER_ADOPT", help_heading = help::DOCUMENTS)]
    pub adopt: Option<Vec<String>>,
    /// Largest remote image adopted, in bytes (50 MiB)
    #[serde(alias = "adopt_max_bytes")]
    #[arg(long, value_name = "BYTES", env = "R2FILTER_ADOPT_MAX_BYTES", default_value = "52428800", help_heading = help::DOCUMENTS)]
    pub adopt_max_bytes: Option<u64>,
    /// Allow adopting from loopback and private addresses (tests, intranets)
    #[serde(alias = "adopt_private")]
    #[arg(
        long,
        env = "R2FILTER_ADOPT_PRIVATE",
        help_heading = help::DOCUMENTS,
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true",
        require_equals = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub adopt_private: Option<bool>,
    /// Seconds to connect and between reads when adopting; a download gets ten times this
    #[serde(alias = "adopt_timeout")]
    #[arg(long, value_name = "SECONDS", env = "R2FILTER_ADOPT_TIMEOUT", default_value = "30", help_heading = help::DOCUMENTS)]
    pub adopt_timeout: Option<u64>,
    /// A remote image that cannot be adopted fails the run (instead of being kept as written)
    #[arg(
        long,
        env = "R2FILTER_STRICT",
        help_heading = help::DOCUMENTS,
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true",
        require_equals = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub strict: Option<bool>,
    // Media and assets (issue 24): see `MediaSettings`.
    /// File types a plain link may publish besides images, e.g. pdf,zip (repeatable, or comma-separated)
    #[arg(long, value_name = "EXT", value_delimiter = ',', env = "R2FILTER_ASSETS", help_heading = help::DOCUMENTS)]
    pub assets: Option<Vec<String>>,
    /// Files larger than this are sent in parts (S3 multipart upload), e.g. 64MiB
    #[serde(alias = "multipart_threshold")]
    #[arg(long, value_name = "SIZE", env = "R2FILTER_MULTIPART_THRESHOLD", default_value = "64MiB", help_heading = help::UPLOADS)]
    pub multipart_threshold: Option<ByteSize>,
    /// Refuse to publish files larger than this, e.g. 500MB (default: no limit)
    #[serde(alias = "max_bytes")]
    #[arg(long, value_name = "SIZE", env = "R2FILTER_MAX_BYTES", help_heading = help::UPLOADS)]
    pub max_bytes: Option<ByteSize>,

    // Issue 22, what pages need besides the URL (docs/src/guides/images.md).
    /// Write every object's width, height, bytes, type (and placeholder) to FILE, keyed by URL, e.g. public/r2filter-images.json
    #[serde(alias = "images_index")]
    #[arg(long, value_name = "FILE", env = "R2FILTER_IMAGES_INDEX", help_heading = help::IMAGES)]
    pub images_index: Option<PathBuf>,
    /// Make a tiny blurred placeholder of each image (a data: URI): blur, or none
    #[arg(long, value_enum, value_name = "KIND", env = "R2FILTER_PLACEHOLDER", default_value = shown(Placeholder::default()), help_heading = help::IMAGES)]
    pub placeholder: Option<Placeholder>,
    /// Add width and height to raw HTML <img> and JSX <img>/<Image> that have neither
    #[arg(
        long,
        env = "R2FILTER_DIMENSIONS",
        help_heading = help::IMAGES,
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true",
        require_equals = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub dimensions: Option<bool>,
}

/// `placeholder`: what each object gets to show before it loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Placeholder {
    /// Nothing (the default).
    #[default]
    None,
    /// A tiny blurred copy as a `data:image/png;base64,` URI.
    Blur,
}

/// A value as `--help` shows it (a `default_value`).
fn shown(value: impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// A setting of the config file only (a field with `#[arg(skip)]`: no flag,
/// no variable), as `--help` cannot show it: for the settings reference.
#[derive(Debug, Clone, Copy)]
pub struct FileOnly {
    /// The key, as in r2filter.toml.
    pub key: &'static str,
    /// Which [`help`] heading it belongs with.
    pub heading: &'static str,
    /// What it does.
    pub help: &'static str,
    /// Its default, as the reference shows it.
    pub default: fn() -> String,
}

/// Every config-file-only setting (a test checks each such field has one).
pub const FILE_ONLY: &[FileOnly] = &[
    FileOnly {
        key: "front-matter-keys",
        heading: help::SITE,
        help: "Front-matter keys whose values are images",
        default: || DEFAULT_FRONT_MATTER_KEYS.join(", "),
    },
    FileOnly {
        key: "max-attempts",
        heading: help::CONNECTION,
        help: "Tries per request for transient failures (5xx, SlowDown, 429, resets, timeouts), the first included",
        default: || DEFAULT_MAX_ATTEMPTS.to_string(),
    },
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}:{line}:{col}: {message}", .file.display())]
    File {
        file: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{}: `{key}` looks like a credential, and credentials are never read from config files", .file.display())]
    Secret { file: PathBuf, key: String },
    #[error("cannot read {}: {source}", .file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{var}: {problem}")]
    Env { var: String, problem: String },
    #[error("no {what} configured")]
    Missing { what: &'static str },
    #[error("{key} {value:?}: {problem}")]
    Invalid {
        key: &'static str,
        value: String,
        problem: String,
    },
    #[error(transparent)]
    Template(#[from] TemplateError),
}

impl ConfigError {
    pub fn hint(&self) -> String {
        match self {
            ConfigError::File { .. } => "fix the file; its keys are in docs/src/reference/settings.md".into(),
            ConfigError::Secret { .. } => "remove it, and provide credentials as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or an AWS profile".into(),
            ConfigError::Read { .. } => "check the path and its permissions".into(),
            ConfigError::Env { .. } => "fix or unset the variable".into(),
            ConfigError::Missing { what: "public-url" } => "set --public-url (or R2FILTER_PUBLIC_URL, or public-url in r2filter.toml), e.g. https://assets.example.com".into(),
            ConfigError::Missing { what: "bucket" } => "set --bucket (or R2FILTER_BUCKET), or use --local-store DIR to try it without an account".into(),
            ConfigError::Missing { what } => format!("see docs/src/reference/settings.md#{what}"),
            ConfigError::Invalid { key, .. } => format!("see docs/src/reference/settings.md#{key}"),
            ConfigError::Template(_) => "placeholders are {hash}, {hash:N}, {ext}, {stem}, {year}, {month}, {day}".into(),
        }
    }
}

/// Keys mdBook itself puts in a preprocessor table.
const MDBOOK_KEYS: &[&str] = &[
    "command",
    "after",
    "before",
    "renderers",
    "renderer",
    "optional",
];

impl Settings {
    /// Fills every unset field of `self` from `lower` (through serde, so no
    /// field is named here: a new key needs nothing more).
    pub fn or(self, lower: Settings) -> Settings {
        let table = |s: &Settings| match toml::Value::try_from(s) {
            Ok(toml::Value::Table(t)) => t,
            other => unreachable!("settings serialize to a table: {other:?}"),
        };
        let mut merged = table(&lower);
        merged.extend(table(&self));
        merged.try_into().expect("merged settings deserialize")
    }

    /// The settings' command-line arguments as clap defines them, with
    /// their `R2FILTER_*` variables and shown defaults: what `--help`, the
    /// reference pages and [`Settings::from_env`] read.
    pub fn args() -> Vec<clap::Arg> {
        use clap::Args as _;
        Settings::augment_args(clap::Command::new("r2filter"))
            .get_arguments()
            .cloned()
            .collect()
    }

    /// A setting's argument as it is parsed: without its variable and its
    /// shown default, so that a flag left out is unset (None) and the layers
    /// below flags (environment, config file, the real defaults) show
    /// through; the environment is read by [`Settings::from_env`] alone.
    pub fn for_parsing(arg: clap::Arg) -> clap::Arg {
        arg.env(None::<&'static str>)
            .default_value(None::<&'static str>)
    }

    /// The `R2FILTER_*` variables (read through `var`, so tests need not touch
    /// the process environment), each parsed as its flag would be.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        use clap::{Args as _, FromArgMatches as _};
        let command = Settings::augment_args(clap::Command::new("r2filter").no_binary_name(true))
            .mut_args(Settings::for_parsing);
        let mut settings = Settings::default();
        for arg in Settings::args() {
            let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) else {
                continue;
            };
            let name = env.to_string_lossy().into_owned();
            let Some(value) = var(&name).filter(|v| !v.is_empty()) else {
                continue;
            };
            let parse = |v: &str| {
                command
                    .clone()
                    // `--key=value`: one argument, as a flag that takes an
                    // optional value (`--hexo-tags[=BOOL]`) needs.
                    .try_get_matches_from([format!("--{long}={v}")])
                    .and_then(|m| Settings::from_arg_matches(&m))
            };
            let layer = parse(&value).map_err(|e| ConfigError::Env {
                problem: if arg.get_value_names() == Some(&["N".into()]) {
                    format!("{value:?} is not a whole number")
                } else {
                    format!("{value:?}: {}", e.kind())
                },
                var: name,
            })?;
            settings = layer.or(settings);
        }
        Ok(settings)
    }

    /// Reads a TOML file: the whole file, or the table at `table` (dotted, e.g.
    /// `preprocessor.r2filter` in book.toml). Relative paths in it are taken
    /// relative to the file's folder. A missing table is an empty layer.
    pub fn from_toml_file(file: &Path, table: Option<&str>) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
            file: file.into(),
            source,
        })?;
        Settings::from_toml(&text, file, table)
    }

    /// As [`Settings::from_toml_file`], from text already read.
    pub fn from_toml(
        text: &str,
        file: &Path,
        table: Option<&str>,
    ) -> Result<Settings, ConfigError> {
        let at = |span: Option<std::ops::Range<usize>>, message: String| {
            let (line, col) = span.map_or((1, 1), |s| r2filter_text::scan::line_col(text, s.start));
            ConfigError::File {
                file: file.into(),
                line,
                col,
                message,
            }
        };
        // Report the message and position only: toml's own rendering quotes the
        // source line, which could hold a secret.
        let doc: toml::Table =
            toml::from_str(text).map_err(|e| at(e.span(), e.message().to_string()))?;
        let mut value = toml::Value::Table(doc);
        if let Some(path) = table {
            for part in path.split('.') {
                value = match value.get(part) {
                    Some(v) => v.clone(),
                    None => return Ok(Settings::default()),
                };
            }
        }
        let toml::Value::Table(t) = value else {
            return Err(at(
                None,
                format!("`{}` is not a table", table.unwrap_or("")),
            ));
        };
        // A mistake inside the table is reported at the table's header (a
        // position inside the extracted table means nothing in the file).
        let header = table.and_then(|name| {
            let header = format!("[{name}]");
            text.lines().position(|l| l.trim() == header).map(|i| i + 1)
        });
        Settings::from_table(t, file, table.is_some(), header)
    }

    /// The settings of a TOML table already parsed (`mdbook` is true for a
    /// preprocessor table: the keys mdBook puts there are dropped). Keys that
    /// look like credentials are refused; relative paths are taken relative
    /// to `file`'s folder; errors point at `line` (or 1) of `file`.
    pub fn from_table(
        mut t: toml::Table,
        file: &Path,
        mdbook: bool,
        line: Option<usize>,
    ) -> Result<Settings, ConfigError> {
        if mdbook {
            for k in MDBOOK_KEYS {
                t.remove(*k);
            }
        }
        for key in t.keys() {
            let k = key.to_ascii_lowercase();
            if [
                "secret",
                "password",
                "token",
                "credential",
                "access-key",
                "access_key",
            ]
            .iter()
            .any(|w| k.contains(w))
            {
                return Err(ConfigError::Secret {
                    file: file.into(),
                    key: key.clone(),
                });
            }
        }
        let settings: Settings = t
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::File {
                file: file.into(),
                line: line.unwrap_or(1),
                col: 1,
                message: e.message().to_string(),
            })?;
        let dir = file.parent().unwrap_or(Path::new("."));
        Ok(settings.relative_to(dir))
    }

    /// Makes relative paths relative to `dir`.
    pub fn relative_to(mut self, dir: &Path) -> Settings {
        let fix = |p: &mut Option<PathBuf>| {
            if let Some(p) = p
                && p.is_relative()
            {
                *p = dir.join(&*p);
            }
        };
        fix(&mut self.local_store);
        fix(&mut self.manifest);
        fix(&mut self.root);
        fix(&mut self.base_dir);
        fix(&mut self.site_root);
        fix(&mut self.images_index);
        if let Some(dirs) = &mut self.image_dirs {
            for d in dirs.iter_mut().filter(|d| d.is_relative()) {
                *d = dir.join(&*d);
            }
        }
        self
    }

    /// Checks the stacked settings into a [`Config`]. `cwd` anchors relative
    /// paths from flags and environment; `home` is where the manifest and root
    /// default to (the config file's folder, the book, or `cwd`).
    pub fn resolve(self, cwd: &Path, home: &Path) -> Result<Config, ConfigError> {
        let s = self.relative_to(cwd);
        let root = s.root.clone().unwrap_or_else(|| home.to_path_buf());
        let site_root = s.site_root.clone().or_else(|| {
            let public = root.join("public");
            public.is_dir().then_some(public)
        });
        let store = s.store()?;
        let public_url = match (&s.public_url, &store) {
            (Some(u), _) => u.trim_end_matches('/').to_string(),
            // A local store is its own public URL unless told otherwise.
            (None, StoreConfig::Local(dir)) => file_url(&absolute(cwd, dir)),
            (None, _) => return Err(ConfigError::Missing { what: "public-url" }),
        };
        check_public_url(&public_url)?;
        let destination = Destination::of(&store, public_url);
        let prefix = s.prefix.clone().unwrap_or_default();
        if prefix.split('/').any(|seg| seg == "..") {
            return Err(ConfigError::Invalid {
                key: "prefix",
                value: prefix,
                problem: "must not contain `..`".into(),
            });
        }
        let concurrency = s.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if concurrency == 0 || concurrency > 256 {
            return Err(ConfigError::Invalid {
                key: "concurrency",
                value: concurrency.to_string(),
                problem: "must be 1 to 256".into(),
            });
        }
        let publish = publish_settings(&s)?;
        let profile = s.profile(&root);
        Ok(Config {
            adopt: adopt_settings(&s)?,
            publish,
            media: media_settings(&s)?,
            store,
            destination,
            prefix,
            key_template: KeyTemplate::parse(
                s.key_template.as_deref().unwrap_or(DEFAULT_KEY_TEMPLATE),
            )?,
            manifest: s
                .manifest
                .clone()
                .unwrap_or_else(|| home.join(MANIFEST_FILE)),
            base_dir: s.base_dir.clone().unwrap_or_else(|| cwd.to_path_buf()),
            root,
            site_root,
            image_dirs: s.image_dirs.clone().unwrap_or_default(),
            concurrency,
            cache_control: s
                .cache_control
                .clone()
                .unwrap_or_else(|| DEFAULT_CACHE_CONTROL.into()),
            acl: s.acl.clone().filter(|a| !a.is_empty()),
            on_missing: s.on_missing.unwrap_or_default(),
            front_matter_keys: s.front_matter_keys.clone().unwrap_or_else(|| {
                DEFAULT_FRONT_MATTER_KEYS
                    .iter()
                    .map(|k| k.to_string())
                    .collect()
            }),
            jsx_props: s.jsx_props.clone().unwrap_or_default(),
            hexo_tags: profile.hexo_tags.value,
            profile,
            images_index: s.images_index.clone(),
            placeholder: s.placeholder.unwrap_or_default() == Placeholder::Blur,
            dimensions: s.dimensions.unwrap_or(false),
        })
    }

    /// The site at `root` and the syntax it is read with: `site` or what
    /// its files say, each switch set here winning over the profile's.
    fn profile(&self, root: &Path) -> Profile {
        Profile::new(
            root,
            Switches {
                site: self.site,
                math: self.math,
                hugo_shortcodes: self.hugo_shortcodes.clone().map(|h| h.0),
                hexo_tags: self.hexo_tags,
                wikilinks: self.wikilinks,
            },
        )
    }

    /// The store: a local folder, or a valid bucket with its endpoint (given,
    /// or R2's from the account id) and region.
    fn store(&self) -> Result<StoreConfig, ConfigError> {
        let bucket = match (&self.local_store, &self.bucket) {
            (Some(dir), _) => return Ok(StoreConfig::Local(dir.clone())),
            (None, Some(bucket)) => bucket,
            (None, None) => return Err(ConfigError::Missing { what: "bucket" }),
        };
        if !valid_bucket(bucket) {
            return Err(ConfigError::Invalid {
                key: "bucket",
                value: bucket.clone(),
                problem: "not a valid bucket name (3-63 characters: a-z, 0-9, '.', '-')".into(),
            });
        }
        let endpoint = match (&self.endpoint, &self.account_id) {
            (Some(e), _) => Some(e.trim_end_matches('/').to_string()),
            (None, Some(id)) if !id.chars().all(|c| c.is_ascii_alphanumeric()) => {
                return Err(ConfigError::Invalid {
                    key: "account-id",
                    value: id.clone(),
                    problem: "an account id is letters and digits".into(),
                });
            }
            (None, Some(id)) => Some(format!("https://{id}.r2.cloudflarestorage.com")),
            (None, None) => None,
        };
        if let Some(e) = &endpoint
            && !(e.starts_with("https://") || e.starts_with("http://"))
        {
            return Err(ConfigError::Invalid {
                key: "endpoint",
                value: e.clone(),
                problem: "must start with https:// (or http:// for a local server)".into(),
            });
        }
        Ok(StoreConfig::S3(S3Settings {
            bucket: bucket.clone(),
            // With an endpoint (R2, MinIO, …) `auto`; without one (AWS S3) the
            // AWS chain's, found when the store is opened.
            region: self
                .region
                .clone()
                .filter(|r| !r.is_empty())
                .or_else(|| endpoint.is_some().then(|| DEFAULT_REGION.into())),
            endpoint,
            max_attempts: self.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS),
        }))
    }
}

/// The checked `strip-metadata`, `convert`, `quality` and `max-width`.
fn publish_settings(s: &Settings) -> Result<transform::Settings, ConfigError> {
    let quality = s.quality.unwrap_or(transform::DEFAULT_QUALITY);
    if !(1..=100).contains(&quality) {
        return Err(ConfigError::Invalid {
            key: "quality",
            value: quality.to_string(),
            problem: "must be 1 to 100".into(),
        });
    }
    if s.max_width == Some(0) {
        return Err(ConfigError::Invalid {
            key: "max-width",
            value: "0".into(),
            problem: "must be at least 1 (leave it unset to keep every width)".into(),
        });
    }
    Ok(transform::Settings {
        strip: s.strip_metadata.unwrap_or_default(),
        convert: s.convert.unwrap_or_default(),
        quality,
        max_width: s.max_width,
    })
}

/// The checked `adopt`, `adopt-max-bytes`, `adopt-private`, `adopt-timeout`
/// and `strict`.
fn adopt_settings(s: &Settings) -> Result<crate::adopt::Adopt, ConfigError> {
    use crate::adopt::{Adopt, HostPattern};
    let mut hosts = Vec::new();
    for written in s.adopt.iter().flatten().filter(|h| !h.trim().is_empty()) {
        hosts.push(
            HostPattern::parse(written).map_err(|problem| ConfigError::Invalid {
                key: "adopt",
                value: written.clone(),
                problem,
            })?,
        );
    }
    let positive = |key: &'static str, n: Option<u64>| match n {
        Some(0) => Err(ConfigError::Invalid {
            key,
            value: "0".into(),
            problem: "must be at least 1".into(),
        }),
        _ => Ok(n),
    };
    let d = Adopt::default();
    Ok(Adopt {
        hosts,
        max_bytes: positive("adopt-max-bytes", s.adopt_max_bytes)?.unwrap_or(d.max_bytes),
        private: s.adopt_private.unwrap_or(false),
        timeout: positive("adopt-timeout", s.adopt_timeout)?
            .map_or(d.timeout, std::time::Duration::from_secs),
        strict: s.strict.unwrap_or(false),
    })
}

// ---- Media and assets (issue 24) ----

/// Files above this size go up in parts (S3 multipart upload), unless
/// `multipart-threshold` says otherwise.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 64 * 1024 * 1024;

/// S3's smallest part (the last one may be smaller): a lower threshold would
/// make parts the store refuses.
const MIN_MULTIPART_THRESHOLD: u64 = 5 * 1024 * 1024;

/// The checked `assets`, `multipart-threshold` and `max-bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSettings {
    /// Extensions (lower case, no dot) a plain link may publish.
    pub assets: Vec<String>,
    /// Files larger than this many bytes are sent in parts.
    pub multipart_threshold: u64,
    /// Files larger than this are refused.
    pub max_bytes: Option<u64>,
}

impl Default for MediaSettings {
    fn default() -> MediaSettings {
        MediaSettings {
            assets: Vec::new(),
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            max_bytes: None,
        }
    }
}

fn media_settings(s: &Settings) -> Result<MediaSettings, ConfigError> {
    use r2filter_text::resolve::{IMAGE_EXTENSIONS, MEDIA_EXTENSIONS};
    let mut assets = Vec::new();
    for raw in s.assets.iter().flatten() {
        let ext = raw.trim().trim_start_matches('.').to_ascii_lowercase();
        let known = IMAGE_EXTENSIONS.contains(&ext.as_str())
            || MEDIA_EXTENSIONS.contains(&ext.as_str())
            || crate::object::asset_type(&ext).is_some();
        if !known {
            let listed: Vec<&str> = crate::object::ASSET_TYPES.iter().map(|a| a.0).collect();
            return Err(ConfigError::Invalid {
                key: "assets",
                value: raw.clone(),
                problem: format!(
                    "r2filter publishes a file only when its bytes say what it is, and it can tell {}, and the image, video and audio types",
                    listed.join(", ")
                ),
            });
        }
        if !assets.contains(&ext) {
            assets.push(ext);
        }
    }
    let multipart_threshold = s
        .multipart_threshold
        .map_or(DEFAULT_MULTIPART_THRESHOLD, |b| b.0);
    if multipart_threshold < MIN_MULTIPART_THRESHOLD {
        return Err(ConfigError::Invalid {
            key: "multipart-threshold",
            value: multipart_threshold.to_string(),
            problem: "must be at least 5MiB (S3's smallest part)".into(),
        });
    }
    Ok(MediaSettings {
        assets,
        multipart_threshold,
        max_bytes: s.max_bytes.map(|b| b.0),
    })
}

/// A size in bytes, written `1048576`, `64MiB`, `64 MiB`, `500MB` or `2G`
/// (K, M, G, T are powers of 1000 with `B` or alone, 1024 with `iB`; as
/// config values, a whole number of bytes or such a string). Kept exact,
/// so it stacks through [`Settings::or`] unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ByteSizeValue", into = "u64")]
pub struct ByteSize(pub u64);

#[derive(Deserialize)]
#[serde(untagged)]
enum ByteSizeValue {
    Bytes(u64),
    Text(String),
}

impl TryFrom<ByteSizeValue> for ByteSize {
    type Error = String;
    fn try_from(v: ByteSizeValue) -> Result<ByteSize, String> {
        match v {
            ByteSizeValue::Bytes(n) => Ok(ByteSize(n)),
            ByteSizeValue::Text(t) => t.parse(),
        }
    }
}

impl From<ByteSize> for u64 {
    fn from(b: ByteSize) -> u64 {
        b.0
    }
}

impl std::str::FromStr for ByteSize {
    type Err = String;
    fn from_str(text: &str) -> Result<ByteSize, String> {
        let t = text.trim();
        let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let bad = || format!("{text:?} is not a size (e.g. 1048576, 64MiB, 500MB)");
        let n: u64 = t[..digits].parse().map_err(|_| bad())?;
        let unit = t[digits..].trim().to_ascii_lowercase();
        let factor: u64 = match unit.as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1000,
            "kib" => 1 << 10,
            "m" | "mb" => 1000 * 1000,
            "mib" => 1 << 20,
            "g" | "gb" => 1000 * 1000 * 1000,
            "gib" => 1 << 30,
            "t" | "tb" => 1000 * 1000 * 1000 * 1000,
            "tib" => 1 << 40,
            _ => return Err(bad()),
        };
        n.checked_mul(factor).map(ByteSize).ok_or_else(bad)
    }
}

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

// ---- end of media and assets ----

/// A checked configuration, ready for a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub store: StoreConfig,
    pub destination: Destination,
    pub prefix: String,
    pub key_template: KeyTemplate,
    pub manifest: PathBuf,
    pub root: PathBuf,
    /// Where documents read from stdin resolve relative paths.
    pub base_dir: PathBuf,
    pub site_root: Option<PathBuf>,
    pub image_dirs: Vec<PathBuf>,
    pub concurrency: usize,
    pub cache_control: String,
    pub acl: Option<String>,
    pub on_missing: OnMissing,
    pub front_matter_keys: Vec<String>,
    /// JSX props besides `src`, `srcSet`, `poster` that name an image (MDX).
    pub jsx_props: Vec<String>,
    /// Rewrite Hexo asset tags (`{% asset_img %}`, …): `profile.hexo_tags`.
    pub hexo_tags: bool,
    /// The kind of site and the syntax it is read with ([`crate::site`]).
    pub profile: Profile,
    /// What is published for each image: metadata stripped, converted, scaled.
    pub publish: transform::Settings,
    /// Remote images to adopt, and how (issue 23).
    pub adopt: crate::adopt::Adopt,
    /// Assets, multipart uploads and the size guard.
    pub media: MediaSettings,
    /// Where the images index goes, if anywhere.
    pub images_index: Option<PathBuf>,
    /// `placeholder = "blur"`: each object gets a placeholder.
    pub placeholder: bool,
    /// `dimensions = true`: width and height added to raw `<img>` and JSX
    /// `<img>`/`<Image>` that have neither.
    pub dimensions: bool,
}

impl Config {
    /// How a document of `flavor` named `name` is scanned: the configured
    /// keys and props, and the syntax switches of the site's profile.
    pub fn scan_options(&self, flavor: Flavor, name: &str) -> ScanOptions {
        let shortcodes = &self.profile.hugo_shortcodes.value;
        ScanOptions {
            flavor,
            front_matter_keys: self.front_matter_keys.clone(),
            jsx_props: self.jsx_props.clone(),
            hexo_assets: self.hexo_tags.then(|| hexo::asset_dir(name)),
            math: self.profile.math.value,
            hugo_shortcodes: (!shortcodes.is_empty()).then(|| shortcodes.clone()),
            wikilinks: self.profile.wikilinks.value,
            assets: self.media.assets.clone(),
        }
    }
}

impl Destination {
    /// Where `store`'s objects go, served from `public_url`.
    fn of(store: &StoreConfig, public_url: String) -> Destination {
        match store {
            StoreConfig::S3(s3) => Destination {
                store: "s3".into(),
                endpoint: s3.endpoint.clone(),
                bucket: Some(s3.bucket.clone()),
                public_url,
            },
            StoreConfig::Local(_) => Destination {
                store: "local".into(),
                endpoint: None,
                bucket: None,
                public_url,
            },
        }
    }
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}

fn file_url(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut url = String::from("file://");
    for seg in dir.to_string_lossy().split('/').filter(|s| !s.is_empty()) {
        url.push('/');
        url.extend(percent_encoding::utf8_percent_encode(
            seg,
            percent_encoding::NON_ALPHANUMERIC,
        ));
    }
    url
}

/// The public URL ends up in documents verbatim, so it must need no escaping.
fn check_public_url(url: &str) -> Result<(), ConfigError> {
    let bad = |problem: &str| ConfigError::Invalid {
        key: "public-url",
        value: url.into(),
        problem: problem.into(),
    };
    if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("file://")) {
        return Err(bad(
            "must start with https:// (your custom domain, e.g. https://assets.example.com)",
        ));
    }
    if url.contains(|c: char| c.is_whitespace() || c.is_control() || "\"'<>()\\`{}|^".contains(c)) {
        return Err(bad(
            "must not contain spaces, quotes, brackets or parentheses; percent-encode them",
        ));
    }
    if url.contains(['?', '#']) {
        return Err(bad("must not contain a query or fragment"));
    }
    Ok(())
}

fn valid_bucket(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && b.starts_with(|c: char| c.is_ascii_alphanumeric())
        && b.ends_with(|c: char| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toml(text: &str, table: Option<&str>) -> Result<Settings, ConfigError> {
        Settings::from_toml(text, Path::new("/site/r2filter.toml"), table)
    }

    #[test]
    fn kebab_and_snake_case_keys() {
        let s = toml(
            "public-url = \"https://a.example\"\naccount_id = \"abc\"\nlocal-store = \"b\"\n",
            None,
        )
        .unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://a.example"));
        assert_eq!(s.account_id.as_deref(), Some("abc"));
        assert_eq!(s.local_store, Some(PathBuf::from("/site/b")));
    }

    #[test]
    fn unknown_key_names_file_and_line() {
        let e = toml("bucket = \"x\"\npublic-ur = \"y\"\n", None).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("/site/r2filter.toml:1:1: unknown field `public-ur`"),
            "{msg}"
        );
    }

    #[test]
    fn syntax_error_position_without_quoting_the_line() {
        let e = toml("bucket = \"x\"\nacl = \"sekrit\n", None).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("/site/r2filter.toml:2:"), "{msg}");
        assert!(!msg.contains("sekrit"), "{msg}");
    }

    #[test]
    fn secrets_are_refused_without_echo() {
        let e = toml("secret-access-key = \"hunter2\"\n", None).unwrap_err();
        assert!(matches!(e, ConfigError::Secret { .. }));
        assert!(!e.to_string().contains("hunter2"));
    }

    #[test]
    fn mdbook_table_tolerates_mdbook_keys() {
        let text = "[book]\ntitle = \"x\"\n\n[preprocessor.r2filter]\ncommand = \"r2filter mdbook\"\nafter = [\"links\"]\nbucket = \"blog-assets\"\n";
        let s = toml(text, Some("preprocessor.r2filter")).unwrap();
        assert_eq!(s.bucket.as_deref(), Some("blog-assets"));
        assert_eq!(
            toml("[book]\n", Some("preprocessor.r2filter")).unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn precedence_flags_env_file() {
        let flags = Settings {
            bucket: Some("from-flag".into()),
            ..Default::default()
        };
        let env = Settings::from_env(|k| match k {
            "R2FILTER_BUCKET" => Some("from-env".into()),
            "R2FILTER_REGION" => Some("eu".into()),
            _ => None,
        })
        .unwrap();
        let file = Settings {
            region: Some("file".into()),
            prefix: Some("blog".into()),
            ..Default::default()
        };
        let s = flags.or(env).or(file);
        assert_eq!(s.bucket.as_deref(), Some("from-flag"));
        assert_eq!(s.region.as_deref(), Some("eu"));
        assert_eq!(s.prefix.as_deref(), Some("blog"));
    }

    #[test]
    fn r2_endpoint_from_account_id_and_defaults() {
        let s = Settings {
            bucket: Some("blog-assets".into()),
            account_id: Some("0123abcd".into()),
            public_url: Some("https://assets.example.com/".into()),
            ..Default::default()
        };
        let c = s.resolve(Path::new("/w"), Path::new("/w")).unwrap();
        let StoreConfig::S3(s3) = &c.store else {
            panic!()
        };
        assert_eq!(
            s3.endpoint.as_deref(),
            Some("https://0123abcd.r2.cloudflarestorage.com")
        );
        assert_eq!(s3.region.as_deref(), Some("auto"));
        assert_eq!(c.destination.public_url, "https://assets.example.com");
        assert_eq!(c.manifest, Path::new("/w/r2filter-manifest.json"));
        assert_eq!(c.cache_control, DEFAULT_CACHE_CONTROL);
        assert_eq!(c.acl, None);
        assert_eq!(c.concurrency, 16);
    }

    #[test]
    fn missing_and_invalid_values() {
        let base = || Settings {
            bucket: Some("blog-assets".into()),
            ..Default::default()
        };
        assert!(matches!(
            base().resolve(Path::new("/w"), Path::new("/w")),
            Err(ConfigError::Missing { what: "public-url" })
        ));
        let bad_url = Settings {
            public_url: Some("assets.example.com".into()),
            ..base()
        };
        assert!(matches!(
            bad_url.resolve(Path::new("/w"), Path::new("/w")),
            Err(ConfigError::Invalid {
                key: "public-url",
                ..
            })
        ));
        let bad_bucket = Settings {
            bucket: Some("B".into()),
            public_url: Some("https://x".into()),
            ..Default::default()
        };
        assert!(matches!(
            bad_bucket.resolve(Path::new("/w"), Path::new("/w")),
            Err(ConfigError::Invalid { key: "bucket", .. })
        ));
        let err = Settings::from_env(|k| (k == "R2FILTER_CONCURRENCY").then(|| "many".into()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "R2FILTER_CONCURRENCY: \"many\" is not a whole number"
        );
    }

    #[test]
    fn env_variables_are_parsed_as_their_flags_and_only_the_contracts() {
        let s = Settings::from_env(|k| match k {
            "R2FILTER_CONCURRENCY" => Some("8".into()),
            "R2FILTER_LOCAL_STORE" => Some("bucket".into()),
            "R2FILTER_ACCOUNT_ID" => Some("0123abcd".into()),
            // Empty is unset; base-dir has no variable.
            "R2FILTER_BUCKET" => Some(String::new()),
            "R2FILTER_BASE_DIR" => Some("elsewhere".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            s,
            Settings {
                concurrency: Some(8),
                local_store: Some("bucket".into()),
                account_id: Some("0123abcd".into()),
                ..Settings::default()
            }
        );
        assert!(
            Settings::from_env(|k| (k == "R2FILTER_HEXO_TAGS").then(|| "maybe".into())).is_err()
        );
    }

    /// A flag given as `--long=value`, parsed as the command line is.
    fn flag(long: &str, value: &str) -> Settings {
        use clap::{Args as _, FromArgMatches as _};
        let cmd = Settings::augment_args(clap::Command::new("t").no_binary_name(true))
            .mut_args(Settings::for_parsing);
        let m = cmd
            .try_get_matches_from([format!("--{long}={value}")])
            .unwrap();
        Settings::from_arg_matches(&m).unwrap()
    }

    #[test]
    fn every_default_help_shows_is_the_one_an_unset_setting_gets() {
        let (cwd, base) = (Path::new("/w"), Path::new("/w"));
        let layer = || Settings {
            local_store: Some("b".into()),
            ..Default::default()
        };
        let unset = layer().resolve(cwd, base).unwrap();
        let mut shown = 0;
        for arg in Settings::args() {
            let Some(default) = arg.get_default_values().first() else {
                continue;
            };
            let (long, default) = (arg.get_long().unwrap(), default.to_string_lossy());
            let set = flag(long, &default).or(layer()).resolve(cwd, base).unwrap();
            assert_eq!(
                set, unset,
                "--help shows [default: {default}] for --{long}, but leaving it unset is not the same"
            );
            shown += 1;
        }
        assert!(shown >= 8, "{shown} defaults shown");
    }

    #[test]
    fn a_flag_left_out_is_unset_so_lower_layers_show_through() {
        use clap::{Args as _, FromArgMatches as _};
        let cmd = Settings::augment_args(clap::Command::new("t").no_binary_name(true))
            .mut_args(Settings::for_parsing);
        let none: [&str; 0] = [];
        let m = cmd.try_get_matches_from(none).unwrap();
        assert_eq!(Settings::from_arg_matches(&m).unwrap(), Settings::default());
        let file = toml("concurrency = 4\nquality = 60\n", None).unwrap();
        assert_eq!(Settings::default().or(file.clone()), file);
    }

    #[test]
    fn region_is_auto_with_an_endpoint_and_the_chains_without() {
        let s = |endpoint: Option<&str>, region: Option<&str>| Settings {
            bucket: Some("blog-assets".into()),
            public_url: Some("https://a.example".into()),
            endpoint: endpoint.map(Into::into),
            region: region.map(Into::into),
            ..Default::default()
        };
        let region = |s: Settings| match s.resolve(Path::new("/w"), Path::new("/w")).unwrap().store
        {
            StoreConfig::S3(s3) => s3.region,
            StoreConfig::Local(_) => unreachable!(),
        };
        assert_eq!(
            region(s(Some("http://127.0.0.1:9000"), None)).as_deref(),
            Some("auto")
        );
        assert_eq!(
            region(s(None, None)),
            None,
            "AWS S3: the AWS chain's, on opening"
        );
        assert_eq!(
            region(s(None, Some("eu-west-1"))).as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region(s(Some("https://x.example"), Some("us-east-1"))).as_deref(),
            Some("us-east-1")
        );
        let r2 = Settings {
            account_id: Some("0123abcd".into()),
            ..s(None, None)
        };
        assert_eq!(region(r2).as_deref(), Some("auto"));
    }

    #[test]
    fn adopt_from_every_layer() {
        let file = toml(
            "adopt = [\"i.imgur.com\", \"*.sinaimg.cn\"]\nadopt-max-bytes = 1000\nadopt-private = true\n",
            None,
        )
        .unwrap();
        let env = Settings::from_env(|k| match k {
            "R2FILTER_ADOPT" => Some("http://127.0.0.1,user-images.githubusercontent.com".into()),
            "R2FILTER_ADOPT_TIMEOUT" => Some("5".into()),
            "R2FILTER_STRICT" => Some("true".into()),
            _ => None,
        })
        .unwrap();
        let base = Settings {
            local_store: Some("b".into()),
            ..Default::default()
        };
        let c = env
            .clone()
            .or(file.clone())
            .or(base.clone())
            .resolve(Path::new("/w"), Path::new("/w"))
            .unwrap();
        let hosts: Vec<&str> = c.adopt.hosts.iter().map(|h| h.written.as_str()).collect();
        assert_eq!(
            hosts,
            ["http://127.0.0.1", "user-images.githubusercontent.com"]
        );
        assert_eq!(c.adopt.max_bytes, 1000);
        assert!(c.adopt.private && c.adopt.strict);
        assert_eq!(c.adopt.timeout, std::time::Duration::from_secs(5));
        let c = file
            .or(base.clone())
            .resolve(Path::new("/w"), Path::new("/w"))
            .unwrap();
        assert_eq!(c.adopt.hosts.len(), 2);
        assert!(!c.adopt.strict);
        // Defaults: nothing adopted, 50 MiB, no private addresses.
        let c = base
            .clone()
            .resolve(Path::new("/w"), Path::new("/w"))
            .unwrap();
        assert_eq!(c.adopt, crate::adopt::Adopt::default());
        assert_eq!(c.adopt.max_bytes, 50 * 1024 * 1024);
        let bad = Settings {
            adopt: Some(vec!["*".into()]),
            ..base
        };
        assert!(matches!(
            bad.resolve(Path::new("/w"), Path::new("/w")),
            Err(ConfigError::Invalid { key: "adopt", .. })
        ));
    }

    #[test]
    fn media_settings_from_every_layer() {
        let file = toml(
            "assets = [\"PDF\", \".zip\"]\nmultipart-threshold = \"8MiB\"\nmax-bytes = 1000\n",
            None,
        )
        .unwrap();
        let env = Settings::from_env(|k| match k {
            "R2FILTER_ASSETS" => Some("epub,pdf".into()),
            "R2FILTER_MAX_BYTES" => Some("2 GB".into()),
            _ => None,
        })
        .unwrap();
        let flags = Settings {
            local_store: Some("b".into()),
            ..Default::default()
        };
        let c = flags
            .or(env)
            .or(file)
            .resolve(Path::new("/w"), Path::new("/w"))
            .unwrap();
        assert_eq!(
            c.media,
            MediaSettings {
                assets: vec!["epub".into(), "pdf".into()],
                multipart_threshold: 8 << 20,
                max_bytes: Some(2_000_000_000),
            }
        );
        let file_only = toml("assets = [\"PDF\", \".zip\"]\n", None)
            .unwrap()
            .or(Settings {
                local_store: Some("b".into()),
                ..Default::default()
            });
        let c = file_only.resolve(Path::new("/w"), Path::new("/w")).unwrap();
        assert_eq!(c.media.assets, ["pdf", "zip"]);
        assert_eq!(c.media.multipart_threshold, DEFAULT_MULTIPART_THRESHOLD);
        assert_eq!(c.media.max_bytes, None);
        let bad = |s: Settings| {
            Settings {
                local_store: Some("b".into()),
                ..s
            }
            .resolve(Path::new("/w"), Path::new("/w"))
            .unwrap_err()
            .to_string()
        };
        assert!(
            bad(toml("assets = [\"txt\"]\n", None).unwrap())
                .starts_with("assets \"txt\": r2filter publishes a file only when its bytes say")
        );
        assert!(
            bad(toml("multipart-threshold = \"1MiB\"\n", None).unwrap()).contains("at least 5MiB")
        );
        assert!(toml("max-bytes = \"lots\"\n", None).is_err());
        assert_eq!("64MiB".parse::<ByteSize>(), Ok(ByteSize(64 << 20)));
        assert_eq!("1 kb".parse::<ByteSize>(), Ok(ByteSize(1000)));
        assert!("99999999999TiB".parse::<ByteSize>().is_err());
    }

    #[test]
    fn hexo_tags_from_every_layer() {
        assert_eq!(
            toml("hexo-tags = true\n", None).unwrap().hexo_tags,
            Some(true)
        );
        assert_eq!(
            Settings::from_env(|k| (k == "R2FILTER_HEXO_TAGS").then(|| "false".into()))
                .unwrap()
                .hexo_tags,
            Some(false)
        );
        let s = Settings {
            local_store: Some("b".into()),
            ..Default::default()
        };
        assert!(
            !s.resolve(Path::new("/w"), Path::new("/w"))
                .unwrap()
                .hexo_tags
        );
    }
}
