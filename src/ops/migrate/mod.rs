//! `r2filter migrate`: take the images out of the repository.
//!
//! After the documents are rewritten (the pipeline, as `--in-place`), every
//! local file they were published from is a candidate: the manifest records
//! each object's source paths. A candidate is deleted only when all of these
//! hold:
//!
//! - it is a regular file inside the root, reached through no symlink, and no
//!   symlink points at it or at a folder holding it ([`mentions`]);
//! - its bytes are still the object's (SHA-256), and the object is these
//!   very bytes: a file published stripped of its location, converted or
//!   scaled down stays, as the bucket lacks its original;
//! - no text file of the repository names it any more ([`mentions`]);
//! - the bucket holds its object: a HEAD answers the manifest's size and the
//!   `x-amz-meta-sha256` r2filter wrote.
//!
//! [`plan`] says which; [`delete`] removes them, with `git rm` in a git work
//! tree ([`git`]) so the deletion is staged, together with the rewritten
//! documents and the manifest: the index is then ready to commit, a tree
//! whose documents link to the bucket and whose manifest knows every object.

pub mod git;
pub mod mentions;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::Config;
use crate::document::Document;
use crate::error::Error;
use crate::manifest::{Manifest, source_path};
use crate::object;
use crate::ops::published;
use crate::store::{Head, Store};
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
    /// The bucket holds a transformed copy (location stripped, converted,
    /// scaled down), not these bytes: `eject` could not give them back.
    Transformed(String),
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
            Keep::Transformed(how) => write!(
                f,
                "the bucket holds it transformed ({how}), not these bytes"
            ),
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

/// Which files the documents (already rewritten) were published from, and
/// which of them can go: local checks, then the mention search, then the
/// bucket.
pub fn plan(cfg: &Config, docs: &[Document]) -> Result<Plan, Error> {
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let root = canonical_root(cfg)?;
    let mut plan = Plan::default();
    let local = local_checks(&root, claims(cfg, docs, &manifest), &mut plan);
    let local = untransformed(&manifest, local, &mut plan);
    let unmentioned = unmentioned(cfg, &root, local, &mut plan);
    let checks = confirm(cfg, &manifest, &unmentioned)?;
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

/// Deletes what `plan` says: `git rm` for what git tracks when the root is
/// in a git work tree, an unlink otherwise. In git, `documents` (the run's,
/// rewritten) and the manifest are then staged with the deletions
/// ([`git::stage`]); None outside git.
pub fn delete(
    cfg: &Config,
    plan: &Plan,
    documents: &[PathBuf],
) -> Result<Option<git::Staged>, Error> {
    let root = canonical_root(cfg)?;
    let use_git = git::in_work_tree(&root);
    let files: Vec<PathBuf> = plan.delete.iter().map(|c| c.path.clone()).collect();
    git::remove(&root, &files, use_git)?;
    if !use_git {
        return Ok(None);
    }
    git::stage(&root, documents, &cfg.manifest).map(Some)
}

fn canonical_root(cfg: &Config) -> Result<PathBuf, Error> {
    cfg.root.canonicalize().map_err(|source| Error::Root {
        path: cfg.root.clone(),
        source,
    })
}

/// Every recorded source of every object the documents use, with the
/// objects that claim it (a file changed between two uploads is claimed by
/// both).
fn claims<'m>(
    cfg: &Config,
    docs: &[Document],
    manifest: &'m Manifest,
) -> BTreeMap<PathBuf, BTreeSet<&'m str>> {
    let mut claims: BTreeMap<PathBuf, BTreeSet<&str>> = BTreeMap::new();
    for p in published::find(cfg, docs, manifest).published {
        let (sha, entry) = manifest
            .objects
            .get_key_value(&p.sha256)
            .expect("found in the manifest");
        for source in entry.sources.keys() {
            if let Some(rel) = source_path(source) {
                claims.entry(rel).or_default().insert(sha.as_str());
            }
        }
    }
    claims
}

/// The claimed files that are regular files reached through no symlink,
/// with the bytes of an object that claims them (hashed on every core); the
/// rest go to `plan.kept` (a file already gone is nothing to do).
fn local_checks(
    root: &Path,
    claims: BTreeMap<PathBuf, BTreeSet<&str>>,
    plan: &mut Plan,
) -> Vec<Candidate> {
    let checked: Vec<Option<Result<Candidate, (PathBuf, Keep)>>> = claims
        .into_par_iter()
        .map(|(rel, shas)| local_check(root, rel, &shas))
        .collect();
    let mut local = Vec::new();
    for c in checked.into_iter().flatten() {
        match c {
            Ok(c) => local.push(c),
            Err(kept) => plan.kept.push(kept),
        }
    }
    local
}

