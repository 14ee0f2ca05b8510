//! The whole pipeline over a batch of documents: scan → resolve → object →
//! manifest → upload → rewrite. Every entry (filter, batch, mdBook) calls
//! [`run`] once per batch, so a batch shares one dedupe set, one upload pool and
//! one manifest write.
//!
//! Nothing is uploaded until every reference of every document has resolved to
//! an image file inside the root; nothing is returned (so nothing written) unless
//! every upload succeeded.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::config::{Config, OnMissing, StoreConfig};
use crate::error::{Error, Located, Location, Problem};
use crate::manifest::{Entry, Manifest};
use crate::object::{self, FileInfo, KeyInputs, public_url};
use crate::progress::{NoProgress, Progress};
use crate::resolve::{self, Kind, Resolver, Skip};
use crate::rewrite::{Replacement, replacement, splice};
use crate::scan::{self, Flavor, Reference, ScanOptions};
use crate::statcache::{self, StatCache};
use crate::store::{Store, StoreError};
use crate::upload::{self, Pending, UploadOptions, Uploaded};

/// A document to process.
#[derive(Debug, Clone)]
pub struct Document {
    /// How errors name it: the path as given, or `<stdin>`.
    pub name: String,
    /// Relative image paths resolve against this folder.
    pub base_dir: PathBuf,
    pub text: String,
    pub flavor: Flavor,
}

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
    pub elapsed_ms: u128,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} reference{} in {} document{}: {} {} ({}), {} from manifest, {} already in bucket, {} remote skipped",
            self.references,
            if self.references == 1 { "" } else { "s" },
            self.documents,
            if self.documents == 1 { "" } else { "s" },
            self.uploaded,
            if self.dry_run {
                "to upload"
            } else {
                "uploaded"
            },
            human_bytes(self.uploaded_bytes),
            self.from_manifest,
            self.in_bucket,
            self.remote,
        )?;
        if self.missing > 0 {
            write!(f, ", {} missing kept", self.missing)?;
        }
        write!(f, " in {:.2}s", self.elapsed_ms as f64 / 1000.0)
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// The result of a run: one output per input document, in order.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub outputs: Vec<String>,
    pub records: Vec<Record>,
    pub summary: Summary,
}

/// A local reference that resolved to a file.
struct Found {
    doc: usize,
    reference: Reference,
    file: PathBuf,
    /// `?query#fragment` carried over.
    suffix: String,
}

