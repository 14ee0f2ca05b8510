//! The S3-compatible bucket (aws-sdk-s3), tuned for R2: region `auto`,
//! path-style, no CRC32 trailer, the body signed with its SHA-256, every 429
//! retried.
//!
//! A PUT is conditional (`If-None-Match: *`): one request for a new object,
//! and an existing one is never overwritten (412, and the caller HEADs it to
//! tell the same bytes from a collision). S3 and R2 document the condition;
//! moto and s3s-fs 0.14 honour it (tests/testsuite/uploads.rs, moto.rs). A store
//! that answers 501 to it gets HEAD-then-PUT instead for the rest of the run.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
use tokio::io::AsyncWriteExt;

use super::{
    Existing, Head, Incomplete, Listed, Pending, Put, S3Settings, StoreError, UploadOptions,
    compare,
};

/// User metadata key holding the full SHA-256, so a later HEAD can tell "same
/// bytes" from "another file under the same shortened key".
const SHA256_META: &str = "sha256";

/// The region the AWS tools would use for AWS S3: `AWS_REGION`, then
/// `AWS_DEFAULT_REGION`, then the profile's (`AWS_PROFILE`, or `default`, in
/// `~/.aws/config`). Not the instance metadata service: a machine off EC2
/// would wait on it before the error, and on EC2 AWS_REGION is one line.
async fn chain_region() -> Option<Region> {
    use aws_config::meta::region::RegionProviderChain;
    RegionProviderChain::first_try(
        aws_config::environment::EnvironmentVariableRegionProvider::new(),
    )
    .or_else(aws_config::profile::ProfileFileRegionProvider::new())
    .region()
    .await
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

/// One part of a multipart upload: bytes `offset..offset + len` of the file,
/// whose SHA-256 (lower-case hex) signs the request.
#[derive(Debug, Clone)]
pub struct PartRequest<'a> {
    pub key: &'a str,
    pub upload_id: &'a str,
    pub path: &'a Path,
    /// 1-based.
    pub number: i32,
    pub offset: u64,
    pub len: u64,
    pub sha256: &'a str,
}

/// One page of a listing under a prefix.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub objects: Vec<Listed>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<String>,
}

impl UploadOptions {
    /// The PUT of `item`.
    pub(super) fn put_request<'a>(&'a self, item: &'a Pending) -> PutRequest<'a> {
        PutRequest {
            key: &item.key,
            path: &item.path,
            sha256: &item.sha256,
            size: item.size,
            content_type: &item.content_type,
            cache_control: &self.cache_control,
            acl: self.acl.as_deref(),
        }
    }
}

/// A client for one bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    endpoint: String,
    /// Cleared when the store answers 501 to `If-None-Match`.
    conditional: Arc<AtomicBool>,
}

