//! `r2filter mdbook` and the `mdbook-r2filter` binary: mdBook's preprocessor
//! protocol around [`crate::mdbook::R2filter`], which implements
//! [`mdbook_preprocessor::Preprocessor`].
//!
//! mdBook first runs `CMD supports RENDERER` (exit 0: yes — r2filter only
//! changes URLs, so every renderer is supported), then pipes `[context, book]`
//! JSON into `CMD` and reads the book back from standard output. Standard
//! output carries that JSON and nothing else; logs, warnings, the plan of a
//! dry run and the summary go to standard error, which mdBook passes through.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use mdbook_preprocessor::Preprocessor as _;
use mdbook_preprocessor::book::Book;

use super::{Cli, Printer, init_logging};
use crate::config::Settings;
use crate::document::ReadError;
use crate::error::Error;
use crate::mdbook::R2filter;
use crate::pipeline::Outcome;
use crate::report;

/// Runs r2filter as an mdBook preprocessor: put `[preprocessor.r2filter]` in
/// book.toml; mdBook then runs it on every build.
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "mdbook-r2filter", version)]
pub struct MdbookArgs {
    #[command(subcommand)]
    pub command: Option<MdbookCommand>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum MdbookCommand {
    /// Exit 0 when RENDERER is supported (every renderer is)
    Supports { renderer: String },
}

/// What the top-level command line adds (`r2filter --offline mdbook`).
#[derive(Debug, Clone, Default)]
pub struct Outer {
    pub settings: Settings,
    pub offline: bool,
    pub dry_run: bool,
    pub report: Option<PathBuf>,
}

impl Outer {
    pub fn from_cli(args: &Cli) -> Outer {
        Outer {
            settings: args.settings.clone(),
            offline: args.offline,
            dry_run: args.dry_run,
            report: args.report.clone(),
        }
    }
}

/// `mdbook-r2filter`: runs the preprocessor; returns the process exit code.
pub fn main_with(args: &MdbookArgs) -> std::process::ExitCode {
    init_logging(false, 0);
    let printer = Printer::default();
    super::exit(&printer, run(args, Outer::default(), &printer))
}

/// `supports RENDERER`, or `[context, book]` on stdin → book on stdout.
pub fn run(args: &MdbookArgs, outer: Outer, printer: &Printer) -> Result<(), Error> {
    if let Some(MdbookCommand::Supports { .. }) = args.command {
        return Ok(());
    }
    let result = process(&outer, printer);
    super::write_report_file(
        outer.report.as_deref(),
        printer,
        result.as_ref().map(|(_, o)| o),
        outer.dry_run,
        outer.offline,
    )?;
    let (book, outcome) = result?;
    if outer.dry_run {
        // stdout belongs to mdBook: the plan goes to stderr, the book unchanged.
        printer.stderr(&report::plan(&outcome.records));
    }
    let json = serde_json::to_vec(&book).expect("a book serializes");
    printer.stdout(&json)?;
    printer.summary(&outcome.summary);
    Ok(())
}

/// Reads mdBook's input and configuration, and runs the whole book through
/// the preprocessor, behind the progress bar: mdBook passes its terminal
/// through as our stderr, so a cold build of a big book shows progress.
fn process(outer: &Outer, printer: &Printer) -> Result<(Book, Outcome), Error> {
    let cwd = super::cwd()?;
    let (ctx, book) =
        mdbook_preprocessor::parse_input(std::io::stdin().lock()).map_err(|e| ReadError::Io {
            path: "<stdin>".into(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{e:#} (expected mdBook's [context, book] JSON: run me from mdBook)"),
            ),
        })?;
    if !same_minor(&ctx.mdbook_version, mdbook_preprocessor::MDBOOK_VERSION) {
        tracing::warn!(
            "built for mdBook {}, called by mdBook {}",
            mdbook_preprocessor::MDBOOK_VERSION,
            ctx.mdbook_version
        );
    }
    let env = Settings::from_env(|k| std::env::var(k).ok())?;
    printer.with_progress(outer.dry_run, outer.offline, |options| {
        let pre = R2filter::new(outer.settings.clone(), env, cwd, options);
        let book = pre.run(&ctx, book).map_err(R2filter::error)?;
        Ok((
            book,
            pre.take_outcome()
                .expect("a run that succeeded has an outcome"),
        ))
    })
}

/// `0.5.4` and `0.5.1` speak the same protocol; `0.4.x` may not.
fn same_minor(a: &str, b: &str) -> bool {
    fn minor(v: &str) -> Vec<&str> {
        v.splitn(3, '.').take(2).collect()
    }
    minor(a) == minor(b)
}
