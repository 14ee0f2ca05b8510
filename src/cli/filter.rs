//! `r2filter < post.md > out.md`: one document from standard input to standard
//! output. Nothing reaches stdout unless the whole run succeeded.

use std::io::IsTerminal;

use super::{Cli, Printer};
use crate::cli::report;
use crate::document::Document;
use crate::error::Error;
use crate::pipeline::{self, Outcome};
use crate::site::Profile;
use r2filter_text::scan::Flavor;

/// The stdin → stdout filter. With `--dry-run`, stdout gets the plan instead
/// of the document.
pub fn run(args: &Cli, printer: &Printer) -> Result<(), Error> {
    let mut site = None;
    let result = process(args, printer, &mut site);
    super::write_report(args, printer, result.as_ref(), site.as_ref())?;
    let outcome = result?;
    // A dry run emits no document, so stdout is free for the plan.
    if args.dry_run {
        printer.stdout(report::plan(&outcome.records).as_bytes())?;
    } else {
        printer.stdout(outcome.outputs[0].as_bytes())?;
    }
    printer.summary(&outcome.summary);
    Ok(())
}

/// Reads the configuration and standard input, and runs the pipeline.
/// `site` gets the site's profile once the configuration is read.
fn process(args: &Cli, printer: &Printer, site: &mut Option<Profile>) -> Result<Outcome, Error> {
    let cwd = super::cwd()?;
    let cfg = args.config.load(&cwd)?;
    *site = Some(cfg.profile.clone());
    if std::io::stdin().is_terminal() {
        // Not an error (typing a document works), but usually a forgotten `< post.md`.
        printer.note("reading Markdown from the terminal; end with Ctrl-D (see r2filter --help)");
    }
    let flavor = if args.mdx {
        Flavor::Mdx
    } else {
        Flavor::Markdown
    };
    let doc = Document::stdin(&cfg.base_dir, flavor)?;
    printer.with_progress(args.dry_run, args.offline, |opts| {
        pipeline::run(&cfg, std::slice::from_ref(&doc), opts)
    })
}
