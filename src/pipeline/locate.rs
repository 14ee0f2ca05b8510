//! Phase 1, locate: scan every document for image references (the text
//! stages of r2filter-text) and resolve each local one to a file inside the
//! root ([`crate::resolve`]). What it finds is the [`Batch`] every later
//! phase works on.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use r2filter_text::resolve::{Skip, Url, classify_with};
use r2filter_text::scan::{self, Context, Reference, ScanError, Scanned, SizeSlot};
use rayon::prelude::*;

use super::fetch::Adopted;
use super::{FileId, Record, Status};
use crate::adopt::Target;
use crate::config::{Config, OnMissing};
use crate::document::{Document, Lines};
use crate::error::{Error, Location, Problem, ReferenceError};
use crate::progress::Progress;
use crate::resolve::{ResolveError, Resolver};

/// Below this much Markdown, documents are scanned on the calling thread:
/// starting rayon's threads costs more than the scan (it showed in mdBook's
/// build time, where a preprocessor runs on every build).
const PARALLEL_MIN_BYTES: usize = 256 * 1024;

/// A local reference that resolved to a file.
#[derive(Debug, Clone)]
pub(crate) struct LocalRef {
    /// Index of its document.
    pub(crate) doc: usize,
    pub(crate) reference: Reference,
    pub(crate) file: FileId,
    /// `?query#fragment` carried over to the new URL.
    pub(crate) suffix: String,
}

/// A problem and where it sorts: (document, offset).
pub(crate) type ProblemAt = ((usize, usize), ReferenceError);

/// A batch of documents, located: the documents and their settings, every
/// local reference that resolved, the distinct files they name, and what
/// is needed to say where something is (the root, each document's lines).
#[derive(Debug)]
pub(crate) struct Batch<'a> {
    pub(crate) cfg: &'a Config,
    pub(crate) docs: &'a [Document],
    /// Local references that resolved, in document order.
    pub(crate) refs: Vec<LocalRef>,
    /// The distinct files, canonical, sorted: [`FileId`]s index it.
    pub(crate) files: Vec<PathBuf>,
    /// The references left alone (remote, or missing with `on-missing =
    /// "warn"`), with their records.
    pub(crate) skipped: Vec<Record>,
    pub(crate) remote: usize,
    pub(crate) missing: usize,
    /// Local references, resolved or not.
    pub(crate) local: usize,
    /// By document: the elements `dimensions = true` may size.
    pub(crate) sizable: Vec<Vec<SizeSlot>>,
    /// Remote references on an `adopt` host, for the fetch phase.
    pub(crate) to_adopt: Vec<(usize, Reference, Target)>,
    /// What the fetch phase did ([`super::fetch`]).
    pub(crate) adopted: Adopted,
    /// What could not be resolved.
    problems: Vec<ProblemAt>,
    /// The canonical root, to show paths relative to it.
    root: PathBuf,
    /// Each document's line starts.
    lines: Vec<Lines>,
}

impl Batch<'_> {
    /// A path as shown to the user: relative to the root when inside it, an
    /// adopted image's URL for its download.
    pub(crate) fn shown(&self, path: &Path) -> PathBuf {
        if let Some(url) = self.adopted.shown.get(path) {
            return PathBuf::from(url);
        }
        path.strip_prefix(&self.root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf())
    }

    /// The canonical root.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The place `span` of document `doc`.
    pub(crate) fn at(&self, doc: usize, span: Range<usize>) -> Location {
        let d = &self.docs[doc];
        Location::new(&d.name, &d.text, span)
    }

    /// The place of local reference `i`.
    pub(crate) fn at_ref(&self, i: usize) -> Location {
        let r = &self.refs[i];
        self.at(r.doc, r.reference.span.clone())
    }

    /// `problem` at local reference `i`.
    pub(crate) fn error_at(&self, i: usize, problem: Problem) -> ReferenceError {
        ReferenceError {
            at: self.at_ref(i),
            problem,
        }
    }

    /// Adds `problem` at `span` of document `doc`.
    pub(crate) fn problem(&mut self, doc: usize, span: Range<usize>, problem: Problem) {
        let at = self.at(doc, span.clone());
        self.problems
            .push(((doc, span.start), ReferenceError { at, problem }));
    }

    /// The problems found, in document order.
    pub(crate) fn take_problems(&mut self) -> Vec<ReferenceError> {
        self.take_problems_at()
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// The problems found, each with where it sorts.
    pub(crate) fn take_problems_at(&mut self) -> Vec<ProblemAt> {
        std::mem::take(&mut self.problems)
    }

    /// The account of reference `r` of document `doc`, without its URL.
    pub(crate) fn record(&self, doc: usize, r: &Reference, status: Status) -> Record {
        let d = &self.docs[doc];
        let (line, column) = self.lines[doc].line_col(&d.text, r.span.start);
        Record {
            document: d.name.clone(),
            line,
            column,
            original: r.url.clone(),
            url: None,
            key: None,
            status,
            reason: None,
        }
    }
}

