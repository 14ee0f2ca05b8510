//! The pipeline: a batch of documents in, the same documents with only their
//! image URLs changed out. One file per phase, each a function from what the
//! phases before it found to what the next one needs:
//!
//! | phase | file | gives |
//! |---|---|---|
//! | locate | [`locate`] | the [`Batch`]: every reference scanned, each local one resolved to a file inside the root |
//! | fetch | [`fetch`] | remote references on an `adopt` host as references to files: from the manifest, or downloaded |
//! | hash | [`hash`] | each distinct file's SHA-256 and type (the stat cache skips unchanged files), and the distinct images ([`ImageId`]) |
//! | publish | [`publish`] | what each image becomes in the bucket (location stripped by default; converted or scaled down on request) |
//! | plan | [`plan`] | a key and URL for each image, from the manifest or new, and the uploads due |
//! | upload | [`upload`] | what the bucket lacks, sent and recorded in the manifest |
//! | splice | [`splice`] | the new URLs in the source text, and each reference's account |
//!
//! Phases after locate keep their results in `Vec`s aligned to [`FileId`] or
//! [`ImageId`], not in maps keyed by strings. Every entry (filter, batch,
//! mdBook) runs one batch at a time, so a batch shares one dedupe set, one
//! upload pool and one manifest write. Nothing is uploaded until every
//! reference of every document has resolved to an image file inside the
//! root; nothing is returned (so nothing written) unless every upload
//! succeeded. [`prepare`] runs the phases up to the plan; [`check`] is the
//! same pipeline stopped there, reporting instead of uploading.

pub(crate) mod fetch;
pub(crate) mod hash;
pub(crate) mod locate;
pub(crate) mod plan;
pub(crate) mod publish;
pub(crate) mod splice;
pub(crate) mod statcache;
pub(crate) mod upload;

use std::sync::Arc;
use std::time::Instant;

use crate::config::{Config, OnMissing};
use crate::document::Document;
use crate::error::{Error, Problem, ReferenceError};
use crate::manifest::Manifest;
use crate::progress::{NoProgress, Progress};
pub(crate) use hash::Hashed;
pub(crate) use locate::Batch;
use plan::Plan;
use publish::Published;

/// A distinct file of a batch: an index into [`Batch::files`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FileId(pub(crate) usize);

/// A distinct image (the same bytes, whatever files hold them): an index
/// into [`Hashed::images`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ImageId(pub(crate) usize);

/// How a run may touch the world, and who hears about its progress.
///
/// Build it with `..Default::default()` so new fields do not break callers.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Plan only: no upload, no manifest write (outputs still computed).
    pub dry_run: bool,
    /// Manifest only: anything not in it is an error; never a network request.
    pub offline: bool,
    /// Progress hooks (a terminal bar, say); none by default.
    pub progress: Option<Arc<dyn Progress>>,
}

impl Options {
    fn progress(&self) -> &dyn Progress {
        self.progress.as_deref().unwrap_or(&NoProgress)
    }
}

/// What happened to one reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Uploaded by this run.
    Uploaded,
    /// Found in the manifest.
    Manifest,
    /// Already in the bucket (not in the manifest).
    InBucket,
    /// Would be uploaded (dry run).
    Planned,
    /// A remote URL, left alone.
    Remote,
    /// The file is missing and `on-missing = "warn"`: left alone.
    Missing,
    /// A remote image on an `adopt` host that a real run would download (dry run).
    ToAdopt,
    /// A remote image on an `adopt` host that could not be downloaded (see
    /// the record's `reason`): left alone.
    NotAdopted,
}

