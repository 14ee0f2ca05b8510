//! Phase 3, publish: what each distinct source image becomes in the bucket
//! under the run's [`crate::transform::Settings`] (location stripped by
//! default, converted or scaled down when asked).
//!
//! The manifest is keyed by the *source* file's SHA-256 and records the
//! settings each object was made with (`transform`). A source whose entry was
//! made with the same settings is not read at all (the stat cache gives its
//! hash), so a warm run stays a run of `stat`s with no request. Otherwise the
//! file is read and transformed (on all cores), and:
//!
//! - the result is the object the entry already names (same published bytes):
//!   the entry is kept and only learns the settings (an *upgrade*, written to
//!   the manifest, nothing uploaded);
//! - or it is a new object, keyed by the hash of the published bytes. When the
//!   old entry's object still carries a location this one drops, the photo is
//!   republished under the new key with a warning: the old object stays in the
//!   bucket (keys are immutable) until the user deletes it.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::hash::Image;
use super::{Batch, Hashed, ImageId};
use crate::error::{Location, Problem, ReferenceError};
use crate::manifest::{Entry, Manifest};
use crate::object::ImageType;
use crate::transform::{self, StripMetadata};

/// The bytes an object is made of.
#[derive(Debug, Clone)]
pub(crate) struct Object {
    /// SHA-256 of the published bytes.
    pub(crate) sha256: String,
    pub(crate) size: u64,
    pub(crate) kind: ImageType,
    /// Where the bytes are: the source file itself, or a file written into
    /// the run's temporary folder (`None` in a dry run: nothing is sent).
    pub(crate) path: PathBuf,
}

/// What a source image is published as.
#[derive(Debug, Clone)]
pub(crate) enum Decision {
    /// Its manifest entry was made with these settings: use it as it is.
    Manifest,
    /// Its manifest entry names the right object but does not say so yet:
    /// use it, and record this entry (settings, location) in the manifest.
    Upgrade(Entry),
    /// A new object, to plan a key for and upload.
    New(Object),
}

/// One source image's answer.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) decision: Decision,
    /// The location metadata the source carries (empty when none, or when
    /// an old entry never recorded it).
    pub(crate) location: Vec<String>,
}

/// What [`publish`] decided.
#[derive(Debug, Default)]
pub(crate) struct Published {
    /// By [`ImageId`]; `None` for an image that could not be read (its
    /// problem is in `problems`).
    pub(crate) sources: Vec<Option<Source>>,
    /// The settings, as entries record them.
    pub(crate) transform: String,
    /// Files that could not be read (between hashing and now), at their first
    /// reference.
    pub(crate) problems: Vec<ReferenceError>,
    /// Holds the published bytes that differ from their source until the
    /// uploads are done.
    _tmp: Option<tempfile::TempDir>,
}

/// Decides, and when needed computes, the published bytes of each distinct
/// source image. `write` puts changed bytes into a temporary folder for the
/// upload (a dry run or `check` computes keys only).
pub(crate) fn publish(
    batch: &Batch<'_>,
    manifest: &Manifest,
    hashed: &Hashed,
    write: bool,
) -> Published {
    let settings = &batch.cfg.publish;
    let transform = settings.describe();
    let mut out = Published {
        sources: vec![None; hashed.images.len()],
        transform: transform.clone(),
        ..Published::default()
    };
    let todo = sources_to_read(&batch.files, manifest, hashed, &transform, &mut out);
    if todo.is_empty() {
        return out;
    }
    let tmp = if write {
        match tempfile::Builder::new().prefix("r2filter-").tempdir() {
            Ok(t) => Some(t),
            Err(source) => {
                let path = std::env::temp_dir();
                let first = hashed.image(todo[0]).first_ref;
                out.problems
                    .push(batch.error_at(first, Problem::Read { path, source }));
                return out;
            }
        }
    } else {
        None
    };
    let results: Vec<Result<(Source, Vec<String>), std::io::Error>> = todo
        .par_iter()
        .map(|&id| {
            let image = hashed.image(id);
            let entry = manifest.objects.get(&image.sha256);
            let file = &batch.files[image.file.0];
            one(settings, &transform, entry, image, file, tmp.as_ref())
        })
        .collect();
    for (&id, result) in todo.iter().zip(results) {
        let image = hashed.image(id);
        let shown = batch.shown(&batch.files[image.file.0]);
        match result {
            Ok((source, warnings)) => {
                let at = batch.at_ref(image.first_ref);
                for w in warnings {
                    tracing::warn!("{at}: {}: {w}", shown.display());
                }
                let entry = manifest.objects.get(&image.sha256);
                warn_republished(settings, entry, &source, &at, &shown);
                out.sources[id.0] = Some(source);
            }
            Err(source) => out.problems.push(batch.error_at(
                image.first_ref,
                Problem::Read {
                    path: shown,
                    source,
                },
            )),
        }
    }
    out._tmp = tmp;
    out
}

