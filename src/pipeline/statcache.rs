//! A local cache of file hashes keyed by what `stat` says, so a warm run does
//! not read the images again: only a `stat` per file.
//!
//! An entry is `path → (size, mtime, ctime, inode, device) → (sha256, type)`,
//! the same quick check git's index makes. The ctime is what makes it safe: a
//! tool can put the mtime back after changing a file, but setting any time
//! moves the ctime to now, so a changed file never matches its old entry and
//! is hashed again.
//!
//! It lives beside the manifest as `<manifest>.cache` (for example
//! `r2filter-manifest.json.cache`) and is **not** meant to be committed: the
//! stamps only mean something on the machine that made them. It is only a
//! cache: a missing, unreadable, corrupt or other-version file is silently
//! started afresh, and a failure to write it is logged at debug level and
//! otherwise ignored. It is written atomically (temporary file + rename).
//!
//! Entries are not trusted for a file changed within [`RACY_WINDOW`] of being
//! hashed: a second change within one tick of the file system clock could keep
//! the size and every time (git calls such entries "racily clean"). They are
//! hashed again next run, and cached then.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::object::{FileInfo, ImageType};

/// Bumped whenever the file's meaning changes; another version is ignored.
const VERSION: u32 = 1;

/// Files changed this recently before hashing are not cached (see the module
/// docs). File system clocks tick in at most a few milliseconds.
pub const RACY_WINDOW: Duration = Duration::from_secs(1);

/// The cache file for a manifest: `<manifest>.cache`.
pub fn path_for(manifest: &Path) -> PathBuf {
    let mut name = manifest.as_os_str().to_owned();
    name.push(".cache");
    PathBuf::from(name)
}

/// What `stat` says about a file, as far as "did it change" goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    /// Nanoseconds since the epoch.
    pub mtime: i64,
    /// Nanoseconds since the epoch (0 where the platform has no ctime).
    pub ctime: i64,
    pub ino: u64,
    pub dev: u64,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
            Stamp {
                size: meta.len(),
                mtime: ns(meta.mtime(), meta.mtime_nsec()),
                ctime: ns(meta.ctime(), meta.ctime_nsec()),
                ino: meta.ino(),
                dev: meta.dev(),
            }
        }
        #[cfg(not(unix))]
        {
            Stamp {
                size: meta.len(),
                mtime: meta.modified().map_or(0, nanos),
                ctime: 0,
                ino: 0,
                dev: 0,
            }
        }
    }

    /// The later of mtime and ctime, in nanoseconds since the epoch.
    fn changed(&self) -> i64 {
        self.mtime.max(self.ctime)
    }
}

