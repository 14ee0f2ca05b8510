//! Two audits for CI and for peace of mind.
//!
//! - [`check`]: offline, no credentials. Every local image reference must
//!   resolve to an image file inside the root *and* be in the manifest, so a
//!   pull request that adds an image without running r2filter (or forgets to
//!   commit the manifest) fails its lint job.
//! - [`verify`]: asks the store (HEAD) about every object the manifest lists,
//!   and reports the ones that are missing or differ in size, type or hash.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::{Config, StoreConfig};
use crate::error::{Error, Located, Location, Problem};
use crate::manifest::{Entry, Manifest};
use crate::object;
use crate::pipeline::Document;
use crate::resolve::{self, Kind, Resolver};
use crate::scan::{self, ScanOptions};
use crate::store::{Head, Store, StoreError};

/// What [`check`] looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    pub documents: usize,
    /// Local image references, all resolved and in the manifest.
    pub references: usize,
}

/// Checks `docs` against the disk and the manifest without any network use.
/// Every problem is reported (not only the first), as [`Error::Documents`].
pub fn check(cfg: &Config, docs: &[Document]) -> Result<Checked, Error> {
    let resolver =
        Resolver::new(&cfg.root, cfg.site_root.as_deref(), &cfg.image_dirs).map_err(|source| {
            Error::Root {
                path: cfg.root.clone(),
                source,
            }
        })?;
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let root = cfg.root.canonicalize().unwrap_or_else(|_| cfg.root.clone());
    let shown = |p: &Path| p.strip_prefix(&root).unwrap_or(p).to_path_buf();
    // A file referenced many times is hashed once.
    let mut hashed: std::collections::HashMap<PathBuf, std::io::Result<object::FileInfo>> =
        Default::default();
    let mut problems = Vec::new();
    let mut references = 0;
    for doc in docs {
        let base = doc
            .base_dir
            .canonicalize()
            .unwrap_or_else(|_| doc.base_dir.clone());
        let opts = ScanOptions {
            flavor: doc.flavor,
            front_matter_keys: cfg.front_matter_keys.clone(),
        };
        let scanned = scan::scan_document(&doc.text, &opts);
        for r in &scanned.unmapped {
            if let Kind::Local { .. } = resolve::classify(&r.url, r.context) {
                problems.push(Located {
                    at: Location::new(&doc.name, &doc.text, r.span.clone()),
                    problem: crate::error::Problem::Unmapped { url: r.url.clone() },
                });
            }
        }
        for reference in scanned.references {
            let Kind::Local { path, .. } = resolve::classify(&reference.url, reference.context)
            else {
                continue;
            };
            references += 1;
            let at = || Location::new(&doc.name, &doc.text, reference.span.clone());
            let file = match resolver.resolve(&base, &path) {
                Ok(file) => file,
                Err(e) => {
                    problems.push(Located {
                        at: at(),
                        problem: e.into(),
                    });
                    continue;
                }
            };
            let info = hashed
                .entry(file.clone())
                .or_insert_with(|| object::hash_file(&file));
            let problem = match info {
                Err(e) => Problem::Read {
                    path: shown(&file),
                    source: std::io::Error::new(e.kind(), e.to_string()),
                },
                Ok(info) if info.kind.is_none() => Problem::NotAnImage { path: shown(&file) },
                Ok(info) if !manifest.objects.contains_key(&info.sha256) => Problem::NotUploaded {
                    path: shown(&file),
                    manifest: cfg.manifest.clone(),
                },
                Ok(_) => continue,
            };
            problems.push(Located { at: at(), problem });
        }
    }
    if problems.is_empty() {
        Ok(Checked {
            documents: docs.len(),
            references,
        })
    } else {
        Err(Error::Documents(problems))
    }
}

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
pub async fn verify(cfg: &Config) -> Result<Verified, VerifyError> {
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination).map_err(Error::from)?;
    let store = match &cfg.store {
        StoreConfig::S3(s3) => Store::s3(s3).await,
        StoreConfig::Local(dir) => Store::local(dir.clone()),
    };
    let permits = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (sha256, entry) in manifest.objects {
        let (store, permits) = (store.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("never closed");
            let head = store.head(&entry.key).await;
            (sha256, entry, head)
        });
    }
    let mut verified = Verified::default();
    while let Some(joined) = tasks.join_next().await {
        let (sha256, entry, head) = match joined {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        verified.objects += 1;
        verified.mismatches.extend(compare(&sha256, &entry, head?));
    }
    verified.mismatches.sort_by_key(ToString::to_string);
    Ok(verified)
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Run(#[from] Error),
    #[error(transparent)]
    Store(#[from] StoreError),
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
