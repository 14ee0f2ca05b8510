//! The whole pipeline over a batch of documents, in five named phases, each
//! a function from what the last one found to what the next one needs:
//!
//! 1. [`locate`]: scan each document and resolve its local references to
//!    files inside the root ([`Located`]);
//! 2. [`hash`]: each distinct file's SHA-256 and type, from the stat cache
//!    when it is unchanged ([`Hashed`]);
//!    Then [`publish::publish`]: what each image becomes in the bucket
//!    (its location stripped by default; converted or scaled down on request),
//!    read and transformed only when the manifest has no object made with the
//!    run's settings;
//! 3. [`plan`]: a key and URL for each distinct content, from the manifest
//!    or new, from the hash of the published bytes ([`Planned`]);
//! 4. [`upload`]: send what the manifest lacks and record it (the only phase
//!    with a runtime: everything else runs on the calling thread or rayon);
//! 5. [`splice`]: put the new URLs into the source text.
//!
//! Every entry (filter, batch, mdBook) calls [`run`] once per batch, so a
//! batch shares one dedupe set, one upload pool and one manifest write.
//! Nothing is uploaded until every reference of every document has resolved
//! to an image file inside the root; nothing is returned (so nothing written)
//! unless every upload succeeded. `r2filter check` runs the first three
//! phases ([`crate::audit::check`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

pub(crate) mod publish;

use crate::config::{Config, OnMissing};
use crate::document::{Document, Lines};
use crate::error::{Error, Location, Problem, ReferenceError};
use crate::manifest::{Entry, Manifest, Source};
use crate::object::{self, FileInfo, KeyInputs, public_url};
use crate::progress::{NoProgress, Progress};
use crate::resolve::Resolver;
use crate::statcache::{self, StatCache};
use crate::store::{Pending, Store, StoreError, UploadOptions, Uploaded};
use publish::{Decision, Published, publish};
use r2filter_text::resolve::{Skip, Url, classify_with};
use r2filter_text::rewrite::{Replacement, replacement};
use r2filter_text::scan::{self, Reference, ScanError, ScanOptions, Scanned};

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
    cfg: &'a Config,
    docs: &'a [Document],
    opts: Options,
    started: Instant,
    located: Located,
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
    let mut located = locate(cfg, docs, cfg.on_missing, progress)?;
    fail_on(located.take_problems())?;
    let hashed = hash(cfg, &located, !opts.dry_run, progress);
    fail_on(hashed.first_problems(docs, &located))?;
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let mut published = publish(cfg, &manifest, docs, &located, &hashed, !opts.dry_run);
    fail_on(std::mem::take(&mut published.problems))?;
    let located_images = published.report_locations(&cfg.publish, docs, &located, &hashed);
    let mut plan = plan(
        cfg,
        &manifest,
        docs,
        &located,
        &hashed,
        &published,
        opts.dry_run,
    );
    let mut problems = std::mem::take(&mut plan.problems);
    if opts.offline {
        problems.extend(plan.pending.iter().map(|(p, i)| {
            located.error_at(
                docs,
                *i,
                Problem::NotInManifest {
                    path: located.shown(&p.path),
                },
            )
        }));
    }
    fail_on(problems)?;
    Ok(Prepared {
        cfg,
        docs,
        opts,
        started,
        located,
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
        !self.opts.dry_run && !self.plan.pending.is_empty()
    }

    /// Uploads what the plan lacks (not in a dry run), then splices.
    pub(crate) fn finish(mut self, sink: Option<Sink<'_>>) -> Result<Outcome, Error> {
        let (cfg, docs, opts) = (self.cfg, self.docs, &self.opts);
        if !opts.dry_run {
            let phases = (&self.located, &self.hashed);
            upload(cfg, &self.manifest, &mut self.plan, docs, phases, opts)?;
        }
        drop(self.manifest);
        drop(self.published);
        let mut outcome = splice(docs, &self.located, &self.hashed, &self.plan, sink)?;
        outcome.summary.dry_run = opts.dry_run;
        outcome.summary.located = self.located_images;
        outcome.summary.elapsed_ms = self.started.elapsed().as_millis();
        Ok(outcome)
    }
}