fn nanos(t: SystemTime) -> i64 {
    let clamp = |d: Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => clamp(d),
        Err(e) => -clamp(e.duration()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Cached {
    stamp: Stamp,
    sha256: String,
    /// The sniffed Content-Type.
    #[serde(rename = "type")]
    mime: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    files: HashMap<PathBuf, Cached>,
}

/// How the files of one run were found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Taken from the cache: stat only, not read.
    pub hits: usize,
    /// Read and hashed.
    pub hashed: usize,
}

/// The cache, loaded.
#[derive(Debug)]
pub struct StatCache {
    path: PathBuf,
    files: HashMap<PathBuf, Cached>,
    dirty: bool,
    racy_window: Duration,
}

impl StatCache {
    /// Loads the cache at `path`; anything unusable gives an empty cache.
    pub fn load(path: &Path) -> StatCache {
        let files = std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<OnDisk>(&bytes).ok())
            .filter(|d| d.version == VERSION)
            .map(|d| d.files)
            .unwrap_or_default();
        StatCache {
            path: path.to_path_buf(),
            files,
            dirty: false,
            racy_window: RACY_WINDOW,
        }
    }

    /// The same, trusting files changed up to `window` before hashing (tests).
    #[cfg(test)]
    pub fn with_racy_window(mut self, window: Duration) -> StatCache {
        self.racy_window = window;
        self
    }

    /// Number of cached files.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.files.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The info of each of `files` (in order): from the cache where the stamp
    /// still matches, else from `hash` (called once, with the files to read, in
    /// order). New results for images are remembered.
    pub fn hash_files(
        &mut self,
        files: &[PathBuf],
        hash: impl FnOnce(&[PathBuf]) -> Vec<io::Result<FileInfo>>,
    ) -> (Vec<io::Result<FileInfo>>, CacheStats) {
        let mut out: Vec<Option<io::Result<FileInfo>>> = Vec::with_capacity(files.len());
        let mut todo: Vec<PathBuf> = Vec::new();
        let mut todo_at: Vec<(usize, Option<Stamp>)> = Vec::new();
        for (i, path) in files.iter().enumerate() {
            // Stamp before reading: a change during the read moves the times
            // past this stamp, so the entry will not match next run.
            let stamp = std::fs::metadata(path).ok().map(|m| Stamp::of(&m));
            let hit = stamp.and_then(|s| {
                let c = self.files.get(path).filter(|c| c.stamp == s)?;
                Some(FileInfo {
                    sha256: c.sha256.clone(),
                    size: s.size,
                    kind: Some(ImageType::from_mime(&c.mime)?),
                })
            });
            match hit {
                Some(info) => out.push(Some(Ok(info))),
                None => {
                    out.push(None);
                    todo.push(path.clone());
                    todo_at.push((i, stamp));
                }
            }
        }
        let stats = CacheStats {
            hits: files.len() - todo.len(),
            hashed: todo.len(),
        };
        if !todo.is_empty() {
            let hashed = hash(&todo);
            debug_assert_eq!(hashed.len(), todo.len());
            let settled = nanos(SystemTime::now() - self.racy_window);
            for ((path, (i, stamp)), result) in todo.into_iter().zip(todo_at).zip(hashed) {
                match (&result, stamp) {
                    (Ok(info), Some(stamp))
                        if stamp.size == info.size && stamp.changed() < settled =>
                    {
                        if let Some(kind) = info.kind {
                            self.files.insert(
                                path,
                                Cached {
                                    stamp,
                                    sha256: info.sha256.clone(),
                                    mime: kind.mime.to_string(),
                                },
                            );
                            self.dirty = true;
                        }
                    }
                    _ => {
                        if self.files.remove(&path).is_some() {
                            self.dirty = true;
                        }
                    }
                }
                out[i] = Some(result);
            }
        }
        let out = out
            .into_iter()
            .map(|r| r.expect("every file has a result"))
            .collect();
        (out, stats)
    }

    /// Writes the cache if anything changed, atomically, dropping entries of
    /// files that no longer exist. Errors are the caller's to ignore.
    pub fn save(&mut self) -> io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        self.files.retain(|p, _| p.exists());
        let disk = OnDisk {
            version: VERSION,
            files: std::mem::take(&mut self.files),
        };
        let result = write_atomically(&self.path, &disk);
        self.files = disk.files;
        self.dirty = result.is_err();
        result
    }
}

