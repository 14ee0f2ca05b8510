//! `r2filter orphans`: the objects under the configured prefix that the
//! manifest does not name: uploads of images no document uses any more
//! (after a manifest was reset, a branch was dropped, a run crashed before
//! recording). Found by LIST; deleted only on request, only when older than
//! a given age, and never a key the manifest names or a key outside the
//! prefix. Incomplete multipart uploads under the prefix (a run killed while
//! sending a big file in parts) are listed too, and aborted by the same
//! `--delete --min-age`: the store keeps, and bills, their parts until then.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use crate::config::Config;
use crate::error::Error;
use crate::manifest::Manifest;
use crate::store::{Incomplete, Listed, Store, StoreError};

/// What is under the prefix.
#[derive(Debug, Clone, Default)]
pub struct Orphans {
    /// The LIST prefix: `prefix/`, or empty (the whole bucket).
    pub prefix: String,
    /// Objects the manifest does not name, in key order.
    pub objects: Vec<Listed>,
    /// Objects under the prefix that the manifest names.
    pub named: usize,
    /// Incomplete multipart uploads under the prefix, in key order.
    pub uploads: Vec<Incomplete>,
}

impl Orphans {
    pub fn bytes(&self) -> u64 {
        self.objects.iter().map(|o| o.size).sum()
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
pub fn find(cfg: &Config) -> Result<Orphans, Error> {
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let named: HashSet<&str> = manifest.objects.values().map(|e| e.key.as_str()).collect();
    let prefix = list_prefix(&cfg.prefix);
    let store = Store::open(&cfg.store, cfg.concurrency).map_err(|source| Error::Store {
        doing: "list the bucket",
        source,
    })?;
    let listed = store.list(&prefix).map_err(|source| Error::Store {
        doing: "list the bucket",
        source,
    })?;
    let uploads = match store.incomplete_uploads(&prefix) {
        Ok(uploads) => uploads,
        // A store without ListMultipartUploads has none to show.
        Err(StoreError::Service { status: 501, .. }) => Vec::new(),
        Err(source) => {
            return Err(Error::Store {
                doing: "list the incomplete uploads",
                source,
            });
        }
    };
    let mut orphans = Orphans {
        prefix,
        uploads,
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
    /// Incomplete uploads aborted.
    pub aborted: Vec<Incomplete>,
    /// Incomplete uploads younger than the minimum age (or of unknown age):
    /// kept (a run may still be sending them).
    pub young_uploads: usize,
}

/// Deletes the orphans last written more than `min_age` ago, one by one.
/// Every key is checked again against the prefix and the manifest (re-read:
/// a run may have recorded it meanwhile) right before its DELETE.
pub fn delete(cfg: &Config, orphans: &Orphans, min_age: Duration) -> Result<Deleted, Error> {
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let named: HashSet<&str> = manifest.objects.values().map(|e| e.key.as_str()).collect();
    let now = SystemTime::now();
    let mut deleted = Deleted::default();
    let store = Store::open(&cfg.store, cfg.concurrency).map_err(|source| Error::Store {
        doing: "open the bucket",
        source,
    })?;
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
        store.delete(&o.key).map_err(|source| Error::Store {
            doing: "delete an orphan",
            source,
        })?;
        deleted.keys.push(o.key.clone());
        deleted.bytes += o.size;
    }
    for u in &orphans.uploads {
        let old_enough = u
            .initiated
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age >= min_age);
        if !old_enough {
            deleted.young_uploads += 1;
            continue;
        }
        if !u.key.starts_with(&orphans.prefix) {
            continue;
        }
        store.abort(u).map_err(|source| Error::Store {
            doing: "abort an incomplete upload",
            source,
        })?;
        deleted.aborted.push(u.clone());
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
