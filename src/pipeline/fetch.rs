//! Phase 1b, fetch: remote references on an `adopt` host become references
//! to files, like local ones, so hash, publish, plan and upload treat them as
//! they treat any image ([`crate::adopt`]).
//!
//! - A URL the manifest already records (an origin of an object made with
//!   this run's settings) needs no request at all: its file stands in for the
//!   object, and the manifest decides everything after.
//! - Any other is downloaded once per run (two references, one request) into
//!   the run's temporary folder, checked on the way (size cap, must sniff as
//!   an image), and added to [`Batch::files`] after the local files.
//! - A download that fails is reported at each reference (file:line:col, URL,
//!   reason) and the reference is kept as written; with `--strict` it is a
//!   problem that fails the run. A dry run downloads nothing; `--offline` and
//!   `check` need every adopted URL in the manifest.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use super::{Batch, FileId, Hashed, ImageId, Status, locate::LocalRef};
use crate::adopt::{AdoptError, document_place};
use crate::error::{Error, Problem};
use crate::manifest::{Manifest, Origin};
use crate::object::{FileInfo, ImageType};

/// What the fetch phase added to a batch.
#[derive(Debug, Default)]
pub(crate) struct Adopted {
    /// The info of each adopted file: the last `infos.len()` of
    /// [`Batch::files`], in order (they are never hashed from disk).
    pub(crate) infos: Vec<FileInfo>,
    /// Each adopted file's URL, to name it in messages.
    pub(crate) shown: HashMap<PathBuf, String>,
    /// References rewritten to an adopted image.
    pub(crate) references: usize,
    /// Distinct URLs downloaded by this run.
    pub(crate) downloaded: usize,
    /// References kept as written because their download failed.
    pub(crate) failed: usize,
    /// References a dry run would adopt.
    pub(crate) planned: usize,
    /// Holds the downloads until the batch is done.
    pub(crate) _dir: Option<tempfile::TempDir>,
}

/// How the run may get what the manifest lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Download it.
    Download,
    /// Say it would be adopted (`--dry-run`: no request).
    DryRun,
    /// It is a problem (`--offline`).
    Offline,
    /// It is a problem (`r2filter check`).
    Check,
}

impl Batch<'_> {
    /// Whether `file` was adopted (downloaded, or known from the manifest).
    pub(crate) fn is_adopted(&self, file: FileId) -> bool {
        file.0 >= self.local_files().len()
    }

    /// The local files: those the stat cache and the disk know.
    pub(crate) fn local_files(&self) -> &[PathBuf] {
        &self.files[..self.files.len() - self.adopted.infos.len()]
    }
}

/// Where one adopted reference's bytes come from.
enum Want {
    Known(FileInfo),
    Download(usize),
    Planned,
    Missing,
}

/// Turns the batch's references to adopt into references to files (see the
/// module docs). `Err` only when the network cannot be used at all.
pub(crate) fn fetch(batch: &mut Batch<'_>, manifest: &Manifest, mode: Mode) -> Result<(), Error> {
    let wanted = std::mem::take(&mut batch.to_adopt);
    if wanted.is_empty() {
        return Ok(());
    }
    let transform = batch.cfg.publish.describe();
    let by_origin = manifest.by_origin();
    let mut urls: Vec<url::Url> = Vec::new();
    let mut url_index: HashMap<String, usize> = HashMap::new();
    let wants: Vec<Want> = wanted
        .iter()
        .map(|(_, _, target)| {
            let known = by_origin.get(target.origin.as_str()).and_then(|(sha, e)| {
                // Made with other settings: the bytes are needed again.
                (e.transform.as_deref() == Some(transform.as_str())).then_some(())?;
                Some(FileInfo {
                    sha256: sha.to_string(),
                    size: e.size,
                    kind: Some(ImageType::from_mime(&e.content_type)?),
                })
            });
            match (known, mode) {
                (Some(info), _) => Want::Known(info),
                (None, Mode::DryRun) => Want::Planned,
                (None, Mode::Offline | Mode::Check) => Want::Missing,
                (None, Mode::Download) => {
                    let next = urls.len();
                    let i = *url_index.entry(target.fetch.to_string()).or_insert(next);
                    if i == next {
                        urls.push(target.fetch.clone());
                    }
                    Want::Download(i)
                }
            }
        })
        .collect();
    let downloads = download(batch, &urls)?;
    tracing::debug!(
        "adopt: {} reference(s), {} URL(s) to download",
        wanted.len(),
        urls.len()
    );
    let mut files = AdoptedFiles::default();
    for ((d, reference, target), want) in wanted.into_iter().zip(wants) {
        let file = match want {
            Want::Known(info) => Ok(files.known(batch, &target.origin, info)),
            Want::Download(i) => match &downloads[i] {
                (path, Ok(info)) => Ok(files.downloaded(batch, i, path, &urls[i], info)),
                (_, Err(e)) => Err(e.clone()),
            },
            Want::Planned => {
                batch.adopted.planned += 1;
                let record = batch.record(d, &reference, Status::ToAdopt);
                batch.skipped.push(record);
                continue;
            }
            Want::Missing => {
                let problem = Problem::NotAdopted {
                    url: target.origin.clone(),
                    offline: mode == Mode::Offline,
                };
                batch.problem(d, reference.span.clone(), problem);
                continue;
            }
        };
        match file {
            Ok(file) => {
                batch.adopted.references += 1;
                batch.refs.push(LocalRef {
                    doc: d,
                    reference,
                    file,
                    suffix: target.fragment,
                });
            }
            Err(e) => failed(batch, d, reference, target.origin, e),
        }
    }
    batch.adopted.downloaded = files.downloaded.len();
    batch.refs.sort_by_key(|r| (r.doc, r.reference.span.start));
    Ok(())
}

