//! The upload phase's other end: where objects go: an S3-compatible bucket ([`s3`], aws-sdk-s3) or
//! a local folder standing in for one ([`local`]).
//!
//! [`Store`] is the one way in, and it blocks: for S3 it owns the tokio
//! runtime the SDK needs and drives its requests, `concurrency` at a time;
//! a local folder is plain file work on rayon's threads. The S3 client is
//! built only when something has to be uploaded, so a warm run needs no
//! credentials and opens no connection; a build without the `s3` feature
//! (the lean mdbook-r2filter) has no S3 client, no tokio and no AWS SDK.

#[cfg(feature = "s3")]
mod ensure;
pub mod local;
#[cfg(feature = "s3")]
mod multipart;
#[cfg(feature = "s3")]
mod net;
#[cfg(feature = "s3")]
pub mod public;
#[cfg(feature = "s3")]
pub mod s3;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

pub use local::LocalStore;

use crate::progress::Progress;

/// How to reach an S3-compatible bucket. Credentials are not here: they come
/// from the AWS chain (environment, profile, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    pub endpoint: Option<String>,
    /// The region requests are signed for; None: the AWS chain's
    /// (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile), found on opening.
    pub region: Option<String>,
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

/// What a conditional PUT (`If-None-Match: *`) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// The object was created.
    Created,
    /// Something is already stored under the key (412 PreconditionFailed):
    /// nothing was written; a HEAD tells whether it is the same bytes.
    Exists,
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    /// The ETag as the store gives it (quotes removed), when it gives one: for
    /// an object sent in one PUT without KMS encryption, S3, R2 and moto make
    /// it the body's MD5.
    pub etag: Option<String>,
    /// When it was last written, when the store says.
    pub last_modified: Option<std::time::SystemTime>,
}

/// A multipart upload that was started and neither completed nor aborted
/// (a run killed mid-upload leaves one): the store keeps its parts, and
/// bills them, until it is aborted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    pub key: String,
    pub upload_id: String,
    /// When it was started, when the store says.
    pub initiated: Option<std::time::SystemTime>,
}

/// What the store already holds under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    Missing,
    /// The same bytes (by recorded SHA-256, or by size when none was recorded).
    Same,
    /// Other bytes: a shortened-hash collision, or a foreign object.
    Different(String),
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
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
    /// This build has no S3 client (the `s3` feature is off).
    #[error("this build of r2filter does not upload to S3-compatible stores")]
    NoS3Client,
    #[error("{url}: HTTP {status}")]
    Http { url: String, status: u16 },
    /// AWS S3 (no endpoint) and no region anywhere.
    #[error(
        "no region to sign requests for AWS S3 with (no endpoint is set, and AWS_REGION, AWS_DEFAULT_REGION and the AWS profile name none)"
    )]
    NoRegion,
    #[error("key {key:?} is not a plain path below the store folder")]
    BadKey { key: String },
}

impl StoreError {
    /// A configuration problem, found only when the store was opened:
    /// nothing was tried (exit 2).
    pub fn is_config(&self) -> bool {
        matches!(self, StoreError::NoRegion)
    }

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
                (_, 501) => "the store does not implement this request; see docs/src/faq.md#r2-answers-501-notimplemented".into(),
                (_, s) if s >= 500 || s == 429 => "the store kept failing after retries: try again later, or lower --concurrency".into(),
                _ => "see the store's message above".into(),
            },
            StoreError::Unreachable { .. } => "check `endpoint` (or `account-id`) and the network; a run with every image in the manifest needs no network".into(),
            StoreError::Timeout { .. } => "the store is slow or unreachable: try again, or lower --concurrency".into(),
            StoreError::Credentials { .. } => "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); runs with every image in the manifest need none".into(),
            StoreError::Other { .. } => "run again with -v for details".into(),
            StoreError::Io { .. } => "check the local store folder's permissions".into(),
            StoreError::Collision { .. } => "two different files map to one key: use a longer hash in `key-template` (e.g. {hash:16}) or another `prefix`".into(),
            StoreError::NoS3Client => "run the `r2filter` program (or build with the `s3` feature), which does".into(),
            StoreError::Http { status: 404, .. } => "the public URL does not serve this object: check `public-url`, or download from the bucket (leave out --from-public-url)".into(),
            StoreError::Http { .. } => "the public URL did not serve the object: try again, or download from the bucket (leave out --from-public-url)".into(),
            StoreError::NoRegion => "set the bucket's region: --region (or R2FILTER_REGION, or region in r2filter.toml), or AWS_REGION; for R2, MinIO or another store give its endpoint (or account-id) instead: see docs/src/guides/s3-stores.md#aws-s3".into(),
            StoreError::BadKey { .. } => "the manifest names a key that leaves the store folder: fix or remove that entry".into(),
        }
    }
}