/// Decides from the manifest alone what it can (entries made with these
/// settings; video, audio and assets, which are published as they are, from
/// their files); returns the images that must be read.
fn sources_to_read(
    files: &[PathBuf],
    manifest: &Manifest,
    hashed: &Hashed,
    transform: &str,
    out: &mut Published,
) -> Vec<ImageId> {
    let mut todo = Vec::new();
    for (i, image) in hashed.images.iter().enumerate() {
        let as_is = !image.kind.is_image();
        match manifest.objects.get(&image.sha256) {
            Some(entry) if entry.transform.as_deref() == Some(transform) || as_is => {
                out.sources[i] = Some(Source {
                    decision: Decision::Manifest,
                    location: entry.location.clone(),
                });
            }
            // Never read here: a 2 GB video stays on disk until it is sent.
            None if as_is => {
                let object = Object {
                    sha256: image.sha256.clone(),
                    size: image.size,
                    kind: image.kind,
                    path: files[image.file.0].clone(),
                };
                out.sources[i] = Some(Source {
                    decision: Decision::New(object),
                    location: Vec::new(),
                });
            }
            _ => todo.push(ImageId(i)),
        }
    }
    todo
}

/// The warning for a photo whose old object still carries its location.
fn warn_republished(
    settings: &transform::Settings,
    entry: Option<&Entry>,
    source: &Source,
    at: &Location,
    shown: &Path,
) {
    if let (Some(entry), Decision::New(obj)) = (entry, &source.decision)
        && !source.location.is_empty()
        && settings.strip != StripMetadata::None
        && entry.transform() == crate::manifest::UNTRANSFORMED
    {
        tracing::warn!(
            "{at}: {} was published with its location as {}; republished without it under a new key ({} bytes); delete the old object from the bucket",
            shown.display(),
            entry.key,
            obj.size,
        );
    }
}

/// Reads and transforms one source image, from `file`.
fn one(
    settings: &transform::Settings,
    transform: &str,
    entry: Option<&Entry>,
    image: &Image,
    file: &Path,
    tmp: Option<&tempfile::TempDir>,
) -> std::io::Result<(Source, Vec<String>)> {
    let (sha, size) = (image.sha256.as_str(), image.size);
    let bytes = std::fs::read(file)?;
    let published = transform::apply(&bytes, image.kind, settings);
    let (sha256, size, path) = match &published.bytes {
        None => (sha.to_string(), size, file.to_path_buf()),
        Some(b) => {
            let sha256 = hex(&Sha256::digest(b));
            let path = match tmp {
                Some(dir) => {
                    let path = dir.path().join(&sha256);
                    std::fs::write(&path, b)?;
                    path
                }
                None => PathBuf::new(),
            };
            (sha256, b.len() as u64, path)
        }
    };
    let location = published.location;
    let decision = match entry {
        // The entry's object is these very bytes: keep its key, record how.
        Some(e) if e.published_sha256.as_deref().unwrap_or(sha) == sha256 => {
            Decision::Upgrade(Entry {
                transform: Some(transform.to_string()),
                published_sha256: (sha256 != sha).then_some(sha256),
                location: location.clone(),
                ..e.clone()
            })
        }
        _ => Decision::New(Object {
            sha256,
            size,
            kind: published.kind,
            path,
        }),
    };
    Ok((Source { decision, location }, published.warnings))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl Published {
    /// Reports each source image that carries a location, at its first
    /// reference: every run does, from the manifest when the file was not
    /// read. Returns how many there are.
    pub(crate) fn report_locations(&self, batch: &Batch<'_>, hashed: &Hashed) -> usize {
        let settings = &batch.cfg.publish;
        let mut located = 0;
        for (image, source) in hashed.images.iter().zip(&self.sources) {
            let Some(source) = source.as_ref().filter(|s| !s.location.is_empty()) else {
                continue;
            };
            located += 1;
            let what = if settings.strip == StripMetadata::None {
                "published WITH it (strip-metadata = \"none\")"
            } else {
                "published without it, but the file itself still has it"
            };
            tracing::warn!(
                "{}: {} carries a location ({}): {what}",
                batch.at_ref(image.first_ref),
                batch.shown(&batch.files[image.file.0]).display(),
                source.location.join(", "),
            );
        }
        located
    }
}
