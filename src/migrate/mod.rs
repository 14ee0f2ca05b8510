//! `r2filter migrate`: take the images out of the repository.
//!
//! After the documents are rewritten (the pipeline, as `--in-place`), every
//! local file they were published from is a candidate: the manifest records
//! each object's source paths. A candidate is deleted only when all of these
//! hold:
//!
//! - it is a regular file inside the root, reached through no symlink, and no
//!   symlink points at it or at a folder holding it ([`mentions`]);
//! - its bytes are still the object's (SHA-256);
//! - no text file of the repository names it any more ([`mentions`]);
//! - the bucket holds its object: a HEAD answers the manifest's size and the
//!   `x-amz-meta-sha256` r2filter wrote.
//!
//! [`plan`] says which; [`delete`] removes them, with `git rm` in a git work
//! tree ([`git`]) so the deletion is staged.

pub mod git;
pub mod mentions;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::Config;
use crate::error::Error;
use crate::manifest::Manifest;
use crate::object;
use crate::pipeline::Document;
use crate::published;
use crate::store::{Store, StoreError};
use git::GitError;
use mentions::Mention;

/// A file that can go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Relative to the root.
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

/// Why a file published from stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// Still named by a text file, or pointed at by a symlink.
    Mentioned(Mention),
    /// A symlink, or a path through a symlinked folder.
    Symlink,
    /// Not a regular file.
    NotAFile,
    /// Its bytes changed since they were published.
    Changed,
    /// The bucket does not hold its object as the manifest describes it.
    NotInBucket { key: String, detail: String },
    /// It could not be read.
    Unreadable(String),
}

impl std::fmt::Display for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::Mentioned(Mention::Text { file, line }) => {
                write!(f, "still referenced by {}:{line}", file.display())
            }
            Keep::Mentioned(Mention::Symlink { link }) => {
                write!(f, "the target of the symlink {}", link.display())
            }
            Keep::Symlink => f.write_str("a symlink, or reached through one"),
            Keep::NotAFile => f.write_str("not a regular file"),
            Keep::Changed => f.write_str("its bytes changed since they were published"),
            Keep::NotInBucket { key, detail } => write!(f, "the bucket's {key} {detail}"),
            Keep::Unreadable(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// What `migrate` would delete, and what it keeps.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Sorted by path.
    pub delete: Vec<Candidate>,
    /// Relative to the root, sorted by path.
    pub kept: Vec<(PathBuf, Keep)>,
}

impl Plan {
    pub fn bytes(&self) -> u64 {
        self.delete.iter().map(|c| c.size).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Run(#[from] Error),
    #[error("cannot confirm the objects: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Git(#[from] GitError),
}

impl MigrateError {
    pub fn render(&self) -> String {
        match self {
            MigrateError::Run(e) => e.render(),
            MigrateError::Store(e) => format!("error: {self}\n  = hint: {}\n", e.hint()),
            MigrateError::Git(e) => format!(
                "error: {self}\n  = hint: {}\n",
                match e {
                    GitError::Failed { .. } =>
                        "commit or stash the changes git names (it will not drop what it has not recorded), then run again; nothing else was deleted after the failure",
                    GitError::Spawn(_) => "install git, or run outside a git work tree",
                    GitError::Remove { .. } => "check the file's permissions",
                }
            ),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            MigrateError::Run(e) => e.exit_code(),
            _ => 1,
        }
    }
}

/// Which files the documents (already rewritten) were published from, and
/// which of them can go.
pub async fn plan(cfg: &Config, docs: &[Document]) -> Result<Plan, MigrateError> {
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination).map_err(Error::from)?;
    let root = cfg.root.canonicalize().map_err(|source| Error::Root {
        path: cfg.root.clone(),
        source,
    })?;
    let found = published::find(cfg, docs, &manifest);
    // Each recorded source of each object the documents use; a path two
    // objects claim (the file changed between uploads) is checked against both.
    let mut claims: BTreeMap<PathBuf, BTreeSet<&str>> = BTreeMap::new();
    for p in &found.published {
        for source in manifest.objects[&p.sha256].sources.keys() {
            if let Some(rel) = plain_relative(source) {
                claims.entry(rel).or_default().insert(&p.sha256);
            }
        }
    }

    let mut plan = Plan::default();
    let mut local: Vec<Candidate> = Vec::new();
    for (rel, shas) in claims {
        let path = root.join(&rel);
        let meta = match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                plan.kept.push((rel, Keep::Unreadable(e.to_string())));
                continue;
            }
            Ok(m) => m,
        };
        let keep = if meta.file_type().is_symlink() {
            Some(Keep::Symlink)
        } else if !meta.is_file() {
            Some(Keep::NotAFile)
        } else if path.canonicalize().ok().as_deref() != Some(path.as_path()) {
            Some(Keep::Symlink)
        } else {
            None
        };
        if let Some(keep) = keep {
            plan.kept.push((rel, keep));
            continue;
        }
        match object::hash_file(&path) {
            Ok(info) if shas.contains(info.sha256.as_str()) => local.push(Candidate {
                path: rel,
                size: info.size,
                sha256: info.sha256,
            }),
            Ok(_) => plan.kept.push((rel, Keep::Changed)),
            Err(e) => plan.kept.push((rel, Keep::Unreadable(e.to_string()))),
        }
    }

    // Still named somewhere?
    let manifest_path = cfg
        .manifest
        .parent()
        .and_then(|d| d.canonicalize().ok())
        .zip(cfg.manifest.file_name())
        .map(|(d, n)| d.join(n))
        .unwrap_or_else(|| cfg.manifest.clone());
    let skip = [
        manifest_path.clone(),
        with_suffix(&manifest_path, ".lock"),
        crate::statcache::path_for(&manifest_path),
    ];
    let site_root = cfg.site_root.as_ref().and_then(|s| s.canonicalize().ok());
    let search = mentions::Search {
        root: &root,
        site_root: site_root.as_deref(),
        skip: &skip,
    };
    let paths: Vec<PathBuf> = local.iter().map(|c| root.join(&c.path)).collect();
    let mentioned = mentions::find(&search, &paths);
    let mut unmentioned = Vec::new();
    for (i, c) in local.into_iter().enumerate() {
        match mentioned.get(&i) {
            Some(m) => plan.kept.push((c.path, Keep::Mentioned(m.clone()))),
            None => unmentioned.push(c),
        }
    }

    // In the bucket, as the manifest says?
    let store = cfg.store.open().await;
    let checks = confirm(&store, &manifest, &unmentioned, cfg.concurrency).await?;
    for (c, problem) in unmentioned.into_iter().zip(checks) {
        match problem {
            None => plan.delete.push(c),
            Some(keep) => plan.kept.push((c.path, keep)),
        }
    }
    plan.delete.sort_by(|a, b| a.path.cmp(&b.path));
    plan.kept.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(plan)
}

