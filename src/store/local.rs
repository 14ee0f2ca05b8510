//! A local folder standing in for the bucket (`--local-store`): no account,
//! no network. Objects are written whole (temp file + rename) or not at all.
//! Every method does blocking file work; [`super::Store`] runs batches on
//! rayon's threads.

use std::path::{Component, Path, PathBuf};

use super::{Existing, Head, Listed, Pending, Put, StoreError, Uploaded, compare};
use crate::object;

/// A folder used as the bucket; keys are paths below it.
#[derive(Debug, Clone)]
pub struct LocalStore {
    pub dir: PathBuf,
}

impl LocalStore {
    /// Makes sure `item` is stored: copied in unless something is there
    /// already, which must then be the same bytes.
    pub(super) fn ensure(&self, item: &Pending) -> Result<Uploaded, StoreError> {
        if self.put(&item.key, &item.path)? == Put::Created {
            return Ok(Uploaded::Sent);
        }
        match self.existing(&item.key, &item.sha256, item.size)? {
            Existing::Different(detail) => Err(StoreError::Collision {
                key: item.key.clone(),
                detail,
            }),
            Existing::Same | Existing::Unknown => Ok(Uploaded::AlreadyThere),
            // Deleted since: copy it in (still never over another file).
            Existing::Missing => match self.put(&item.key, &item.path)? {
                Put::Created => Ok(Uploaded::Sent),
                Put::Exists => Err(StoreError::Other {
                    op: "PUT",
                    key: item.key.clone(),
                    detail: "the object keeps appearing and vanishing under this key; run again"
                        .into(),
                }),
            },
        }
    }

    pub(super) fn existing(
        &self,
        key: &str,
        sha256: &str,
        size: u64,
    ) -> Result<Existing, StoreError> {
        Ok(match self.head(key)? {
            None => Existing::Missing,
            Some(head) => compare(head.sha256.as_deref(), head.size, sha256, size),
        })
    }

    pub(super) fn head(&self, key: &str) -> Result<Option<Head>, StoreError> {
        let path = self.dir.join(key);
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Io { path, source }),
            Ok(_) => {
                let info =
                    object::hash_file(&path).map_err(|source| StoreError::Io { path, source })?;
                Ok(Some(Head {
                    size: Some(info.size),
                    // A folder has no Content-Type: the bytes decide.
                    content_type: Some(
                        info.kind
                            .map_or("application/octet-stream", |k| k.mime)
                            .to_string(),
                    ),
                    sha256: Some(info.sha256).filter(|s| !s.is_empty()),
                }))
            }
        }
    }

    /// Copies `path` to `key` unless something is there already (as
    /// `If-None-Match: *`): to a temp file beside the target, then linked in
    /// place without replacing, so never a half-written object and never an
    /// overwrite.
    pub(super) fn put(&self, key: &str, path: &Path) -> Result<Put, StoreError> {
        let dest = self.dir.join(key);
        let io = |source| StoreError::Io {
            path: dest.clone(),
            source,
        };
        let parent = dest.parent().expect("keys have a file name");
        std::fs::create_dir_all(parent).map_err(io)?;
        if dest.exists() {
            return Ok(Put::Exists);
        }
        let copy = |file: &mut std::fs::File| {
            std::io::copy(&mut std::fs::File::open(path)?, file).map(drop)
        };
        let staged = crate::atomic::stage_with(&dest, false, copy).map_err(io)?;
        match staged.commit_new(&dest) {
            Ok(true) => Ok(Put::Created),
            Ok(false) => Ok(Put::Exists),
            Err(e) => Err(io(e)),
        }
    }

    pub(super) fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        let mut out = Vec::new();
        let mut dirs = vec![self.dir.clone()];
        while let Some(dir) = dirs.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                // A store folder nothing was written to yet is an empty bucket.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && dir == self.dir => {
                    return Ok(out);
                }
                Err(source) => return Err(StoreError::Io { path: dir, source }),
            };
            for entry in entries {
                let io = |source| StoreError::Io {
                    path: dir.clone(),
                    source,
                };
                let entry = entry.map_err(io)?;
                let meta = entry.metadata().map_err(io)?;
                let path = entry.path();
                if meta.is_dir() {
                    dirs.push(path);
                    continue;
                }
                // put's temp files are not objects.
                let temp = entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".r2filter-");
                if let Some(key) = self
                    .key_of(&path)
                    .filter(|k| !temp && k.starts_with(prefix))
                {
                    out.push(Listed {
                        key,
                        size: meta.len(),
                        etag: None,
                        last_modified: meta.modified().ok(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Copies `key` to the file `to`; returns the bytes copied.
    pub(super) fn get(&self, key: &str, to: &Path) -> Result<u64, StoreError> {
        let from = self.key_path(key)?;
        std::fs::copy(&from, to).map_err(|source| StoreError::Io { path: from, source })
    }

    /// Removes the object's file, then the folders it leaves empty (as a
    /// bucket has no folders).
    pub(super) fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.key_path(key)?;
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(StoreError::Io { path, source }),
        }
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != self.dir && d.starts_with(&self.dir)) {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    /// The file of `key`, which must stay below the folder (a manifest is
    /// input too: `../` in a key must not reach other files).
    fn key_path(&self, key: &str) -> Result<PathBuf, StoreError> {
        let rel = Path::new(key);
        if key.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(StoreError::BadKey { key: key.into() });
        }
        Ok(self.dir.join(rel))
    }

    /// The key of the file at `path` (`/`-separated; None if not UTF-8).
    fn key_of(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.dir).ok()?;
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        Some(parts?.join("/"))
    }
}
