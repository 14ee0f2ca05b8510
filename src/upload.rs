//! Stage 6: send what the bucket lacks, each distinct file once, under bounded
//! concurrency. Transient failures are retried by the SDK (standard mode, with
//! backoff); a HEAD first means a lost manifest costs requests, not duplicates.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

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

/// Uploads `items`; the results come back in the same order.
pub async fn upload_all(
    store: &Store,
    items: Vec<Pending>,
    opts: &UploadOptions,
) -> Vec<Result<Uploaded, StoreError>> {
    let permits = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let n = items.len();
    for (i, item) in items.into_iter().enumerate() {
        let (store, opts, permits) = (store.clone(), opts.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("semaphore is never closed");
            let result = ensure(&store, &item, &opts).await;
            if let (Ok(_), Some(p)) = (&result, &opts.progress) {
                p.uploaded(item.size);
            }
            (i, result)
        });
    }
    let mut results: Vec<Option<Result<Uploaded, StoreError>>> = (0..n).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, r)) => results[i] = Some(r),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    results
        .into_iter()
        .map(|r| r.expect("every task reports"))
        .collect()
}

async fn ensure(
    store: &Store,
    item: &Pending,
    opts: &UploadOptions,
) -> Result<Uploaded, StoreError> {
    match store.check(&item.key, &item.sha256, item.size).await? {
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
