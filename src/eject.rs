//! `r2filter eject`: the way back. Every URL of this destination in the
//! documents is turned back into the local file it was published from:
//!
//! 1. the manifest names the object (by URL) and the paths it was published
//!    from, each with the ways documents wrote it ([`crate::manifest::Entry::sources`]);
//!    for each reference the written form that leads from the document's
//!    folder to a recorded path is chosen, so `img/a.png` in one post and
//!    `../img/a.png` in another come back as they were;
//! 2. each missing file is downloaded once (GET from the bucket, or from the
//!    public URL), its SHA-256 checked against the manifest, and put in place
//!    atomically; a file already there with the same bytes is left alone, one
//!    with other bytes is never overwritten;
//! 3. the URL is spliced back to the path as written.
//!
//! An object published before the manifest recorded sources comes back as
//! `images/<its key's file name>` beside the document. Nothing is written
//! unless every reference can be restored.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::{Config, OnMissing};
use crate::error::{Error, Located, Location, Problem};
use crate::manifest::{Entry, Manifest};
use crate::migrate::plain_relative;
use crate::object;
use crate::pipeline::Document;
use crate::published::{self, Published};
use crate::resolve::{self, Kind, ResolveError, Resolver};
use crate::rewrite::{Replacement, encode_for, markdown_destination, splice};
use crate::scan::Context;
use crate::store::public::PublicUrl;
use crate::store::{Store, StoreError};

/// Where the bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Origin {
    /// GET from the bucket (credentials needed).
    #[default]
    Bucket,
    /// GET from `public-url`, as a reader would (no credentials).
    PublicUrl,
}

/// What [`run`] did.
#[derive(Debug, Clone, Default)]
pub struct Ejected {
    /// One per document, in order: the text with paths in place of URLs.
    pub outputs: Vec<String>,
    /// References turned back into paths.
    pub references: usize,
    /// Files written, relative to the root, sorted.
    pub restored: Vec<PathBuf>,
    /// Files that were already there with the right bytes.
    pub present: usize,
    /// Bytes downloaded (each object once).
    pub downloaded_bytes: u64,
    /// References to objects with no recorded source, restored beside their
    /// document under `images/`.
    pub guessed: usize,
    /// URLs of this destination the manifest does not know, kept as they are
    /// (`on-missing = "warn"`).
    pub unknown_kept: usize,
}

/// One reference's way back.
struct Back {
    published: Published,
    /// Relative to the root.
    file: PathBuf,
    written: String,
}

