//! Big files in parts: an S3 multipart upload, streamed from disk with
//! bounded memory whatever the file's size.
//!
//! - The part size is chosen for the file: [`MIN_PART`] (8 MiB, as the AWS
//!   CLI's), or more when the file would need over [`MAX_PARTS`] parts (S3's
//!   limit); every part has that size but the last (R2 asks for equal parts).
//! - Each part is read twice: once to hash it (its SHA-256 signs the request,
//!   so the store refuses a body that changed on the way) while the whole
//!   file's SHA-256 is recomputed in the same pass, and once, streamed, as the
//!   request body. No part is ever held in memory: a few 64 KiB buffers per
//!   part in flight ([`PARTS_IN_FLIGHT`]).
//! - Each part is its own request, retried by the SDK on 500, 503, SlowDown,
//!   429 and dropped connections, with backoff.
//! - The file must still be the one hashed: the recomputed SHA-256 is
//!   compared before completing, so an object can never be made of a file
//!   edited during the run.
//! - CompleteMultipartUpload carries `If-None-Match: *` where the store takes
//!   it (S3, R2, and s3s-fs 0.14, tests/testsuite/media.rs): an object that
//!   appeared meanwhile is never overwritten.
//! - Any failure aborts the upload. A run killed (`kill -9`) leaves its
//!   upload incomplete: the next run finds it by ListMultipartUploads under
//!   the key and aborts it before starting over; `r2filter orphans` lists
//!   incomplete uploads and `--delete` aborts them.

use futures::stream::{self, TryStreamExt};
use sha2::{Digest, Sha256};

use super::s3::{PartRequest, PutRequest, S3Store};
use super::{Put, StoreError};

/// The smallest part sent (S3's minimum is 5 MiB, for all parts but the last).
pub(super) const MIN_PART: u64 = 8 * 1024 * 1024;

/// S3's largest part number.
pub(super) const MAX_PARTS: u64 = 10_000;

/// Parts of one file sent at once.
pub(super) const PARTS_IN_FLIGHT: usize = 4;

/// The part size for a file of `size` bytes: [`MIN_PART`], or the smallest
/// whole number of MiB that fits the file in [`MAX_PARTS`] parts.
pub(super) fn part_size(size: u64) -> u64 {
    const MIB: u64 = 1024 * 1024;
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    needed.max(MIN_PART)
}

/// Sends `req`'s file in parts and completes the upload: [`Put::Created`],
/// or [`Put::Exists`] when an object appeared under the key meanwhile (the
/// upload is aborted then, as on any failure).
pub(super) async fn put(store: &S3Store, req: &PutRequest<'_>) -> Result<Put, StoreError> {
    abort_stale(store, req.key).await;
    let upload_id = store.create_multipart(req).await?;
    let result = match send_parts(store, req, &upload_id).await {
        Ok(parts) => store.complete_multipart(req.key, &upload_id, parts).await,
        Err(e) => Err(e),
    };
    if !matches!(result, Ok(Put::Created)) {
        // Best effort: a failed abort leaves an upload `orphans` lists.
        if let Err(e) = store.abort_multipart(req.key, &upload_id).await {
            tracing::warn!(
                "{}: the incomplete upload {upload_id} could not be aborted ({e}); `r2filter orphans --delete` aborts it later",
                req.key
            );
        }
    }
    if let Ok(Put::Created) = result {
        tracing::debug!(key = %req.key, bytes = req.size, "uploaded in parts");
    }
    result
}

/// Aborts the incomplete uploads of exactly `key` that earlier runs left
/// (killed mid-upload). A store that cannot list uploads is left as it is.
async fn abort_stale(store: &S3Store, key: &str) {
    let stale = match store.incomplete_uploads(key).await {
        Ok(found) => found,
        Err(e) => {
            tracing::debug!("{key}: incomplete uploads not listed ({e}); starting a new one");
            return;
        }
    };
    for upload in stale.iter().filter(|u| u.key == key) {
        match store.abort_multipart(key, &upload.upload_id).await {
            Ok(()) => tracing::warn!(
                "{key}: aborted the incomplete upload {} an earlier run left (stopped mid-upload); starting over",
                upload.upload_id
            ),
            Err(e) => tracing::warn!(
                "{key}: the incomplete upload {} an earlier run left could not be aborted: {e}",
                upload.upload_id
            ),
        }
    }
}

