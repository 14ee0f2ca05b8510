//! Many documents at once: collect the Markdown/MDX files named on the command
//! line (walking folders), and write the rewritten documents back all together.
//!
//! Two targets: in place (each file over itself) or an output folder that gets
//! the same relative layout (`tmp/draft` → `content/posts`). Relative image
//! paths always resolve against the *source* document's folder.
//!
//! Writing is all-or-nothing in the way a file system allows: every output is
//! first written to a temporary file in its target folder, and only when all of
//! them are written (and on disk) is each renamed over its target (an atomic
//! replace). A run that fails therefore leaves every file as it was; at worst
//! (a rename failing midway) some files are fully rewritten and the rest
//! untouched, never half.
//!
//! Durability costs one fsync per target folder after the renames, not one
//! per file (an fsync commits the file system's journal: about 100 µs on a
//! quiet disk, milliseconds on a busy one, so 1,000 outputs paid seconds).
//! The folder fsync makes the renames durable. The outputs' bytes reach the
//! disk with the kernel's writeback (within about 30 s), not before the run
//! ends: after a power cut, a file replaced in place is old or new (ext4 and
//! btrfs write a file's data before committing a rename over another file),
//! and a new file under `--out-dir` may be empty, which the next run
//! rewrites (an output that differs from what is there is written again).
//! Waiting for the data instead (sync_file_range over the batch) measured
//! about twice the cost of `cp -r` of the same files; `syncfs` would also
//! flush every other process's unwritten data. See BENCHMARKS.md (writes).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::document::{Document, ReadError};

/// File extensions a folder walk picks up.
pub const EXTENSIONS: &[&str] = &["md", "mdx", "markdown"];

/// What cannot be done with the paths given.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{}: no such file or folder", .0.display())]
    NotFound(PathBuf),
    #[error("walking {}: {message}", .path.display())]
    Walk { path: PathBuf, message: String },
    #[error("{} and {} would both be written to {}", .first.display(), .second.display(), .target.display())]
    SameTarget {
        first: PathBuf,
        second: PathBuf,
        target: PathBuf,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl BatchError {
    pub fn hint(&self) -> String {
        match self {
            BatchError::NotFound(_) => "check the path (relative to the current folder)".into(),
            BatchError::Walk { .. } => "check the folder's permissions".into(),
            BatchError::SameTarget { .. } => {
                "give one folder, or files with different names, per --out-dir".into()
            }
            BatchError::Write { .. } => "check the folder exists and is writable".into(),
        }
    }

    /// Paths that cannot be used (a usage error), not a failed write.
    pub fn is_usage(&self) -> bool {
        !matches!(self, BatchError::Write { .. })
    }
}

/// Where outputs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    InPlace,
    /// A folder, as given (relative to the current folder or absolute).
    OutDir(PathBuf),
}

/// One document of the batch.
#[derive(Debug, Clone)]
pub struct Input {
    /// The file as the user gave it (relative to the current folder when it
    /// was given so): used in messages.
    pub name: PathBuf,
    /// The file to read.
    pub path: PathBuf,
    /// Its path under the folder it was found in (its file name when given
    /// directly): its place under `--out-dir`.
    pub relative: PathBuf,
}

impl Input {
    /// Where this document's output goes, named as the user would (relative
    /// to the current folder when the paths given were).
    pub fn target(&self, target: &Target) -> PathBuf {
        match target {
            Target::InPlace => self.name.clone(),
            Target::OutDir(dir) => dir.join(&self.relative),
        }
    }
}