/// Runs the pipeline over `docs`.
pub async fn run(cfg: &Config, docs: &[Document], opts: Options) -> Result<Outcome, Error> {
    let started = Instant::now();
    let resolver =
        Resolver::new(&cfg.root, cfg.site_root.as_deref(), &cfg.image_dirs).map_err(|source| {
            Error::Root {
                path: cfg.root.clone(),
                source,
            }
        })?;
    let scan_opts = |flavor| ScanOptions {
        flavor,
        front_matter_keys: cfg.front_matter_keys.clone(),
    };

    // Scan and resolve everything first: a bad reference anywhere stops the run
    // before a single byte is uploaded.
    let mut found: Vec<Found> = Vec::new();
    let mut problems: Vec<Located> = Vec::new();
    let mut records: Vec<Record> = Vec::new();
    let progress = opts.progress();
    progress.scanning(docs.len());
    let mut summary = Summary {
        dry_run: opts.dry_run,
        documents: docs.len(),
        ..Summary::default()
    };
    // Parsing is the CPU-heavy part of a warm run: do it on every core, then
    // resolve in document order (errors and records keep their order).
    let (scanned, lines): (Vec<scan::Scanned>, Vec<Vec<usize>>) = par_map(docs, |doc| {
        (
            scan::scan_document(&doc.text, &scan_opts(doc.flavor)),
            line_starts(&doc.text),
        )
    })
    .into_iter()
    .unzip();
    let mut resolved: HashMap<PathBuf, HashMap<String, PathBuf>> = HashMap::new();
    for (d, (doc, references)) in docs.iter().zip(scanned).enumerate() {
        let base = resolver
            .canonical_dir(&doc.base_dir)
            .unwrap_or_else(|| doc.base_dir.clone());
        // A path already resolved from this folder resolves the same way again
        // (the file system is not expected to change during the run).
        let known = resolved.entry(base.clone()).or_default();
        // A local image the renderer shows but the scanner cannot place would
        // be left as written: that fails the run instead.
        for r in &references.unmapped {
            if let Kind::Local { .. } = resolve::classify(&r.url, r.context) {
                problems.push(Located {
                    at: Location::new(&doc.name, &doc.text, r.span.clone()),
                    problem: Problem::Unmapped { url: r.url.clone() },
                });
            }
        }
        for reference in references.references {
            let record = |status| record((doc, &lines[d]), &reference, status, None, None);
            match resolve::classify(&reference.url, reference.context) {
                Kind::Skip(Skip::Remote) => {
                    summary.remote += 1;
                    records.push(record(Status::Remote));
                }
                Kind::Skip(_) => {}
                Kind::Local { path, suffix } => match known
                    .get(path.as_str())
                    .cloned()
                    .map_or_else(|| resolver.resolve(&base, &path), Ok)
                {
                    Ok(file) => {
                        known.entry(path).or_insert_with(|| file.clone());
                        found.push(Found {
                            doc: d,
                            reference,
                            file,
                            suffix,
                        })
                    }
                    Err(e @ resolve::ResolveError::NotFound { .. })
                        if cfg.on_missing == OnMissing::Warn =>
                    {
                        let at = Location::new(&doc.name, &doc.text, reference.span.clone());
                        tracing::warn!("{at}: {e}; kept as written");
                        summary.missing += 1;
                        records.push(record(Status::Missing));
                    }
                    Err(e) => problems.push(Located {
                        at: Location::new(&doc.name, &doc.text, reference.span.clone()),
                        problem: e.into(),
                    }),
                },
            }
        }
        progress.scanned();
    }
    summary.references = found.len() + summary.remote + summary.missing;
    if !problems.is_empty() {
        return Err(Error::Documents(problems));
    }

    // Hash each distinct file once.
    let mut files: Vec<PathBuf> = found.iter().map(|f| f.file.clone()).collect();
    files.sort();
    files.dedup();
    // Unchanged files (same size, times and inode) come from the stat cache
    // without a read; the rest are hashed on all cores.
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
    if !opts.dry_run
        && let Err(e) = stat_cache.save()
    {
        tracing::debug!("stat cache not written (it is only a cache): {e}");
    }
    let mut info_of: HashMap<&Path, FileInfo> = HashMap::with_capacity(files.len());
    // The first reference of each file, for error locations (one pass, not a
    // search per file).
    let mut first_of: HashMap<&Path, &Found> = HashMap::with_capacity(files.len());
    for f in &found {
        first_of.entry(f.file.as_path()).or_insert(f);
    }
    let locate = |f: &Found| {
        Location::new(
            &docs[f.doc].name,
            &docs[f.doc].text,
            f.reference.span.clone(),
        )
    };
    for (path, info) in files.iter().zip(infos) {
        let first = first_of[path.as_path()];
        match info {
            Ok(info) if info.kind.is_some() => {
                info_of.insert(path, info);
            }
            Ok(_) => problems.push(Located {
                at: locate(first),
                problem: Problem::NotAnImage {
                    path: display_path(cfg, path),
                },
            }),
            Err(source) => problems.push(Located {
                at: locate(first),
                problem: Problem::Read {
                    path: display_path(cfg, path),
                    source,
                },
            }),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Documents(problems));
    }

    // Decide a key and URL for each distinct content.
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let now = time::OffsetDateTime::now_utc();
    let mut urls: HashMap<String, (String, String, Status)> = HashMap::new(); // sha → (url, key, status)
    let mut pending: Vec<(Pending, usize)> = Vec::new(); // with the index of its first reference
    let mut keys_in_use = manifest.by_key();
    let mut new_keys: HashMap<String, String> = HashMap::new(); // key → sha
    for (i, f) in found.iter().enumerate() {
        let info = &info_of[f.file.as_path()];
        if urls.contains_key(&info.sha256) {
            continue;
        }
        if let Some(entry) = manifest.objects.get(&info.sha256) {
            urls.insert(
                info.sha256.clone(),
                (entry.url.clone(), entry.key.clone(), Status::Manifest),
            );
            continue;
        }
        let kind = info.kind.expect("checked above");
        let stem = Path::new(&f.reference.url)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let key = cfg.key_template.render(
            &cfg.prefix,
            &KeyInputs {
                hash: &info.sha256,
                ext: kind.ext,
                stem: &stem,
                year: now.year(),
                month: now.month() as u8,
                day: now.day(),
            },
        );
        let clash = keys_in_use
            .get(key.as_str())
            .map(|s| s.to_string())
            .or_else(|| new_keys.get(&key).cloned());
        if let Some(other) = clash.filter(|other| *other != info.sha256) {
            problems.push(Located {
                at: locate(f),
                problem: Problem::Store {
                    path: display_path(cfg, &f.file),
                    source: StoreError::Collision {
                        key,
                        detail: format!("sha256 {other}, this file is {}", info.sha256),
                    },
                },
            });
            continue;
        }
        new_keys.insert(key.clone(), info.sha256.clone());
        let url = public_url(&cfg.destination.public_url, &key);
        let status = if opts.dry_run {
            summary.uploaded_bytes += info.size;
            Status::Planned
        } else {
            Status::Uploaded
        };
        urls.insert(info.sha256.clone(), (url, key.clone(), status));
        pending.push((
            Pending {
                sha256: info.sha256.clone(),
                key,
                path: f.file.clone(),
                size: info.size,
                content_type: kind.mime.to_string(),
            },
            i,
        ));
    }
    keys_in_use.clear();
    if opts.offline {
        for (p, i) in &pending {
            problems.push(Located {
                at: locate(&found[*i]),
                problem: Problem::NotInManifest {
                    path: display_path(cfg, &p.path),
                },
            });
        }
    }
    if !problems.is_empty() {
        return Err(Error::Documents(problems));
    }

    // Upload what the manifest lacks, then record what succeeded, failures or not.
    if !pending.is_empty() && !opts.dry_run {
        let store = match &cfg.store {
            StoreConfig::S3(s3) => Store::s3(s3).await,
            StoreConfig::Local(dir) => Store::local(dir.clone()),
        };
        let upload_opts = UploadOptions {
            concurrency: cfg.concurrency,
            cache_control: cfg.cache_control.clone(),
            acl: cfg.acl.clone(),
            progress: opts.progress.clone(),
        };
        progress.uploading(pending.len(), pending.iter().map(|(p, _)| p.size).sum());
        let items: Vec<Pending> = pending.iter().map(|(p, _)| p.clone()).collect();
        let results = upload::upload_all(&store, items, &upload_opts).await;
        let mut new_entries = BTreeMap::new();
        let uploaded_at = now
            .replace_nanosecond(0)
            .unwrap_or(now)
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a UTC time formats");
        for ((p, i), result) in pending.iter().zip(results) {
            match result {
                Ok(how) => {
                    let url = urls[&p.sha256].0.clone();
                    if how == Uploaded::AlreadyThere {
                        urls.get_mut(&p.sha256).expect("planned").2 = Status::InBucket;
                    } else {
                        summary.uploaded_bytes += p.size;
                    }
                    new_entries.insert(
                        p.sha256.clone(),
                        Entry {
                            key: p.key.clone(),
                            url,
                            size: p.size,
                            content_type: p.content_type.clone(),
                            uploaded: uploaded_at.clone(),
                        },
                    );
                }
                Err(source) => problems.push(Located {
                    at: locate(&found[*i]),
                    problem: Problem::Store {
                        path: display_path(cfg, &p.path),
                        source,
                    },
                }),
            }
        }
        if !new_entries.is_empty() {
            Manifest::save_merged(&cfg.manifest, &cfg.destination, &new_entries)?;
        }
        if !problems.is_empty() {
            return Err(Error::Documents(problems));
        }
    }

    // Splice the new URLs in.
    let mut replacements: Vec<Vec<Replacement>> = vec![Vec::new(); docs.len()];
    for f in &found {
        let info = &info_of[f.file.as_path()];
        let (url, key, status) = &urls[&info.sha256];
        let full = format!("{url}{}", f.suffix);
        replacements[f.doc].push(Replacement {
            span: f.reference.span.clone(),
            text: replacement(
                f.reference.context,
                &full,
                docs[f.doc]
                    .text
                    .get(f.reference.span.clone())
                    .unwrap_or_default(),
            ),
        });
        records.push(record(
            (&docs[f.doc], &lines[f.doc]),
            &f.reference,
            *status,
            Some(full),
            Some(key.clone()),
        ));
    }
    let mut counted = std::collections::HashSet::new();
    for f in &found {
        let sha = &info_of[f.file.as_path()].sha256;
        if counted.insert(sha) {
            match urls[sha].2 {
                Status::Uploaded | Status::Planned => summary.uploaded += 1,
                Status::InBucket => summary.in_bucket += 1,
                _ => {}
            }
        }
    }
    summary.from_manifest = found
        .iter()
        .filter(|f| urls[&info_of[f.file.as_path()].sha256].2 == Status::Manifest)
        .count();
    let outputs = docs
        .iter()
        .zip(replacements.iter_mut())
        .map(|(doc, reps)| {
            reps.sort_by_key(|r| r.span.start);
            splice(&doc.text, reps)
        })
        .collect();
    records.sort_by(|a, b| (&a.document, a.line, a.column).cmp(&(&b.document, b.line, b.column)));
    summary.elapsed_ms = started.elapsed().as_millis();
    Ok(Outcome {
        outputs,
        records,
        summary,
    })
}

