//! `r2filter verify`: HEAD every object the manifest lists; report the ones
//! missing from the bucket or differing in size, Content-Type or SHA-256.
//! Exits 1 if anything is wrong. Needs credentials (it asks the store).

use clap::Args;

use super::{Cli, ConfigArgs, Printer};
use crate::error::Error;
use crate::ops::verify;

/// Ask the bucket about every object in the manifest; report missing ones and
/// size/type mismatches
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
}

pub fn run(cli: &Cli, args: &VerifyArgs, printer: &Printer) -> Result<(), Error> {
    let cwd = super::cwd()?;
    let cfg = args.config.load_under(&cli.config, &cwd)?;
    let verified = verify::verify(&cfg)?;
    let bad: std::collections::BTreeSet<&str> = verified
        .mismatches
        .iter()
        .map(|m| match m {
            verify::Mismatch::Missing { key }
            | verify::Mismatch::Size { key, .. }
            | verify::Mismatch::ContentType { key, .. }
            | verify::Mismatch::Hash { key, .. } => key.as_str(),
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