/// One reference's account, for reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Record {
    pub document: String,
    pub line: usize,
    pub column: usize,
    pub original: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub status: Status,
    /// Why a remote image was not adopted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Totals for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// A plan: `uploaded` and `uploaded_bytes` count what a real run would send.
    #[serde(skip)]
    pub dry_run: bool,
    pub documents: usize,
    pub references: usize,
    pub uploaded: usize,
    pub uploaded_bytes: u64,
    pub from_manifest: usize,
    pub in_bucket: usize,
    pub remote: usize,
    pub missing: usize,
    /// Distinct images that carry a location (reported, and stripped unless
    /// `strip-metadata = "none"`).
    #[serde(skip_serializing_if = "is_zero")]
    pub located: usize,
    /// References to remote images rewritten by adopting them (`adopt`).
    #[serde(skip_serializing_if = "is_zero")]
    pub adopted: usize,
    /// Distinct remote URLs downloaded by this run.
    #[serde(skip_serializing_if = "is_zero")]
    pub downloaded: usize,
    /// References a dry run would adopt.
    #[serde(skip_serializing_if = "is_zero")]
    pub to_adopt: usize,
    /// References to remote images that could not be adopted, kept as written.
    #[serde(skip_serializing_if = "is_zero")]
    pub not_adopted: usize,
    pub elapsed_ms: u128,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} reference{} in {} document{}: {} {} ({}), {} from manifest, {} already in bucket, {} remote skipped",
            self.references,
            plural(self.references),
            self.documents,
            plural(self.documents),
            self.uploaded,
            if self.dry_run {
                "to upload"
            } else {
                "uploaded"
            },
            indicatif::HumanBytes(self.uploaded_bytes),
            self.from_manifest,
            self.in_bucket,
            self.remote,
        )?;
        if self.missing > 0 {
            write!(f, ", {} missing kept", self.missing)?;
        }
        if self.adopted > 0 {
            write!(
                f,
                ", {} adopted ({} downloaded)",
                self.adopted, self.downloaded
            )?;
        }
        if self.to_adopt > 0 {
            write!(f, ", {} to adopt", self.to_adopt)?;
        }
        if self.not_adopted > 0 {
            write!(f, ", {} not adopted (kept)", self.not_adopted)?;
        }
        if self.located > 0 {
            write!(
                f,
                ", {} with a location{}",
                self.located,
                if self.dry_run { "" } else { " (see above)" }
            )?;
        }
        write!(f, " in {:.2}s", self.elapsed_ms as f64 / 1000.0)
    }
}

/// Where a distinct image goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub url: String,
    pub key: String,
    pub status: Status,
}

/// The result of a run: one output per input document, in order.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub outputs: Vec<String>,
    pub records: Vec<Record>,
    pub summary: Summary,
}

/// Runs the pipeline over `docs`, phase by phase; the first phase with a
/// problem ends the run with all of that phase's problems.
pub fn run(cfg: &Config, docs: &[Document], opts: Options) -> Result<Outcome, Error> {
    run_to(cfg, docs, opts, None)
}

/// Takes each output as it is made (its document's index, its text), so that
/// a batch of 10,000 documents does not hold every output at once.
pub(crate) type Sink<'a> = &'a mut dyn FnMut(usize, String) -> Result<(), Error>;

/// [`run`], handing each output to `sink` (the outcome's `outputs`
/// stay empty then) instead of collecting them.
pub(crate) fn run_to(
    cfg: &Config,
    docs: &[Document],
    opts: Options,
    sink: Option<Sink<'_>>,
) -> Result<Outcome, Error> {
    prepare(cfg, docs, opts)?.finish(sink)
}

/// A batch taken as far as its plan: every reference located, every image
/// hashed, every object given a key; nothing uploaded or written yet.
pub(crate) struct Prepared<'a> {
    batch: Batch<'a>,
    opts: Options,
    started: Instant,
    hashed: Hashed,
    manifest: Manifest,
    published: Published,
    plan: Plan,
    located_images: usize,
}