/// The (number, offset, length) of each part of a file of `size` bytes.
fn layout(size: u64) -> Vec<(i32, u64, u64)> {
    let part = part_size(size);
    let count = size.div_ceil(part).max(1);
    (0..count)
        .map(|i| {
            let offset = i * part;
            (i as i32 + 1, offset, part.min(size - offset))
        })
        .collect()
}

/// Hashes and sends every part, [`PARTS_IN_FLIGHT`] at a time; answers each
/// part's (number, ETag) in order. Fails, before anything is completed, when
/// the file's bytes are no longer those hashed.
async fn send_parts(
    store: &S3Store,
    req: &PutRequest<'_>,
    upload_id: &str,
) -> Result<Vec<(i32, String)>, StoreError> {
    let io = |source| StoreError::Io {
        path: req.path.to_path_buf(),
        source,
    };
    let layout = layout(req.size);
    let count = layout.len() as i32;
    tracing::debug!(key = %req.key, parts = layout.len(), part_size = part_size(req.size), "multipart upload");
    let file = std::fs::File::open(req.path).map_err(io)?;
    // The parts are hashed in order, one at a time (each on a blocking
    // thread), while earlier parts are on the wire. After the last one, the
    // whole file's hash must be the one the object is named by.
    let expected = req.sha256.to_string();
    let hashed = stream::unfold(
        (layout.into_iter(), Some((file, Sha256::new()))),
        move |(mut parts, state)| {
            let expected = expected.clone();
            async move {
                let (number, offset, len) = parts.next()?;
                let (file, whole) = state?; // stopped by an error
                let expected = (number == count).then_some(expected);
                let read =
                    tokio::task::spawn_blocking(move || hash_part(file, whole, len, expected))
                        .await
                        .map_err(std::io::Error::other)
                        .and_then(|r| r);
                Some(match read {
                    Ok((file, whole, sha)) => {
                        (Ok((number, offset, len, sha)), (parts, Some((file, whole))))
                    }
                    Err(e) => (Err(e), (parts, None)),
                })
            }
        },
    );
    let parts: Vec<(i32, String)> = hashed
        .map_err(io)
        .map_ok(|(number, offset, len, sha)| async move {
            let part = PartRequest {
                key: req.key,
                upload_id,
                path: req.path,
                number,
                offset,
                len,
                sha256: &sha,
            };
            Ok::<_, StoreError>((number, store.upload_part(&part).await?))
        })
        .try_buffered(PARTS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(parts)
}

/// Reads the next `len` bytes of `file` (positioned at the part), feeding
/// them to the whole file's hash; answers the part's SHA-256. After the last
/// part, the whole file's hash must be `expected`.
fn hash_part(
    mut file: std::fs::File,
    mut whole: Sha256,
    len: u64,
    expected: Option<String>,
) -> std::io::Result<(std::fs::File, Sha256, String)> {
    use std::io::Read;
    let mut part = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = len;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file became shorter during the run; run again",
            ));
        }
        part.update(&buf[..n]);
        whole.update(&buf[..n]);
        left -= n as u64;
    }
    if let Some(expected) = expected
        && hex(&whole.clone().finalize()) != expected
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file changed during the run (its bytes are no longer those hashed); run again",
        ));
    }
    Ok((file, whole, hex(&part.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn part_sizes_keep_within_s3_limits() {
        assert_eq!(part_size(0), MIN_PART);
        assert_eq!(part_size(GIB), MIN_PART);
        assert_eq!(layout(GIB).len(), 128);
        // 100 GiB needs 11 MiB parts to fit in 10,000.
        assert_eq!(part_size(100 * GIB), 11 * MIB);
        for size in [
            1,
            MIN_PART,
            MIN_PART + 1,
            20 * MIB + 3,
            100 * GIB,
            5 * 1024 * GIB,
        ] {
            let parts = layout(size);
            assert!(parts.len() as u64 <= MAX_PARTS, "{size}");
            assert_eq!(parts.iter().map(|p| p.2).sum::<u64>(), size, "{size}");
            let (last, rest) = parts.split_last().unwrap();
            assert!(
                rest.iter()
                    .all(|p| p.2 == part_size(size) && p.2 >= 5 * MIB)
            );
            assert!(last.2 <= part_size(size) && last.2 > 0);
            assert_eq!(parts[0].0, 1);
        }
    }

    const GIB: u64 = 1024 * MIB;
}
