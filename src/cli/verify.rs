//! `r2filter verify`: HEAD every object the manifest lists; report the ones
//! missing from the bucket or differing in size, Content-Type or SHA-256.
//! Exits 1 if anything is wrong. Needs credentials (it asks the store).

use std::path::PathBuf;

use clap::Args;

use super::{Cli, SettingsArgs, runtime};
use crate::audit::{self, VerifyError};
use crate::error::Error;

/// Ask the bucket about every object in the manifest; report missing ones and
/// size/type mismatches
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,

    /// Config file [default: ./r2filter.toml when present] [env: R2FILTER_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Why `verify` did not pass.
#[derive(Debug, thiserror::Error)]
pub enum Failed {
    #[error(transparent)]
    Run(#[from] Error),
    #[error("cannot verify: {0}")]
    Store(crate::store::StoreError),
    #[error("{bad} of {objects} objects in the manifest are wrong in the bucket")]
    Mismatches { bad: usize, objects: usize },
}

impl Failed {
    pub fn render(&self) -> String {
        match self {
            Failed::Run(e) => e.render(),
            Failed::Store(e) => format!("error: {self}\n  = hint: {}\n", e.hint()),
            Failed::Mismatches { .. } => format!(
                "error: {self}\n  = hint: run r2filter on the documents that use them to upload them again, or remove their entries from the manifest\n"
            ),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Failed::Run(e) => e.exit_code(),
            _ => 1,
        }
    }
}

pub fn run(cli: &Cli, args: &VerifyArgs) -> Result<(), Failed> {
    let cwd = super::cwd()?;
    let cfg = super::subcommand_config(cli, &args.settings, args.config.as_deref(), &cwd)?;
    let verified = runtime()
        .block_on(audit::verify(&cfg))
        .map_err(|e| match e {
            VerifyError::Run(e) => Failed::Run(e),
            VerifyError::Store(e) => Failed::Store(e),
        })?;
    for m in &verified.mismatches {
        eprintln!("error: {m}");
    }
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
        return Err(Failed::Mismatches {
            bad: bad.len(),
            objects: verified.objects,
        });
    }
    if !cli.quiet {
        eprintln!(
            "r2filter verify: {} object{} in the manifest, all in the bucket with the right size and type",
            verified.objects,
            if verified.objects == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