/// The phases up to the plan; the first phase with a problem ends the run
/// with all of that phase's problems.
pub(crate) fn prepare<'a>(
    cfg: &'a Config,
    docs: &'a [Document],
    opts: Options,
) -> Result<Prepared<'a>, Error> {
    let started = Instant::now();
    let progress = opts.progress();
    let mut batch = locate::locate(cfg, docs, cfg.on_missing, progress)?;
    fail_on(batch.take_problems())?;
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let mode = match (opts.dry_run, opts.offline) {
        (true, _) => fetch::Mode::DryRun,
        (false, true) => fetch::Mode::Offline,
        (false, false) => fetch::Mode::Download,
    };
    fetch::fetch(&mut batch, &manifest, mode)?;
    fail_on(batch.take_problems())?;
    let hashed = hash::hash(&batch, !opts.dry_run, progress);
    fail_on(hashed.problems(&batch))?;
    let mut published = publish::publish(&batch, &manifest, &hashed, !opts.dry_run);
    fail_on(std::mem::take(&mut published.problems))?;
    let located_images = published.report_locations(&batch, &hashed);
    let mut plan = plan::plan(&batch, &manifest, &hashed, &published, opts.dry_run);
    plan.report_unreadable(&batch, &hashed);
    crate::nextjs::warn_missing_host(cfg);
    let mut problems = std::mem::take(&mut plan.problems);
    if opts.offline {
        problems.extend(plan.uploads.iter().map(|u| {
            let path = batch.shown(&u.pending.path);
            batch.error_at(u.first_ref, Problem::NotInManifest { path })
        }));
    }
    fail_on(problems)?;
    Ok(Prepared {
        batch,
        opts,
        started,
        hashed,
        manifest,
        published,
        plan,
        located_images,
    })
}

impl Prepared<'_> {
    /// Whether finishing would upload anything.
    pub(crate) fn uploads(&self) -> bool {
        !self.opts.dry_run && !self.plan.uploads.is_empty()
    }

    /// Uploads what the plan lacks (not in a dry run), then splices.
    pub(crate) fn finish(mut self, sink: Option<Sink<'_>>) -> Result<Outcome, Error> {
        if !self.opts.dry_run {
            let (batch, hashed) = (&self.batch, &self.hashed);
            upload::upload(batch, hashed, &self.manifest, &mut self.plan, &self.opts)?;
            upload::write_index(batch.cfg)?;
        }
        drop(self.manifest);
        drop(self.published);
        let mut outcome = splice::splice(&self.batch, &self.hashed, &self.plan, sink)?;
        outcome.summary.dry_run = self.opts.dry_run;
        outcome.summary.located = self.located_images;
        outcome.summary.elapsed_ms = self.started.elapsed().as_millis();
        Ok(outcome)
    }
}

/// What [`check`] looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    pub documents: usize,
    /// Local image references, all resolved and in the manifest.
    pub references: usize,
}

/// `r2filter check`: the pipeline stopped after the plan, without any
/// network use and writing nothing. Every local image reference must resolve
/// to an image file inside the root (a missing file is always a problem here,
/// whatever `on-missing` says) *and* be in the manifest, made with the run's
/// settings. Every problem of every reference is reported, in document order,
/// as [`Error::Documents`].
pub(crate) fn check(cfg: &Config, docs: &[Document]) -> Result<Checked, Error> {
    let mut batch = locate::locate(cfg, docs, OnMissing::Error, &NoProgress)?;
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    fetch::fetch(&mut batch, &manifest, fetch::Mode::Check)?;
    let hashed = hash::hash(&batch, false, &NoProgress);
    // What each image would be published as: an entry made before locations
    // were stripped, for a photo that has one, is not good enough.
    let published = publish::publish(&batch, &manifest, &hashed, false);
    published.report_locations(&batch, &hashed);
    let plan = plan::plan(&batch, &manifest, &hashed, &published, true);
    plan.report_unreadable(&batch, &hashed);
    crate::nextjs::warn_missing_host(cfg);
    let mut problems = batch.take_problems_at();
    for (i, r) in batch.refs.iter().enumerate() {
        let problem = match hashed.problem(&batch, r.file) {
            Some(p) => p,
            None => match hashed.image_of(r) {
                Some(image) if plan.status(image) == Some(Status::Manifest) => continue,
                _ => Problem::NotUploaded {
                    path: batch.shown(&batch.files[r.file.0]),
                    manifest: cfg.manifest.clone(),
                },
            },
        };
        problems.push(((r.doc, r.reference.span.start), batch.error_at(i, problem)));
    }
    if problems.is_empty() {
        return Ok(Checked {
            documents: docs.len(),
            references: batch.local,
        });
    }
    problems.sort_by_key(|(at, _)| *at);
    Err(Error::Documents(
        problems.into_iter().map(|(_, p)| p).collect(),
    ))
}

/// `Err` with `problems`, unless there are none.
fn fail_on(problems: Vec<ReferenceError>) -> Result<(), Error> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Documents(problems))
    }
}
