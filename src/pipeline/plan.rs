//! Phase 4, plan: a key and URL for each distinct image, the manifest's or a
//! new one from the key template, and the uploads that are due (to send, or
//! `Planned` in a dry run).

use std::collections::HashMap;
use std::path::Path;

use super::publish::{Decision, Object, Published, Source};
use super::{Batch, Hashed, ImageId, Planned, Status};
use crate::error::{Problem, ReferenceError};
use crate::manifest::{Entry, Manifest};
use crate::measure::Measured;
use crate::object::{KeyInputs, public_url};
use crate::store::{Pending, StoreError};

/// One object to send, and the images it is published for (two photos that
/// differ only in their location strip to the same object).
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    /// Its `sha256` is the published bytes'.
    pub(crate) pending: Pending,
    /// The first reference of its first image.
    pub(crate) first_ref: usize,
    pub(crate) images: Vec<ImageId>,
}

/// What [`plan`] decided.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// By [`ImageId`]; `None` for an image that was not published (its
    /// problem is reported elsewhere).
    pub(crate) planned: Vec<Option<Planned>>,
    /// What the manifest lacks.
    pub(crate) uploads: Vec<Upload>,
    /// By [`ImageId`]: a new manifest entry's fields beyond the object's.
    pub(crate) extras: Vec<Option<Entry>>,
    /// Entries that only learn how their object was made.
    pub(crate) upgrades: Vec<(ImageId, Entry)>,
    /// Shortened-hash collisions.
    pub(crate) problems: Vec<ReferenceError>,
    /// By [`ImageId`]: what its object's entry records of its size.
    pub(crate) measured: Vec<Measured>,
}

impl Plan {
    /// The status of image `id`, if it was planned.
    pub(crate) fn status(&self, id: ImageId) -> Option<Status> {
        self.planned[id.0].as_ref().map(|p| p.status)
    }

    /// Plans the object the manifest already names for image `id`
    /// (recording what an upgraded entry learnt).
    fn reuse(&mut self, manifest: &Manifest, id: ImageId, sha: &str, decision: &Decision) {
        let entry = match decision {
            Decision::Upgrade(e) => {
                self.upgrades.push((id, e.clone()));
                e
            }
            _ => &manifest.objects[sha],
        };
        self.measured[id.0] = Measured::of_entry(entry);
        self.planned[id.0] = Some(Planned {
            url: entry.url.clone(),
            key: entry.key.clone(),
            status: Status::Manifest,
        });
    }

    /// Notes how image `id`'s new object is made.
    fn note(&mut self, id: ImageId, sha: &str, object: &Object, source: &Source, transform: &str) {
        self.extras[id.0] = Some(Entry {
            transform: Some(transform.to_string()),
            published_sha256: (object.sha256 != sha).then(|| object.sha256.clone()),
            location: source.location.clone(),
            ..object.measured.entry()
        });
        self.measured[id.0] = object.measured.clone();
    }
}

/// Plans every image: reused from the manifest, sharing another image's
/// upload (the same published bytes), or a new key to upload.
pub(crate) fn plan(
    batch: &Batch<'_>,
    manifest: &Manifest,
    hashed: &Hashed,
    published: &Published,
    dry_run: bool,
) -> Plan {
    let now = time::OffsetDateTime::now_utc();
    let n = hashed.images.len();
    let mut plan = Plan {
        planned: vec![None; n],
        extras: vec![None; n],
        measured: vec![Measured::default(); n],
        ..Plan::default()
    };
    let mut keys = Keys {
        in_use: manifest.by_key(),
        new: HashMap::new(),
    };
    // Uploads by the SHA-256 of the bytes they send.
    let mut by_object: HashMap<String, usize> = HashMap::new();
    for (i, image) in hashed.images.iter().enumerate() {
        let id = ImageId(i);
        let Some(source) = &published.sources[i] else {
            continue; // could not be read: published.problems has it
        };
        let Decision::New(object) = &source.decision else {
            plan.reuse(manifest, id, &image.sha256, &source.decision);
            continue;
        };
        plan.note(id, &image.sha256, object, source, &published.transform);
        if let Some(&u) = by_object.get(&object.sha256) {
            let upload = &mut plan.uploads[u];
            upload.images.push(id);
            plan.planned[i] = plan.planned[upload.images[0].0].clone();
            continue;
        }
        let r = &batch.refs[image.first_ref];
        let key = new_key(
            batch,
            &r.reference.url,
            &object.sha256,
            object.kind.ext,
            now,
        );
        if let Err(other) = keys.claim(&key, &object.sha256) {
            let source = StoreError::Collision {
                key,
                detail: format!("sha256 {other}, this file is {}", object.sha256),
            };
            let path = batch.shown(&batch.files[image.file.0]);
            let problem = Problem::Store { path, source };
            plan.problems.push(batch.error_at(image.first_ref, problem));
            continue;
        }
        plan.planned[i] = Some(Planned {
            url: public_url(&batch.cfg.destination.public_url, &key),
            key: key.clone(),
            status: if dry_run {
                Status::Planned
            } else {
                Status::Uploaded
            },
        });
        by_object.insert(object.sha256.clone(), plan.uploads.len());
        plan.uploads.push(Upload {
            pending: Pending {
                sha256: object.sha256.clone(),
                key,
                path: object.path.clone(),
                size: object.size,
                content_type: object.kind.mime.to_string(),
            },
            first_ref: image.first_ref,
            images: vec![id],
        });
    }
    plan
}

impl Plan {
    /// Warns, at its first reference, of each image whose object has no
    /// width and height (its header could not be read) or no placeholder
    /// (its pixels could not be decoded): every run does, from the manifest.
    pub(crate) fn report_unreadable(&self, batch: &Batch<'_>, hashed: &Hashed) {
        for (image, m) in hashed.images.iter().zip(&self.measured) {
            if let Some(why) = &m.unreadable {
                let what = if m.size.is_none() {
                    "published without width and height"
                } else {
                    "published without a placeholder"
                };
                tracing::warn!(
                    "{}: {}: {why}; {what}",
                    batch.at_ref(image.first_ref),
                    batch.shown(&batch.files[image.file.0]).display(),
                );
            }
        }
    }
}

/// The keys taken: the manifest's, and this run's new ones.
struct Keys<'m> {
    /// Key → SHA-256 of its object.
    in_use: std::collections::BTreeMap<&'m str, &'m str>,
    new: HashMap<String, String>,
}

impl Keys<'_> {
    /// Takes `key` for the object `sha`; `Err` with the other object's
    /// SHA-256 when another object has it (a shortened-hash collision).
    fn claim(&mut self, key: &str, sha: &str) -> Result<(), String> {
        let holder = self
            .in_use
            .get(key)
            .map(|s| s.to_string())
            .or_else(|| self.new.get(key).cloned());
        match holder {
            Some(other) if other != sha => Err(other),
            _ => {
                self.new.insert(key.to_string(), sha.to_string());
                Ok(())
            }
        }
    }
}

/// The key template's answer for bytes with this hash and extension, first
/// written as `written` in a document.
fn new_key(
    batch: &Batch<'_>,
    written: &str,
    hash: &str,
    ext: &str,
    now: time::OffsetDateTime,
) -> String {
    let stem = Path::new(written)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cfg = batch.cfg;
    cfg.key_template.render(
        &cfg.prefix,
        &KeyInputs {
            hash,
            ext,
            stem: &stem,
            year: now.year(),
            month: now.month() as u8,
            day: now.day(),
        },
    )
}
