//! `r2filter --in-place PATH...` and `r2filter PATH... --out-dir DIR`: many
//! documents, one pipeline run (one dedupe set, one upload pool, one manifest
//! write), then every output written atomically, all or nothing. Like the
//! filter it ends with one summary line; `-v` lists the files written.

use std::path::Path;

use super::{Cli, Printer};
use crate::batch::{self, Stager, Target, Written};
use crate::cli::report;
use crate::error::Error;
use crate::pipeline::{self, Outcome};
use crate::site::Profile;

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
    let mut site = None;
    let result = process(args, printer, (&target, &mut site), &cwd);
    super::write_report(
        args,
        printer,
        result.as_ref().map(|(outcome, _)| outcome),
        site.as_ref(),
    )?;
    let (outcome, written) = result?;
    if let Some(written) = written {
        for path in &written.changed {
            printer.detail(format_args!("wrote {}", path.display()));
        }
        if written.unchanged > 0 {
            printer.detail(format_args!("{} file(s) unchanged", written.unchanged));
        }
    } else {
        printer.stdout(report::plan(&outcome.records).as_bytes())?;
    }
    printer.summary(&outcome.summary);
    Ok(())
}

/// Reads the configuration and the documents, runs the pipeline once, and
/// (unless `--dry-run`) writes the outputs: each is staged as soon as it is
/// made, so 10,000 documents never hold 10,000 outputs in memory, and all are
/// committed once the run has succeeded.
fn process(
    args: &Cli,
    printer: &Printer,
    (target, site): (&Target, &mut Option<Profile>),
    cwd: &Path,
) -> Result<(Outcome, Option<Written>), Error> {
    let cfg = args.config.load(cwd)?;
    *site = Some(cfg.profile.clone());
    let inputs = batch::collect(&args.paths, cwd)?;
    batch::distinct_targets(&inputs, target)?;
    if inputs.is_empty() {
        printer.note("no .md, .mdx or .markdown files found; nothing to do");
    }
    let docs = batch::read(&inputs)?;
    if args.dry_run {
        let outcome =
            printer.with_progress(true, args.offline, |opts| pipeline::run(&cfg, &docs, opts))?;
        return Ok((outcome, None));
    }
    let mut stager = Stager::new(&inputs, target, cwd);
    let outcome = printer.with_progress(false, args.offline, |opts| {
        let mut stage = |i: usize, output: String| stager.stage(i, &output).map_err(Error::from);
        pipeline::run_to(&cfg, &docs, opts, Some(&mut stage))
    })?;
    drop(docs);
    Ok((outcome, Some(stager.commit()?)))
}
