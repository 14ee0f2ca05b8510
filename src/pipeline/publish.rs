//! Phase 2½ of the pipeline, between [`crate::pipeline::hash`] and
//! [`crate::pipeline::plan`]: what each distinct source image becomes in the
//! bucket under the run's [`crate::transform::Settings`] (location stripped by
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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::document::Document;
use crate::error::{Location, Problem, ReferenceError};
use crate::manifest::{Entry, Manifest};
use crate::object::ImageType;
use crate::pipeline::{Hashed, Located};
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

/// What [`publish`] decided, by source SHA-256.
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub(crate) by_sha: HashMap<String, Source>,
    /// The settings, as entries record them.
    pub(crate) transform: String,
    /// Files that could not be read (between hashing and now), at their first
    /// reference.
    pub(crate) problems: Vec<ReferenceError>,
    /// Holds the published bytes that differ from their source until the
    /// uploads are done.
    _tmp: Option<tempfile::TempDir>,
}

/// Phase 2½: decides, and when needed computes, the published bytes of each
/// distinct source image. `write` puts changed bytes into a temporary folder
/// for the upload (a dry run or `check` computes keys only).
pub(crate) fn publish(
    cfg: &Config,
    manifest: &Manifest,
    docs: &[Document],
    located: &Located,
    hashed: &Hashed,
    write: bool,
) -> Published {
    let settings = &cfg.publish;
    let transform = settings.describe();
    let mut out = Published {
        transform: transform.clone(),
        ..Published::default()
    };
    let todo = sources_to_read(manifest, located, hashed, &transform, &mut out);
    if todo.is_empty() {
        return out;
    }
    let tmp = if write {
        match tempfile::Builder::new().prefix("r2filter-").tempdir() {
            Ok(t) => Some(t),
            Err(e) => {
                let (i, ..) = &todo[0];
                out.problems.push(located.error_at(
                    docs,
                    *i,
                    Problem::Read {
                        path: std::env::temp_dir(),
                        source: e,
                    },
                ));
                return out;
            }
        }
    } else {
        None
    };
    let results: Vec<Result<(Source, Vec<String>), std::io::Error>> = todo
        .par_iter()
        .map(|(_, sha, file, kind, size)| {
            let entry = manifest.objects.get(sha);
            one(
                settings,
                &transform,
                entry,
                sha,
                file,
                *kind,
                *size,
                tmp.as_ref(),
            )
        })
        .collect();
    for ((i, sha, file, ..), result) in todo.iter().zip(results) {
        match result {
            Ok((source, warnings)) => {
                let r = &located.refs[*i];
                let doc = &docs[r.doc];
                let at = Location::new(&doc.name, &doc.text, r.reference.span.clone());
                for w in warnings {
                    tracing::warn!("{at}: {}: {w}", located.shown(file).display());
                }
                let entry = manifest.objects.get(sha);
                warn_republished(settings, entry, &source, &at, &located.shown(file));
                out.by_sha.insert(sha.clone(), source);
            }
            Err(source) => out.problems.push(located.error_at(
                docs,
                *i,
                Problem::Read {
                    path: located.shown(file),
                    source,
                },
            )),
        }
    }
    out._tmp = tmp;
    out
}

/// A distinct source that must be read: its first reference, SHA-256, file,
/// type and size.
type Todo = (usize, String, PathBuf, ImageType, u64);

/// Decides from the manifest alone what it can (entries made with these
/// settings); returns the sources that must be read.
fn sources_to_read(
    manifest: &Manifest,
    located: &Located,
    hashed: &Hashed,
    transform: &str,
    out: &mut Published,
) -> Vec<Todo> {
    let mut todo: Vec<Todo> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, r) in located.refs.iter().enumerate() {
        let Some(info) = hashed.image(&r.file) else {
            continue;
        };
        if !seen.insert(&info.sha256) {
            continue;
        }
        let kind = info.kind.expect("a known type");
        match manifest.objects.get(&info.sha256) {
            // Video, audio and assets are published as they are, whatever
            // the image settings.
            Some(entry) if entry.transform.as_deref() == Some(transform) || !kind.is_image() => {
                let source = Source {
                    decision: Decision::Manifest,
                    location: entry.location.clone(),
                };
                out.by_sha.insert(info.sha256.clone(), source);
            }
            // Not an image: never read here (a 2 GB video stays on disk).
            None if !kind.is_image() => {
                let object = Object {
                    sha256: info.sha256.clone(),
                    size: info.size,
                    kind,
                    path: r.file.clone(),
                };
                let source = Source {
                    decision: Decision::New(object),
                    location: Vec::new(),
                };
                out.by_sha.insert(info.sha256.clone(), source);
            }
            _ => todo.push((i, info.sha256.clone(), r.file.clone(), kind, info.size)),
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

/// Reads and transforms one source file.
#[allow(clippy::too_many_arguments)]
fn one(
    settings: &transform::Settings,
    transform: &str,
    entry: Option<&Entry>,
    sha: &str,
    file: &Path,
    kind: ImageType,
    size: u64,
    tmp: Option<&tempfile::TempDir>,
) -> std::io::Result<(Source, Vec<String>)> {
    let bytes = std::fs::read(file)?;
    let published = transform::apply(&bytes, kind, settings);
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
    pub(crate) fn report_locations(
        &self,
        settings: &transform::Settings,
        docs: &[Document],
        located: &Located,
        hashed: &Hashed,
    ) -> usize {
        let mut seen = std::collections::HashSet::new();
        for r in &located.refs {
            let Some(info) = hashed.image(&r.file) else {
                continue;
            };
            let Some(source) = self.by_sha.get(&info.sha256) else {
                continue;
            };
            if source.location.is_empty() || !seen.insert(&info.sha256) {
                continue;
            }
            let doc = &docs[r.doc];
            let at = Location::new(&doc.name, &doc.text, r.reference.span.clone());
            let what = if settings.strip == StripMetadata::None {
                "published WITH it (strip-metadata = \"none\")"
            } else {
                "published without it, but the file itself still has it"
            };
            tracing::warn!(
                "{at}: {} carries a location ({}): {what}",
                located.shown(&r.file).display(),
                source.location.join(", "),
            );
        }
        seen.len()
    }
}