/// One object to make sure of.
#[derive(Debug, Clone)]
pub struct Pending {
    pub sha256: String,
    pub key: String,
    pub path: PathBuf,
    pub size: u64,
    pub content_type: String,
}

/// How an object came to be in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    /// Sent now.
    Sent,
    /// The store had the same bytes already (a lost or fresh manifest).
    AlreadyThere,
}

/// Per-run upload settings (a local folder keeps no headers).
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
pub struct UploadOptions {
    /// Files larger than this go up in parts (S3 multipart upload).
    pub multipart_threshold: u64,
    pub cache_control: String,
    pub acl: Option<String>,
    /// Told of each object once it is in the store.
    pub progress: Option<Arc<dyn Progress>>,
}

/// What [`Store::ensure_all`] tells of each item's result (and passes on).
#[cfg(feature = "s3")]
type Told<'a> =
    dyn Fn(&Pending, Result<Uploaded, StoreError>) -> Result<Uploaded, StoreError> + Sync + 'a;

/// One object to download: its key in the bucket, its public URL (for a
/// store opened with [`Store::public_url`]) and the file to write.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
pub struct Download<'a> {
    pub key: &'a str,
    pub url: &'a str,
    pub to: &'a Path,
}

/// A bucket, or a folder used as one, behind blocking calls. Batch calls
/// ([`Store::ensure_all`], [`Store::heads`], [`Store::get_all`]) run up to
/// `concurrency` requests at once and answer in the order they were asked.
#[derive(Debug)]
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
pub struct Store {
    backend: Backend,
    concurrency: usize,
}

#[derive(Debug)]
enum Backend {
    Local(LocalStore),
    #[cfg(feature = "s3")]
    Net(Box<net::Net>),
}

impl Store {
    /// The store `config` names. For S3, the client from the standard AWS
    /// chain (no network yet).
    pub fn open(config: &StoreConfig, concurrency: usize) -> Result<Store, StoreError> {
        let backend = match config {
            StoreConfig::Local(dir) => Backend::Local(LocalStore { dir: dir.clone() }),
            #[cfg(feature = "s3")]
            StoreConfig::S3(s3) => Backend::Net(Box::new(net::Net::s3(s3)?)),
            #[cfg(not(feature = "s3"))]
            StoreConfig::S3(_) => return Err(StoreError::NoS3Client),
        };
        Ok(Store {
            backend,
            concurrency: concurrency.max(1),
        })
    }

    /// Whether this build can open the store `config` names.
    pub fn can_open(config: &StoreConfig) -> bool {
        matches!(config, StoreConfig::Local(_)) || cfg!(feature = "s3")
    }

