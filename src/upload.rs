//! Sending what the bucket lacks, each distinct file once, at most
//! `concurrency` at a time (a `futures` buffered stream). Transient failures
//! are retried by the SDK (standard mode, with backoff); a HEAD first means a
//! lost manifest costs requests, not duplicates.
//!
//! This is the async edge of the library: [`runtime`] is built by the phase
//! that uploads ([`crate::pipeline::upload`]) and by `r2filter verify`, and
//! dropped when they are done.

use std::path::PathBuf;
use std::sync::Arc;

use futures::stream::{self, StreamExt};

use crate::progress::Progress;
use crate::store::{Existing, PutRequest, Store, StoreError};

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

/// Per-run upload settings.
#[derive(Debug, Clone)]
pub struct UploadOptions {
    pub concurrency: usize,
    pub cache_control: String,
    pub acl: Option<String>,
    /// Told of each object once it is in the store.
    pub progress: Option<Arc<dyn Progress>>,
}

/// The runtime the store's requests run on (the AWS SDK needs tokio).
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// Uploads `items`; the results come back in the same order.
pub async fn upload_all(
    store: &Store,
    items: &[Pending],
    opts: &UploadOptions,
) -> Vec<Result<Uploaded, StoreError>> {
    stream::iter(items)
        .map(|item| async move {
            let result = ensure(store, item, opts).await;
            if let (Ok(_), Some(p)) = (&result, &opts.progress) {
                p.uploaded(item.size);
            }
            result
        })
        .buffered(opts.concurrency.max(1))
        .collect()
        .await
}

async fn ensure(
    store: &Store,
    item: &Pending,
    opts: &UploadOptions,
) -> Result<Uploaded, StoreError> {
    match store.existing(&item.key, &item.sha256, item.size).await? {
        Existing::Same => {
            tracing::debug!(key = %item.key, "already in the bucket");
            return Ok(Uploaded::AlreadyThere);
        }
        Existing::Different(detail) => {
            return Err(StoreError::Collision {
                key: item.key.clone(),
                detail,
            });
        }
        Existing::Missing | Existing::Unknown => {}
    }
    let req = PutRequest {
        key: &item.key,
        path: &item.path,
        sha256: &item.sha256,
        size: item.size,
        content_type: &item.content_type,
        cache_control: &opts.cache_control,
        acl: opts.acl.as_deref(),
    };
    store.put(&req).await?;
    tracing::debug!(key = %item.key, bytes = item.size, "uploaded");
    Ok(Uploaded::Sent)
}