fn record(
    (doc, lines): (&Document, &[usize]),
    r: &Reference,
    status: Status,
    url: Option<String>,
    key: Option<String>,
) -> Record {
    // Same answer as scan::line_col, without counting from the top of the
    // document for every reference (the largest cost of a warm run).
    let offset = r.span.start.min(doc.text.len());
    let line = lines.partition_point(|&start| start <= offset);
    let line_start = lines[line - 1];
    let column = doc.text[line_start..offset].chars().count() + 1;
    Record {
        document: doc.name.clone(),
        line,
        column,
        original: r.url.clone(),
        url,
        key,
        status,
    }
}

/// Byte offsets where the lines of `text` start.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect()
}

/// A path as shown to the user: relative to the root when inside it.
fn display_path(cfg: &Config, path: &Path) -> PathBuf {
    let root = cfg.root.canonicalize().unwrap_or_else(|_| cfg.root.clone());
    path.strip_prefix(&root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// `f` over `items` on all cores (contiguous chunks); results in order.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("scanning does not panic"))
            .collect()
    })
}

/// Hashes files on all cores; results in the order of `files`.
fn hash_files(
    files: &[PathBuf],
    max_threads: usize,
    progress: &dyn Progress,
) -> Vec<std::io::Result<FileInfo>> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(max_threads.max(1))
        .min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<std::io::Result<FileInfo>>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let r = object::hash_file(path);
                    progress.hashed();
                    results.lock().expect("no panics while locked")[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("no panics while locked")
        .into_iter()
        .map(|r| r.expect("every file hashed"))
        .collect()
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn record_positions_match_line_col() {
        let text = "a\n\n截图 ![x](y.png)\r\nlast ![z](w.png)";
        let doc = Document {
            name: "d.md".into(),
            base_dir: ".".into(),
            text: text.into(),
            flavor: Flavor::Markdown,
        };
        let lines = line_starts(text);
        for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
            let reference = Reference {
                span: offset..offset,
                url: String::new(),
                context: scan::Context::MarkdownImage,
            };
            let r = record((&doc, &lines), &reference, Status::Remote, None, None);
            assert_eq!((r.line, r.column), scan::line_col(text, offset), "{offset}");
        }
    }
}