/// A reference whose download failed: kept as written and reported, or with
/// `--strict` a problem.
fn failed(
    batch: &mut Batch<'_>,
    d: usize,
    reference: r2filter_text::scan::Reference,
    url: String,
    e: AdoptError,
) {
    if batch.cfg.adopt.strict {
        batch.problem(d, reference.span.clone(), Problem::Adopt { url, source: e });
        return;
    }
    let at = batch.at(d, reference.span.clone());
    tracing::warn!("{at}: {url}: not adopted: {e}; kept as written");
    batch.adopted.failed += 1;
    let mut record = batch.record(d, &reference, Status::NotAdopted);
    record.reason = Some(e.to_string());
    batch.skipped.push(record);
}

/// The adopted files given out so far, one per known origin and one per
/// downloaded URL.
#[derive(Default)]
struct AdoptedFiles {
    known: HashMap<String, FileId>,
    downloaded: HashMap<usize, FileId>,
}

impl AdoptedFiles {
    /// A stand-in file for an origin the manifest records: never read (the
    /// manifest's entry decides), named by the URL in messages.
    fn known(&mut self, batch: &mut Batch<'_>, origin: &str, info: FileInfo) -> FileId {
        *self
            .known
            .entry(origin.to_string())
            .or_insert_with(|| add(batch, PathBuf::from(origin), origin, info))
    }

    fn downloaded(
        &mut self,
        batch: &mut Batch<'_>,
        i: usize,
        path: &std::path::Path,
        url: &url::Url,
        info: &FileInfo,
    ) -> FileId {
        *self
            .downloaded
            .entry(i)
            .or_insert_with(|| add(batch, path.to_path_buf(), url.as_str(), info.clone()))
    }
}

fn add(batch: &mut Batch<'_>, path: PathBuf, shown: &str, info: FileInfo) -> FileId {
    let id = FileId(batch.files.len());
    batch.adopted.shown.insert(path.clone(), shown.to_string());
    batch.files.push(path);
    batch.adopted.infos.push(info);
    id
}

/// A downloaded file's path, and what the download gave.
type Download = (PathBuf, Result<FileInfo, AdoptError>);

/// Downloads `urls` into a new temporary folder the batch keeps: each
/// file's path and what the download gave.
#[cfg(feature = "s3")]
fn download(batch: &mut Batch<'_>, urls: &[url::Url]) -> Result<Vec<Download>, Error> {
    if urls.is_empty() {
        return Ok(Vec::new());
    }
    let cfg = batch.cfg;
    let dir = tempfile::Builder::new()
        .prefix("r2filter-adopt-")
        .tempdir()
        .map_err(|source| Error::Output {
            path: std::env::temp_dir(),
            source,
        })?;
    let items: Vec<(url::Url, PathBuf)> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| (u.clone(), dir.path().join(i.to_string())))
        .collect();
    let fetcher = crate::adopt::http::Fetcher::for_adopt(&cfg.adopt, cfg.concurrency)
        .map_err(|e| Error::Network(e.to_string()))?;
    let results = fetcher.download_all(&items);
    batch.adopted._dir = Some(dir);
    Ok(items.into_iter().map(|(_, p)| p).zip(results).collect())
}

/// Without the network nothing can be downloaded: the run stops before
/// anything is written (the lean mdbook-r2filter hands the book over).
#[cfg(not(feature = "s3"))]
fn download(_: &mut Batch<'_>, urls: &[url::Url]) -> Result<Vec<Download>, Error> {
    if urls.is_empty() {
        return Ok(Vec::new());
    }
    Err(Error::NeedsNetwork {
        what: "adopting remote images",
    })
}

/// The origin of every adopted reference, for the manifest: the URL as
/// written (without the `#fragment` the new URL keeps) and the document. When
/// one document wrote two URLs whose bytes are one object (or a URL and a
/// local file), each place is ranked (`post.md#2`: the document's second
/// reference to the object), so that `eject` gives each its own back.
pub(crate) fn origins(batch: &Batch<'_>, hashed: &Hashed) -> Vec<Origin> {
    let origin_of = |r: &LocalRef| {
        let url = r.reference.url.trim();
        url.strip_suffix(r.suffix.as_str())
            .unwrap_or(url)
            .to_string()
    };
    // What each document's references to each object were: an origin, or
    // (None) a local file.
    let mut distinct: HashMap<(usize, ImageId), BTreeSet<Option<String>>> = HashMap::new();
    for r in &batch.refs {
        if let Some(image) = hashed.image_of(r) {
            let what = batch.is_adopted(r.file).then(|| origin_of(r));
            distinct.entry((r.doc, image)).or_default().insert(what);
        }
    }
    let mut places: HashMap<usize, String> = HashMap::new();
    let mut rank: HashMap<(usize, ImageId), usize> = HashMap::new();
    let mut out = Vec::new();
    for r in &batch.refs {
        let Some(image) = hashed.image_of(r) else {
            continue;
        };
        let k = rank.entry((r.doc, image)).or_default();
        *k += 1;
        if !batch.is_adopted(r.file) {
            continue;
        }
        let place = places
            .entry(r.doc)
            .or_insert_with(|| document_place(batch.root(), &batch.docs[r.doc]));
        let ranked = distinct[&(r.doc, image)].len() > 1;
        out.push(Origin {
            sha256: hashed.image(image).sha256.clone(),
            url: origin_of(r),
            place: if ranked {
                format!("{place}#{k}")
            } else {
                place.clone()
            },
        });
    }
    out
}