/// `Err` with `problems`, unless there are none.
fn fail_on(problems: Vec<ReferenceError>) -> Result<(), Error> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Documents(problems))
    }
}

/// A local reference that resolved to a file.
#[derive(Debug, Clone)]
pub(crate) struct LocalRef {
    /// Index of its document.
    pub(crate) doc: usize,
    pub(crate) reference: Reference,
    /// The file, canonical.
    pub(crate) file: PathBuf,
    /// `?query#fragment` carried over to the new URL.
    pub(crate) suffix: String,
}

/// What [`locate`] found in the documents.
#[derive(Debug, Default)]
pub(crate) struct Located {
    /// Local references that resolved, in document order.
    pub(crate) refs: Vec<LocalRef>,
    /// The references left alone (remote, or missing with `on-missing =
    /// "warn"`), with their records.
    pub(crate) skipped: Vec<Record>,
    pub(crate) remote: usize,
    pub(crate) missing: usize,
    /// Local references, resolved or not.
    pub(crate) local: usize,
    /// What could not be resolved, keyed by (document, offset) for ordering.
    pub(crate) problems: Vec<((usize, usize), ReferenceError)>,
    /// The canonical root, to show paths relative to it.
    root: PathBuf,
    /// Each document's line starts.
    lines: Vec<Lines>,
    /// What links may publish besides images (`assets`).
    assets: Vec<String>,
}

impl Located {
    /// A path as shown to the user: relative to the root when inside it.
    pub(crate) fn shown(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf())
    }

    /// `problem` at local reference `i`.
    pub(crate) fn error_at(&self, docs: &[Document], i: usize, problem: Problem) -> ReferenceError {
        let r = &self.refs[i];
        let doc = &docs[r.doc];
        ReferenceError {
            at: Location::new(&doc.name, &doc.text, r.reference.span.clone()),
            problem,
        }
    }

    /// The problems found, in document order.
    pub(crate) fn take_problems(&mut self) -> Vec<ReferenceError> {
        std::mem::take(&mut self.problems)
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// The distinct files, sorted.
    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self.refs.iter().map(|f| f.file.clone()).collect();
        files.sort();
        files.dedup();
        files
    }

    fn record(&self, doc: &Document, d: usize, r: &Reference, status: Status) -> Record {
        let (line, column) = self.lines[d].line_col(&doc.text, r.span.start);
        Record {
            document: doc.name.clone(),
            line,
            column,
            original: r.url.clone(),
            url: None,
            key: None,
            status,
        }
    }
}

