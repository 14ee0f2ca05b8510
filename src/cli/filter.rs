//! `r2filter < post.md > out.md`: one document from standard input to standard
//! output. Nothing reaches stdout unless the whole run succeeded.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use super::{Cli, load_config};
use crate::error::Error;
use crate::pipeline::{self, Options, Outcome};
use crate::progress::{Bar, Progress};
use crate::report;
use crate::scan::Flavor;

/// The stdin → stdout filter. With `--dry-run`, stdout gets the plan instead
/// of the document.
pub fn run(args: &Cli) -> Result<(), Error> {
    let result = process(args);
    finish(args, result)
}

/// Reads the configuration and standard input, and runs the pipeline.
fn process(args: &Cli) -> Result<Outcome, Error> {
    let cwd = super::cwd()?;
    let cfg = load_config(
        args.settings.clone().into_settings(),
        args.config.as_deref(),
        None,
        &cwd,
    )?;
    if std::io::stdin().is_terminal() && !args.quiet {
        // Not an error (typing a document works), but usually a forgotten `< post.md`.
        eprintln!(
            "r2filter: reading Markdown from the terminal; end with Ctrl-D (see r2filter --help)"
        );
    }
    let flavor = if args.mdx {
        Flavor::Mdx
    } else {
        Flavor::Markdown
    };
    let doc = crate::document::Document::stdin(&cfg.base_dir, flavor)?;
    // The bar only exists on a terminal; holding the only other handle, this
    // function drops it (clearing the line) before the summary or an error.
    let bar = Bar::for_stderr(args.quiet);
    let opts = Options {
        dry_run: args.dry_run,
        offline: args.offline,
        progress: bar.clone().map(|b| b as Arc<dyn Progress>),
    };
    let result = pipeline::run(&cfg, std::slice::from_ref(&doc), opts);
    drop(bar);
    result
}

/// Everything after the pipeline: the report, then stdout, then the summary.
/// The report comes first so that when it cannot be written, stdout stays
/// empty like on any other failure.
fn finish(args: &Cli, result: Result<Outcome, Error>) -> Result<(), Error> {
    super::write_report(
        args.report.as_deref(),
        result.as_ref(),
        args.dry_run,
        args.offline,
    )?;
    let outcome = result?;
    // A dry run emits no document, so stdout is free for the plan.
    let text = if args.dry_run {
        report::plan(&outcome.records)
    } else {
        outcome.outputs[0].clone()
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|source| Error::Output {
            path: "<stdout>".into(),
            source,
        })?;
    if !args.quiet {
        eprintln!("r2filter: {}", outcome.summary);
    }
    Ok(())
}