/// One claimed file: None when it is gone already.
fn local_check(
    root: &Path,
    rel: PathBuf,
    shas: &BTreeSet<&str>,
) -> Option<Result<Candidate, (PathBuf, Keep)>> {
    let path = root.join(&rel);
    let keep = match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => Some(Keep::Unreadable(e.to_string())),
        Ok(m) if m.file_type().is_symlink() => Some(Keep::Symlink),
        Ok(m) if !m.is_file() => Some(Keep::NotAFile),
        Ok(_) if path.canonicalize().ok().as_deref() != Some(path.as_path()) => Some(Keep::Symlink),
        Ok(_) => None,
    };
    if let Some(keep) = keep {
        return Some(Err((rel, keep)));
    }
    Some(match object::hash_file(&path) {
        Ok(info) if shas.contains(info.sha256.as_str()) => Ok(Candidate {
            path: rel,
            size: info.size,
            sha256: info.sha256,
        }),
        Ok(_) => Err((rel, Keep::Changed)),
        Err(e) => Err((rel, Keep::Unreadable(e.to_string()))),
    })
}

/// The candidates whose object is their very bytes; the rest go to
/// `plan.kept`.
fn untransformed(manifest: &Manifest, local: Vec<Candidate>, plan: &mut Plan) -> Vec<Candidate> {
    let (same, transformed): (Vec<_>, Vec<_>) = local
        .into_iter()
        .partition(|c| manifest.objects[&c.sha256].published_sha256.is_none());
    for c in transformed {
        let how = manifest.objects[&c.sha256].transform().to_string();
        plan.kept.push((c.path, Keep::Transformed(how)));
    }
    same
}

/// The candidates no text file or symlink of the repository names; the rest
/// go to `plan.kept`. The manifest and its lock and cache are not searched.
fn unmentioned(
    cfg: &Config,
    root: &Path,
    local: Vec<Candidate>,
    plan: &mut Plan,
) -> Vec<Candidate> {
    let manifest = cfg
        .manifest
        .parent()
        .and_then(|d| d.canonicalize().ok())
        .zip(cfg.manifest.file_name())
        .map(|(d, n)| d.join(n))
        .unwrap_or_else(|| cfg.manifest.clone());
    let beside = |suffix: &str| {
        let mut name = manifest.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let skip = [manifest.clone(), beside(".lock"), beside(".cache")];
    let site_root = cfg.site_root.as_ref().and_then(|s| s.canonicalize().ok());
    let search = mentions::Search {
        root,
        site_root: site_root.as_deref(),
        skip: &skip,
    };
    let paths: Vec<PathBuf> = local.iter().map(|c| root.join(&c.path)).collect();
    let mentioned = mentions::find(&search, &paths);
    let mut out = Vec::new();
    for (i, c) in local.into_iter().enumerate() {
        match mentioned.get(&i) {
            Some(m) => plan.kept.push((c.path, Keep::Mentioned(m.clone()))),
            None => out.push(c),
        }
    }
    out
}

/// HEADs each candidate's object, `concurrency` at a time: None when it is
/// there with the manifest's size and SHA-256, else why the file is kept.
fn confirm(
    cfg: &Config,
    manifest: &Manifest,
    candidates: &[Candidate],
) -> Result<Vec<Option<Keep>>, Error> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<&str> = candidates
        .iter()
        .map(|c| manifest.objects[&c.sha256].key.as_str())
        .collect();
    let heads = Store::open(&cfg.store, cfg.concurrency).and_then(|store| store.heads(&keys));
    let heads = heads.map_err(|source| Error::Store {
        doing: "confirm the objects in the bucket",
        source,
    })?;
    Ok(candidates
        .iter()
        .zip(heads)
        .map(|(c, head)| in_bucket(&manifest.objects[&c.sha256], &c.sha256, head))
        .collect())
}

/// Why `head` does not confirm `entry`'s object, if it does not.
fn in_bucket(entry: &crate::manifest::Entry, sha256: &str, head: Option<Head>) -> Option<Keep> {
    let why = |detail: String| {
        Some(Keep::NotInBucket {
            key: entry.key.clone(),
            detail,
        })
    };
    match head {
        None => why("is missing".into()),
        Some(h) if h.size != Some(entry.size) => why(format!(
            "has {} bytes, not {}",
            h.size
                .map_or("an unknown number of".into(), |n| n.to_string()),
            entry.size
        )),
        Some(h) => match h.sha256 {
            Some(s) if s.eq_ignore_ascii_case(sha256) => None,
            Some(s) => why(format!("has sha256 {s}")),
            None => why("has no sha256 metadata to confirm its bytes".into()),
        },
    }
}