/// The documents `paths` name, relative to `cwd`: files as given (whatever
/// their extension), folders walked for `.md`, `.mdx` and `.markdown` files,
/// honouring `.gitignore` (also outside a git checkout) and skipping hidden
/// files. Sorted within each folder; a file named twice is taken once.
pub fn collect(paths: &[PathBuf], cwd: &Path) -> Result<Vec<Input>, BatchError> {
    let mut inputs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for given in paths {
        let path = cwd.join(given);
        let meta = std::fs::metadata(&path).map_err(|_| BatchError::NotFound(given.clone()))?;
        let mut add = |name: PathBuf, path: PathBuf, relative: PathBuf| {
            if seen.insert(identity(&path)) {
                inputs.push(Input {
                    name,
                    path,
                    relative,
                });
            }
        };
        if !meta.is_dir() {
            let file_name = PathBuf::from(path.file_name().unwrap_or(given.as_os_str()));
            add(given.clone(), path, file_name);
            continue;
        }
        let walk = ignore::WalkBuilder::new(&path)
            .require_git(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walk {
            let entry = entry.map_err(|e| BatchError::Walk {
                path: given.clone(),
                message: e.to_string(),
            })?;
            if !entry.file_type().is_some_and(|t| t.is_file()) || !is_markdown(entry.path()) {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(&path)
                .expect("the walk stays under its folder")
                .to_path_buf();
            add(given.join(&relative), entry.path().to_path_buf(), relative);
        }
    }
    Ok(inputs)
}

/// What makes two paths the same file: device and inode (one `stat`, where a
/// `realpath` would `lstat` every component; it was 8 % of a warm run).
#[cfg(unix)]
fn identity(path: &Path) -> (u64, u64, PathBuf) {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) => (m.dev(), m.ino(), PathBuf::new()),
        Err(_) => (0, 0, path.to_path_buf()),
    }
}

#[cfg(not(unix))]
fn identity(path: &Path) -> (u64, u64, PathBuf) {
    (
        0,
        0,
        path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
    )
}

/// True for the extensions a folder walk takes.
pub fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Refuses two inputs that would land on the same output file.
pub fn distinct_targets(inputs: &[Input], target: &Target) -> Result<(), BatchError> {
    let mut by_target: HashMap<PathBuf, &Input> = HashMap::new();
    for input in inputs {
        let t = input.target(target);
        if let Some(first) = by_target.insert(t.clone(), input) {
            return Err(BatchError::SameTarget {
                first: first.name.clone(),
                second: input.name.clone(),
                target: t,
            });
        }
    }
    Ok(())
}

/// Reads the inputs as pipeline documents (UTF-8; flavor from the extension;
/// relative images resolve against each file's own folder).
pub fn read(inputs: &[Input]) -> Result<Vec<Document>, ReadError> {
    inputs
        .iter()
        .map(|input| Document::read(&input.name, &input.path))
        .collect()
}

/// What [`write_all`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Files replaced or created, as named to the user.
    pub changed: Vec<PathBuf>,
    /// Outputs equal to what was already there: not touched (mtime kept).
    pub unchanged: usize,
}

/// Writes each output to its target, all or nothing (see the module docs).
/// `outputs[i]` belongs to `inputs[i]`. A target whose content already equals
/// the output is not touched.
/// Relative names are taken from `cwd`.
pub fn write_all(
    inputs: &[Input],
    outputs: &[String],
    target: &Target,
    cwd: &Path,
) -> Result<Written, BatchError> {
    let mut stager = Stager::new(inputs, target, cwd);
    for (i, output) in outputs.iter().enumerate() {
        stager.stage(i, output)?;
    }
    stager.commit()
}

/// [`write_all`] in two steps, so that outputs can be staged as they are made
/// and dropped: [`Stager::stage`] each one (a temp file beside its target),
/// then [`Stager::commit`] them all. Dropped before the commit, it removes
/// what it staged and no target is touched.
#[derive(Debug)]
pub struct Stager<'a> {
    inputs: &'a [Input],
    target: &'a Target,
    cwd: &'a Path,
    // Closed temp files (removed if dropped): 10,000 open ones would pass the
    // usual limit of 1,024 file descriptors.
    staged: Vec<(tempfile::TempPath, PathBuf, PathBuf)>,
    written: Written,
}

