//! The mdBook stage: every chapter of a book through one [`pipeline::run`], so a
//! book shares one dedupe set, one upload pool and one manifest write.
//!
//! mdBook hands a preprocessor `[context, book]` as JSON and takes the book
//! back; [`crate::cli::mdbook`] speaks that protocol, this module does the work:
//!
//! - settings come from `[preprocessor.r2filter]` in book.toml ([`book_settings`]),
//!   below `R2FILTER_*` variables and above the mdBook defaults: `root` = the
//!   book's folder, `site-root` = its `src` folder (a leading `/`), manifest
//!   `r2filter-manifest.json` beside book.toml ([`config`]);
//! - each non-draft chapter is a [`Document`] named by its source file relative
//!   to the book (`src/guide/setup.md`), resolving relative paths against that
//!   file's folder; drafts have no file and are left alone ([`process`]).

use std::path::{Path, PathBuf};

use mdbook_preprocessor::PreprocessorContext;
use mdbook_preprocessor::book::{Book, Chapter};

use crate::config::{Config, ConfigError, Settings};
use crate::document::Document;
use crate::error::Error;
use crate::pipeline::{self, Options, Outcome};
use crate::site::Profile;
use crate::store::Store;
use r2filter_text::scan::{Flavor, MdBookMarkdown};

/// The preprocessor's table in book.toml.
pub const TABLE: &str = "preprocessor.r2filter";
/// mdBook's configuration file, in the book's folder.
pub const BOOK_TOML: &str = "book.toml";

/// The book's folder. mdBook starts preprocessors there, so a relative root in
/// the context (a book loaded as `MDBook::load(".")`) is the working folder.
pub fn book_root(ctx: &PreprocessorContext, cwd: &Path) -> PathBuf {
    if ctx.root.is_absolute() {
        ctx.root.clone()
    } else {
        cwd.join(&ctx.root)
    }
}

/// The `[preprocessor.r2filter]` layer, with relative paths taken from the
/// book's folder.
///
/// book.toml is read from disk first, so a mistake in it is reported at its
/// real line. The layer itself is the table mdBook passed in the context: the
/// same thing, plus any `MDBOOK_PREPROCESSOR__R2FILTER__*` override mdBook
/// applied, read as it is (no trip back through TOML text). Both go through
/// [`Settings::from_table`], so keys (kebab- or snake_case), the refusal of
/// credentials and relative paths behave exactly as in r2filter.toml.
pub fn book_settings(ctx: &PreprocessorContext, root: &Path) -> Result<Settings, ConfigError> {
    let file = root.join(BOOK_TOML);
    if file.is_file() {
        Settings::from_toml_file(&file, Some(TABLE))?;
    }
    let table: Option<toml::Table> = ctx.config.get(TABLE).map_err(|e| ConfigError::File {
        file: file.clone(),
        line: 1,
        col: 1,
        message: format!("[{TABLE}]: {e:#}"),
    })?;
    match table {
        Some(table) => Settings::from_table(table, &file, true, None),
        None => Ok(Settings::default()),
    }
}

/// r2filter as an mdBook preprocessor: [`config`], then [`process`] over the
/// whole book, which gives back the book and the run's [`Outcome`] (for the
/// summary and `--report`).
#[derive(Debug)]
pub struct R2filter {
    flags: Settings,
    env: Settings,
    cwd: PathBuf,
    options: Options,
}

impl R2filter {
    /// `flags` and `env` are the layers above book.toml; `cwd` anchors their
    /// relative paths.
    pub fn new(flags: Settings, env: Settings, cwd: PathBuf, options: Options) -> R2filter {
        R2filter {
            flags,
            env,
            cwd,
            options,
        }
    }

    /// Runs the book through r2filter: [`config`], then [`process`].
    pub fn process_book(&self, ctx: &PreprocessorContext, book: Book) -> Result<Processed, Error> {
        let cfg = config(ctx, self.flags.clone(), self.env.clone(), &self.cwd)?;
        process(&cfg, ctx, &self.cwd, book, self.options.clone())
    }
}

/// Stacks `flags` > `env` > book.toml > mdBook defaults into a [`Config`].
/// `cwd` anchors relative paths from flags and environment.
pub fn config(
    ctx: &PreprocessorContext,
    flags: Settings,
    env: Settings,
    cwd: &Path,
) -> Result<Config, Error> {
    let root = book_root(ctx, cwd);
    let defaults = Settings {
        site_root: Some(root.join(&ctx.config.book.src)),
        ..Settings::default()
    };
    let file = book_settings(ctx, &root)?;
    Ok(flags.or(env).or(file).or(defaults).resolve(cwd, &root)?)
}

