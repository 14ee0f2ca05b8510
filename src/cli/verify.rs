//! `r2filter verify`: HEAD every object the manifest lists; report the ones
//! missing from the bucket or differing in size, Content-Type or SHA-256.
//! Exits 1 if anything is wrong. Needs credentials (it asks the store).

use std::path::PathBuf;

use clap::Args;

use super::{Cli, Printer};
use crate::audit;
use crate::config::Settings;
use crate::error::Error;

/// Ask the bucket about every object in the manifest; report missing ones and
/// size/type mismatches
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub settings: Settings,

    /// Config file [default: ./r2filter.toml when present] [env: R2FILTER_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &VerifyArgs, printer: &Printer) -> Result<(), Error> {
    let cwd = super::cwd()?;
    let cfg = super::subcommand_config(cli, &args.settings, args.config.as_deref(), &cwd)?;
    let verified = audit::verify(&cfg)?;
    let bad: std::collections::BTreeSet<&str> = verified
        .mismatches
        .iter()
        .map(|m| match m {
            audit::Mismatch::Missing { key }
            | audit::Mismatch::Size { key, .. }
            | audit::Mismatch::ContentType { key, .. }
            | audit::Mismatch::Hash { key, .. } => key.as_str(),
        })
        .collect();
    if !bad.is_empty() {
        return Err(Error::Mismatches {
            lines: verified
                .mismatches
                .iter()
                .map(ToString::to_string)
                .collect(),
            bad: bad.len(),
            objects: verified.objects,
        });
    }
    printer.say(format_args!(
        "r2filter verify: {} object{} in the manifest, all in the bucket with the right size and type",
        verified.objects,
        if verified.objects == 1 { "" } else { "s" }
    ));
    Ok(())
}
