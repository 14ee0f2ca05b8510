//! `r2filter mdbook` and the `mdbook-r2filter` binary: mdBook's preprocessor
//! protocol around [`crate::mdbook`].
//!
//! mdBook first runs `CMD supports RENDERER` (exit 0: yes — r2filter only
//! changes URLs, so every renderer is supported), then pipes `[context, book]`
//! JSON into `CMD` and reads the book back from standard output. Standard
//! output carries that JSON and nothing else; logs, warnings and the summary go
//! to standard error, which mdBook passes through.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use super::{Cli, init_logging};
use crate::config::Settings;
use crate::document::ReadError;
use crate::error::Error;
use crate::pipeline::{Options, Outcome};
use crate::progress::{Bar, Progress};
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
    pub quiet: bool,
}

impl Outer {
    pub fn from_cli(args: &Cli) -> Outer {
        Outer {
            settings: args.settings.clone().into_settings(),
            offline: args.offline,
            dry_run: args.dry_run,
            report: args.report.clone(),
            quiet: args.quiet,
        }
    }
}

/// `mdbook-r2filter`: runs the preprocessor; returns the process exit code.
pub fn main_with(args: &MdbookArgs) -> std::process::ExitCode {
    init_logging(false, 0);
    match run(args, Outer::default()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", e.render());
            std::process::ExitCode::from(e.exit_code())
        }
    }
}

/// `supports RENDERER`, or `[context, book]` on stdin → book on stdout.
pub fn run(args: &MdbookArgs, outer: Outer) -> Result<(), Error> {
    if let Some(MdbookCommand::Supports { .. }) = args.command {
        return Ok(());
    }
    let result = process(&outer);
    super::write_report(
        outer.report.as_deref(),
        result.as_ref().map(|(_, o)| o),
        outer.dry_run,
        outer.offline,
    )?;
    let (book, outcome) = result?;
    if outer.dry_run {
        // stdout belongs to mdBook: the plan goes to stderr, the book unchanged.
        eprint!("{}", report::plan(&outcome.records));
    }
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &book)
        .map_err(std::io::Error::from)
        .and_then(|()| stdout.flush())
        .map_err(|source| Error::Output {
            path: "<stdout>".into(),
            source,
        })?;
    if !outer.quiet {
        eprintln!("r2filter: {}", outcome.summary);
    }
    Ok(())
}

/// Reads mdBook's input and configuration, and runs the whole book.
fn process(outer: &Outer) -> Result<(mdbook_preprocessor::book::Book, Outcome), Error> {
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
    let cfg = crate::mdbook::config(&ctx, outer.settings.clone(), env, &cwd)?;
    // mdBook passes its terminal through as our stderr, so a cold build of a
    // big book shows progress; the bar is gone before the summary or an error.
    let bar = Bar::for_stderr(outer.quiet);
    #[allow(
        clippy::needless_update,
        reason = "other branches add fields to Options; new ones stay at their default here"
    )]
    let opts = Options {
        dry_run: outer.dry_run,
        offline: outer.offline,
        progress: bar.clone().map(|b| b as Arc<dyn Progress>),
        ..Default::default()
    };
    let result = crate::mdbook::process(&cfg, &ctx, &cwd, book, opts);
    drop(bar);
    result
}

/// `0.5.4` and `0.5.1` speak the same protocol; `0.4.x` may not.
fn same_minor(a: &str, b: &str) -> bool {
    fn minor(v: &str) -> Vec<&str> {
        v.splitn(3, '.').take(2).collect()
    }
    minor(a) == minor(b)
}
