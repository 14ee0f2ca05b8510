//! Writing a file whole or not at all: a temporary file beside the target
//! (same folder, so the rename cannot cross file systems), filled, then
//! renamed over it. A reader sees the old file or the new one, never half;
//! a crash leaves at worst a `.r2filter-*.tmp` file, never a torn target.
//!
//! The manifest, the report, the stat cache, batch outputs and local-store
//! objects are all written through here.

use std::fs::File;
use std::io::{self, Write as _};
use std::path::Path;

/// A file written in full under a temporary name, waiting for
/// [`Staged::commit`]; dropped uncommitted, it is removed.
#[derive(Debug)]
pub(crate) struct Staged(tempfile::NamedTempFile);

/// Stages a file for `path`, filled by `fill`. With `durable`, its bytes are
/// on disk (fsync) before it can be committed: for files worth a crash's
/// thought (the manifest, outputs), not for caches.
pub(crate) fn stage_with(
    path: &Path,
    durable: bool,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<Staged> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".r2filter-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    fill(tmp.as_file_mut())?;
    if durable {
        tmp.as_file().sync_all()?;
    }
    Ok(Staged(tmp))
}

/// Stages `bytes` for `path` (see [`stage_with`]).
pub(crate) fn stage(path: &Path, bytes: &[u8], durable: bool) -> io::Result<Staged> {
    stage_with(path, durable, |file| file.write_all(bytes))
}

impl Staged {
    /// The temporary file.
    pub(crate) fn path(&self) -> &Path {
        self.0.path()
    }

    /// Renames the staged file over `path`.
    pub(crate) fn commit(self, path: &Path) -> io::Result<()> {
        self.0.persist(path).map(drop).map_err(|e| e.error)
    }

    /// Puts the staged file at `path` unless something is there already:
    /// `false` then (and the staged file is removed), never a replacement.
    pub(crate) fn commit_new(self, path: &Path) -> io::Result<bool> {
        match self.0.persist_noclobber(path) {
            Ok(_) => Ok(true),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e.error),
        }
    }

    /// Closes the staged file, keeping it staged (removed if dropped): a
    /// batch of thousands must not hold a descriptor each.
    pub(crate) fn close(self) -> tempfile::TempPath {
        self.0.into_temp_path()
    }
}

/// Writes `bytes` to `path` atomically (see the module docs).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    stage(path, bytes, durable)?.commit(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        write_atomic(&path, b"one", true).unwrap();
        let staged = stage(&path, b"two", false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one", "not before commit");
        staged.commit(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        drop(stage(&path, b"three", false).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_atomic(&dir.path().join("no/such/f"), b"x", false).is_err());
    }
}
