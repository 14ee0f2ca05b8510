//! `r2filter eject [PATH...] [--from-public-url]`: download every object the
//! documents link to, check its SHA-256, put it back where it was published
//! from, and turn the URLs back into those paths ([`crate::ops::eject`]).

use std::path::PathBuf;

use clap::Args;
use indicatif::HumanBytes;

use super::{Cli, ConfigArgs, Printer, help};
use crate::batch::{self, Target};
use crate::error::Error;
use crate::ops::eject::{self, Origin};

/// The way back: restore the images the documents link to, and the links to
/// their paths
#[derive(Debug, Clone, Args)]
pub struct EjectArgs {
    /// Markdown/MDX files or folders, walked like --in-place; none: the current folder
    #[arg(value_name = "PATH", help_heading = help::INPUT)]
    pub paths: Vec<PathBuf>,

    /// Download from the public URL (as a reader would; no credentials)
    /// instead of the bucket
    #[arg(long)]
    pub from_public_url: bool,

    #[command(flatten)]
    pub config: ConfigArgs,
}

pub fn run(cli: &Cli, args: &EjectArgs, printer: &Printer) -> Result<(), Error> {
    let super::Documents {
        cwd,
        cfg,
        inputs,
        docs,
    } = super::documents(cli, &args.config, &args.paths)?;
    let origin = if args.from_public_url {
        Origin::PublicUrl
    } else {
        Origin::Bucket
    };
    let ejected = eject::run(&cfg, &docs, origin)?;
    let written = batch::write_all(&inputs, &ejected.outputs, &Target::InPlace, &cwd)?;
    for path in &written.changed {
        printer.detail(format_args!("wrote {}", path.display()));
    }
    if ejected.guessed > 0 {
        printer.say(format_args!(
            "warning: {} reference(s) to objects with no recorded source path (published by an older r2filter) were restored under images/ beside their documents",
            ejected.guessed
        ));
    }
    let n = ejected.restored.len();
    let local = ejected.references - ejected.to_origin;
    let remote = match ejected.to_origin {
        0 => String::new(),
        r => format!(", {r} back to their remote URLs"),
    };
    printer.say(format_args!(
        "r2filter eject: {local} reference{} back to local paths{remote}; {n} file{} restored ({} downloaded, SHA-256 checked), {} already there",
        if local == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" },
        HumanBytes(ejected.downloaded_bytes),
        ejected.present,
    ));
    Ok(())
}
