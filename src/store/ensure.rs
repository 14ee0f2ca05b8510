//! Sending what the bucket lacks, each distinct file once, at most
//! `concurrency` at a time (a `futures` buffered stream). Transient failures
//! are retried by the SDK (standard mode, with backoff).
//!
//! One request per new object: each PUT is conditional (`If-None-Match: *`),
//! so it never overwrites, and an object that is already there answers 412;
//! only then a HEAD compares its recorded SHA-256 (same bytes, or a
//! shortened-hash collision). When many uploads are pending under one key
//! prefix (a lost manifest, a first run), one ListObjectsV2 per 1,000 keys
//! tells first what is there: a listed key of the right size whose ETag is the
//! file's MD5 needs no request at all, so a lost manifest costs about N/1,000
//! requests, not N HEADs.
//!
//! Files above `multipart-threshold` go up in parts ([`super::multipart`]).
//!
//! It runs on the runtime [`super::net::Net`] owns.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use futures::stream::{self, StreamExt};

use super::s3::S3Store;
use super::{Existing, Listed, Pending, Put, StoreError, Told, UploadOptions, Uploaded};

/// A prefix is listed when at least this many uploads are pending under it,
/// and the listing may take one page per this many: at most 1 request in 20
/// goes to listing (1.05 requests per new object in a cold run).
pub(super) const LIST_MIN: usize = 20;

/// What a listing said about a key before its upload.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Known {
    /// Not listed, or the listing stopped before it: ask with the PUT.
    Unknown,
    /// The listing covered the key and it was not there.
    Absent,
    Listed(Listed),
}

/// Uploads `items`; the results come back in the same order.
pub(super) async fn ensure_all(
    store: &S3Store,
    items: &[Pending],
    opts: &UploadOptions,
    concurrency: usize,
    told: &Told<'_>,
) -> Vec<Result<Uploaded, StoreError>> {
    let known = survey(store, items, concurrency).await;
    stream::iter(items)
        .map(|item| {
            let state = known.get(&item.key).cloned().unwrap_or(Known::Unknown);
            async move { told(item, ensure(store, item, state, opts).await) }
        })
        .buffered(concurrency)
        .collect()
        .await
}

/// The folder part of a key: what ListObjectsV2 is asked for.
fn prefix_of(key: &str) -> &str {
    key.rfind('/').map_or("", |i| &key[..=i])
}

