//! Deleting files the way the repository expects: `git rm` inside a git work
//! tree (so the deletion is staged, and git refuses to drop a file with
//! changes it has not recorded), a plain unlink elsewhere; then, in git,
//! staging what goes with the deletions ([`stage`]): the commit that records
//! them must record the documents that no longer need the files, and the
//! manifest that says where the images went.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;

/// Paths per git invocation (keeps command lines short).
const CHUNK: usize = 200;

/// True when `dir` is inside a git work tree (and git is installed).
pub fn in_work_tree(dir: &Path) -> bool {
    Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"true"))
}

/// Deletes `files` (relative to `root`): tracked ones with `git rm` when
/// `git` says so, the rest by unlinking them and then the folders they leave
/// empty (as git does).
pub fn remove(root: &Path, files: &[PathBuf], git: bool) -> Result<(), Error> {
    let tracked: HashSet<PathBuf> = if git {
        tracked(root, files)?
    } else {
        HashSet::new()
    };
    let (in_git, plain): (Vec<&PathBuf>, Vec<&PathBuf>) =
        files.iter().partition(|f| tracked.contains(*f));
    for chunk in in_git.chunks(CHUNK) {
        let mut args: Vec<&std::ffi::OsStr> = vec!["rm".as_ref(), "-q".as_ref(), "--".as_ref()];
        args.extend(chunk.iter().map(|p| p.as_os_str()));
        run(root, &args)?;
    }
    for rel in plain {
        let path = root.join(rel);
        std::fs::remove_file(&path).map_err(|source| Error::Delete {
            path: rel.clone(),
            source,
        })?;
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != root && d.starts_with(root)) {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
    Ok(())
}

/// The rewritten documents and the manifest, staged next to the deletions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staged {
    /// Documents git tracks, staged (`git add`; unchanged ones stay as they are).
    pub documents: usize,
    /// Whether the manifest was staged: false when it is outside the work
    /// tree or ignored.
    pub manifest: bool,
}

/// Stages `documents` that git tracks (a document new to git is left for
/// the person to add) and the manifest, unless it is outside the work tree
/// or ignored; paths are absolute, or relative to `root`, git's folder here.
pub fn stage(root: &Path, documents: &[PathBuf], manifest: &Path) -> Result<Staged, Error> {
    let top = toplevel(root)?;
    let inside: Vec<PathBuf> = documents
        .iter()
        .map(|d| root.join(d))
        .filter_map(|d| d.canonicalize().ok())
        .filter(|d| d.starts_with(&top))
        .collect();
    let tracked: Vec<PathBuf> = tracked(root, &inside)?.into_iter().collect();
    for chunk in tracked.chunks(CHUNK) {
        let mut args: Vec<&std::ffi::OsStr> = vec!["add".as_ref(), "--".as_ref()];
        args.extend(chunk.iter().map(|p| p.as_os_str()));
        run(root, &args)?;
    }
    let manifest = root.join(manifest);
    let stage_manifest = manifest.is_file()
        && manifest
            .parent()
            .and_then(|d| d.canonicalize().ok())
            .is_some_and(|d| d.starts_with(&top))
        && !ignored(root, &manifest);
    if stage_manifest {
        run(root, &["add".as_ref(), "--".as_ref(), manifest.as_os_str()])?;
    }
    Ok(Staged {
        documents: tracked.len(),
        manifest: stage_manifest,
    })
}

/// The work tree's top folder, as git names it (symlinks resolved).
fn toplevel(root: &Path) -> Result<PathBuf, Error> {
    let out = run(root, &["rev-parse".as_ref(), "--show-toplevel".as_ref()])?;
    let top = PathBuf::from(String::from_utf8_lossy(&out).trim_end_matches('\n'));
    Ok(top.canonicalize().unwrap_or(top))
}

/// Whether a `.gitignore` rule (or another exclude file) covers `path`.
fn ignored(root: &Path, path: &Path) -> bool {
    Command::new("git")
        .args(["check-ignore", "-q", "--"])
        .arg(path)
        .current_dir(root)
        .status()
        .is_ok_and(|s| s.success())
}

/// Which of `files` git tracks.
fn tracked(root: &Path, files: &[PathBuf]) -> Result<HashSet<PathBuf>, Error> {
    let mut out = HashSet::new();
    for chunk in files.chunks(CHUNK) {
        let mut args: Vec<&std::ffi::OsStr> =
            vec!["ls-files".as_ref(), "-z".as_ref(), "--".as_ref()];
        args.extend(chunk.iter().map(|p| p.as_os_str()));
        let stdout = run(root, &args)?;
        for name in stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
            // Paths come back relative to `root` (git's current folder).
            out.insert(PathBuf::from(String::from_utf8_lossy(name).into_owned()));
        }
    }
    Ok(out)
}

fn run(root: &Path, args: &[&std::ffi::OsStr]) -> Result<Vec<u8>, Error> {
    let out = Command::new("git")
        // Names come back as they are, not quoted with octal escapes.
        .args(["-c", "core.quotePath=false"])
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| Error::Git {
            command: args
                .first()
                .map_or("".into(), |a| a.to_string_lossy().into_owned()),
            message: format!("cannot run git: {e}"),
        })?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let shown: Vec<String> = args
        .iter()
        .take(4)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Err(Error::Git {
        command: format!("{} …", shown.join(" ")),
        message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}