/// No fsync: losing the cache in a crash costs a re-hash, nothing more.
fn write_atomically(path: &Path, disk: &OnDisk) -> io::Result<()> {
    let json = serde_json::to_vec(disk).map_err(io::Error::other)?;
    crate::atomic::write_atomic(path, &json, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::hash_file;
    use std::cell::Cell;

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    fn png(seed: u8) -> Vec<u8> {
        let mut b = PNG.to_vec();
        b.extend_from_slice(&[seed; 64]);
        b
    }

    /// Hashes for real, counting the files it was asked to read.
    fn counting<'a>(
        reads: &'a Cell<usize>,
    ) -> impl FnOnce(&[PathBuf]) -> Vec<io::Result<FileInfo>> + 'a {
        move |files| {
            reads.set(reads.get() + files.len());
            files.iter().map(|p| hash_file(p)).collect()
        }
    }

    fn setup() -> (tempfile::TempDir, PathBuf, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let files: Vec<PathBuf> = (0..3).map(|i| root.join(format!("{i}.png"))).collect();
        for (i, f) in files.iter().enumerate() {
            std::fs::write(f, png(i as u8)).unwrap();
        }
        let cache = path_for(&root.join("r2filter-manifest.json"));
        (dir, cache, files)
    }

    fn load(path: &Path) -> StatCache {
        StatCache::load(path).with_racy_window(Duration::ZERO)
    }

    #[test]
    fn second_run_reads_nothing_and_agrees() {
        let (_dir, path, files) = setup();
        let reads = Cell::new(0);
        let mut cache = load(&path);
        let (first, stats) = cache.hash_files(&files, counting(&reads));
        assert_eq!(stats, CacheStats { hits: 0, hashed: 3 });
        cache.save().unwrap();
        assert!(path.ends_with("r2filter-manifest.json.cache"));

        let mut cache = load(&path);
        assert_eq!(cache.len(), 3);
        let (second, stats) = cache.hash_files(&files, counting(&reads));
        assert_eq!(stats, CacheStats { hits: 3, hashed: 0 });
        assert_eq!(reads.get(), 3, "the second run read no file");
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.as_ref().unwrap(), b.as_ref().unwrap());
        }
    }

    #[test]
    fn a_change_with_the_same_size_and_mtime_is_seen() {
        let (_dir, path, files) = setup();
        let mut cache = load(&path);
        cache.hash_files(&files, counting(&Cell::new(0)));
        cache.save().unwrap();

        // Same size, mtime put back: only ctime (and maybe inode) tell.
        let mtime = std::fs::metadata(&files[1]).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&files[1], png(9)).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&files[1])
            .unwrap()
            .set_modified(mtime)
            .unwrap();

        let reads = Cell::new(0);
        let mut cache = load(&path);
        let (infos, stats) = cache.hash_files(&files, counting(&reads));
        if cfg!(unix) {
            assert_eq!(stats, CacheStats { hits: 2, hashed: 1 });
            assert_eq!(
                infos[1].as_ref().unwrap().sha256,
                hash_file(&files[1]).unwrap().sha256
            );
        }
    }

    #[test]
    fn corrupt_or_foreign_caches_start_afresh() {
        let (_dir, path, files) = setup();
        for junk in [
            &b"{ not json"[..],
            b"{\"version\":999,\"files\":{}}",
            b"[]",
            b"",
        ] {
            std::fs::write(&path, junk).unwrap();
            let mut cache = load(&path);
            assert!(cache.is_empty());
            let reads = Cell::new(0);
            let (infos, _) = cache.hash_files(&files, counting(&reads));
            assert_eq!(reads.get(), 3);
            assert!(infos.iter().all(|r| r.is_ok()));
            cache.save().unwrap();
            assert_eq!(load(&path).len(), 3, "rebuilt over {junk:?}");
        }
    }

    #[test]
    fn recent_changes_and_non_images_are_not_cached() {
        let (_dir, path, mut files) = setup();
        let text = files[0].with_file_name("notes.png");
        std::fs::write(&text, b"not an image at all").unwrap();
        files.push(text);
        // The default window: everything was written just now.
        let mut cache = StatCache::load(&path);
        cache.hash_files(&files, counting(&Cell::new(0)));
        cache.save().unwrap();
        assert_eq!(StatCache::load(&path).len(), 0);

        let mut cache = load(&path);
        cache.hash_files(&files, counting(&Cell::new(0)));
        cache.save().unwrap();
        assert_eq!(
            StatCache::load(&path).len(),
            3,
            "the text file is never cached"
        );
    }

    #[test]
    fn deleted_files_are_dropped_and_missing_files_are_errors() {
        let (_dir, path, files) = setup();
        let mut cache = load(&path);
        cache.hash_files(&files, counting(&Cell::new(0)));
        cache.save().unwrap();
        std::fs::remove_file(&files[2]).unwrap();
        let mut cache = load(&path);
        let (infos, stats) = cache.hash_files(&files, counting(&Cell::new(0)));
        assert_eq!(stats, CacheStats { hits: 2, hashed: 1 });
        assert!(infos[2].is_err());
        cache.save().unwrap();
        assert_eq!(StatCache::load(&path).len(), 2);
    }

    #[test]
    fn an_unwritable_place_is_an_error_to_ignore() {
        let (_dir, path, files) = setup();
        let mut cache = load(&path.join("no-such-folder").join("x.cache"));
        cache.hash_files(&files, counting(&Cell::new(0)));
        assert!(cache.save().is_err());
    }
}
