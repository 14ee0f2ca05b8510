//! `r2filter orphans [--delete --min-age DAYS]`: list the objects under the
//! prefix that the manifest does not name, with their total bytes; delete
//! those older than DAYS on request ([`crate::ops::orphans`]).

use std::time::{Duration, SystemTime};

use clap::Args;
use indicatif::HumanBytes;

use super::{Cli, ConfigArgs, Printer};
use crate::error::Error;
use crate::ops::orphans;

/// List the objects under the prefix that the manifest does not name (and
/// delete old ones with --delete --min-age DAYS)
#[derive(Debug, Clone, Args)]
pub struct OrphansArgs {
    /// Delete the orphans older than --min-age
    #[arg(long, requires = "min_age")]
    pub delete: bool,

    /// With --delete: only orphans last written at least DAYS days ago
    #[arg(long, value_name = "DAYS", requires = "delete")]
    pub min_age: Option<u64>,

    #[command(flatten)]
    pub config: ConfigArgs,
}

pub fn run(cli: &Cli, args: &OrphansArgs, printer: &Printer) -> Result<(), Error> {
    let cwd = super::cwd()?;
    let cfg = args.config.load_under(&cli.config, &cwd)?;
    let found = orphans::find(&cfg)?;
    printer.stdout(listing(&found, SystemTime::now()).as_bytes())?;
    let scope = if found.prefix.is_empty() {
        "in the whole bucket (no prefix is set)".to_string()
    } else {
        format!("under {}", found.prefix)
    };
    printer.say(format_args!(
        "r2filter orphans: {} object{} {scope} not named by {} ({}, {} bytes); {} named",
        found.objects.len(),
        if found.objects.len() == 1 { "" } else { "s" },
        cfg.manifest.display(),
        HumanBytes(found.bytes()),
        found.bytes(),
        found.named
    ));
    if !found.uploads.is_empty() {
        printer.say(format_args!(
            "r2filter orphans: {} incomplete multipart upload{} {scope} (runs stopped while sending in parts; --delete --min-age aborts them)",
            found.uploads.len(),
            if found.uploads.len() == 1 { "" } else { "s" },
        ));
    }
    let Some(days) = args.min_age.filter(|_| args.delete) else {
        return Ok(());
    };
    let min_age = Duration::from_secs(days.saturating_mul(86_400));
    let deleted = orphans::delete(&cfg, &found, min_age)?;
    for key in &deleted.keys {
        printer.note(format_args!("deleted {key}"));
    }
    printer.say(format_args!(
        "r2filter orphans: deleted {} object{} ({}); kept {} younger than {days} day{}",
        deleted.keys.len(),
        if deleted.keys.len() == 1 { "" } else { "s" },
        HumanBytes(deleted.bytes),
        deleted.young,
        if days == 1 { "" } else { "s" },
    ));
    aborted(printer, &found, &deleted, days);
    Ok(())
}

/// One line per orphan (key, bytes, age in days), then per incomplete
/// upload (key, `incomplete-upload`, age, the upload id to abort it: it has
/// no size until completed).
fn listing(found: &orphans::Orphans, now: SystemTime) -> String {
    let age = |t: Option<SystemTime>| {
        t.and_then(|t| now.duration_since(t).ok())
            .map_or("?".to_string(), |a| format!("{}d", a.as_secs() / 86_400))
    };
    let mut out = String::new();
    for o in &found.objects {
        out.push_str(&format!(
            "{}\t{}\t{}\n",
            o.key,
            o.size,
            age(o.last_modified)
        ));
    }
    for u in &found.uploads {
        out.push_str(&format!(
            "{}\tincomplete-upload\t{}\t{}\n",
            u.key,
            age(u.initiated),
            u.upload_id
        ));
    }
    out
}

/// What `--delete` did to the incomplete uploads.
fn aborted(printer: &Printer, found: &orphans::Orphans, deleted: &orphans::Deleted, days: u64) {
    for u in &deleted.aborted {
        printer.note(format_args!(
            "aborted the incomplete upload of {} ({})",
            u.key, u.upload_id
        ));
    }
    if !found.uploads.is_empty() {
        printer.say(format_args!(
            "r2filter orphans: aborted {} incomplete upload{}; kept {} younger than {days} day{}",
            deleted.aborted.len(),
            if deleted.aborted.len() == 1 { "" } else { "s" },
            deleted.young_uploads,
            if days == 1 { "" } else { "s" },
        ));
    }
}