/// What [`process`] did with a book.
#[derive(Debug)]
pub enum Processed {
    /// The book with its chapters rewritten, the run's account, and the
    /// site profile it was read with (for the report).
    Done(Book, Box<Outcome>, Box<Profile>),
    /// The book needs the network and this build has none (the lean
    /// mdbook-r2filter): images to upload to S3, or remote images to adopt.
    /// Nothing was uploaded, downloaded or rewritten.
    NeedsNetwork,
}

/// Runs the pipeline over every non-draft chapter of `book` at once and writes
/// the rewritten text back into the chapters. On error the book is dropped:
/// mdBook must fail the build rather than render stale links.
pub fn process(
    cfg: &Config,
    ctx: &PreprocessorContext,
    cwd: &Path,
    mut book: Book,
    opts: Options,
) -> Result<Processed, Error> {
    let root = book_root(ctx, cwd);
    let src = ctx.config.book.src.clone();
    let flavor = Flavor::MdBook(markdown_options(ctx));
    let mut docs = Vec::new();
    // `for_each_chapter_mut` skips drafts and visits in a fixed order, so the
    // second pass below meets the chapters in the order of `docs`.
    book.for_each_chapter_mut(|ch| {
        if let Some(doc) = document(ch, &root, &src, flavor) {
            docs.push(doc);
        }
    });
    let dry_run = opts.dry_run;
    let prepared = match pipeline::prepare(cfg, &docs, opts) {
        Err(Error::NeedsNetwork { .. }) => return Ok(Processed::NeedsNetwork),
        prepared => prepared?,
    };
    if prepared.uploads() && !Store::can_open(&cfg.store) {
        return Ok(Processed::NeedsNetwork);
    }
    let outcome = prepared.finish(None)?;
    if !dry_run {
        let mut outputs = outcome.outputs.iter();
        book.for_each_chapter_mut(|ch| {
            if ch.source_path.is_some() {
                ch.content = outputs.next().expect("one output per chapter").clone();
            }
        });
    }
    Ok(Processed::Done(
        book,
        Box::new(outcome),
        Box::new(cfg.profile.clone()),
    ))
}

/// The chapter as a document, or `None` when it has no source file.
fn document(ch: &Chapter, root: &Path, src: &Path, flavor: Flavor) -> Option<Document> {
    let source = ch.source_path.as_ref()?;
    let name = src.join(source);
    let base_dir = root
        .join(&name)
        .parent()
        .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
    Some(Document {
        name: name.to_string_lossy().into_owned(),
        base_dir,
        text: ch.content.clone(),
        flavor,
    })
}

