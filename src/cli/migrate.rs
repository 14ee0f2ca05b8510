//! `r2filter migrate [PATH...] [--delete]`: rewrite the documents in place
//! (as `--in-place`), then print which image files can leave the repository
//! ([`crate::ops::migrate::plan`]); with `--delete`, delete them (`git rm` in a
//! git work tree, with the documents and the manifest staged beside the
//! deletions, so that `git commit` records a consistent tree).

use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::HumanBytes;

use super::{Cli, ConfigArgs, Printer, help};
use crate::batch::{self, Target};
use crate::config::Config;
use crate::document::Document;
use crate::error::Error;
use crate::ops::migrate::git::Staged;
use crate::ops::migrate::{self, Plan};
use crate::pipeline;

/// Rewrite documents in place, then list (or with --delete, delete) the local
/// images they no longer need
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// Markdown/MDX files or folders, walked like --in-place; none: the current folder
    #[arg(value_name = "PATH", help_heading = help::INPUT)]
    pub paths: Vec<PathBuf>,

    /// Delete the files the plan lists (git rm inside a git work tree, the
    /// rewritten documents and the manifest staged with it: ready to commit)
    #[arg(long)]
    pub delete: bool,

    #[command(flatten)]
    pub config: ConfigArgs,
}

pub fn run(cli: &Cli, args: &MigrateArgs, printer: &Printer) -> Result<(), Error> {
    refuse(cli);
    let super::Documents {
        cwd,
        cfg,
        inputs,
        docs,
    } = super::documents(cli, &args.config, &args.paths)?;

    // 1. Rewrite in place: upload what is missing, record where it came from.
    let outcome = printer.with_progress(false, false, |opts| pipeline::run(&cfg, &docs, opts))?;
    let written = batch::write_all(&inputs, &outcome.outputs, &Target::InPlace, &cwd)?;
    for path in &written.changed {
        printer.detail(format_args!("wrote {}", path.display()));
    }
    printer.summary(&outcome.summary);

    // 2. What can go, 3. deleted or not, then the plan on stdout.
    let rewritten: Vec<_> = docs
        .into_iter()
        .zip(outcome.outputs)
        .map(|(doc, text)| Document { text, ..doc })
        .collect();
    let plan = migrate::plan(&cfg, &rewritten)?;
    let deleted = if args.delete {
        let documents: Vec<PathBuf> = inputs.iter().map(|i| cwd.join(&i.path)).collect();
        Some(migrate::delete(&cfg, &plan, &documents)?)
    } else {
        None
    };
    printer.stdout(plan_text(&plan, args.delete).as_bytes())?;
    printer.say(format_args!(
        "r2filter migrate: {}",
        closing(&plan, deleted, &cfg, &cwd)
    ));
    Ok(())
}

/// `--offline` and `--dry-run` make no sense here: usage errors.
fn refuse(cli: &Cli) {
    if !cli.offline && !cli.dry_run {
        return;
    }
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

/// One line per file: `delete`/`deleted PATH (SIZE)`, `kept PATH: why`.
fn plan_text(plan: &Plan, deleted: bool) -> String {
    let verb = if deleted { "deleted" } else { "delete" };
    let mut out = String::new();
    for c in &plan.delete {
        out.push_str(&format!(
            "{verb} {} ({})\n",
            c.path.display(),
            HumanBytes(c.size)
        ));
    }
    for (path, why) in &plan.kept {
        out.push_str(&format!("kept {}: {why}\n", path.display()));
    }
    out
}

/// The summary: what was (or can be) deleted, and what to do next.
fn closing(plan: &Plan, deleted: Option<Option<Staged>>, cfg: &Config, cwd: &Path) -> String {
    let n = plan.delete.len();
    let files = format!("{n} file{}", if n == 1 { "" } else { "s" });
    let bytes = plan.bytes();
    let size = format!("{} ({bytes} bytes)", HumanBytes(bytes));
    let kept = plan.kept.len();
    let manifest = cfg.manifest.strip_prefix(cwd).unwrap_or(&cfg.manifest);
    match deleted {
        Some(Some(staged)) => {
            let done = if n == 0 {
                "no file to delete".to_string()
            } else {
                format!("deleted {files} with git rm, {size} freed")
            };
            let with = if staged.manifest {
                format!("the documents and {}", manifest.display())
            } else {
                format!(
                    "the documents ({} is outside the repository or ignored: add it yourself)",
                    manifest.display()
                )
            };
            format!(
                "{done}; {kept} kept; staged with {with}. Commit to finish: git commit -m \"Move images to the bucket\""
            )
        }
        Some(None) | None if n == 0 => format!("no file to delete; {kept} kept"),
        Some(None) => format!("deleted {files}, {size} freed; {kept} kept"),
        None => format!(
            "{files} can be deleted, {size}; {kept} kept. Nothing was deleted: run again with --delete"
        ),
    }
}