/// Restores the files the documents' URLs point at, and returns the
/// documents with the paths back in place of the URLs.
pub async fn run(cfg: &Config, docs: &[Document], from: Origin) -> Result<Ejected, Error> {
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let resolver =
        Resolver::new(&cfg.root, cfg.site_root.as_deref(), &cfg.image_dirs).map_err(|source| {
            Error::Root {
                path: cfg.root.clone(),
                source,
            }
        })?;
    let root = resolver.root.clone();
    let found = published::find(cfg, docs, &manifest);
    let mut problems: Vec<Located> = Vec::new();
    let mut ejected = Ejected::default();
    let at = |doc: usize, span: std::ops::Range<usize>| {
        Location::new(&docs[doc].name, &docs[doc].text, span)
    };
    for (d, r) in &found.unknown {
        if cfg.on_missing == OnMissing::Warn {
            tracing::warn!(
                "{}: {} is not in the manifest; kept as written",
                at(*d, r.span.clone()),
                r.url
            );
            ejected.unknown_kept += 1;
        } else {
            problems.push(Located {
                at: at(*d, r.span.clone()),
                problem: Problem::UnknownUrl { url: r.url.clone() },
            });
        }
    }

    // 1. Which file and which written form, for each reference.
    let mut backs: Vec<Back> = Vec::new();
    // file → the object it must hold (first claim wins).
    let mut wanted: BTreeMap<PathBuf, String> = BTreeMap::new();
    for p in found.published {
        let entry = &manifest.objects[&p.sha256];
        let doc = &docs[p.doc];
        let base = resolver
            .canonical_dir(&doc.base_dir)
            .unwrap_or_else(|| doc.base_dir.clone());
        let choice = recorded(&resolver, &base, entry)
            .filter(|(file, _)| wanted.get(file).is_none_or(|sha| *sha == p.sha256));
        let (file, written) = match choice {
            Some(c) => c,
            None => {
                let name = entry.key.rsplit('/').next().unwrap_or(&entry.key);
                let file = base.join("images").join(name);
                match file.strip_prefix(&root) {
                    Ok(rel) if !wanted.get(rel).is_some_and(|sha| *sha != p.sha256) => {
                        ejected.guessed += 1;
                        (rel.to_path_buf(), format!("images/{name}"))
                    }
                    _ => {
                        problems.push(Located {
                            at: at(p.doc, p.reference.span.clone()),
                            problem: Problem::Resolve(ResolveError::OutsideRoot {
                                path: file.display().to_string(),
                                root: root.clone(),
                            }),
                        });
                        continue;
                    }
                }
            }
        };
        wanted.insert(file.clone(), p.sha256.clone());
        backs.push(Back {
            published: p,
            file,
            written,
        });
    }

    // 2. What is already there, and what must be fetched.
    let mut missing: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new(); // sha → files
    for (file, sha) in &wanted {
        let path = root.join(file);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing.entry(sha.clone()).or_default().push(file.clone());
            }
            _ => match object::hash_file(&path) {
                Ok(info) if info.sha256 == *sha => ejected.present += 1,
                _ => {
                    let first = backs.iter().find(|b| b.file == *file).expect("wanted");
                    problems.push(Located {
                        at: at(first.published.doc, first.published.reference.span.clone()),
                        problem: Problem::RestoreConflict {
                            path: file.clone(),
                            key: manifest.objects[sha].key.clone(),
                        },
                    });
                }
            },
        }
    }
    if !problems.is_empty() {
        return Err(Error::Documents(problems));
    }

    // 3. Download each missing object once, check it, put it in place.
    let locate = |sha: &str| {
        let b = backs
            .iter()
            .find(|b| b.published.sha256 == sha)
            .expect("a reference");
        at(b.published.doc, b.published.reference.span.clone())
    };
    let staging = tempfile::Builder::new()
        .prefix(".r2filter-eject-")
        .tempdir_in(&root)
        .map_err(|source| Error::Output {
            path: root.clone(),
            source,
        })?;
    let fetched = download(cfg, &manifest, &missing, staging.path(), from).await;
    for (sha, result) in &fetched {
        if let Err(problem) = result {
            problems.push(Located {
                at: locate(sha),
                problem: problem.clone_problem(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(Error::Documents(problems));
    }
    for (sha, files) in &missing {
        let Ok(size) = &fetched[sha] else {
            unreachable!("failures returned above")
        };
        ejected.downloaded_bytes += size;
        for file in files {
            place(&staging.path().join(sha), &root.join(file)).map_err(|source| Error::Output {
                path: file.clone(),
                source,
            })?;
            ejected.restored.push(file.clone());
        }
    }

    // 4. The paths back in place of the URLs.
    let mut replacements: Vec<Vec<Replacement>> = vec![Vec::new(); docs.len()];
    for b in &backs {
        let r = &b.published.reference;
        replacements[b.published.doc].push(Replacement {
            span: r.span.clone(),
            text: restore_for(r.context, &format!("{}{}", b.written, b.published.suffix)),
        });
    }
    ejected.references = backs.len();
    ejected.outputs = docs
        .iter()
        .zip(replacements.iter_mut())
        .map(|(doc, reps)| {
            reps.sort_by_key(|r| r.span.start);
            splice(&doc.text, reps)
        })
        .collect();
    ejected.restored.sort();
    Ok(ejected)
}

/// The recorded (file, written form) that leads from `base` to the file:
/// resolved as the pipeline would, against the disk when the file is there,
/// by its lexical candidates when it is not.
fn recorded(resolver: &Resolver, base: &Path, entry: &Entry) -> Option<(PathBuf, String)> {
    for (source, forms) in &entry.sources {
        let Some(rel) = plain_relative(source) else {
            continue;
        };
        let target = resolver.root.join(&rel);
        for written in forms {
            let Kind::Local { path, .. } = resolve::classify(written, Context::MarkdownImage)
            else {
                continue;
            };
            let leads = match resolver.resolve(base, &path) {
                Ok(real) => real == target,
                Err(ResolveError::NotFound { tried, .. }) => tried.contains(&rel),
                Err(_) => false,
            };
            if leads {
                return Some((rel, written.clone()));
            }
        }
    }
    None
}

/// Fetches each of `missing`'s objects into `staging/<sha>`, verified.
async fn download(
    cfg: &Config,
    manifest: &Manifest,
    missing: &BTreeMap<String, Vec<PathBuf>>,
    staging: &Path,
    from: Origin,
) -> HashMap<String, Result<u64, Failed>> {
    let mut out = HashMap::new();
    if missing.is_empty() {
        return out;
    }
    let source = match from {
        Origin::Bucket => Source::Bucket(cfg.store.open().await),
        Origin::PublicUrl => match PublicUrl::new(&cfg.destination.public_url) {
            Ok(p) => Source::Public(p),
            Err(e) => {
                let e = Failed::Download {
                    key: cfg.destination.public_url.clone(),
                    source: Arc::new(e),
                };
                return missing
                    .keys()
                    .map(|sha| (sha.clone(), Err(e.clone())))
                    .collect();
            }
        },
    };
    let permits = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for sha in missing.keys() {
        let entry = manifest.objects[sha].clone();
        let (source, permits, sha) = (source.clone(), permits.clone(), sha.clone());
        let to = staging.join(&sha);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("never closed");
            let got = match &source {
                Source::Bucket(store) => store.get(&entry.key, &to).await,
                Source::Public(p) => p.fetch(&entry.url, &to).await,
            };
            let result = match got {
                Err(e) => Err(Failed::Download {
                    key: entry.key.clone(),
                    source: Arc::new(e),
                }),
                Ok(_) => match tokio::task::spawn_blocking(move || object::hash_file(&to)).await {
                    Ok(Ok(info)) if info.sha256 == sha && info.size == entry.size => Ok(info.size),
                    Ok(Ok(info)) => Err(Failed::Corrupt {
                        key: entry.key.clone(),
                        found: if info.sha256.is_empty() {
                            "of no image".into()
                        } else {
                            info.sha256
                        },
                        expected: sha.clone(),
                    }),
                    _ => Err(Failed::Download {
                        key: entry.key.clone(),
                        source: Arc::new(StoreError::Other {
                            op: "GET",
                            key: entry.key.clone(),
                            detail: "the downloaded file cannot be read back".into(),
                        }),
                    }),
                },
            };
            (sha, result)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((sha, r)) => {
                out.insert(sha, r);
            }
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    out
}

#[derive(Clone)]
enum Source {
    Bucket(Store),
    Public(PublicUrl),
}

/// A download that went wrong (shared by every file that needs it).
#[derive(Debug, Clone)]
enum Failed {
    Download {
        key: String,
        source: Arc<StoreError>,
    },
    Corrupt {
        key: String,
        found: String,
        expected: String,
    },
}

impl Failed {
    fn clone_problem(&self) -> Problem {
        match self {
            Failed::Download { key, source } => Problem::Download {
                key: key.clone(),
                source: source.clone(),
            },
            Failed::Corrupt {
                key,
                found,
                expected,
            } => Problem::Corrupt {
                key: key.clone(),
                found: found.clone(),
                expected: expected.clone(),
            },
        }
    }
}

/// Copies `from` to `to` (a new file, whole or not at all; its folders made
/// as needed), readable by all as a checked-out file is.
fn place(from: &Path, to: &Path) -> std::io::Result<()> {
    let dir = to.parent().expect("a file has a folder");
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile::Builder::new()
        .prefix(".r2filter-")
        .tempfile_in(dir)?;
    std::fs::copy(from, tmp.path())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(to).map_err(|e| e.error)?;
    Ok(())
}

/// `written` as it can stand where the URL stood: as it was whenever that
/// reads back the same, escaped only where it must be.
fn restore_for(context: Context, written: &str) -> String {
    let needs = match context {
        Context::MarkdownImage | Context::MarkdownLink | Context::HexoTag { .. } => {
            return markdown_destination(written);
        }
        Context::Attribute { quote: Some(q) } => written.contains(q as char),
        Context::Attribute { quote: None } => {
            written.contains(|c: char| c.is_whitespace() || "\"'`=<>".contains(c))
        }
        Context::FrontMatter { quote: Some(q) } => {
            written.contains(q as char) || (q == b'"' && written.contains('\\'))
        }
        Context::FrontMatter { quote: None } => {
            written.contains(": ")
                || written.contains(" #")
                || written
                    .starts_with(|c: char| c.is_whitespace() || "-?:,[]{}#&*!|>'\"%@`".contains(c))
                || written.ends_with(char::is_whitespace)
        }
    };
    if needs {
        encode_for(context, written)
    } else {
        written.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_forms_come_back_as_written() {
        let md = Context::MarkdownImage;
        assert_eq!(restore_for(md, "img/a.png#x"), "img/a.png#x");
        assert_eq!(restore_for(md, "img/my shot.png"), "<img/my shot.png>");
        let plain = Context::FrontMatter { quote: None };
        assert_eq!(restore_for(plain, "img/my shot.png"), "img/my shot.png");
        assert_eq!(restore_for(plain, "img/a: b.png"), "img/a:%20b.png");
        let attr = Context::Attribute { quote: None };
        assert_eq!(restore_for(attr, "a b.png"), "a%20b.png");
        let quoted = Context::Attribute { quote: Some(b'"') };
        assert_eq!(restore_for(quoted, "a b.png"), "a b.png");
    }
}
