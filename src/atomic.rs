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
    let mut builder = tempfile::Builder::new();
    builder.prefix(".r2filter-").suffix(".tmp");
    // A temp file is 0600; the file it becomes is made as `File::create`
    // makes one (0666 less the umask), or keeps the mode of the file it
    // replaces: an images index or a local-store object under public/ must
    // stay readable by the web server.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir)?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
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

    #[cfg(unix)]
    #[test]
    fn modes_are_those_of_a_created_or_replaced_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let new = dir.path().join("index.json");
        write_atomic(&new, b"{}", false).unwrap();
        assert_eq!(mode(&new), mode(&plain), "as File::create makes it");
        std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&new, b"{ }", false).unwrap();
        assert_eq!(mode(&new), 0o640, "a replaced file keeps its mode");
    }
}