/// Deletes what `plan` says (paths relative to the root): `git rm` for what
/// git tracks when the root is in a git work tree. Returns whether git was
/// used.
pub fn delete(cfg: &Config, plan: &Plan) -> Result<bool, MigrateError> {
    let root = cfg.root.canonicalize().map_err(|source| Error::Root {
        path: cfg.root.clone(),
        source,
    })?;
    let use_git = git::in_work_tree(&root);
    let files: Vec<PathBuf> = plan.delete.iter().map(|c| c.path.clone()).collect();
    git::remove(&root, &files, use_git)?;
    Ok(use_git)
}

/// HEADs each candidate's object, `concurrency` at a time: None when it is
/// there with the manifest's size and SHA-256, else why it is kept.
async fn confirm(
    store: &Store,
    manifest: &Manifest,
    candidates: &[Candidate],
    concurrency: usize,
) -> Result<Vec<Option<Keep>>, StoreError> {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (i, c) in candidates.iter().enumerate() {
        let entry = manifest.objects[&c.sha256].clone();
        let (store, permits, sha) = (store.clone(), permits.clone(), c.sha256.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("never closed");
            let head = store.head(&entry.key).await;
            (
                i,
                head.map(|h| {
                    let why = |detail: String| {
                        Some(Keep::NotInBucket {
                            key: entry.key.clone(),
                            detail,
                        })
                    };
                    match h {
                        None => why("is missing".into()),
                        Some(h) if h.size != Some(entry.size) => why(format!(
                            "has {} bytes, not {}",
                            h.size
                                .map_or("an unknown number of".into(), |n| n.to_string()),
                            entry.size
                        )),
                        Some(h) => match h.sha256 {
                            Some(s) if s.eq_ignore_ascii_case(&sha) => None,
                            Some(s) => why(format!("has sha256 {s}")),
                            None => why("has no sha256 metadata to confirm its bytes".into()),
                        },
                    }
                }),
            )
        });
    }
    let mut out: Vec<Option<Keep>> = vec![None; candidates.len()];
    while let Some(joined) = tasks.join_next().await {
        let (i, result) = match joined {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        out[i] = result?;
    }
    Ok(out)
}

/// A recorded source path, if it is a plain relative path (a manifest is
/// input: `..` or an absolute path never gets near the file system).
pub(crate) fn plain_relative(source: &str) -> Option<PathBuf> {
    let p = Path::new(source);
    (!source.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_))))
        .then(|| p.to_path_buf())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_sources() {
        assert_eq!(plain_relative("posts/a.png"), Some("posts/a.png".into()));
        for bad in ["", "/etc/passwd", "../x.png", "a/../../x.png", "./a.png"] {
            assert_eq!(plain_relative(bad), None, "{bad}");
        }
    }
}