    /// Reads objects from where readers get them: their public URLs
    /// (`eject --from-public-url`); only [`Store::get_all`] works on it.
    #[cfg(feature = "s3")]
    pub fn public_url(public_url: &str, concurrency: usize) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Net(Box::new(net::Net::public(public_url)?)),
            concurrency: concurrency.max(1),
        })
    }

    /// Makes sure each item is in the store: uploads it, streaming from
    /// disk, unless the same bytes are there already; never overwrites
    /// (a conditional PUT, `If-None-Match: *`). `opts.progress` hears of
    /// each object that is in.
    pub fn ensure_all(
        &self,
        items: &[Pending],
        opts: &UploadOptions,
    ) -> Vec<Result<Uploaded, StoreError>> {
        let told = |item: &Pending, result: Result<Uploaded, StoreError>| {
            if let (Ok(_), Some(p)) = (&result, &opts.progress) {
                p.uploaded(item.size);
            }
            result
        };
        match &self.backend {
            Backend::Local(l) => items
                .par_iter()
                .map(|item| told(item, l.ensure(item)))
                .collect(),
            #[cfg(feature = "s3")]
            Backend::Net(n) => n.ensure_all(items, opts, self.concurrency, &told),
        }
    }

    /// What the store says about each key (None: no such object). For
    /// `r2filter verify` and `migrate`.
    pub fn heads(&self, keys: &[&str]) -> Result<Vec<Option<Head>>, StoreError> {
        match &self.backend {
            Backend::Local(l) => keys.par_iter().map(|k| l.head(k)).collect(),
            #[cfg(feature = "s3")]
            Backend::Net(n) => n.heads(keys, self.concurrency),
        }
    }

    /// Every object whose key starts with `prefix`, in key order (all pages).
    pub fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        let mut listed = match &self.backend {
            Backend::Local(l) => l.list(prefix)?,
            #[cfg(feature = "s3")]
            Backend::Net(n) => n.list(prefix)?,
        };
        // Whatever the store answered, nothing outside the prefix comes out.
        listed.retain(|o| o.key.starts_with(prefix));
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(listed)
    }

    /// Downloads each item into its file (created or truncated), streaming;
    /// each answer is the bytes written.
    pub fn get_all(&self, items: &[Download<'_>]) -> Vec<Result<u64, StoreError>> {
        match &self.backend {
            Backend::Local(l) => items.par_iter().map(|d| l.get(d.key, d.to)).collect(),
            #[cfg(feature = "s3")]
            Backend::Net(n) => n.get_all(items, self.concurrency),
        }
    }

    /// The incomplete multipart uploads whose keys start with `prefix`, in
    /// key order (a local folder has none).
    pub fn incomplete_uploads(&self, prefix: &str) -> Result<Vec<Incomplete>, StoreError> {
        let mut found: Vec<Incomplete> = match &self.backend {
            Backend::Local(_) => Vec::new(),
            #[cfg(feature = "s3")]
            Backend::Net(n) => n.incomplete_uploads(prefix)?,
        };
        found.retain(|u| u.key.starts_with(prefix));
        found.sort_by(|a, b| (&a.key, &a.upload_id).cmp(&(&b.key, &b.upload_id)));
        Ok(found)
    }

    /// Aborts an incomplete multipart upload (the store drops its parts).
    #[cfg_attr(not(feature = "s3"), allow(unused_variables))]
    pub fn abort(&self, upload: &Incomplete) -> Result<(), StoreError> {
        match &self.backend {
            // A folder has no uploads in parts.
            Backend::Local(_) => Ok(()),
            #[cfg(feature = "s3")]
            Backend::Net(n) => n.abort(upload),
        }
    }

    /// Deletes `key` (a key that is not there is not an error).
    pub fn delete(&self, key: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Local(l) => l.delete(key),
            #[cfg(feature = "s3")]
            Backend::Net(n) => n.delete(key),
        }
    }
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

    #[test]
    fn local_store_put_and_check() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.png");
        std::fs::write(&src, b"png bytes").unwrap();
        let info = object::hash_file(&src).unwrap();
        let store = LocalStore {
            dir: dir.path().join("bucket"),
        };
        assert_eq!(
            store.existing("x/a.png", &info.sha256, info.size).unwrap(),
            Existing::Missing
        );
        assert_eq!(store.put("x/a.png", &src).unwrap(), Put::Created);
        assert_eq!(
            std::fs::read(dir.path().join("bucket/x/a.png")).unwrap(),
            b"png bytes"
        );
        // Never over an existing object.
        std::fs::write(&src, b"other bytes").unwrap();
        assert_eq!(store.put("x/a.png", &src).unwrap(), Put::Exists);
        assert_eq!(
            std::fs::read(dir.path().join("bucket/x/a.png")).unwrap(),
            b"png bytes"
        );
        std::fs::write(&src, b"png bytes").unwrap();
        assert_eq!(
            store.existing("x/a.png", &info.sha256, info.size).unwrap(),
            Existing::Same
        );
        assert!(matches!(
            store.existing("x/a.png", &"0".repeat(64), 1).unwrap(),
            Existing::Different(_)
        ));
    }
}
