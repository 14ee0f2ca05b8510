//! `r2filter migrate [PATH...] [--delete]`: rewrite the documents in place
//! (as `--in-place`), then print which image files can leave the repository
//! ([`crate::migrate::plan`]); with `--delete`, delete them (`git rm` in a
//! git work tree).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::{Cli, SettingsArgs};
use crate::batch::{self, Target};
use crate::document::Document;
use crate::error::Error;
use crate::migrate;
use crate::pipeline::{self, Options, human_bytes};
use crate::progress::{Bar, Progress};

/// Rewrite documents in place, then list (or with --delete, delete) the local
/// images they no longer need
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// Markdown/MDX files or folders, walked like --in-place [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Delete the files the plan lists (git rm inside a git work tree)
    #[arg(long)]
    pub delete: bool,

    #[command(flatten)]
    pub settings: SettingsArgs,

    /// Config file [default: ./r2filter.toml when present] [env: R2FILTER_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &MigrateArgs) -> Result<(), Error> {
    if cli.offline || cli.dry_run {
        use clap::CommandFactory;
        let flag = if cli.offline {
            "--offline: migrate must confirm every object in the bucket before it deletes a file"
        } else {
            "--dry-run: migrate deletes nothing without --delete; leave out --delete to see the plan"
        };
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("migrate refuses {flag}"),
            )
            .exit()
    }
    let cwd = super::cwd()?;
    let cfg = super::subcommand_config(cli, &args.settings, args.config.as_deref(), &cwd)?;
    let paths = if args.paths.is_empty() {
        // The current folder, its files named without a leading `./`.
        vec![PathBuf::new()]
    } else {
        args.paths.clone()
    };
    let inputs = batch::collect(&paths, &cwd)?;
    let docs = batch::read(&inputs)?;

    // 1. Rewrite in place: upload what is missing, record where it came from.
    let bar = Bar::for_stderr(cli.quiet);
    #[allow(clippy::needless_update)]
    let opts = Options {
        progress: bar.clone().map(|b| b as Arc<dyn Progress>),
        ..Default::default()
    };
    let outcome = pipeline::run(&cfg, &docs, opts);
    drop(bar);
    let outcome = outcome?;
    let written = batch::write_all(&inputs, &outcome.outputs, &Target::InPlace, &cwd)?;
    if !cli.quiet {
        for path in &written.changed {
            eprintln!("r2filter: wrote {}", path.display());
        }
        eprintln!("r2filter: {}", outcome.summary);
    }

    // 2. What can go: the plan on stdout.
    let rewritten: Vec<_> = docs
        .into_iter()
        .zip(outcome.outputs)
        .map(|(doc, text)| Document { text, ..doc })
        .collect();
    let plan = migrate::plan(&cfg, &rewritten)?;
    let verb = if args.delete { "deleted" } else { "delete" };
    let mut out = String::new();
    for c in &plan.delete {
        out.push_str(&format!(
            "{verb} {} ({})\n",
            c.path.display(),
            human_bytes(c.size)
        ));
    }
    for (path, why) in &plan.kept {
        out.push_str(&format!("kept {}: {why}\n", path.display()));
    }

    // 3. Delete, or say how.
    let git = if args.delete && !plan.delete.is_empty() {
        Some(migrate::delete(&cfg, &plan)?)
    } else {
        None
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|source| Error::Output {
            path: "<stdout>".into(),
            source,
        })?;
    if !cli.quiet {
        let files = |n: usize| format!("{n} file{}", if n == 1 { "" } else { "s" });
        let bytes = plan.bytes();
        let size = format!("{} ({bytes} bytes)", human_bytes(bytes));
        let kept = plan.kept.len();
        eprintln!(
            "r2filter migrate: {}",
            match git {
                Some(true) => format!(
                    "deleted {} with git rm, {size} freed; {kept} kept. Commit to finish: git add {} && git commit -am \"Move images to the bucket\"",
                    files(plan.delete.len()),
                    cfg.manifest
                        .strip_prefix(&cwd)
                        .unwrap_or(&cfg.manifest)
                        .display()
                ),
                Some(false) => format!(
                    "deleted {}, {size} freed; {kept} kept",
                    files(plan.delete.len())
                ),
                None if plan.delete.is_empty() => {
                    format!("no file to delete; {kept} kept")
                }
                None => format!(
                    "{} can be deleted, {size}; {kept} kept. Nothing was deleted: run again with --delete",
                    files(plan.delete.len())
                ),
            }
        );
    }
    Ok(())
}
