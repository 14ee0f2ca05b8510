//! Phase 2, hash: each distinct file's SHA-256 and sniffed type, from the
//! stat cache when the file is unchanged, and the distinct images those
//! files hold (two files with the same bytes are one image).

use std::collections::HashMap;
use std::path::PathBuf;

use rayon::prelude::*;

use super::locate::LocalRef;
use super::statcache::{self, StatCache};
use super::{Batch, FileId, ImageId};
use crate::error::{Problem, ReferenceError};
use crate::object::{self, FileInfo, ImageType};
use crate::progress::Progress;

/// A distinct image: bytes one or more files of the batch hold.
#[derive(Debug, Clone)]
pub(crate) struct Image {
    pub(crate) sha256: String,
    pub(crate) kind: ImageType,
    pub(crate) size: u64,
    /// The first file that holds it.
    pub(crate) file: FileId,
    /// Its first reference (an index into [`Batch::refs`]).
    pub(crate) first_ref: usize,
}

/// What [`hash`] found: each file's info, or why it has none; the images.
#[derive(Debug)]
pub(crate) struct Hashed {
    /// By [`FileId`].
    infos: Vec<std::io::Result<FileInfo>>,
    /// By [`FileId`]: the image the file holds, if it read as one.
    image_of_file: Vec<Option<ImageId>>,
    /// By [`ImageId`], in the order of their first references.
    pub(crate) images: Vec<Image>,
}

impl Hashed {
    /// The image reference `r` shows, if its file read as one.
    pub(crate) fn image_of(&self, r: &LocalRef) -> Option<ImageId> {
        self.image_of_file[r.file.0]
    }

    pub(crate) fn image(&self, id: ImageId) -> &Image {
        &self.images[id.0]
    }

    /// What is wrong with `file`, if anything.
    pub(crate) fn problem(&self, batch: &Batch<'_>, file: FileId) -> Option<Problem> {
        let path = || batch.shown(&batch.files[file.0]);
        let ext = batch.files[file.0]
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let max_bytes = batch.cfg.media.max_bytes;
        match &self.infos[file.0] {
            // `max-bytes`, then bytes of the type the file's name says.
            Ok(info) if max_bytes.is_some_and(|max| info.size > max) => Some(Problem::TooLarge {
                path: path(),
                size: info.size,
                max: max_bytes.unwrap_or_default(),
            }),
            Ok(info) if info.kind.is_some_and(|k| k.fits(ext.as_deref())) => None,
            Ok(info) => Some(Problem::not_its_type(path(), ext, info.kind)),
            Err(e) => Some(Problem::Read {
                path: path(),
                source: std::io::Error::new(e.kind(), e.to_string()),
            }),
        }
    }

    /// One problem per bad file, at its first reference, in file order.
    pub(crate) fn problems(&self, batch: &Batch<'_>) -> Vec<ReferenceError> {
        let mut first: Vec<Option<usize>> = vec![None; batch.files.len()];
        for (i, r) in batch.refs.iter().enumerate() {
            first[r.file.0].get_or_insert(i);
        }
        (0..batch.files.len())
            .filter_map(|f| {
                let problem = self.problem(batch, FileId(f))?;
                Some(batch.error_at(first[f]?, problem))
            })
            .collect()
    }
}

/// Hashes each distinct file once. Unchanged files (same size, times and
/// inode) come from the stat cache without a read; the rest are hashed on
/// all cores, at most `concurrency` at once. The cache is written when
/// `save_cache` (it is only a cache: failing to write it is no error).
pub(crate) fn hash(batch: &Batch<'_>, save_cache: bool, progress: &dyn Progress) -> Hashed {
    let cfg = batch.cfg;
    let mut stat_cache = StatCache::load(&statcache::path_for(&cfg.manifest));
    // Adopted files come with their info (the fetch phase hashed them as
    // they arrived); only local ones go through the stat cache.
    let (mut infos, cached) = stat_cache.hash_files(batch.local_files(), |todo| {
        progress.hashing(todo.len());
        hash_files(todo, cfg.concurrency, progress)
    });
    tracing::debug!(
        "stat cache: {} of {} files unchanged, {} hashed",
        cached.hits,
        batch.local_files().len(),
        cached.hashed
    );
    if save_cache && let Err(e) = stat_cache.save() {
        tracing::debug!("stat cache not written (it is only a cache): {e}");
    }
    infos.extend(batch.adopted.infos.iter().cloned().map(Ok));
    images(batch, infos)
}

/// The distinct images of `infos`, in the order of their first references.
fn images(batch: &Batch<'_>, infos: Vec<std::io::Result<FileInfo>>) -> Hashed {
    let mut image_of_file = vec![None; infos.len()];
    let mut images: Vec<Image> = Vec::new();
    let mut by_sha: HashMap<&str, ImageId> = HashMap::new();
    for (i, r) in batch.refs.iter().enumerate() {
        let f = r.file.0;
        let Ok(FileInfo {
            sha256,
            size,
            kind: Some(kind),
        }) = &infos[f]
        else {
            continue;
        };
        if image_of_file[f].is_some() {
            continue;
        }
        let next = ImageId(images.len());
        let id = *by_sha.entry(sha256.as_str()).or_insert(next);
        if id == next {
            images.push(Image {
                sha256: sha256.clone(),
                kind: *kind,
                size: *size,
                file: r.file,
                first_ref: i,
            });
        }
        image_of_file[f] = Some(id);
    }
    drop(by_sha);
    Hashed {
        infos,
        image_of_file,
        images,
    }
}

/// Hashes files on at most `max_threads` cores; results in the order of `files`.
fn hash_files(
    files: &[PathBuf],
    max_threads: usize,
    progress: &dyn Progress,
) -> Vec<std::io::Result<FileInfo>> {
    if files.is_empty() {
        return Vec::new(); // a warm run: no thread started
    }
    let hash_all = || {
        files
            .par_iter()
            .map(|path| {
                let r = object::hash_file(path);
                progress.hashed();
                r
            })
            .collect()
    };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    if max_threads >= cores {
        return hash_all();
    }
    match rayon::ThreadPoolBuilder::new()
        .num_threads(max_threads.max(1))
        .build()
    {
        Ok(pool) => pool.install(hash_all),
        Err(_) => hash_all(),
    }
}
