//! `r2filter check [PATHS...]`: offline lint for CI. Lists every local image
//! reference that is missing from disk or from the manifest; exits 1 if any.
//! No network, no credentials.
//!
//! With no PATHS it reads one document on standard input, like the filter;
//! otherwise it takes the same files and folders as batch mode, found by the
//! same walk ([`crate::batch::collect`]), so both agree on which files count.

use std::path::PathBuf;

use clap::Args;

use super::{Cli, ConfigArgs, Printer, help};
use crate::error::Error;
use crate::pipeline;
use r2filter_text::scan::Flavor;

/// Check, without network or credentials, that every local image is on disk
/// and in the manifest (for CI on pull requests)
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Markdown/MDX files or folders; none: one document on standard input
    #[arg(value_name = "PATHS", help_heading = help::INPUT)]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub config: ConfigArgs,

    /// Treat standard input as MDX
    #[arg(long, help_heading = help::INPUT)]
    pub mdx: bool,

    /// Also ask every remote image (any host) whether it is still there
    /// (HEAD, or a one-byte GET), and list the dead ones
    #[arg(long)]
    pub remote: bool,
}

pub fn run(cli: &Cli, args: &CheckArgs, printer: &Printer) -> Result<(), Error> {
    let cwd = super::cwd()?;
    let cfg = args.config.load_under(&cli.config, &cwd)?;
    printer.note(cfg.profile.describe());
    let docs = if args.paths.is_empty() {
        vec![crate::document::Document::stdin(
            &cfg.base_dir,
            if args.mdx || cli.mdx {
                Flavor::Mdx
            } else {
                Flavor::Markdown
            },
        )?]
    } else {
        crate::batch::read(&crate::batch::collect(&args.paths, &cwd)?)?
    };
    let checked = pipeline::check(&cfg, &docs);
    let remote = args
        .remote
        .then(|| crate::adopt::remote::check(&cfg, &docs));
    let (checked, remote) = match (checked, remote) {
        (Err(Error::Documents(mut local)), Some(Err(Error::Documents(dead)))) => {
            local.extend(dead);
            return Err(Error::Documents(local));
        }
        (checked, remote) => (checked?, remote.transpose()?),
    };
    printer.say(format_args!(
        "r2filter check: {} local image reference{} in {} document{}: all on disk and in {}",
        checked.references,
        if checked.references == 1 { "" } else { "s" },
        checked.documents,
        if checked.documents == 1 { "" } else { "s" },
        cfg.manifest.display()
    ));
    if let Some(remote) = remote {
        printer.say(format_args!(
            "r2filter check --remote: {} remote image reference{} ({} URL{}): all answered",
            remote.references,
            if remote.references == 1 { "" } else { "s" },
            remote.urls,
            if remote.urls == 1 { "" } else { "s" },
        ));
    }
    Ok(())
}