/// Scans every document (on all cores: parsing is the CPU-heavy part of a
/// warm run) and resolves its references in document order. A missing file
/// is a problem, or with `on_missing` = warn a reference kept as written.
pub(crate) fn locate<'a>(
    cfg: &'a Config,
    docs: &'a [Document],
    on_missing: OnMissing,
    progress: &dyn Progress,
) -> Result<Batch<'a>, Error> {
    let resolver = resolver(cfg)?;
    progress.scanning(docs.len());
    let (scans, lines) = scan_all(cfg, docs);
    let mut batch = Batch {
        cfg,
        docs,
        refs: Vec::new(),
        files: Vec::new(),
        skipped: Vec::new(),
        remote: 0,
        missing: 0,
        local: 0,
        sizable: vec![Vec::new(); docs.len()],
        to_adopt: Vec::new(),
        adopted: Adopted::default(),
        problems: Vec::new(),
        root: resolver.root.clone(),
        lines,
    };
    let mut files = Files::default();
    for (d, scanned) in scans.into_iter().enumerate() {
        let refs = batch.take_scan(d, scanned);
        let base = resolver
            .canonical_dir(&docs[d].base_dir)
            .unwrap_or_else(|| docs[d].base_dir.clone());
        for reference in refs {
            batch.add(&resolver, on_missing, (d, &base), &mut files, reference);
        }
        progress.scanned();
    }
    files.sorted_into(&mut batch);
    Ok(batch)
}

/// The resolver of a run: `cfg`'s root, site root and image folders (an
/// unusable root is [`Error::Root`]).
pub(crate) fn resolver(cfg: &Config) -> Result<Resolver, Error> {
    Resolver::new(&cfg.root, cfg.site_root.as_deref(), &cfg.image_dirs).map_err(|source| {
        Error::Root {
            path: cfg.root.clone(),
            source,
        }
    })
}

