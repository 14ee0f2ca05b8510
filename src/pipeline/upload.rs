//! Phase 5, upload: send what the plan marks due ([`crate::store`] makes
//! sure of each object, never overwriting), then record what is in the
//! bucket in the manifest.

use std::collections::BTreeMap;
use std::path::Path;

use super::plan::Plan;
use super::{Batch, Hashed, Options, Status};
use crate::error::{Error, Problem, ReferenceError};
use crate::manifest::{Entry, Manifest, Source};
use crate::store::{Pending, Store, UploadOptions, Uploaded};
use r2filter_text::scan::Context;

/// Uploads what the plan marks due, then records what succeeded in the
/// manifest, failures or not, with how each object was made (an entry that
/// only learns that is written too) and the path each object was published
/// from (a warm run writes the manifest only when something is new; an
/// offline run records no paths). The manifest is written (under its lock)
/// after the uploads.
pub(crate) fn upload(
    batch: &Batch<'_>,
    hashed: &Hashed,
    manifest: &Manifest,
    plan: &mut Plan,
    opts: &Options,
) -> Result<(), Error> {
    let mut entries: BTreeMap<String, Entry> = plan
        .upgrades
        .iter()
        .map(|(id, e)| (hashed.image(*id).sha256.clone(), e.clone()))
        .collect();
    let problems = if plan.uploads.is_empty() {
        Vec::new()
    } else {
        send(batch, hashed, plan, opts, &mut entries)?
    };
    let local = |r: &&super::locate::LocalRef| !opts.offline && !batch.is_adopted(r.file);
    let sources = batch.refs.iter().filter(local).filter_map(|r| {
        let url = r.reference.url.trim();
        // An embed is recorded whole: eject gives it back as written.
        let written = match r.reference.context {
            Context::Embed => batch.docs[r.doc].text.get(r.reference.span.clone())?,
            _ => url.strip_suffix(r.suffix.as_str()).unwrap_or(url),
        };
        Some(Source {
            sha256: hashed.image(hashed.image_of(r)?).sha256.clone(),
            path: relative_source(batch.root(), &batch.files[r.file.0])?,
            written: written.into(),
        })
    });
    let origins = match opts.offline {
        true => Vec::new(),
        false => super::fetch::origins(batch, hashed),
    };
    let to_save = manifest.with_origins(manifest.with_sources(entries, sources), origins);
    if !to_save.is_empty() {
        let cfg = batch.cfg;
        Manifest::save_merged(&cfg.manifest, &cfg.destination, &to_save)?;
    }
    super::fail_on(problems)
}

/// `images-index`: the index of every object in the manifest on disk (this
/// run's included), written when it changed ([`crate::images_index`]).
pub(crate) fn write_index(cfg: &crate::Config) -> Result<(), Error> {
    let Some(path) = &cfg.images_index else {
        return Ok(());
    };
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let output = |source| Error::Output {
        path: path.clone(),
        source,
    };
    if crate::images_index::write(path, &manifest).map_err(output)? {
        tracing::debug!("wrote the images index {}", path.display());
    }
    Ok(())
}

/// `file` (canonical, inside `root`) as the manifest records it: relative to
/// the root, `/`-separated. None for a name that is not UTF-8.
fn relative_source(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Sends the due objects; adds to `entries` those now in the bucket, and
/// returns a problem for each that is not. `Err` when the store cannot be
/// opened.
fn send(
    batch: &Batch<'_>,
    hashed: &Hashed,
    plan: &mut Plan,
    opts: &Options,
    entries: &mut BTreeMap<String, Entry>,
) -> Result<Vec<ReferenceError>, Error> {
    let cfg = batch.cfg;
    let upload_opts = UploadOptions {
        multipart_threshold: cfg.media.multipart_threshold,
        cache_control: cfg.cache_control.clone(),
        acl: cfg.acl.clone(),
        progress: opts.progress.clone(),
    };
    let items: Vec<Pending> = plan.uploads.iter().map(|u| u.pending.clone()).collect();
    opts.progress()
        .uploading(items.len(), items.iter().map(|p| p.size).sum());
    let store = Store::open(&cfg.store, cfg.concurrency).map_err(Error::StoreOpen)?;
    let results = store.ensure_all(&items, &upload_opts);
    let uploaded_at = now_rfc3339();
    let mut problems = Vec::new();
    for (u, result) in plan.uploads.iter().zip(results) {
        let how = match result {
            Ok(how) => how,
            Err(source) => {
                let path = batch.shown(&u.pending.path);
                let problem = Problem::Store { path, source };
                problems.push(batch.error_at(u.first_ref, problem));
                continue;
            }
        };
        for &id in &u.images {
            let planned = plan.planned[id.0]
                .as_mut()
                .expect("an upload's images are planned");
            if how == Uploaded::AlreadyThere {
                planned.status = Status::InBucket;
            }
            let entry = Entry {
                key: u.pending.key.clone(),
                url: planned.url.clone(),
                size: u.pending.size,
                content_type: u.pending.content_type.clone(),
                uploaded: uploaded_at.clone(),
                ..plan.extras[id.0].clone().unwrap_or_default()
            };
            entries.insert(hashed.image(id).sha256.clone(), entry);
        }
    }
    Ok(problems)
}

/// Now, to the second, as the manifest records upload times.
fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time formats")
}
