//! A local folder standing in for the bucket (`--local-store`): no account,
//! no network. Objects are written whole (temp file + rename) or not at all.

use std::path::{Component, Path, PathBuf};

use super::{Existing, Head, Listed, PutRequest, StoreError, compare};
use crate::object;

/// A folder used as the bucket; keys are paths below it.
#[derive(Debug, Clone)]
pub struct LocalStore {
    pub dir: PathBuf,
}

impl LocalStore {
    pub(super) fn check(&self, key: &str, sha256: &str, size: u64) -> Result<Existing, StoreError> {
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

    pub(super) async fn put(&self, req: &PutRequest<'_>) -> Result<(), StoreError> {
        let dest = self.dir.join(req.key);
        let io = |source| StoreError::Io {
            path: dest.clone(),
            source,
        };
        let parent = dest.parent().expect("keys have a file name");
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
        let (src, tmp_dir) = (req.path.to_path_buf(), parent.to_path_buf());
        let dest2 = dest.clone();
        // Copy to a temp file beside the target, then rename: never a
        // half-written object.
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let tmp = tempfile::Builder::new()
                .prefix(".r2filter-")
                .tempfile_in(tmp_dir)?;
            std::fs::copy(&src, tmp.path())?;
            tmp.persist(&dest2).map_err(|e| e.error)?;
            Ok(())
        })
        .await
        .map_err(|e| io(std::io::Error::other(e)))?
        .map_err(io)
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
                let entry = entry.map_err(|source| StoreError::Io {
                    path: dir.clone(),
                    source,
                })?;
                let path = entry.path();
                let meta = entry.metadata().map_err(|source| StoreError::Io {
                    path: path.clone(),
                    source,
                })?;
                if meta.is_dir() {
                    dirs.push(path);
                    continue;
                }
                // put's temp files are not objects.
                if entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".r2filter-")
                {
                    continue;
                }
                let Some(key) = path
                    .strip_prefix(&self.dir)
                    .ok()
                    .and_then(|rel| {
                        rel.components()
                            .map(|c| c.as_os_str().to_str())
                            .collect::<Option<Vec<_>>>()
                    })
                    .map(|parts| parts.join("/"))
                else {
                    continue;
                };
                if key.starts_with(prefix) {
                    out.push(Listed {
                        key,
                        size: meta.len(),
                        last_modified: meta.modified().ok(),
                    });
                }
            }
        }
        Ok(out)
    }

    pub(super) async fn get(&self, key: &str, to: &Path) -> Result<u64, StoreError> {
        let from = self.key_path(key)?;
        let to = to.to_path_buf();
        tokio::task::spawn_blocking(move || {
            std::fs::copy(&from, &to).map_err(|source| StoreError::Io { path: from, source })
        })
        .await
        .map_err(|e| StoreError::Other {
            op: "GET",
            key: key.into(),
            detail: e.to_string(),
        })?
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
}