/// Phase 1: scans every document (on all cores: parsing is the CPU-heavy part
/// of a warm run) and resolves its references in document order. A missing
/// file is a problem, or with `on_missing` = warn a reference kept as written.
pub(crate) fn locate(
    cfg: &Config,
    docs: &[Document],
    on_missing: OnMissing,
    progress: &dyn Progress,
) -> Result<Located, Error> {
    let resolver =
        Resolver::new(&cfg.root, cfg.site_root.as_deref(), &cfg.image_dirs).map_err(|source| {
            Error::Root {
                path: cfg.root.clone(),
                source,
            }
        })?;
    progress.scanning(docs.len());
    let scan_one = |doc: &Document| {
        let opts = ScanOptions {
            flavor: doc.flavor,
            front_matter_keys: cfg.front_matter_keys.clone(),
            jsx_props: cfg.jsx_props.clone(),
            hexo_assets: cfg.hexo_tags.then(|| scan::hexo::asset_dir(&doc.name)),
            assets: cfg.media.assets.clone(),
        };
        let scanned = scan::scan(&doc.text, &opts)
            .and_then(|s| r2filter_text::rewrite::stable(&doc.text, &opts, &s).map(|()| s));
        (scanned, Lines::new(&doc.text))
    };
    // A small batch (an mdBook chapter or four) is scanned before rayon's
    // threads would have started.
    let scanned: Vec<(Result<Scanned, ScanError>, Lines)> =
        if docs.iter().map(|d| d.text.len()).sum::<usize>() < PARALLEL_MIN_BYTES {
            docs.iter().map(scan_one).collect()
        } else {
            docs.par_iter().map(scan_one).collect()
        };
    let (scans, lines): (Vec<_>, Vec<_>) = scanned.into_iter().unzip();
    let mut located = Located {
        root: resolver.root.clone(),
        lines,
        assets: cfg.media.assets.clone(),
        ..Located::default()
    };
    // A path already resolved from a folder resolves the same way again (the
    // file system is not expected to change during the run).
    let mut known: HashMap<PathBuf, HashMap<String, PathBuf>> = HashMap::new();
    for (d, (doc, scanned)) in docs.iter().zip(scans).enumerate() {
        let refs = located.take_scan((d, doc), scanned);
        let base = resolver
            .canonical_dir(&doc.base_dir)
            .unwrap_or_else(|| doc.base_dir.clone());
        let known = known.entry(base.clone()).or_default();
        for reference in refs {
            located.add(&resolver, on_missing, (d, doc), &base, known, reference);
        }
        progress.scanned();
    }
    Ok(located)
}

impl Located {
    /// A local image the renderer shows but the scanner cannot place would be
    /// left as written: each is a problem instead.
    fn unmapped(&mut self, d: usize, doc: &Document, unmapped: &[Reference]) {
        for r in unmapped {
            if let Url::Local { .. } = classify_with(&r.url, r.context, &self.assets) {
                self.problems.push((
                    (d, r.span.start),
                    ReferenceError {
                        at: Location::new(&doc.name, &doc.text, r.span.clone()),
                        problem: Problem::Unmapped { url: r.url.clone() },
                    },
                ));
            }
        }
    }

    /// The references of document `d`'s scan. A document that cannot be
    /// scanned (front matter that does not parse) is a problem; values kept by
    /// rule are shown with `-v`.
    fn take_scan(
        &mut self,
        (d, doc): (usize, &Document),
        scanned: Result<Scanned, ScanError>,
    ) -> Vec<Reference> {
        match scanned {
            Ok(scanned) => {
                self.unmapped(d, doc, &scanned.unmapped);
                for kept in &scanned.kept {
                    let at = Location::new(&doc.name, &doc.text, kept.span.clone());
                    tracing::debug!("{at}: {}", kept.rule);
                }
                scanned.references
            }
            Err(e) => {
                let offset = e.offset();
                let at = Location::new(&doc.name, &doc.text, offset..offset);
                let problem = e.into();
                self.problems
                    .push(((d, offset), ReferenceError { at, problem }));
                Vec::new()
            }
        }
    }

    /// Classifies and resolves one reference of document `d`.
    fn add(
        &mut self,
        resolver: &Resolver,
        on_missing: OnMissing,
        (d, doc): (usize, &Document),
        base: &Path,
        known: &mut HashMap<String, PathBuf>,
        reference: Reference,
    ) {
        let (path, suffix) = match classify_with(&reference.url, reference.context, &self.assets) {
            Url::Skip(Skip::Remote) => {
                self.remote += 1;
                let record = self.record(doc, d, &reference, Status::Remote);
                self.skipped.push(record);
                return;
            }
            Url::Skip(_) => return,
            Url::Local { path, suffix } => (path, suffix),
        };
        self.local += 1;
        let resolved = match known.get(path.as_str()) {
            Some(file) => Ok(file.clone()),
            None => resolver.resolve(base, &path),
        };
        match resolved {
            Ok(file) => {
                known.entry(path).or_insert_with(|| file.clone());
                self.refs.push(LocalRef {
                    doc: d,
                    reference,
                    file,
                    suffix,
                });
            }
            Err(e @ crate::resolve::ResolveError::NotFound { .. })
                if on_missing == OnMissing::Warn =>
            {
                let at = Location::new(&doc.name, &doc.text, reference.span.clone());
                tracing::warn!("{at}: {e}; kept as written");
                self.missing += 1;
                let record = self.record(doc, d, &reference, Status::Missing);
                self.skipped.push(record);
            }
            Err(e) => self.problems.push((
                (d, reference.span.start),
                ReferenceError {
                    at: Location::new(&doc.name, &doc.text, reference.span.clone()),
                    problem: e.into(),
                },
            )),
        }
    }
}