/// How mdBook's HTML renderer parses chapters: the `[output.html]` switches
/// `smart-punctuation`, `definition-lists` and `admonitions` (each on unless
/// book.toml turns it off), which the scanner hands to mdBook's own parser
/// constructor. Chapters have no front matter.
pub fn markdown_options(ctx: &PreprocessorContext) -> MdBookMarkdown {
    let d = MdBookMarkdown::default();
    let get = |key: &str, default: bool| {
        ctx.config
            .get::<bool>(&format!("output.html.{key}"))
            .ok()
            .flatten()
            .unwrap_or(default)
    };
    MdBookMarkdown {
        smart_punctuation: get("smart-punctuation", d.smart_punctuation),
        definition_lists: get("definition-lists", d.definition_lists),
        admonitions: get("admonitions", d.admonitions),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdbook_preprocessor::book::BookItem;
    use mdbook_preprocessor::config::Config as BookConfig;

    fn ctx(root: &Path, toml: &str) -> PreprocessorContext {
        let config: BookConfig = toml.parse().unwrap();
        PreprocessorContext::new(root.into(), config, "html".into())
    }

    fn chapter(name: &str, path: &str, content: &str, subs: Vec<BookItem>) -> BookItem {
        let mut ch = Chapter::new(name, content.into(), path, vec![]);
        ch.sub_items = subs;
        BookItem::Chapter(ch)
    }

    const BOOK: &str = "[book]\nsrc = \"pages\"\n\n[preprocessor.r2filter]\nafter = [\"links\"]\ncommand = \"r2filter mdbook\"\nlocal-store = \"bucket\"\npublic-url = \"https://assets.example.com\"\n";

    #[test]
    fn defaults_are_the_book_folders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(BOOK_TOML), BOOK).unwrap();
        let c = ctx(dir.path(), BOOK);
        let cfg = config(&c, Settings::default(), Settings::default(), dir.path()).unwrap();
        assert_eq!(cfg.root, dir.path());
        assert_eq!(cfg.site_root.as_deref(), Some(&*dir.path().join("pages")));
        assert_eq!(cfg.manifest, dir.path().join("r2filter-manifest.json"));
        assert_eq!(
            cfg.store,
            crate::config::StoreConfig::Local(dir.path().join("bucket"))
        );
    }

    #[test]
    fn env_beats_book_toml_and_mdbook_overrides_reach_the_table() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(BOOK_TOML), BOOK).unwrap();
        let mut c = ctx(dir.path(), BOOK);
        // What MDBOOK_PREPROCESSOR__R2FILTER__PREFIX=docs does to mdBook's config.
        c.config
            .set("preprocessor.r2filter.prefix", "docs")
            .unwrap();
        let env = Settings::from_env(|k| {
            (k == "R2FILTER_PUBLIC_URL").then(|| "https://cdn.example.com".into())
        })
        .unwrap();
        let cfg = config(&c, Settings::default(), env, dir.path()).unwrap();
        assert_eq!(cfg.destination.public_url, "https://cdn.example.com");
        assert_eq!(cfg.prefix, "docs");
    }

    #[test]
    fn a_mistake_in_book_toml_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = BOOK.replace("public-url", "public-ur");
        std::fs::write(dir.path().join(BOOK_TOML), &text).unwrap();
        let c = ctx(dir.path(), &text);
        let e = config(&c, Settings::default(), Settings::default(), dir.path()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("book.toml:4:1: unknown field `public-ur`"),
            "{msg}"
        );
    }

    #[test]
    fn every_chapter_in_one_run_drafts_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join(BOOK_TOML), BOOK).unwrap();
        std::fs::create_dir_all(root.join("pages/guide/img")).unwrap();
        let png =
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
        std::fs::write(root.join("pages/guide/img/a.png"), png).unwrap();
        let c = ctx(&root, BOOK);
        let mut book = Book::new();
        book.push_item(chapter(
            "Intro",
            "README.md",
            "![a](/guide/img/a.png)\n",
            vec![chapter(
                "Setup",
                "guide/setup.md",
                "![a](img/a.png)\n",
                vec![],
            )],
        ));
        book.push_item(BookItem::Chapter(Chapter::new_draft("Soon", vec![])));
        let cfg = config(&c, Settings::default(), Settings::default(), &root).unwrap();
        let Processed::Done(out, outcome, _) =
            process(&cfg, &c, &root, book, Options::default()).unwrap()
        else {
            panic!("a local store needs no S3 client");
        };
        assert_eq!(outcome.summary.documents, 2);
        assert_eq!(outcome.summary.uploaded, 1);
        let contents: Vec<&str> = out
            .iter()
            .filter_map(|i| match i {
                BookItem::Chapter(ch) => Some(ch.content.as_str()),
                _ => None,
            })
            .collect();
        let url = &outcome.records[0].url.clone().unwrap();
        assert!(url.starts_with("https://assets.example.com/"), "{url}");
        assert_eq!(
            contents,
            [
                format!("![a]({url})\n").as_str(),
                format!("![a]({url})\n").as_str(),
                ""
            ]
        );
        let names: Vec<&str> = outcome.records.iter().map(|r| &*r.document).collect();
        assert_eq!(names, ["pages/README.md", "pages/guide/setup.md"]);
    }

    #[test]
    fn the_example_book_toml_is_valid_for_mdbook_and_r2filter() {
        let text = include_str!("../../book.toml.example");
        let _: BookConfig = text.parse().unwrap();
        let s = Settings::from_toml(text, Path::new("/b/book.toml"), Some(TABLE)).unwrap();
        assert_eq!(s.bucket.as_deref(), Some("blog-assets"));
        let cfg = s.resolve(Path::new("/b"), Path::new("/b")).unwrap();
        assert_eq!(cfg.destination.public_url, "https://assets.example.com");
        // Every commented-out key is a real one: uncommented, it still parses.
        let all: String = text
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(kv) if kv.contains(" = ") && !kv.starts_with("command") => kv,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let s = Settings::from_toml(&all, Path::new("/b/book.toml"), Some(TABLE)).unwrap();
        assert_eq!(s.max_attempts, Some(5));
        assert_eq!(s.acl.as_deref(), Some("public-read"));
    }
}
