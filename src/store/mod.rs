//! The upload phase's other end: where objects go: an S3-compatible bucket ([`s3`], aws-sdk-s3) or
//! a local folder standing in for one ([`local`]).
//!
//! The S3 client is built only when something has to be uploaded, so a warm run
//! needs no credentials and opens no connection.

pub mod local;
pub mod public;
pub mod s3;

use std::path::{Path, PathBuf};

pub use local::LocalStore;
pub use s3::S3Store;

/// User metadata key holding the full SHA-256, so a later HEAD can tell "same
/// bytes" from "another file under the same shortened key".
pub(crate) const SHA256_META: &str = "sha256";

/// How to reach an S3-compatible bucket. Credentials are not here: they come
/// from the AWS chain (environment, profile, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: String,
    /// Tries per request (first try included) for transient failures.
    pub max_attempts: u32,
}

/// Where objects are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    S3(S3Settings),
    /// A folder used as the bucket.
    Local(PathBuf),
}

/// One object to upload.
#[derive(Debug, Clone)]
pub struct PutRequest<'a> {
    pub key: &'a str,
    pub path: &'a Path,
    pub sha256: &'a str,
    pub size: u64,
    pub content_type: &'a str,
    pub cache_control: &'a str,
    pub acl: Option<&'a str>,
}

/// What the store already holds under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    Missing,
    /// The same bytes (by recorded SHA-256, or by size when none was recorded).
    Same,
    /// Other bytes: a shortened-hash collision, or a foreign object.
    Different(String),
    /// The store would not say (a HEAD answered 403 with no body): upload and
    /// let the PUT's answer tell.
    Unknown,
}

/// An object as a HEAD describes it; each part only when the store says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub size: Option<u64>,
    pub content_type: Option<String>,
    /// The `x-amz-meta-sha256` r2filter writes on upload.
    pub sha256: Option<String>,
}

/// An object as a LIST describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    /// When it was last written, when the store says.
    pub last_modified: Option<std::time::SystemTime>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{op} {key}: HTTP {status}{}{}", .code.as_ref().map(|c| format!(" {c}")).unwrap_or_default(), .message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Service {
        op: &'static str,
        key: String,
        status: u16,
        code: Option<String>,
        message: Option<String>,
        /// Whether the request carried `x-amz-acl` (for the 501 hint).
        acl: bool,
    },
    #[error("cannot reach the store at {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    #[error("{op} {key} timed out: {detail}")]
    Timeout {
        op: &'static str,
        key: String,
        detail: String,
    },
    #[error("no usable AWS credentials: {detail}")]
    Credentials { detail: String },
    #[error("{op} {key}: {detail}")]
    Other {
        op: &'static str,
        key: String,
        detail: String,
    },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("key {key} already holds other bytes ({detail})")]
    Collision { key: String, detail: String },
    #[error("{url}: HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("key {key:?} is not a plain path below the store folder")]
    BadKey { key: String },
}

impl StoreError {
    /// What the person should do, with the R2 pitfalls spelled out.
    pub fn hint(&self) -> String {
        match self {
            StoreError::Service { code, status, acl, .. } => match (code.as_deref(), *status) {
                (Some("RequestTimeTooSkewed"), _) => "this machine's clock is more than 15 minutes off: sync it (Linux: `sudo timedatectl set-ntp true`; macOS: `sudo sntp -sS time.apple.com`)".into(),
                (Some("SignatureDoesNotMatch" | "InvalidAccessKeyId"), _) => "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); for R2 the region must be `auto`".into(),
                (Some("NoSuchBucket"), _) => "create the bucket, or fix `bucket` / `endpoint` / `account-id`".into(),
                (Some("NoSuchKey"), _) | (_, 404) => "the bucket does not hold this object (deleted, or another bucket?); `r2filter verify` lists every object the manifest names and the bucket lacks".into(),
                (Some("AccessDenied"), _) | (_, 403) => "check the credentials and that the token may write this bucket (R2: Object Read & Write, scoped to the bucket); for R2 the region must be `auto`".into(),
                (Some("XAmzContentSHA256Mismatch" | "BadDigest"), _) => "the body did not match its hash: the file changed during the run, or it was corrupted on the way; run again".into(),
                (_, 501) if *acl => "R2 does not implement x-amz-acl: remove `acl` from the configuration (make the bucket public with a custom domain instead)".into(),
                (_, 501) => "the store does not implement this request; see the FAQ in the README".into(),
                (_, s) if s >= 500 || s == 429 => "the store kept failing after retries: try again later, or lower --concurrency".into(),
                _ => "see the store's message above".into(),
            },
            StoreError::Unreachable { .. } => "check `endpoint` (or `account-id`) and the network; a run with every image in the manifest needs no network".into(),
            StoreError::Timeout { .. } => "the store is slow or unreachable: try again, or lower --concurrency".into(),
            StoreError::Credentials { .. } => "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); runs with every image in the manifest need none".into(),
            StoreError::Other { .. } => "run again with -v for details".into(),
            StoreError::Io { .. } => "check the local store folder's permissions".into(),
            StoreError::Collision { .. } => "two different files map to one key: use a longer hash in `key-template` (e.g. {hash:16}) or another `prefix`".into(),
            StoreError::Http { status: 404, .. } => "the public URL does not serve this object: check `public-url`, or download from the bucket (leave out --from-public-url)".into(),
            StoreError::Http { .. } => "the public URL did not serve the object: try again, or download from the bucket (leave out --from-public-url)".into(),
            StoreError::BadKey { .. } => "the manifest names a key that leaves the store folder: fix or remove that entry".into(),
        }
    }
}

/// A bucket, or a folder used as one.
#[derive(Debug, Clone)]
pub enum Store {
    S3(S3Store),
    Local(LocalStore),
}