/// What [`hash`] found: each distinct file's info, or why it has none.
#[derive(Debug)]
pub(crate) struct Hashed {
    infos: HashMap<PathBuf, std::io::Result<FileInfo>>,
    /// `max-bytes`: a larger file is a problem.
    max_bytes: Option<u64>,
}

impl Hashed {
    /// The image `file` is, if it read and sniffed as one.
    pub(crate) fn image(&self, file: &Path) -> Option<&FileInfo> {
        match self.infos.get(file) {
            Some(Ok(info)) if info.kind.is_some() => Some(info),
            _ => None,
        }
    }

    /// What is wrong with `file`, if anything (shown as `located` shows it).
    pub(crate) fn problem(&self, located: &Located, file: &Path) -> Option<Problem> {
        let ext = file
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match self.infos.get(file)? {
            Ok(info) if self.max_bytes.is_some_and(|max| info.size > max) => {
                Some(Problem::TooLarge {
                    path: located.shown(file),
                    size: info.size,
                    max: self.max_bytes.unwrap_or_default(),
                })
            }
            Ok(info) if info.kind.is_some_and(|k| k.fits(ext.as_deref())) => None,
            Ok(info) => Some(Problem::not_its_type(located.shown(file), ext, info.kind)),
            Err(e) => Some(Problem::Read {
                path: located.shown(file),
                source: std::io::Error::new(e.kind(), e.to_string()),
            }),
        }
    }

    /// One problem per bad file, at its first reference, in file order.
    fn first_problems(&self, docs: &[Document], located: &Located) -> Vec<ReferenceError> {
        let mut first: HashMap<&Path, usize> = HashMap::new();
        for (i, r) in located.refs.iter().enumerate() {
            first.entry(r.file.as_path()).or_insert(i);
        }
        located
            .files()
            .iter()
            .filter_map(|file| {
                let problem = self.problem(located, file)?;
                Some(located.error_at(docs, first[file.as_path()], problem))
            })
            .collect()
    }
}

/// Phase 2: hashes each distinct file once. Unchanged files (same size, times
/// and inode) come from the stat cache without a read; the rest are hashed on
/// all cores, at most `cfg.concurrency` at once. The cache is written when
/// `save_cache` (it is only a cache: failing to write it is no error).
pub(crate) fn hash(
    cfg: &Config,
    located: &Located,
    save_cache: bool,
    progress: &dyn Progress,
) -> Hashed {
    let files = located.files();
    let mut stat_cache = StatCache::load(&statcache::path_for(&cfg.manifest));
    let (infos, cached) = stat_cache.hash_files(&files, |todo| {
        progress.hashing(todo.len());
        hash_files(todo, cfg.concurrency, progress)
    });
    tracing::debug!(
        "stat cache: {} of {} files unchanged, {} hashed",
        cached.hits,
        files.len(),
        cached.hashed
    );
    if save_cache && let Err(e) = stat_cache.save() {
        tracing::debug!("stat cache not written (it is only a cache): {e}");
    }
    Hashed {
        infos: files.into_iter().zip(infos).collect(),
        max_bytes: cfg.media.max_bytes,
    }
}