/// Lists the prefixes under which at least [`LIST_MIN`] uploads are pending,
/// at most one page per [`LIST_MIN`] of them (a prefix holding many older
/// objects is listed only as far as that budget goes). A listing that fails
/// is only a missed shortcut: those keys are asked with their PUT.
async fn survey(store: &S3Store, items: &[Pending], concurrency: usize) -> HashMap<String, Known> {
    let mut by_prefix: HashMap<&str, Vec<&str>> = HashMap::new();
    for item in items {
        by_prefix
            .entry(prefix_of(&item.key))
            .or_default()
            .push(&item.key);
    }
    let listed: Vec<HashMap<String, Known>> = stream::iter(by_prefix)
        .filter(|(_, keys)| std::future::ready(keys.len() >= LIST_MIN))
        .map(|(prefix, mut keys)| {
            keys.sort_unstable();
            list_prefix(store, prefix, keys)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    listed.into_iter().flatten().collect()
}

/// What the listing of `prefix` says about `keys` (sorted).
async fn list_prefix(store: &S3Store, prefix: &str, keys: Vec<&str>) -> HashMap<String, Known> {
    let wanted: HashSet<&str> = keys.iter().copied().collect();
    let budget = keys.len() / LIST_MIN;
    let mut found: HashMap<String, Known> = HashMap::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    // Keys up to this one are covered by the pages read (listings are sorted).
    let covered: Option<String> = loop {
        let page = match store.list_page(prefix, next.as_deref()).await {
            Ok(page) => page,
            Err(e) => {
                tracing::debug!("listing {prefix:?} failed, each PUT will ask instead: {e}");
                return HashMap::new();
            }
        };
        pages += 1;
        let last = page.objects.last().map(|o| o.key.clone());
        for object in page.objects {
            if wanted.contains(object.key.as_str()) {
                found.insert(object.key.clone(), Known::Listed(object));
            }
        }
        match page.next {
            None => break None,
            Some(token) if pages < budget => next = Some(token),
            Some(_) => break last,
        }
    };
    tracing::debug!(
        "listed {prefix:?} in {pages} page(s): {} of {} pending keys there",
        found.len(),
        keys.len()
    );
    for key in keys {
        if covered.as_deref().is_none_or(|last| key <= last) {
            found.entry(key.to_string()).or_insert(Known::Absent);
        }
    }
    found
}

async fn ensure(
    store: &S3Store,
    item: &Pending,
    known: Known,
    opts: &UploadOptions,
) -> Result<Uploaded, StoreError> {
    if let Known::Listed(listed) = known {
        if listed.size != item.size {
            return Err(StoreError::Collision {
                key: item.key.clone(),
                detail: format!("{} bytes, this file has {}", listed.size, item.size),
            });
        }
        if let Some(etag) = listed.etag.as_deref().filter(|e| is_md5(e))
            && md5_hex(&item.path).await?.eq_ignore_ascii_case(etag)
        {
            tracing::debug!(key = %item.key, "listed with the same size and MD5");
            return Ok(Uploaded::AlreadyThere);
        }
        // No usable ETag (s3s-fs lists none; multipart or KMS objects have
        // another kind): the SHA-256 recorded with the object decides.
    } else {
        match put(store, item, opts).await? {
            Put::Created => return Ok(Uploaded::Sent),
            Put::Exists => {}
        }
    }
    match store.existing(&item.key, &item.sha256, item.size).await? {
        Existing::Same => {
            tracing::debug!(key = %item.key, "already in the bucket");
            Ok(Uploaded::AlreadyThere)
        }
        Existing::Different(detail) => Err(StoreError::Collision {
            key: item.key.clone(),
            detail,
        }),
        // A write-only token may PUT but not HEAD: the key is named by the
        // content's hash, so take the object for what its name says.
        Existing::Unknown => {
            tracing::warn!(
                "{} is already in the bucket and this token may not read it (HEAD 403): taken as the same bytes",
                item.key
            );
            Ok(Uploaded::AlreadyThere)
        }
        // Gone since the listing or the 412: send it (conditional again, so
        // still never an overwrite).
        Existing::Missing => match put(store, item, opts).await? {
            Put::Created => Ok(Uploaded::Sent),
            Put::Exists => Err(StoreError::Other {
                op: "PUT",
                key: item.key.clone(),
                detail: "the object keeps appearing and vanishing under this key; run again".into(),
            }),
        },
    }
}

/// A conditional PUT of the item; above `multipart-threshold`, a HEAD and
/// then an upload in parts with a conditional completion (sending a big
/// file only to hear that it is there already would waste the transfer).
async fn put(store: &S3Store, item: &Pending, opts: &UploadOptions) -> Result<Put, StoreError> {
    let req = opts.put_request(item);
    let put = if item.size > opts.multipart_threshold {
        match store.existing(&item.key, &item.sha256, item.size).await? {
            Existing::Missing | Existing::Unknown => super::multipart::put(store, &req).await?,
            Existing::Same | Existing::Different(_) => Put::Exists,
        }
    } else {
        store.put(&req).await?
    };
    if put == Put::Created {
        tracing::debug!(key = %item.key, bytes = item.size, "uploaded");
    }
    Ok(put)
}

/// A plain MD5 ETag: 32 hex digits (a multipart ETag ends in `-N`).
fn is_md5(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The file's MD5, in lower-case hex, read off the async workers.
async fn md5_hex(path: &Path) -> Result<String, StoreError> {
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use md5::Digest;
        use std::io::Read;
        let mut file = std::fs::File::open(&owned)?;
        let mut hasher = md5::Md5::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match file.read(&mut buf)? {
                0 => break,
                n => hasher.update(&buf[..n]),
            }
        }
        Ok(hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|r| r)
    .map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_the_folder_part() {
        assert_eq!(prefix_of("2026/11/abc.png"), "2026/11/");
        assert_eq!(prefix_of("abc.png"), "");
        assert_eq!(prefix_of("a/"), "a/");
    }

    #[test]
    fn md5_etags() {
        assert!(is_md5("d41d8cd98f00b204e9800998ecf8427e"));
        assert!(!is_md5("d41d8cd98f00b204e9800998ecf8427e-2"));
        assert!(!is_md5(""));
    }
}
