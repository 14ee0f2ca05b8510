//! A local folder standing in for the bucket (`--local-store`): no account,
//! no network. Objects are written whole (temp file + rename) or not at all.
//! Every method does blocking file work: [`super::Store`] runs them on tokio's
//! blocking pool.

use std::path::{Path, PathBuf};

use super::{Existing, Head, Put, StoreError, compare};
use crate::object;

/// A folder used as the bucket; keys are paths below it.
#[derive(Debug, Clone)]
pub struct LocalStore {
    pub dir: PathBuf,
}

impl LocalStore {
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
}