/// Below this much Markdown, documents are scanned on the calling thread:
/// starting rayon's threads costs more than the scan (it showed in mdBook's
/// build time, where a preprocessor runs on every build).
const PARALLEL_MIN_BYTES: usize = 256 * 1024;

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

/// Where a distinct content goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub url: String,
    pub key: String,
    pub status: Status,
}

/// What [`plan`] decided.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// By SHA-256.
    pub(crate) by_sha: HashMap<String, Planned>,
    /// What the manifest lacks, with the index of its first reference. Its
    /// `sha256` is the published bytes'.
    pub(crate) pending: Vec<(Pending, usize)>,
    /// The source images each pending object is published for (two photos
    /// that differ only in their location strip to the same object).
    pub(crate) sources: HashMap<String, Vec<String>>,
    /// New manifest entries' fields beyond the object's, by source SHA-256.
    pub(crate) extras: HashMap<String, Entry>,
    /// Entries that only learn how their object was made, by source SHA-256.
    pub(crate) upgrades: BTreeMap<String, Entry>,
    /// Shortened-hash collisions.
    pub(crate) problems: Vec<ReferenceError>,
}

impl Plan {
    /// Plans the object the manifest already names for source `sha`
    /// (recording what an upgraded entry learnt).
    fn reuse(&mut self, manifest: &Manifest, sha: &str, decision: &Decision) {
        let entry = match decision {
            Decision::Upgrade(e) => {
                self.upgrades.insert(sha.to_string(), e.clone());
                e
            }
            _ => &manifest.objects[sha],
        };
        let planned = Planned {
            url: entry.url.clone(),
            key: entry.key.clone(),
            status: Status::Manifest,
        };
        self.by_sha.insert(sha.to_string(), planned);
    }

    /// Notes how source `sha`'s new object is made; returns true when another
    /// source of this run already publishes the very same bytes (then `sha`
    /// shares its key and upload).
    fn share(
        &mut self,
        sha: &str,
        object: &publish::Object,
        source: &publish::Source,
        published: &Published,
    ) -> bool {
        let extra = Entry {
            transform: Some(published.transform.clone()),
            published_sha256: (object.sha256 != sha).then(|| object.sha256.clone()),
            location: source.location.clone(),
            ..Entry::default()
        };
        self.extras.insert(sha.to_string(), extra);
        let Some(sources) = self.sources.get_mut(&object.sha256) else {
            return false;
        };
        sources.push(sha.to_string());
        let planned = self.by_sha[&sources[0]].clone();
        self.by_sha.insert(sha.to_string(), planned);
        true
    }
}

/// Phase 3: a key and URL for each distinct content: the manifest's, or a
/// new one from the key template (to upload, or `Planned` in a dry run).
pub(crate) fn plan(
    cfg: &Config,
    manifest: &Manifest,
    docs: &[Document],
    located: &Located,
    hashed: &Hashed,
    published: &Published,
    dry_run: bool,
) -> Plan {
    let now = time::OffsetDateTime::now_utc();
    let mut plan = Plan::default();
    let keys_in_use = manifest.by_key();
    let mut new_keys: HashMap<String, String> = HashMap::new(); // key → sha
    for (i, r) in located.refs.iter().enumerate() {
        let Some(info) = hashed.image(&r.file) else {
            continue;
        };
        if plan.by_sha.contains_key(&info.sha256) {
            continue;
        }
        let Some(source) = published.by_sha.get(&info.sha256) else {
            continue; // could not be read: published.problems has it
        };
        let Decision::New(object) = &source.decision else {
            plan.reuse(manifest, &info.sha256, &source.decision);
            continue;
        };
        if plan.share(&info.sha256, object, source, published) {
            continue;
        }
        let key = new_key(cfg, r, &object.sha256, object.kind.ext, now);
        let clash = keys_in_use
            .get(key.as_str())
            .map(|s| s.to_string())
            .or_else(|| new_keys.get(&key).cloned());
        if let Some(other) = clash.filter(|other| *other != object.sha256) {
            let source = StoreError::Collision {
                key,
                detail: format!("sha256 {other}, this file is {}", object.sha256),
            };
            let path = located.shown(&r.file);
            plan.problems
                .push(located.error_at(docs, i, Problem::Store { path, source }));
            continue;
        }
        new_keys.insert(key.clone(), object.sha256.clone());
        let planned = Planned {
            url: public_url(&cfg.destination.public_url, &key),
            key: key.clone(),
            status: if dry_run {
                Status::Planned
            } else {
                Status::Uploaded
            },
        };
        plan.by_sha.insert(info.sha256.clone(), planned);
        plan.sources
            .insert(object.sha256.clone(), vec![info.sha256.clone()]);
        let pending = Pending {
            sha256: object.sha256.clone(),
            key,
            path: object.path.clone(),
            size: object.size,
            content_type: object.kind.mime.to_string(),
        };
        plan.pending.push((pending, i));
    }
    plan
}