/// Each document's scan and line index.
pub(crate) fn scan_all(
    cfg: &Config,
    docs: &[Document],
) -> (Vec<Result<Scanned, ScanError>>, Vec<Lines>) {
    let scan_one = |doc: &Document| {
        let opts = cfg.scan_options(doc.flavor, &doc.name);
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
    scanned.into_iter().unzip()
}

/// The distinct files met so far, and how each folder's paths resolved.
#[derive(Default)]
struct Files {
    ids: HashMap<PathBuf, FileId>,
    /// A path already resolved from a folder resolves the same way again
    /// (the file system is not expected to change during the run).
    known: HashMap<PathBuf, HashMap<String, PathBuf>>,
}

impl Files {
    fn id(&mut self, file: PathBuf) -> FileId {
        let next = FileId(self.ids.len());
        *self.ids.entry(file).or_insert(next)
    }

    /// Puts the files into `batch` sorted by path (the order problems are
    /// reported in), renumbering its references.
    fn sorted_into(self, batch: &mut Batch<'_>) {
        let mut files: Vec<(PathBuf, FileId)> = self.ids.into_iter().collect();
        files.sort();
        let mut renumber = vec![FileId(0); files.len()];
        for (new, (_, old)) in files.iter().enumerate() {
            renumber[old.0] = FileId(new);
        }
        for r in &mut batch.refs {
            r.file = renumber[r.file.0];
        }
        batch.files = files.into_iter().map(|(path, _)| path).collect();
    }
}

impl Batch<'_> {
    /// A local image the renderer shows but the scanner cannot place would be
    /// left as written: each is a problem instead.
    fn unmapped(&mut self, d: usize, unmapped: &[Reference]) {
        let assets = &self.cfg.media.assets;
        for r in unmapped {
            if let Url::Local { .. } = classify_with(&r.url, r.context, assets) {
                let at = self.at(d, r.span.clone());
                let problem = Problem::Unmapped { url: r.url.clone() };
                self.problems
                    .push(((d, r.span.start), ReferenceError { at, problem }));
            }
        }
    }

    /// The references of document `d`'s scan. A document that cannot be
    /// scanned (front matter that does not parse) is a problem; values kept by
    /// rule are shown with `-v`.
    fn take_scan(&mut self, d: usize, scanned: Result<Scanned, ScanError>) -> Vec<Reference> {
        match scanned {
            Ok(scanned) => {
                self.unmapped(d, &scanned.unmapped);
                for kept in &scanned.kept {
                    tracing::debug!("{}: {}", self.at(d, kept.span.clone()), kept.rule);
                }
                self.sizable[d] = scanned.sizable;
                scanned.references
            }
            Err(e) => {
                let offset = e.offset();
                let at = self.at(d, offset..offset);
                // It says how the site was read (crate::site).
                let mut problem = Problem::from(e);
                problem.read_with(&self.cfg.profile);
                self.problems
                    .push(((d, offset), ReferenceError { at, problem }));
                Vec::new()
            }
        }
    }

    /// Classifies and resolves one reference of document `d`, whose folder
    /// is `base`.
    fn add(
        &mut self,
        resolver: &Resolver,
        on_missing: OnMissing,
        (d, base): (usize, &Path),
        files: &mut Files,
        reference: Reference,
    ) {
        let assets = &self.cfg.media.assets;
        let (path, suffix) = match classify_with(&reference.url, reference.context, assets) {
            Url::Skip(Skip::Remote) => {
                // Never our own objects, even on a listed host.
                let ours = reference
                    .url
                    .trim()
                    .strip_prefix(self.cfg.destination.public_url.as_str())
                    .is_some_and(|rest| rest.starts_with('/'));
                if let Some(target) = self.cfg.adopt.target(&reference.url).filter(|_| !ours) {
                    self.to_adopt.push((d, reference, target));
                    return;
                }
                self.remote += 1;
                let record = self.record(d, &reference, Status::Remote);
                self.skipped.push(record);
                return;
            }
            Url::Skip(_) => return,
            Url::Local { path, suffix } => (path, suffix),
        };
        self.local += 1;
        let known = files.known.entry(base.to_path_buf()).or_default();
        // An Obsidian embed resolves as Obsidian resolves it (issue 21).
        let embed = reference.context == Context::Embed;
        let resolved = match known.get(path.as_str()).filter(|_| !embed) {
            Some(file) => Ok(file.clone()),
            None if embed => resolver.resolve_wikilink(base, &path),
            None => resolver.resolve(base, &path),
        };
        match resolved {
            Ok(file) => {
                if !embed {
                    known.entry(path).or_insert_with(|| file.clone());
                }
                let file = files.id(file);
                self.refs.push(LocalRef {
                    doc: d,
                    reference,
                    file,
                    suffix,
                });
            }
            Err(e @ ResolveError::NotFound { .. }) if on_missing == OnMissing::Warn => {
                let at = self.at(d, reference.span.clone());
                tracing::warn!("{at}: {e}; kept as written");
                self.missing += 1;
                let record = self.record(d, &reference, Status::Missing);
                self.skipped.push(record);
            }
            Err(e) => {
                let at = self.at(d, reference.span.clone());
                let problem = e.into();
                self.problems
                    .push(((d, reference.span.start), ReferenceError { at, problem }));
            }
        }
    }
}
