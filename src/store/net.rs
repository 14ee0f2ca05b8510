//! The network side of [`super::Store`]: the tokio runtime the AWS SDK and
//! hyper need, owned here and driven with `block_on`, so nothing above the
//! store is async. Built when a store is opened, dropped with it.

use futures::stream::{self, StreamExt, TryStreamExt};

use super::public::PublicUrl;
use super::s3::S3Store;
use super::{
    Download, Head, Incomplete, Listed, Pending, S3Settings, StoreError, Told, UploadOptions,
    Uploaded,
};

/// What a network store reaches.
#[derive(Debug)]
enum Remote {
    /// An S3-compatible bucket.
    Bucket(S3Store),
    /// Public URLs: downloads only.
    Public(Box<PublicUrl>),
}

/// A runtime and what it talks to.
#[derive(Debug)]
pub(super) struct Net {
    runtime: tokio::runtime::Runtime,
    remote: Remote,
}

impl Net {
    /// The S3 client for `settings`, from the AWS chain (no request yet).
    pub(super) fn s3(settings: &S3Settings) -> Result<Net, StoreError> {
        let runtime = runtime()?;
        let remote = Remote::Bucket(runtime.block_on(S3Store::new(settings))?);
        Ok(Net { runtime, remote })
    }

    /// Downloads from public URLs under `public_url`.
    pub(super) fn public(public_url: &str) -> Result<Net, StoreError> {
        let runtime = runtime()?;
        // hyper's client must be built inside the runtime.
        let public = runtime.block_on(async { PublicUrl::new(public_url) })?;
        let remote = Remote::Public(Box::new(public));
        Ok(Net { runtime, remote })
    }

    fn bucket(&self, op: &'static str) -> Result<&S3Store, StoreError> {
        match &self.remote {
            Remote::Bucket(s3) => Ok(s3),
            Remote::Public(_) => Err(StoreError::Other {
                op,
                key: String::new(),
                detail: "a public URL only serves downloads".into(),
            }),
        }
    }

    pub(super) fn ensure_all(
        &self,
        items: &[Pending],
        opts: &UploadOptions,
        concurrency: usize,
        told: &Told<'_>,
    ) -> Vec<Result<Uploaded, StoreError>> {
        match self.bucket("PUT") {
            Ok(s3) => self.runtime.block_on(super::ensure::ensure_all(
                s3,
                items,
                opts,
                concurrency,
                told,
            )),
            Err(e) => items.iter().map(|_| Err(clone_error(&e))).collect(),
        }
    }

    pub(super) fn heads(
        &self,
        keys: &[&str],
        concurrency: usize,
    ) -> Result<Vec<Option<Head>>, StoreError> {
        let s3 = self.bucket("HEAD")?;
        self.runtime.block_on(
            stream::iter(keys)
                .map(|key| s3.head(key))
                .buffered(concurrency)
                .try_collect(),
        )
    }

    pub(super) fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        let s3 = self.bucket("LIST")?;
        self.runtime.block_on(s3.list(prefix))
    }

    pub(super) fn get_all(
        &self,
        items: &[Download<'_>],
        concurrency: usize,
    ) -> Vec<Result<u64, StoreError>> {
        self.runtime.block_on(
            stream::iter(items)
                .map(|d| async move {
                    match &self.remote {
                        Remote::Bucket(s3) => s3.get(d.key, d.to).await,
                        Remote::Public(public) => public.fetch(d.url, d.to).await,
                    }
                })
                .buffered(concurrency)
                .collect(),
        )
    }

    pub(super) fn incomplete_uploads(&self, prefix: &str) -> Result<Vec<Incomplete>, StoreError> {
        let s3 = self.bucket("LIST UPLOADS")?;
        self.runtime.block_on(s3.incomplete_uploads(prefix))
    }

    pub(super) fn abort(&self, upload: &Incomplete) -> Result<(), StoreError> {
        let s3 = self.bucket("ABORT")?;
        self.runtime
            .block_on(s3.abort_multipart(&upload.key, &upload.upload_id))
    }

    pub(super) fn delete(&self, key: &str) -> Result<(), StoreError> {
        let s3 = self.bucket("DELETE")?;
        self.runtime.block_on(s3.delete(key))
    }
}

/// The runtime the store's requests run on (the AWS SDK needs tokio).
fn runtime() -> Result<tokio::runtime::Runtime, StoreError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| StoreError::Io {
            path: "<tokio runtime>".into(),
            source,
        })
}

/// The same error again, for every item of a batch that could not start.
fn clone_error(e: &StoreError) -> StoreError {
    StoreError::Other {
        op: "PUT",
        key: String::new(),
        detail: e.to_string(),
    }
}