impl<'a> Stager<'a> {
    pub fn new(inputs: &'a [Input], target: &'a Target, cwd: &'a Path) -> Stager<'a> {
        Stager {
            inputs,
            target,
            cwd,
            staged: Vec::new(),
            written: Written::default(),
        }
    }

    /// Stages `output`, the output of `inputs[i]`, unless its target already
    /// holds exactly that.
    pub fn stage(&mut self, i: usize, output: &str) -> Result<(), BatchError> {
        let input = &self.inputs[i];
        let shown = input.target(self.target);
        let to = self.cwd.join(&shown);
        if std::fs::read(&to).is_ok_and(|old| old == output.as_bytes()) {
            self.written.unchanged += 1;
            return Ok(());
        }
        let fail = |source| BatchError::Write {
            path: shown.clone(),
            source,
        };
        let dir = to.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(fail)?;
        // No fsync per file: see the module docs.
        let tmp = crate::atomic::stage(&to, output.as_bytes(), false).map_err(fail)?;
        // A replaced file keeps its permissions (a temp file is 0600).
        let like = std::fs::metadata(&to).or_else(|_| std::fs::metadata(&input.path));
        if let Ok(meta) = like {
            std::fs::set_permissions(tmp.path(), meta.permissions()).map_err(fail)?;
        }
        self.staged.push((tmp.close(), shown, to));
        Ok(())
    }

    /// Every output is staged: replaces the targets, then makes the renames
    /// durable (one fsync per folder).
    pub fn commit(self) -> Result<Written, BatchError> {
        let mut written = self.written;
        let mut dirs: HashMap<PathBuf, PathBuf> = HashMap::new(); // folder → an output in it
        for (tmp, shown, to) in self.staged {
            tmp.persist(&to).map_err(|e| BatchError::Write {
                path: shown.clone(),
                source: e.error,
            })?;
            let dir = to.parent().unwrap_or(Path::new(".")).to_path_buf();
            dirs.entry(dir).or_insert_with(|| shown.clone());
            written.changed.push(shown);
        }
        for (dir, shown) in &dirs {
            sync_dir(dir).map_err(|source| BatchError::Write {
                path: shown.clone(),
                source,
            })?;
        }
        Ok(written)
    }
}

/// Fsyncs a folder: what was renamed into it survives a crash.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(inputs: &[Input]) -> Vec<(String, String)> {
        inputs
            .iter()
            .map(|i| {
                (
                    i.name.to_string_lossy().into_owned(),
                    i.relative.to_string_lossy().into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn folders_walk_markdown_honouring_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "posts/a.md",
            "posts/b.MDX",
            "posts/sub/c.markdown",
            "posts/notes.txt",
            "posts/drafts/d.md",
            "posts/.hidden.md",
            "other.md",
        ] {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), "x").unwrap();
        }
        std::fs::write(root.join("posts/.gitignore"), "drafts/\n").unwrap();
        let got = collect(
            &["posts".into(), "other.md".into(), "posts/a.md".into()],
            root,
        )
        .unwrap();
        assert_eq!(
            names(&got),
            [
                ("posts/a.md".into(), "a.md".into()),
                ("posts/b.MDX".into(), "b.MDX".into()),
                ("posts/sub/c.markdown".into(), "sub/c.markdown".into()),
                ("other.md".into(), "other.md".into()),
            ]
        );
        assert!(matches!(
            collect(&["nope".into()], root),
            Err(BatchError::NotFound(p)) if p == Path::new("nope")
        ));
    }

    #[test]
    fn two_sources_for_one_target_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["a/x.md", "b/x.md"] {
            std::fs::create_dir_all(dir.path().join(f).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let inputs = collect(&["a/x.md".into(), "b/x.md".into()], dir.path()).unwrap();
        assert!(distinct_targets(&inputs, &Target::InPlace).is_ok());
        let err = distinct_targets(&inputs, &Target::OutDir("out".into())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a/x.md and b/x.md would both be written to out/x.md"
        );
    }

    #[test]
    fn only_changed_files_are_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), "same").unwrap();
        std::fs::write(dir.path().join("b.md"), "old").unwrap();
        let inputs = collect(&["a.md".into(), "b.md".into()], dir.path()).unwrap();
        let w = write_all(
            &inputs,
            &["same".into(), "new".into()],
            &Target::InPlace,
            dir.path(),
        )
        .unwrap();
        assert_eq!(w.changed, [PathBuf::from("b.md")]);
        assert_eq!(w.unchanged, 1);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.md")).unwrap(),
            "new"
        );
        // No temp file is left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 2);
    }
}
