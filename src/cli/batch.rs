//! `r2filter --in-place PATH...` and `r2filter PATH... --out-dir DIR`: many
//! documents, one pipeline run (one dedupe set, one upload pool, one manifest
//! write), then every output written atomically, all or nothing.

use std::io::Write;
use std::sync::Arc;

use super::{Cli, load_config};
use crate::batch::{self, Input, Target};
use crate::error::Error;
use crate::pipeline::{self, Options, Outcome};
use crate::progress::{Bar, Progress};
use crate::report;

/// Runs the batch modes. With `--dry-run`, stdout gets the plan and no file
/// is written.
pub fn run(args: &Cli) -> Result<(), Error> {
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
    let result = process(args, &target, &cwd, &mut inputs);
    finish(args, result, &inputs, &target, &cwd)
}

/// Reads the configuration and the documents, and runs the pipeline once.
fn process(
    args: &Cli,
    target: &Target,
    cwd: &std::path::Path,
    inputs: &mut Vec<Input>,
) -> Result<Outcome, Error> {
    let cfg = load_config(
        args.settings.clone().into_settings(),
        args.config.as_deref(),
        None,
        cwd,
    )?;
    *inputs = batch::collect(&args.paths, cwd)?;
    batch::check_targets(inputs, target)?;
    if inputs.is_empty() && !args.quiet {
        eprintln!("r2filter: no .md, .mdx or .markdown files found; nothing to do");
    }
    let docs = batch::read(inputs)?;
    let bar = Bar::for_stderr(args.quiet);
    // `..Default::default()` so options other entries add keep their defaults.
    #[allow(clippy::needless_update)]
    let opts = Options {
        dry_run: args.dry_run,
        offline: args.offline,
        progress: bar.clone().map(|b| b as Arc<dyn Progress>),
        ..Default::default()
    };
    let result = pipeline::run(&cfg, &docs, opts);
    drop(bar);
    result
}

/// The report, then the files (or the plan), then the summary.
fn finish(
    args: &Cli,
    result: Result<Outcome, Error>,
    inputs: &[Input],
    target: &Target,
    cwd: &std::path::Path,
) -> Result<(), Error> {
    super::write_report(
        args.report.as_deref(),
        result.as_ref(),
        args.dry_run,
        args.offline,
    )?;
    let outcome = result?;
    if args.dry_run {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(report::plan(&outcome.records).as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|source| Error::Output {
                path: "<stdout>".into(),
                source,
            })?;
    } else {
        let written = batch::write_all(inputs, &outcome.outputs, target, cwd)?;
        if !args.quiet {
            for path in &written.changed {
                eprintln!("r2filter: wrote {}", path.display());
            }
            if written.unchanged > 0 {
                eprintln!("r2filter: {} file(s) unchanged", written.unchanged);
            }
        }
    }
    if !args.quiet {
        eprintln!("r2filter: {}", outcome.summary);
    }
    Ok(())
}