/// The key template's answer for the file of `r`, published as bytes with
/// this hash and extension.
fn new_key(cfg: &Config, r: &LocalRef, hash: &str, ext: &str, now: time::OffsetDateTime) -> String {
    let stem = Path::new(&r.reference.url)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
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

/// Phase 4: uploads what the plan marks pending, then records what succeeded
/// in the manifest, failures or not, with how each object was made (an entry
/// that only learns that is written too) and the path each object was
/// published from (a warm run writes the manifest only when something is new;
/// an offline run records no paths). The only phase with an async runtime,
/// built here and dropped when the uploads are done; the manifest is written
/// (under its lock) after it.
pub(crate) fn upload(
    cfg: &Config,
    manifest: &Manifest,
    plan: &mut Plan,
    docs: &[Document],
    (located, hashed): (&Located, &Hashed),
    opts: &Options,
) -> Result<(), Error> {
    let (new_entries, problems) = if plan.pending.is_empty() {
        (plan.upgrades.clone(), Vec::new())
    } else {
        send(cfg, plan, docs, located, opts)?
    };
    let sources = located
        .refs
        .iter()
        .filter(|_| !opts.offline)
        .filter_map(|r| {
            let url = r.reference.url.trim();
            Some(Source {
                sha256: hashed.image(&r.file)?.sha256.clone(),
                path: relative_source(&located.root, &r.file)?,
                written: url.strip_suffix(r.suffix.as_str()).unwrap_or(url).into(),
            })
        });
    let to_save = manifest.with_sources(new_entries, sources);
    if !to_save.is_empty() {
        Manifest::save_merged(&cfg.manifest, &cfg.destination, &to_save)?;
    }
    fail_on(problems)
}

/// `file` (canonical, inside `root`) as the manifest records it: relative to
/// the root, `/`-separated. None for a name that is not UTF-8.
fn relative_source(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Sends the pending objects; returns the entries of those now in the
/// bucket, and a problem for each that is not. `Err` when the store cannot
/// be opened (the lean `mdbook-r2filter` has no S3 client).
fn send(
    cfg: &Config,
    plan: &mut Plan,
    docs: &[Document],
    located: &Located,
    opts: &Options,
) -> Result<(BTreeMap<String, Entry>, Vec<ReferenceError>), Error> {
    let upload_opts = UploadOptions {
        multipart_threshold: cfg.media.multipart_threshold,
        cache_control: cfg.cache_control.clone(),
        acl: cfg.acl.clone(),
        progress: opts.progress.clone(),
    };
    let items: Vec<Pending> = plan.pending.iter().map(|(p, _)| p.clone()).collect();
    opts.progress()
        .uploading(items.len(), items.iter().map(|p| p.size).sum());
    let store = Store::open(&cfg.store, cfg.concurrency).map_err(Error::StoreOpen)?;
    let results = store.ensure_all(&items, &upload_opts);
    let now = time::OffsetDateTime::now_utc();
    let uploaded_at = now
        .replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time formats");
    let mut new_entries = plan.upgrades.clone();
    let mut problems = Vec::new();
    for ((p, i), result) in plan.pending.iter().zip(results) {
        match result {
            Ok(how) => {
                for source in &plan.sources[&p.sha256] {
                    let planned = plan.by_sha.get_mut(source).expect("planned");
                    if how == Uploaded::AlreadyThere {
                        planned.status = Status::InBucket;
                    }
                    let entry = Entry {
                        key: p.key.clone(),
                        url: planned.url.clone(),
                        size: p.size,
                        content_type: p.content_type.clone(),
                        uploaded: uploaded_at.clone(),
                        ..plan.extras.get(source).cloned().unwrap_or_default()
                    };
                    new_entries.insert(source.clone(), entry);
                }
            }
            Err(source) => problems.push(located.error_at(
                docs,
                *i,
                Problem::Store {
                    path: located.shown(&p.path),
                    source,
                },
            )),
        }
    }
    Ok((new_entries, problems))
}

/// Phase 5: splices the new URLs into each document and accounts for every
/// reference.
pub(crate) fn splice(
    docs: &[Document],
    located: &Located,
    hashed: &Hashed,
    plan: &Plan,
    mut sink: Option<Sink<'_>>,
) -> Result<Outcome, Error> {
    let mut replacements: Vec<Vec<Replacement>> = vec![Vec::new(); docs.len()];
    let mut records = located.skipped.clone();
    for r in &located.refs {
        let info = hashed.image(&r.file).expect("hashed");
        let planned = &plan.by_sha[&info.sha256];
        let url = format!("{}{}", planned.url, r.suffix);
        replacements[r.doc].push(Replacement {
            span: r.reference.span.clone(),
            text: replacement(
                r.reference.context,
                &url,
                docs[r.doc]
                    .text
                    .get(r.reference.span.clone())
                    .unwrap_or_default(),
            ),
        });
        let mut record = located.record(&docs[r.doc], r.doc, &r.reference, planned.status);
        record.url = Some(url);
        record.key = Some(planned.key.clone());
        records.push(record);
    }
    records.sort_by(|a, b| (&a.document, a.line, a.column).cmp(&(&b.document, b.line, b.column)));
    let mut outputs = Vec::new();
    for (i, (doc, reps)) in docs.iter().zip(replacements.iter_mut()).enumerate() {
        let mut reps = std::mem::take(reps);
        reps.sort_by_key(|r| r.span.start);
        let output = r2filter_text::rewrite::splice(&doc.text, &reps);
        match sink.as_mut() {
            Some(sink) => sink(i, output)?,
            None => outputs.push(output),
        }
    }
    Ok(Outcome {
        outputs,
        records,
        summary: summary(docs, located, hashed, plan),
    })
}

/// The totals of a run (its time and dry-run flag are the caller's).
fn summary(docs: &[Document], located: &Located, hashed: &Hashed, plan: &Plan) -> Summary {
    let mut summary = Summary {
        documents: docs.len(),
        references: located.refs.len() + located.remote + located.missing,
        remote: located.remote,
        missing: located.missing,
        ..Summary::default()
    };
    let mut counted = HashSet::new();
    for r in &located.refs {
        let sha = &hashed.image(&r.file).expect("hashed").sha256;
        let status = plan.by_sha[sha].status;
        if status == Status::Manifest {
            summary.from_manifest += 1;
        }
        if counted.insert(sha) {
            match status {
                Status::Uploaded | Status::Planned => summary.uploaded += 1,
                Status::InBucket => summary.in_bucket += 1,
                _ => {}
            }
        }
    }
    summary.uploaded_bytes = plan
        .pending
        .iter()
        .filter(|(p, _)| {
            matches!(
                plan.by_sha[&plan.sources[&p.sha256][0]].status,
                Status::Uploaded | Status::Planned
            )
        })
        .map(|(p, _)| p.size)
        .sum();
    summary
}