impl S3Store {
    /// Builds the client from the standard AWS chain (no network yet).
    pub async fn new(settings: &S3Settings) -> Result<S3Store, StoreError> {
        let region = match &settings.region {
            Some(region) => Region::new(region.clone()),
            None => chain_region().await.ok_or(StoreError::NoRegion)?,
        };
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region);
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
        Ok(S3Store {
            client: Client::from_conf(config),
            bucket: settings.bucket.clone(),
            endpoint: settings.endpoint.clone().unwrap_or_else(|| "AWS S3".into()),
            conditional: Arc::new(AtomicBool::new(true)),
        })
    }

    pub(super) async fn existing(
        &self,
        key: &str,
        sha256: &str,
        size: u64,
    ) -> Result<Existing, StoreError> {
        let head = self.client.head_object().bucket(&self.bucket).key(key);
        match head.send().await {
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
            Err(e) => Err(sdk_error("HEAD", key, &self.endpoint, false, e)),
        }
    }

    pub(super) async fn head(&self, key: &str) -> Result<Option<Head>, StoreError> {
        let head = self.client.head_object().bucket(&self.bucket).key(key);
        match head.send().await {
            Ok(head) => Ok(Some(Head {
                size: head.content_length().map(|l| l as u64),
                content_type: head.content_type().map(str::to_string),
                sha256: head.metadata().and_then(|m| m.get(SHA256_META)).cloned(),
            })),
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => Ok(None),
            Err(e) => Err(sdk_error("HEAD", key, &self.endpoint, false, e)),
        }
    }

    pub(super) async fn put(&self, req: &PutRequest<'_>) -> Result<Put, StoreError> {
        if self.conditional.load(Ordering::Relaxed) {
            match self.send_put(req, true).await {
                Err(StoreError::Service { status: 501, .. }) if req.acl.is_none() => {
                    // The store does not implement conditional writes (with
                    // `acl` set, the 501 is R2 refusing x-amz-acl: reported).
                    tracing::warn!(
                        "the store answered 501 to If-None-Match: checking each key with a HEAD before its PUT instead"
                    );
                    self.conditional.store(false, Ordering::Relaxed);
                }
                done => return done,
            }
        }
        match self.existing(req.key, req.sha256, req.size).await? {
            Existing::Missing | Existing::Unknown => self.send_put(req, false).await,
            Existing::Same | Existing::Different(_) => Ok(Put::Exists),
        }
    }

    async fn send_put(&self, req: &PutRequest<'_>, conditional: bool) -> Result<Put, StoreError> {
        let body = ByteStream::from_path(req.path)
            .await
            .map_err(|e| StoreError::Io {
                path: req.path.into(),
                source: std::io::Error::other(e),
            })?;
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(req.key)
            .body(body)
            .content_length(req.size as i64)
            .content_type(req.content_type)
            .cache_control(req.cache_control)
            .metadata(SHA256_META, req.sha256);
        if conditional {
            put = put.if_none_match("*");
        }
        if let Some(acl) = req.acl {
            put = put.acl(acl.into());
        }
        match put
            .customize()
            .interceptor(PayloadHash(req.sha256.to_string()))
            .send()
            .await
        {
            Ok(_) => Ok(Put::Created),
            Err(SdkError::ServiceError(e)) if conditional && e.raw().status().as_u16() == 412 => {
                Ok(Put::Exists)
            }
            Err(e) => Err(sdk_error(
                "PUT",
                req.key,
                &self.endpoint,
                req.acl.is_some(),
                e,
            )),
        }
    }

    /// Starts a multipart upload with the object's headers (its parts come
    /// with [`Self::upload_part`]); answers the upload id.
    pub(super) async fn create_multipart(
        &self,
        req: &PutRequest<'_>,
    ) -> Result<String, StoreError> {
        let mut create = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(req.key)
            .content_type(req.content_type)
            .cache_control(req.cache_control)
            .metadata(SHA256_META, req.sha256);
        if let Some(acl) = req.acl {
            create = create.acl(acl.into());
        }
        let out = create.send().await.map_err(|e| {
            sdk_error(
                "CREATE UPLOAD",
                req.key,
                &self.endpoint,
                req.acl.is_some(),
                e,
            )
        })?;
        out.upload_id()
            .map(str::to_string)
            .ok_or_else(|| StoreError::Other {
                op: "CREATE UPLOAD",
                key: req.key.into(),
                detail: "the store answered no upload id".into(),
            })
    }

    /// Sends one part, streamed from its range of the file (the SDK reopens
    /// it for a retry); answers its ETag.
    pub(super) async fn upload_part(&self, part: &PartRequest<'_>) -> Result<String, StoreError> {
        use aws_sdk_s3::primitives::Length;
        let body = ByteStream::read_from()
            .path(part.path)
            .offset(part.offset)
            .length(Length::Exact(part.len))
            .buffer_size(64 * 1024)
            .build()
            .await
            .map_err(|e| StoreError::Io {
                path: part.path.into(),
                source: std::io::Error::other(e),
            })?;
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(part.key)
            .upload_id(part.upload_id)
            .part_number(part.number)
            .content_length(part.len as i64)
            .body(body)
            .customize()
            .interceptor(PayloadHash(part.sha256.to_string()))
            .send()
            .await
            .map_err(|e| sdk_error("UPLOAD PART", part.key, &self.endpoint, false, e))?;
        Ok(out.e_tag().unwrap_or_default().to_string())
    }

    /// Completes the upload from its parts' (number, ETag), conditionally
    /// (`If-None-Match: *`) unless the store has shown it does not take the
    /// condition: an object already there answers [`Put::Exists`].
    pub(super) async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<(i32, String)>,
    ) -> Result<Put, StoreError> {
        use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
        let parts: Vec<CompletedPart> = parts
            .into_iter()
            .map(|(n, etag)| CompletedPart::builder().part_number(n).e_tag(etag).build())
            .collect();
        let upload = CompletedMultipartUpload::builder()
            .set_parts(Some(parts))
            .build();
        loop {
            let conditional = self.conditional.load(Ordering::Relaxed);
            let mut complete = self
                .client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(upload.clone());
            if conditional {
                complete = complete.if_none_match("*");
            }
            return match complete.send().await {
                Ok(_) => Ok(Put::Created),
                Err(SdkError::ServiceError(e)) if conditional => match e.raw().status().as_u16() {
                    412 => Ok(Put::Exists),
                    501 => {
                        tracing::warn!(
                            "the store answered 501 to If-None-Match: checking each key with a HEAD before its upload instead"
                        );
                        self.conditional.store(false, Ordering::Relaxed);
                        continue;
                    }
                    _ => Err(sdk_error(
                        "COMPLETE UPLOAD",
                        key,
                        &self.endpoint,
                        false,
                        SdkError::ServiceError(e),
                    )),
                },
                Err(e) => Err(sdk_error("COMPLETE UPLOAD", key, &self.endpoint, false, e)),
            };
        }
    }

    /// Aborts an upload: the store drops its parts.
    pub(super) async fn abort_multipart(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<(), StoreError> {
        self.client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ABORT UPLOAD", key, &self.endpoint, false, e))
    }

    /// Every incomplete multipart upload whose key starts with `prefix`
    /// (ListMultipartUploads, all pages).
    pub(super) async fn incomplete_uploads(
        &self,
        prefix: &str,
    ) -> Result<Vec<Incomplete>, StoreError> {
        let mut out = Vec::new();
        let mut markers: (Option<String>, Option<String>) = (None, None);
        loop {
            let page = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(markers.0.clone())
                .set_upload_id_marker(markers.1.clone())
                .send()
                .await
                .map_err(|e| sdk_error("LIST UPLOADS", prefix, &self.endpoint, false, e))?;
            out.extend(page.uploads().iter().filter_map(|u| {
                Some(Incomplete {
                    key: u.key()?.to_string(),
                    upload_id: u.upload_id()?.to_string(),
                    initiated: u
                        .initiated()
                        .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
                })
            }));
            let next = (
                page.next_key_marker().map(str::to_string),
                page.next_upload_id_marker().map(str::to_string),
            );
            // The last page, or markers the server repeats (which would
            // never end).
            if page.is_truncated() != Some(true) || next.0.is_none() || next == markers {
                return Ok(out);
            }
            markers = next;
        }
    }

    pub(super) async fn list_page(
        &self,
        prefix: &str,
        next: Option<&str>,
    ) -> Result<Page, StoreError> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_continuation_token(next.map(str::to_string))
            .send()
            .await
            .map_err(|e| sdk_error("LIST", prefix, &self.endpoint, false, e))?;
        let objects = out
            .contents()
            .iter()
            .filter_map(|o| {
                Some(Listed {
                    key: o.key()?.to_string(),
                    size: u64::try_from(o.size()?).ok()?,
                    etag: o
                        .e_tag()
                        .map(|t| t.trim_matches('"').to_string())
                        .filter(|t| !t.is_empty()),
                    last_modified: o
                        .last_modified()
                        .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
                })
            })
            .collect();
        Ok(Page {
            objects,
            next: out
                .next_continuation_token()
                .filter(|_| out.is_truncated() == Some(true))
                .map(str::to_string),
        })
    }

    /// Every object under `prefix`: [`Self::list_page`] until the last page
    /// (or a continuation token the server repeats, which would never end).
    pub(super) async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self.list_page(prefix, next.as_deref()).await?;
            out.extend(page.objects);
            match page.next {
                Some(token) if next.as_ref() != Some(&token) => next = Some(token),
                _ => return Ok(out),
            }
        }
    }

    pub(super) async fn get(&self, key: &str, to: &Path) -> Result<u64, StoreError> {
        let resp = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_error("GET", key, &self.endpoint, false, e))?;
        let io = |source| StoreError::Io {
            path: to.into(),
            source,
        };
        let mut file = tokio::fs::File::create(to).await.map_err(io)?;
        let mut body = resp.body;
        let mut written = 0u64;
        while let Some(chunk) = body.try_next().await.map_err(|e| StoreError::Other {
            op: "GET",
            key: key.into(),
            detail: error_chain(&e),
        })? {
            file.write_all(&chunk).await.map_err(io)?;
            written += chunk.len() as u64;
        }
        file.flush().await.map_err(io)?;
        Ok(written)
    }

    pub(super) async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("DELETE", key, &self.endpoint, false, e))
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
