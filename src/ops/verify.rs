//! Two audits for CI and for peace of mind.
//!
//! - `check` ([`crate::pipeline::check`]): offline, no credentials. Every
//!   local image reference must resolve to an image file inside the root
//!   *and* be in the manifest, so a pull request that adds an image without
//!   running r2filter (or forgets to commit the manifest) fails its lint job.
//! - [`verify`]: asks the store (HEAD) about every object the manifest lists,
//!   and reports the ones that are missing or differ in size, type or hash.

use crate::config::Config;
use crate::error::Error;
use crate::manifest::{Entry, Manifest};
use crate::store::{Head, Store};

/// One way an object differs from its manifest entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("{key}: missing from the bucket")]
    Missing { key: String },
    #[error("{key}: {found} bytes in the bucket, the manifest says {expected}")]
    Size {
        key: String,
        expected: u64,
        found: u64,
    },
    #[error("{key}: Content-Type {found:?} in the bucket, the manifest says {expected:?}")]
    ContentType {
        key: String,
        expected: String,
        found: String,
    },
    #[error("{key}: the bucket's object has sha256 {found}, the manifest says {expected}")]
    Hash {
        key: String,
        expected: String,
        found: String,
    },
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default)]
pub struct Verified {
    /// Objects asked about.
    pub objects: usize,
    /// Everything wrong, sorted by key.
    pub mismatches: Vec<Mismatch>,
}

/// Asks the store about every object in the manifest, `cfg.concurrency` at a
/// time. A store error (credentials, network) ends the audit; what the store
/// answered is compared with the manifest.
pub fn verify(cfg: &Config) -> Result<Verified, Error> {
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let keys: Vec<&str> = manifest.objects.values().map(|e| e.key.as_str()).collect();
    let heads = Store::open(&cfg.store, cfg.concurrency)
        .and_then(|store| store.heads(&keys))
        .map_err(Error::Verify)?;
    let mut verified = Verified::default();
    for ((sha256, entry), head) in manifest.objects.iter().zip(heads) {
        verified.objects += 1;
        // A stripped or converted object has its own hash.
        let published = entry.published_sha256.as_deref().unwrap_or(sha256);
        verified.mismatches.extend(compare(published, entry, head));
    }
    verified.mismatches.sort_by_key(ToString::to_string);
    Ok(verified)
}

fn compare(sha256: &str, entry: &Entry, head: Option<Head>) -> Vec<Mismatch> {
    let key = || entry.key.clone();
    let Some(head) = head else {
        return vec![Mismatch::Missing { key: key() }];
    };
    let mut out = Vec::new();
    if let Some(found) = head.size
        && found != entry.size
    {
        out.push(Mismatch::Size {
            key: key(),
            expected: entry.size,
            found,
        });
    }
    if let Some(found) = head.content_type
        && !found.eq_ignore_ascii_case(&entry.content_type)
    {
        out.push(Mismatch::ContentType {
            key: key(),
            expected: entry.content_type.clone(),
            found,
        });
    }
    if let Some(found) = head.sha256
        && !found.eq_ignore_ascii_case(sha256)
    {
        out.push(Mismatch::Hash {
            key: key(),
            expected: sha256.to_string(),
            found,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            key: "k.png".into(),
            url: "https://a/k.png".into(),
            size: 10,
            content_type: "image/png".into(),
            uploaded: "2026-11-28T00:00:00Z".into(),
            ..Entry::default()
        }
    }

    #[test]
    fn compare_reports_each_difference() {
        assert_eq!(
            compare("ab", &entry(), None),
            [Mismatch::Missing {
                key: "k.png".into()
            }]
        );
        let same = Head {
            size: Some(10),
            content_type: Some("image/png".into()),
            sha256: Some("AB".into()),
        };
        assert!(compare("ab", &entry(), Some(same.clone())).is_empty());
        let all_wrong = Head {
            size: Some(11),
            content_type: Some("application/octet-stream".into()),
            sha256: Some("cd".into()),
        };
        assert_eq!(compare("ab", &entry(), Some(all_wrong)).len(), 3);
        // A store that reports nothing (no metadata) is not a mismatch.
        let silent = Head {
            size: None,
            content_type: None,
            sha256: None,
        };
        assert!(compare("ab", &entry(), Some(silent)).is_empty());
    }
}
