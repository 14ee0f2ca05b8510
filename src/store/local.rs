//! A local folder standing in for the bucket (`--local-store`): no account,
//! no network. Objects are written whole (temp file + rename) or not at all.

use std::path::PathBuf;

use super::{Existing, Head, Put, PutRequest, StoreError, compare};
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

    pub(super) async fn put(&self, req: &PutRequest<'_>) -> Result<Put, StoreError> {
        let dest = self.dir.join(req.key);
        let io = |source| StoreError::Io {
            path: dest.clone(),
            source,
        };
        let parent = dest.parent().expect("keys have a file name");
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
        let (src, tmp_dir) = (req.path.to_path_buf(), parent.to_path_buf());
        let dest2 = dest.clone();
        // Copy to a temp file beside the target, then link it in place unless
        // something is there already (as `If-None-Match: *`): never a
        // half-written object, never an overwrite.
        tokio::task::spawn_blocking(move || -> std::io::Result<Put> {
            if dest2.exists() {
                return Ok(Put::Exists);
            }
            let tmp = tempfile::Builder::new()
                .prefix(".r2filter-")
                .tempfile_in(tmp_dir)?;
            std::fs::copy(&src, tmp.path())?;
            match tmp.persist_noclobber(&dest2) {
                Ok(_) => Ok(Put::Created),
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(Put::Exists),
                Err(e) => Err(e.error),
            }
        })
        .await
        .map_err(|e| io(std::io::Error::other(e)))?
        .map_err(io)
    }
}
