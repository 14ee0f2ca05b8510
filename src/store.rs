//! Stage 5: where objects go: an S3-compatible bucket (aws-sdk-s3) or a local
//! folder standing in for one.
//!
//! The S3 client is built only when something has to be uploaded, so a warm run
//! needs no credentials and opens no connection.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_runtime::auth::PayloadSigningOverride;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, InterceptorContext,
};
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::object;

/// User metadata key holding the full SHA-256, so a later HEAD can tell "same
/// bytes" from "another file under the same shortened key".
const SHA256_META: &str = "sha256";

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
}

impl StoreError {
    /// What the person should do, with the R2 pitfalls spelled out.
    pub fn hint(&self) -> String {
        match self {
            StoreError::Service { code, status, acl, .. } => match (code.as_deref(), *status) {
                (Some("RequestTimeTooSkewed"), _) => "this machine's clock is more than 15 minutes off: sync it (Linux: `sudo timedatectl set-ntp true`; macOS: `sudo sntp -sS time.apple.com`)".into(),
                (Some("SignatureDoesNotMatch" | "InvalidAccessKeyId"), _) => "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); for R2 the region must be `auto`".into(),
                (Some("NoSuchBucket"), _) => "create the bucket, or fix `bucket` / `endpoint` / `account-id`".into(),
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
        }
    }
}

/// A bucket, or a folder used as one.
#[derive(Debug, Clone)]
pub enum Store {
    S3 {
        client: Client,
        bucket: String,
        endpoint: String,
    },
    Local {
        dir: PathBuf,
    },
}

impl Store {
    /// Builds the S3 client from the standard AWS chain (no network yet).
    pub async fn s3(settings: &S3Settings) -> Store {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()));
        if let Some(endpoint) = &settings.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let shared = loader.load().await;
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            // The CRC32 trailer (aws-chunked) is off: R2 has answered it with 501, and
            // some stores keep the framing as file bytes. The payload is signed with
            // its SHA-256 instead (see PayloadHash).
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_classifier(TooManyRequests)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(settings.max_attempts.max(1))
                    .with_initial_backoff(Duration::from_millis(200)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(timeout_from_env("R2FILTER_CONNECT_TIMEOUT_MS", 10_000))
                    .read_timeout(timeout_from_env("R2FILTER_READ_TIMEOUT_MS", 60_000))
                    .build(),
            )
            .build();
        Store::S3 {
            client: Client::from_conf(config),
            bucket: settings.bucket.clone(),
            endpoint: settings.endpoint.clone().unwrap_or_else(|| "AWS S3".into()),
        }
    }

    /// What is already stored under `key`.
    pub async fn check(&self, key: &str, sha256: &str, size: u64) -> Result<Existing, StoreError> {
        match self {
            Store::S3 {
                client,
                bucket,
                endpoint,
            } => {
                match client.head_object().bucket(bucket).key(key).send().await {
                    Ok(head) => Ok(compare(
                        head.metadata()
                            .and_then(|m| m.get(SHA256_META))
                            .map(String::as_str),
                        head.content_length().map(|l| l as u64),
                        sha256,
                        size,
                    )),
                    Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => {
                        Ok(Existing::Missing)
                    }
                    // HEAD answers carry no body, so a 403 could be a bad secret, a
                    // skewed clock or a write-only token: let the PUT say which.
                    Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 403 => {
                        Ok(Existing::Unknown)
                    }
                    Err(e) => Err(sdk_error("HEAD", key, endpoint, false, e)),
                }
            }
            Store::Local { dir } => {
                let path = dir.join(key);
                match std::fs::metadata(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Existing::Missing),
                    Err(source) => Err(StoreError::Io { path, source }),
                    Ok(_) => {
                        let info = object::hash_file(&path)
                            .map_err(|source| StoreError::Io { path, source })?;
                        Ok(compare(Some(&info.sha256), Some(info.size), sha256, size))
                    }
                }
            }
        }
    }

    /// What the store says about `key` (None: no such object). For
    /// `r2filter verify`.
    pub async fn head(&self, key: &str) -> Result<Option<Head>, StoreError> {
        match self {
            Store::S3 {
                client,
                bucket,
                endpoint,
            } => match client.head_object().bucket(bucket).key(key).send().await {
                Ok(head) => Ok(Some(Head {
                    size: head.content_length().map(|l| l as u64),
                    content_type: head.content_type().map(str::to_string),
                    sha256: head.metadata().and_then(|m| m.get(SHA256_META)).cloned(),
                })),
                Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => Ok(None),
                Err(e) => Err(sdk_error("HEAD", key, endpoint, false, e)),
            },
            Store::Local { dir } => {
                let path = dir.join(key);
                match std::fs::metadata(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(StoreError::Io { path, source }),
                    Ok(_) => {
                        let info = object::hash_file(&path)
                            .map_err(|source| StoreError::Io { path, source })?;
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
        }
    }

    /// Uploads one file, streaming it from disk.
    pub async fn put(&self, req: &PutRequest<'_>) -> Result<(), StoreError> {
        match self {
            Store::S3 {
                client,
                bucket,
                endpoint,
            } => {
                let body = ByteStream::from_path(req.path)
                    .await
                    .map_err(|e| StoreError::Io {
                        path: req.path.into(),
                        source: std::io::Error::other(e),
                    })?;
                let mut put = client
                    .put_object()
                    .bucket(bucket)
                    .key(req.key)
                    .body(body)
                    .content_length(req.size as i64)
                    .content_type(req.content_type)
                    .cache_control(req.cache_control)
                    .metadata(SHA256_META, req.sha256);
                if let Some(acl) = req.acl {
                    put = put.acl(acl.into());
                }
                put.customize()
                    .interceptor(PayloadHash(req.sha256.to_string()))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("PUT", req.key, endpoint, req.acl.is_some(), e))
            }
            Store::Local { dir } => {
                let dest = dir.join(req.key);
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
        }
    }
}

/// A timeout from `var` (milliseconds), else `default_ms`. Not a config key:
/// the defaults suit every store we know; the variables exist so tests (and a
/// person on a very slow link) can change them. An unusable value is ignored
/// with a warning.
fn timeout_from_env(var: &str, default_ms: u64) -> Duration {
    let ms = match std::env::var(var) {
        Ok(v) => v
            .parse::<u64>()
            .ok()
            .filter(|&ms| ms > 0)
            .unwrap_or_else(|| {
                tracing::warn!(
                    "{var}={v:?} is not a positive number of milliseconds; using {default_ms}"
                );
                default_ms
            }),
        Err(_) => default_ms,
    };
    Duration::from_millis(ms)
}

fn compare(
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

/// Retries HTTP 429 whatever its error code. The SDK only retries a 429 whose
/// code is on its throttling list (`SlowDown`, `Throttling`, …), so R2's
/// `TooManyRequests`, or any 429 to a HEAD (no body, so no code), would fail
/// the run at once.
#[derive(Debug)]
struct TooManyRequests;

impl ClassifyRetry for TooManyRequests {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response() {
            Some(resp) if resp.status().as_u16() == 429 => RetryAction::throttling_error(),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "r2filter::TooManyRequests"
    }
}

/// Signs the PUT with the body's SHA-256, which is already known (it is the
/// object's name): the server rejects a body that does not match, at no extra
/// read of the file. Without it the SDK sends UNSIGNED-PAYLOAD for file bodies.
#[derive(Debug)]
struct PayloadHash(String);

impl Intercept for PayloadHash {
    fn name(&self) -> &'static str {
        "r2filter::PayloadHash"
    }

    fn modify_before_signing(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state()
            .store_put(PayloadSigningOverride::Precomputed(self.0.clone()));
        Ok(())
    }
}

/// Turns an SDK error into one a person can act on. Never includes credentials
/// (the SDK's errors do not carry them).
fn sdk_error<E>(
    op: &'static str,
    key: &str,
    endpoint: &str,
    acl: bool,
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let chain = error_chain(&err);
    match &err {
        SdkError::ServiceError(e) => StoreError::Service {
            op,
            key: key.into(),
            status: e.raw().status().as_u16(),
            code: e.err().code().map(str::to_string),
            message: e.err().message().map(str::to_string),
            acl,
        },
        SdkError::ResponseError(e) => StoreError::Service {
            op,
            key: key.into(),
            status: e.raw().status().as_u16(),
            code: None,
            message: Some(chain),
            acl,
        },
        SdkError::TimeoutError(_) => StoreError::Timeout {
            op,
            key: key.into(),
            detail: chain,
        },
        _ if chain.to_ascii_lowercase().contains("credential") => {
            StoreError::Credentials { detail: chain }
        }
        SdkError::DispatchFailure(d) if d.is_timeout() => StoreError::Timeout {
            op,
            key: key.into(),
            detail: chain,
        },
        SdkError::DispatchFailure(_) => StoreError::Unreachable {
            endpoint: endpoint.into(),
            detail: chain,
        },
        _ => StoreError::Other {
            op,
            key: key.into(),
            detail: chain,
        },
    }
}

/// "outer: inner: innermost", skipping repeats.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let store = Store::Local {
            dir: dir.path().join("bucket"),
        };
        assert_eq!(
            store
                .check("x/a.png", &info.sha256, info.size)
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
                .check("x/a.png", &info.sha256, info.size)
                .await
                .unwrap(),
            Existing::Same
        );
        assert!(matches!(
            store.check("x/a.png", &"0".repeat(64), 1).await.unwrap(),
            Existing::Different(_)
        ));
    }
}