impl Store {
    /// The store `config` names. For S3, the client from the standard AWS
    /// chain (no network yet).
    pub async fn new(config: &StoreConfig) -> Store {
        match config {
            StoreConfig::S3(s3) => Store::S3(S3Store::new(s3).await),
            StoreConfig::Local(dir) => Store::local(dir.clone()),
        }
    }

    /// A folder used as the bucket.
    pub fn local(dir: PathBuf) -> Store {
        Store::Local(LocalStore { dir })
    }

    /// What is already stored under `key`.
    pub async fn existing(
        &self,
        key: &str,
        sha256: &str,
        size: u64,
    ) -> Result<Existing, StoreError> {
        match self {
            Store::S3(s) => s.existing(key, sha256, size).await,
            Store::Local(l) => {
                let (l, key, sha256) = (l.clone(), key.to_string(), sha256.to_string());
                blocking(move || l.existing(&key, &sha256, size)).await
            }
        }
    }

    /// What the store says about `key` (None: no such object). For
    /// `r2filter verify`.
    pub async fn head(&self, key: &str) -> Result<Option<Head>, StoreError> {
        match self {
            Store::S3(s) => s.head(key).await,
            Store::Local(l) => {
                let (l, key) = (l.clone(), key.to_string());
                blocking(move || l.head(&key)).await
            }
        }
    }

    /// Uploads one file, streaming it from disk.
    pub async fn put(&self, req: &PutRequest<'_>) -> Result<(), StoreError> {
        match self {
            Store::S3(s) => s.put(req).await,
            Store::Local(l) => {
                let (l, key, path) = (l.clone(), req.key.to_string(), req.path.to_path_buf());
                blocking(move || l.put(&key, &path)).await
            }
        }
    }

    /// Every object whose key starts with `prefix`, in key order (all pages).
    pub async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        let mut listed = match self {
            Store::S3(s) => s.list(prefix).await?,
            Store::Local(l) => {
                let (l, prefix) = (l.clone(), prefix.to_string());
                blocking(move || l.list(&prefix)).await?
            }
        };
        // Whatever the store answered, nothing outside the prefix comes out.
        listed.retain(|o| o.key.starts_with(prefix));
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(listed)
    }

    /// Downloads `key` into the file `to` (created or truncated), streaming;
    /// returns the bytes written.
    pub async fn get(&self, key: &str, to: &Path) -> Result<u64, StoreError> {
        match self {
            Store::S3(s) => s.get(key, to).await,
            Store::Local(l) => {
                let (l, key, to) = (l.clone(), key.to_string(), to.to_path_buf());
                blocking(move || l.get(&key, &to)).await
            }
        }
    }

    /// Deletes `key` (a key that is not there is not an error).
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Store::S3(s) => s.delete(key).await,
            Store::Local(l) => {
                let (l, key) = (l.clone(), key.to_string());
                blocking(move || l.delete(&key)).await
            }
        }
    }
}

/// Runs the local store's file work (reads, hashes, copies) on tokio's
/// blocking pool, never on a worker thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

pub(crate) fn compare(
    stored_sha: Option<&str>,
    stored_size: Option<u64>,
    sha256: &str,
    size: u64,
) -> Existing {
    match (stored_sha, stored_size) {
        (Some(s), _) if s.eq_ignore_ascii_case(sha256) => Existing::Same,
        (Some(s), _) => Existing::Different(format!("sha256 {s}")),
        (None, Some(n)) if n == size => Existing::Same,
        (None, n) => Existing::Different(format!("{} bytes, no sha256 recorded", n.unwrap_or(0))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object;

    #[test]
    fn compare_by_sha_then_size() {
        assert_eq!(compare(Some("AB"), None, "ab", 1), Existing::Same);
        assert!(matches!(
            compare(Some("cd"), Some(1), "ab", 1),
            Existing::Different(_)
        ));
        assert_eq!(compare(None, Some(1), "ab", 1), Existing::Same);
        assert!(matches!(
            compare(None, Some(2), "ab", 1),
            Existing::Different(_)
        ));
    }

    #[test]
    fn r2_hints() {
        let e = |code: &str, status, acl| StoreError::Service {
            op: "PUT",
            key: "k".into(),
            status,
            code: Some(code.into()),
            message: None,
            acl,
        };
        assert!(
            e("SignatureDoesNotMatch", 403, false)
                .hint()
                .contains("`auto`")
        );
        assert!(
            e("RequestTimeTooSkewed", 403, false)
                .hint()
                .contains("clock")
        );
        assert!(e("NotImplemented", 501, true).hint().contains("x-amz-acl"));
        assert!(e("NoSuchBucket", 404, false).hint().contains("bucket"));
    }

    #[tokio::test]
    async fn local_store_put_and_check() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.png");
        std::fs::write(&src, b"png bytes").unwrap();
        let info = object::hash_file(&src).unwrap();
        let store = Store::local(dir.path().join("bucket"));
        assert_eq!(
            store
                .existing("x/a.png", &info.sha256, info.size)
                .await
                .unwrap(),
            Existing::Missing
        );
        let req = PutRequest {
            key: "x/a.png",
            path: &src,
            sha256: &info.sha256,
            size: info.size,
            content_type: "image/png",
            cache_control: "public",
            acl: None,
        };
        store.put(&req).await.unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("bucket/x/a.png")).unwrap(),
            b"png bytes"
        );
        assert_eq!(
            store
                .existing("x/a.png", &info.sha256, info.size)
                .await
                .unwrap(),
            Existing::Same
        );
        assert!(matches!(
            store.existing("x/a.png", &"0".repeat(64), 1).await.unwrap(),
            Existing::Different(_)
        ));
    }
}
