//! `r2filter --in-place PATH...` and `r2filter PATH... --out-dir DIR`: many
//! documents, one pipeline run (one dedupe set, one upload pool, one manifest
//! write), then every output written atomically, all or nothing. Like the
//! filter it ends with one summary line; `-v` lists the files written.

use std::path::Path;

use super::{Cli, Printer, load_config};
use crate::batch::{self, Input, Target};
use crate::error::Error;
use crate::pipeline::{self, Outcome};
use crate::report;

/// Runs the batch modes. With `--dry-run`, stdout gets the plan and no file
/// is written.
pub fn run(args: &Cli, printer: &Printer) -> Result<(), Error> {
    let target = match (&args.out_dir, args.in_place) {
        (Some(dir), _) => Target::OutDir(dir.clone()),
        (None, true) => Target::InPlace,
        (None, false) => {
            use clap::CommandFactory;
            Cli::command()
                .error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "files given: say where the results go, with --in-place or --out-dir DIR\n\
                     (to filter standard input, give no PATH)",
                )
                .exit()
        }
    };
    let cwd = super::cwd()?;
    let mut inputs = Vec::new();
    let result = process(args, printer, &target, &cwd, &mut inputs);
    super::write_report(args, printer, result.as_ref())?;
    let outcome = result?;
    if args.dry_run {
        printer.stdout(report::plan(&outcome.records).as_bytes())?;
    } else {
        let written = batch::write_all(&inputs, &outcome.outputs, &target, &cwd)?;
        for path in &written.changed {
            printer.detail(format_args!("wrote {}", path.display()));
        }
        if written.unchanged > 0 {
            printer.detail(format_args!("{} file(s) unchanged", written.unchanged));
        }
    }
    printer.summary(&outcome.summary);
    Ok(())
}

/// Reads the configuration and the documents, and runs the pipeline once.
fn process(
    args: &Cli,
    printer: &Printer,
    target: &Target,
    cwd: &Path,
    inputs: &mut Vec<Input>,
) -> Result<Outcome, Error> {
    let cfg = load_config(args.settings.clone(), args.config.as_deref(), cwd)?;
    *inputs = batch::collect(&args.paths, cwd)?;
    batch::distinct_targets(inputs, target)?;
    if inputs.is_empty() {
        printer.note("no .md, .mdx or .markdown files found; nothing to do");
    }
    let docs = batch::read(inputs)?;
    printer.with_progress(args.dry_run, args.offline, |opts| {
        pipeline::run(&cfg, &docs, opts)
    })
}
