//! `r2filter orphans`: the objects under the configured prefix that the
//! manifest does not name: uploads of images no document uses any more
//! (after a manifest was reset, a branch was dropped, a run crashed before
//! recording). Found by LIST; deleted only on request, only when older than
//! a given age, and never a key the manifest names or a key outside the
//! prefix.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use crate::config::Config;
use crate::error::Error;
use crate::manifest::Manifest;
use crate::store::{Listed, Store, StoreError};

/// What is under the prefix.
#[derive(Debug, Clone, Default)]
pub struct Orphans {
    /// The LIST prefix: `prefix/`, or empty (the whole bucket).
    pub prefix: String,
    /// Objects the manifest does not name, in key order.
    pub objects: Vec<Listed>,
    /// Objects under the prefix that the manifest names.
    pub named: usize,
}

impl Orphans {
    pub fn bytes(&self) -> u64 {
        self.objects.iter().map(|o| o.size).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OrphansError {
    #[error(transparent)]
    Run(#[from] Error),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl OrphansError {
    pub fn render(&self) -> String {
        match self {
            OrphansError::Run(e) => e.render(),
            OrphansError::Store(e) => format!("error: {e}\n  = hint: {}\n", e.hint()),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            OrphansError::Run(e) => e.exit_code(),
            OrphansError::Store(_) => 1,
        }
    }
}

/// The LIST prefix for a configured key prefix: its folder (`blog/`, so
/// `blog-old/…` is not under it), or everything.
pub fn list_prefix(prefix: &str) -> String {
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

/// Lists the objects under the prefix that the manifest does not name.
pub async fn find(cfg: &Config, store: &Store) -> Result<Orphans, OrphansError> {
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination).map_err(Error::from)?;
    let named: HashSet<&str> = manifest.objects.values().map(|e| e.key.as_str()).collect();
    let prefix = list_prefix(&cfg.prefix);
    let listed = store.list(&prefix).await?;
    let mut orphans = Orphans {
        prefix,
        ..Orphans::default()
    };
    for o in listed {
        if named.contains(o.key.as_str()) {
            orphans.named += 1;
        } else {
            orphans.objects.push(o);
        }
    }
    Ok(orphans)
}

/// What [`delete`] did.
#[derive(Debug, Clone, Default)]
pub struct Deleted {
    pub keys: Vec<String>,
    pub bytes: u64,
    /// Orphans younger than the minimum age (or of unknown age): kept.
    pub young: usize,
}

/// Deletes the orphans last written more than `min_age` ago, one by one.
/// Every key is checked again against the prefix and the manifest (re-read:
/// a run may have recorded it meanwhile) right before its DELETE.
pub async fn delete(
    cfg: &Config,
    store: &Store,
    orphans: &Orphans,
    min_age: Duration,
) -> Result<Deleted, OrphansError> {
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination).map_err(Error::from)?;
    let named: HashSet<&str> = manifest.objects.values().map(|e| e.key.as_str()).collect();
    let now = SystemTime::now();
    let mut deleted = Deleted::default();
    for o in &orphans.objects {
        let old_enough = o
            .last_modified
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age >= min_age);
        if !old_enough {
            deleted.young += 1;
            continue;
        }
        if !o.key.starts_with(&orphans.prefix) || named.contains(o.key.as_str()) {
            continue;
        }
        store.delete(&o.key).await?;
        deleted.keys.push(o.key.clone());
        deleted.bytes += o.size;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_a_folder() {
        assert_eq!(list_prefix("blog"), "blog/");
        assert_eq!(list_prefix("/blog/"), "blog/");
        assert_eq!(list_prefix(""), "");
    }
}
