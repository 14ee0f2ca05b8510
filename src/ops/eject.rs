//! `r2filter eject`: the way back. Every URL of this destination in the
//! documents is turned back into the local file it was published from:
//!
//! 1. the manifest names the object (by URL) and the paths it was published
//!    from, each with the ways documents wrote it ([`crate::manifest::Entry::sources`]);
//!    for each reference the written form that leads from the document's
//!    folder to a recorded path is chosen, so `img/a.png` in one post and
//!    `../img/a.png` in another come back as they were;
//! 2. each missing file is downloaded once (GET from the bucket, or from the
//!    public URL), its SHA-256 checked against the manifest (the published
//!    bytes' when the object was stripped or converted: those come back, with
//!    a warning, as the original never reached the bucket), and put in place
//!    atomically; a file already there with the same bytes is left alone, one
//!    with other bytes is never overwritten;
//! 3. the URL is spliced back to the path as written.
//!
//! An object published before the manifest recorded sources comes back as
//! `images/<its key's file name>` beside the document. Nothing is written
//! unless every reference can be restored.
//!
//! An adopted image ([`crate::adopt`]) goes back to its remote URL, as the
//! document wrote it, and nothing is downloaded: the manifest records each
//! origin with the documents that wrote it ([`Entry::origins`]), so two
//! URLs with the same bytes (a mirror, a redirect) each get their own back.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::{Config, OnMissing};
use crate::document::Document;
use crate::error::{Error, Location, Problem, ReferenceError};
use crate::manifest::{Entry, Manifest, source_path};
use crate::object;
use crate::ops::published::{self, Published};
use crate::resolve::{ResolveError, Resolver};
use crate::store::{Download, Store, StoreError};
use r2filter_text::resolve::{self, Url};
use r2filter_text::rewrite::{
    Replacement, encode_for, markdown_destination, shortcode_value, splice,
};
use r2filter_text::scan::Context;
use r2filter_text::scan::frontmatter::Style;
use r2filter_text::scan::obsidian;

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
    /// References to adopted images given back their remote URL.
    pub to_origin: usize,
}

/// One reference's way back.
struct Back {
    published: Published,
    /// Relative to the root.
    file: PathBuf,
    written: String,
    /// An Obsidian embed's output: this whole range goes back to `written`
    /// (the embed as it was), not just the URL.
    whole: Option<Range<usize>>,
}

/// What the documents need back.
struct Wanted<'a> {
    docs: &'a [Document],
    backs: Vec<Back>,
    /// References to adopted images, with the URL each gets back.
    remote: Vec<(Published, String)>,
    /// file (relative to the root) → the object it must hold (first claim wins).
    files: BTreeMap<PathBuf, String>,
    problems: Vec<ReferenceError>,
}

impl Wanted<'_> {
    fn error(&mut self, doc: usize, span: Range<usize>, problem: Problem) {
        let d = &self.docs[doc];
        self.problems.push(ReferenceError {
            at: Location::new(&d.name, &d.text, span),
            problem,
        });
    }

    /// `problem` at the first reference that needs object `sha`.
    fn error_for(&mut self, sha: &str, problem: Problem) {
        let b = self
            .backs
            .iter()
            .find(|b| b.published.sha256 == sha)
            .expect("a reference needs it");
        let (doc, span) = (b.published.doc, b.published.reference.span.clone());
        self.error(doc, span, problem);
    }

    fn fail_on_problems(&mut self) -> Result<(), Error> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Documents(std::mem::take(&mut self.problems)))
        }
    }
}

/// Restores the files the documents' URLs point at, and returns the
/// documents with the paths back in place of the URLs. Nothing is written
/// unless every reference can be restored.
pub fn run(cfg: &Config, docs: &[Document], from: Origin) -> Result<Ejected, Error> {
    let manifest = Manifest::load(&cfg.manifest, &cfg.destination)?;
    let resolver = crate::pipeline::locate::resolver(cfg)?;
    let mut ejected = Ejected::default();
    let mut wanted = choose(cfg, docs, &manifest, &resolver, &mut ejected);
    let missing = missing(&resolver.root, &manifest, &mut wanted, &mut ejected);
    wanted.fail_on_problems()?;
    let place_in = (resolver.root.as_path(), from);
    fetch_and_place(
        cfg,
        &manifest,
        place_in,
        &missing,
        &mut wanted,
        &mut ejected,
    )?;
    ejected.references = wanted.backs.len() + wanted.remote.len();
    ejected.outputs = splice_back(docs, &wanted.backs, &wanted.remote);
    Ok(ejected)
}

/// Phase 1: for each reference, the file to restore and the path to write.
fn choose<'a>(
    cfg: &Config,
    docs: &'a [Document],
    manifest: &Manifest,
    resolver: &Resolver,
    ejected: &mut Ejected,
) -> Wanted<'a> {
    let found = published::find(cfg, docs, manifest);
    let mut wanted = Wanted {
        docs,
        backs: Vec::new(),
        remote: Vec::new(),
        files: BTreeMap::new(),
        problems: Vec::new(),
    };
    let mut origins = Origins::default();
    for (d, r) in found.unknown {
        if cfg.on_missing == OnMissing::Warn {
            let at = Location::new(&docs[d].name, &docs[d].text, r.span.clone());
            tracing::warn!("{at}: {} is not in the manifest; kept as written", r.url);
            ejected.unknown_kept += 1;
        } else {
            wanted.error(d, r.span.clone(), Problem::UnknownUrl { url: r.url });
        }
    }
    for p in found.published {
        let entry = &manifest.objects[&p.sha256];
        let doc = &docs[p.doc];
        let base = resolver
            .canonical_dir(&doc.base_dir)
            .unwrap_or_else(|| doc.base_dir.clone());
        let free = |file: &PathBuf| wanted.files.get(file).is_none_or(|sha| *sha == p.sha256);
        let context = p.reference.context;
        let local = recorded(resolver, &base, entry, context).filter(|(f, _)| free(f));
        if let Some(url) = origins.choose(&resolver.root, doc, &p, entry, local.is_some()) {
            ejected.to_origin += 1;
            wanted.remote.push((p, url));
            continue;
        }
        // An Obsidian embed comes back whole (issue 21).
        if let Some((file, written, whole)) =
            embed_back(resolver, &base, doc, &p, entry).filter(|(f, ..)| free(f))
        {
            wanted.files.insert(file.clone(), p.sha256.clone());
            wanted.backs.push(Back {
                published: p,
                file,
                written,
                whole: Some(whole),
            });
            continue;
        }
        let choice = match local {
            Some(c) => Some(c),
            None => {
                // No recorded source leads here: beside the document, under images/.
                let name = entry.key.rsplit('/').next().unwrap_or(&entry.key);
                let file = base.join("images").join(name);
                let rel = file
                    .strip_prefix(&resolver.root)
                    .ok()
                    .map(Path::to_path_buf);
                match rel.filter(free) {
                    Some(rel) => {
                        ejected.guessed += 1;
                        Some((rel, format!("images/{name}")))
                    }
                    None => {
                        let problem = Problem::Resolve(ResolveError::OutsideRoot {
                            path: file.display().to_string(),
                            root: resolver.root.clone(),
                        });
                        wanted.error(p.doc, p.reference.span.clone(), problem);
                        None
                    }
                }
            }
        };
        if let Some((file, written)) = choice {
            wanted.files.insert(file.clone(), p.sha256.clone());
            wanted.backs.push(Back {
                published: p,
                file,
                written,
                whole: None,
            });
        }
    }
    wanted
}

/// The Obsidian embed `p` was written from: a recorded `![[…]]` form of the
/// object whose rendering with this URL is exactly the text around `p`, and
/// whose link still leads from this note to the recorded file (or, the file
/// being gone, whose path ends with the link). Returns the file (relative to
/// the root), the embed, and the range of the document it replaces.
fn embed_back(
    resolver: &Resolver,
    base: &Path,
    doc: &Document,
    p: &Published,
    entry: &Entry,
) -> Option<(PathBuf, String, Range<usize>)> {
    let written = doc.text.get(p.reference.span.clone())?;
    for (source, forms) in &entry.sources {
        let Some(rel) = source_path(source) else {
            continue;
        };
        for form in forms.iter().filter(|f| f.starts_with("![[")) {
            let rendered = obsidian::render(form, p.reference.url.trim());
            let around = rendered.match_indices(written).find_map(|(k, _)| {
                let start = p.reference.span.start.checked_sub(k)?;
                let range = start..start + rendered.len();
                (doc.text.get(range.clone()) == Some(rendered.as_str())).then_some(range)
            });
            if let Some(range) = around.filter(|_| embed_leads(resolver, base, form, &rel)) {
                return Some((rel, form.clone(), range));
            }
        }
    }
    None
}

/// True when the embed `form` names `rel` from a note in `base`.
fn embed_leads(resolver: &Resolver, base: &Path, form: &str, rel: &Path) -> bool {
    let Some(Url::Local { path, .. }) =
        obsidian::reference_url(form).map(|url| resolve::classify(&url, Context::Embed))
    else {
        return false;
    };
    match resolver.resolve_wikilink(base, &path) {
        Ok(real) => real == resolver.root.join(rel),
        Err(ResolveError::NotFound { .. }) => {
            let (rel, link) = (rel.to_string_lossy().to_lowercase(), path.to_lowercase());
            let link = link.trim_start_matches("./").trim_start_matches('/');
            rel == link || rel.ends_with(&format!("/{link}"))
        }
        Err(_) => false,
    }
}

/// Phase 2: which objects must be fetched, for which files. A file already
/// there with the object's bytes is left alone; with other bytes it is a
/// problem (eject never overwrites).
fn missing(
    root: &Path,
    manifest: &Manifest,
    wanted: &mut Wanted,
    ejected: &mut Ejected,
) -> BTreeMap<String, Vec<PathBuf>> {
    let mut missing: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new(); // sha → files
    let mut conflicts = Vec::new();
    for (file, sha) in &wanted.files {
        let path = root.join(file);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing.entry(sha.clone()).or_default().push(file.clone());
            }
            _ => match object::hash_file(&path) {
                Ok(info)
                    if info.sha256 == *sha
                        || Some(info.sha256.as_str()) == published(manifest, sha) =>
                {
                    ejected.present += 1
                }
                _ => conflicts.push((file.clone(), sha.clone())),
            },
        }
    }
    for (file, sha) in conflicts {
        let key = manifest.objects[&sha].key.clone();
        let b = wanted
            .backs
            .iter()
            .find(|b| b.file == file)
            .expect("wanted");
        let (doc, span) = (b.published.doc, b.published.reference.span.clone());
        wanted.error(doc, span, Problem::RestoreConflict { path: file, key });
    }
    missing
}

/// Phase 3: downloads each missing object once into a staging folder under
/// the root, checks it, then puts it in place.
fn fetch_and_place(
    cfg: &Config,
    manifest: &Manifest,
    (root, from): (&Path, Origin),
    missing: &BTreeMap<String, Vec<PathBuf>>,
    wanted: &mut Wanted,
    ejected: &mut Ejected,
) -> Result<(), Error> {
    if missing.is_empty() {
        return Ok(());
    }
    let staging = tempfile::Builder::new()
        .prefix(".r2filter-eject-")
        .tempdir_in(root)
        .map_err(|source| Error::Output {
            path: root.to_path_buf(),
            source,
        })?;
    let fetched = download(cfg, manifest, missing, staging.path(), from);
    for (sha, result) in &fetched {
        if let Err(problem) = result {
            wanted.error_for(sha, problem.to_problem());
        }
    }
    wanted.fail_on_problems()?;
    ejected.downloaded_bytes += fetched.values().flatten().sum::<u64>();
    // Durable and readable first (on every core: an fsync waits on the disk),
    // then linked into place.
    let ready: Vec<(&String, std::io::Result<()>)> = missing
        .par_iter()
        .map(|(sha, _)| (sha, seal(&staging.path().join(sha))))
        .collect();
    for (sha, result) in ready {
        result.map_err(|source| Error::Output {
            path: missing[sha][0].clone(),
            source,
        })?;
    }
    for (sha, files) in missing {
        if published(manifest, sha).is_some() {
            let how = manifest.objects[sha].transform();
            for file in files {
                tracing::warn!(
                    "{}: restored as published ({how}): the bucket never held the original bytes",
                    file.display()
                );
            }
        }
        for file in files {
            place(&staging.path().join(sha), &root.join(file)).map_err(|source| Error::Output {
                path: file.clone(),
                source,
            })?;
            ejected.restored.push(file.clone());
        }
    }
    ejected.restored.sort();
    Ok(())
}

/// Phase 4: the paths (and adopted images' URLs) back in place of the URLs.
fn splice_back(docs: &[Document], backs: &[Back], remote: &[(Published, String)]) -> Vec<String> {
    let mut replacements: Vec<Vec<Replacement>> = vec![Vec::new(); docs.len()];
    for b in backs {
        let r = &b.published.reference;
        replacements[b.published.doc].push(match &b.whole {
            Some(whole) => Replacement {
                span: whole.clone(),
                text: b.written.clone(),
            },
            None => Replacement {
                span: r.span.clone(),
                text: restore_for(r.context, &format!("{}{}", b.written, b.published.suffix)),
            },
        });
    }
    // Adopted images: their origin URL as written (and the fragment kept).
    for (p, url) in remote {
        let r = &p.reference;
        replacements[p.doc].push(Replacement {
            span: r.span.clone(),
            text: restore_for(r.context, &format!("{url}{}", p.suffix)),
        });
    }
    docs.iter()
        .zip(replacements.iter_mut())
        .map(|(doc, reps)| {
            reps.sort_by_key(|r| r.span.start);
            splice(&doc.text, reps)
        })
        .collect()
}

/// Which origin each reference to an adopted object gets back.
#[derive(Default)]
struct Origins {
    /// Each document's place, as the manifest records it.
    places: HashMap<usize, String>,
    /// How many references to each object each document has had so far.
    rank: HashMap<(usize, String), usize>,
}

impl Origins {
    /// The URL reference `p` of `doc` gets back, if its object was adopted:
    /// the origin recorded for this very reference (`post.md#2`), else the
    /// one recorded for its document; failing those (the document was
    /// renamed) the object's first origin, unless a recorded local file
    /// (`has_local`) leads there.
    fn choose(
        &mut self,
        root: &Path,
        doc: &Document,
        p: &Published,
        entry: &Entry,
        has_local: bool,
    ) -> Option<String> {
        let k = self.rank.entry((p.doc, p.sha256.clone())).or_default();
        *k += 1;
        if entry.origins.is_empty() {
            return None;
        }
        let place = self
            .places
            .entry(p.doc)
            .or_insert_with(|| crate::adopt::document_place(root, doc));
        let ranked = format!("{place}#{k}");
        let with = |place: &str| {
            entry
                .origins
                .iter()
                .find(|(_, places)| places.contains(place))
                .map(|(url, _)| url.clone())
        };
        with(&ranked)
            .or_else(|| with(place))
            .or_else(|| (!has_local).then(|| entry.origins.keys().next().cloned())?)
    }
}

/// The recorded (file, written form) that leads from `base` to the file:
/// resolved as the pipeline would, against the disk when the file is there,
/// by its lexical candidates when it is not. When several written forms of
/// one file lead there (`img/a b.png` in front matter, `img/a%20b.png` in
/// HTML), the one that suits `context` wins: percent-encoded in URLs, as is
/// in front matter.
fn recorded(
    resolver: &Resolver,
    base: &Path,
    entry: &Entry,
    context: Context,
) -> Option<(PathBuf, String)> {
    for (source, forms) in &entry.sources {
        let Some(rel) = source_path(source) else {
            continue;
        };
        let target = resolver.root.join(&rel);
        let leads = |written: &&String| {
            // Any local path: the entry may be a video or an asset.
            let Some((path, _)) = resolve::local_path(written) else {
                return false;
            };
            match resolver.resolve(base, &path) {
                Ok(real) => real == target,
                Err(ResolveError::NotFound { tried, .. }) => tried.contains(&rel),
                Err(_) => false,
            }
        };
        let suits = |written: &&&String| match context {
            Context::FrontMatter { .. } => !written.contains('%'),
            _ => !written.contains(char::is_whitespace),
        };
        let leading: Vec<&String> = forms.iter().filter(leads).collect();
        if let Some(best) = leading.iter().find(suits).or(leading.first()) {
            return Some((rel, best.to_string()));
        }
    }
    None
}

/// Fetches each of `missing`'s objects into `staging/<sha>`, checked
/// against the manifest's size and SHA-256, `concurrency` at a time.
fn download(
    cfg: &Config,
    manifest: &Manifest,
    missing: &BTreeMap<String, Vec<PathBuf>>,
    staging: &Path,
    from: Origin,
) -> HashMap<String, Result<u64, Failed>> {
    let store = match from {
        Origin::Bucket => {
            Store::open(&cfg.store, cfg.concurrency).map_err(|e| ("the bucket".to_string(), e))
        }
        Origin::PublicUrl => public_url(cfg),
    };
    let store = match store {
        Ok(store) => store,
        Err((key, e)) => {
            let e = Failed::Download {
                key,
                source: Arc::new(e),
            };
            return missing
                .keys()
                .map(|sha| (sha.clone(), Err(e.clone())))
                .collect();
        }
    };
    let targets: Vec<(&String, &Entry, PathBuf)> = missing
        .keys()
        .map(|sha| (sha, &manifest.objects[sha], staging.join(sha)))
        .collect();
    let downloads: Vec<Download<'_>> = targets
        .iter()
        .map(|(_, entry, to)| Download {
            key: &entry.key,
            url: &entry.url,
            to,
        })
        .collect();
    let got = store.get_all(&downloads);
    targets
        .par_iter()
        .zip(got)
        .map(|((sha, entry, to), got)| ((*sha).clone(), checked(got, sha, entry, to)))
        .collect()
}

/// The store that serves the public URLs.
#[cfg(feature = "s3")]
fn public_url(cfg: &Config) -> Result<Store, (String, StoreError)> {
    Store::public_url(&cfg.destination.public_url, cfg.concurrency)
        .map_err(|e| (cfg.destination.public_url.clone(), e))
}

#[cfg(not(feature = "s3"))]
fn public_url(cfg: &Config) -> Result<Store, (String, StoreError)> {
    Err((cfg.destination.public_url.clone(), StoreError::NoS3Client))
}

/// One downloaded object in `to`, checked.
fn checked(
    got: Result<u64, StoreError>,
    sha: &str,
    entry: &Entry,
    to: &Path,
) -> Result<u64, Failed> {
    let failed = |e: StoreError| Failed::Download {
        key: entry.key.clone(),
        source: Arc::new(e),
    };
    got.map_err(failed)?;
    let info = object::hash_file(to).map_err(|source| {
        failed(StoreError::Io {
            path: to.to_path_buf(),
            source,
        })
    })?;
    let expected = entry.published_sha256.as_deref().unwrap_or(sha);
    if info.sha256 == expected && info.size == entry.size {
        return Ok(info.size);
    }
    Err(Failed::Corrupt {
        key: entry.key.clone(),
        found: if info.sha256.is_empty() {
            format!("(not an image, {} bytes)", info.size)
        } else {
            info.sha256
        },
        expected: expected.to_string(),
    })
}

/// The SHA-256 of the object made from source `sha`, when it is not the
/// source's own (stripped of its location, converted, scaled down).
fn published<'m>(manifest: &'m Manifest, sha: &str) -> Option<&'m str> {
    manifest.objects[sha].published_sha256.as_deref()
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
    fn to_problem(&self) -> Problem {
        match self.clone() {
            Failed::Download { key, source } => Problem::Download { key, source },
            Failed::Corrupt {
                key,
                found,
                expected,
            } => Problem::Corrupt {
                key,
                found,
                expected,
            },
        }
    }
}

/// Makes a downloaded file readable by all, as a checked-out file is, and
/// durable.
fn seal(staged: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(staged, std::fs::Permissions::from_mode(0o644))?;
    }
    std::fs::File::open(staged)?.sync_all()
}

/// Puts the sealed `staged` file at `to`, a new file (never one that is
/// there), whole or not at all, its folders made as needed: a hard link (the
/// staging folder is on the same file system), or where links are not
/// supported a copy renamed into place.
fn place(staged: &Path, to: &Path) -> std::io::Result<()> {
    let dir = to.parent().expect("a file has a folder");
    std::fs::create_dir_all(dir)?;
    match std::fs::hard_link(staged, to) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            let tmp = tempfile::Builder::new()
                .prefix(".r2filter-")
                .tempfile_in(dir)?;
            std::fs::copy(staged, tmp.path())?;
            tmp.as_file().sync_all()?;
            tmp.persist_noclobber(to).map(drop).map_err(|e| e.error)
        }
        other => other,
    }
}

/// `written` as it can stand where the URL stood: as it was whenever that
/// reads back the same, escaped only where it must be.
fn restore_for(context: Context, written: &str) -> String {
    let needs = match context {
        Context::MarkdownImage
        | Context::MarkdownLink
        | Context::HexoTag { .. }
        | Context::Embed => {
            return markdown_destination(written);
        }
        // A Hugo shortcode's value: as written unless its quotes cannot hold it.
        Context::Shortcode { quote, .. } => shortcode_value(written, quote) != written,
        Context::Attribute { quote: Some(q) }
        | Context::HtmlImage { quote: Some(q) }
        | Context::Media { quote: Some(q) }
        | Context::HtmlLink { quote: Some(q) } => written.contains(q as char),
        Context::Attribute { quote: None }
        | Context::HtmlImage { quote: None }
        | Context::Media { quote: None }
        | Context::HtmlLink { quote: None } => {
            written.contains(|c: char| c.is_whitespace() || "\"'`=<>".contains(c))
        }
        // An MDX `src={"…"}` (issue 13): escaped only where the string must be.
        Context::JsString { quote, .. } => {
            written.contains([quote as char, '\\', '\n', '\r'])
                || (quote == b'`' && written.contains("${"))
        }
        // A plain scalar that was written with a space (`img/my shot.png`)
        // reads back the same as it was; otherwise the style knows.
        Context::FrontMatter(Style::YamlPlain { flow }) if plain_scalar(written, flow) => {
            return written.to_string();
        }
        Context::FrontMatter(style) => return style.encode(written),
    };
    if needs {
        encode_for(context, written)
    } else {
        written.to_string()
    }
}

/// True when `s` reads back as itself as a YAML plain scalar (inside a flow
/// collection when `flow`): no leading indicator, no `: ` or ` #`, no
/// surrounding space, and in a flow collection no `,[]{}`.
fn plain_scalar(s: &str, flow: bool) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_whitespace() || "-?:,[]{}#&*!|>'\"%@`".contains(c))
        && !s.ends_with(|c: char| c.is_whitespace() || c == ':')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains(|c: char| c.is_control())
        && !(flow && s.contains([',', '[', ']', '{', '}']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_forms_come_back_as_written() {
        let md = Context::MarkdownImage;
        assert_eq!(restore_for(md, "img/a.png#x"), "img/a.png#x");
        assert_eq!(restore_for(md, "img/my shot.png"), "<img/my shot.png>");
        let plain = Context::FrontMatter(r2filter_text::scan::frontmatter::Style::YamlPlain {
            flow: false,
        });
        assert_eq!(restore_for(plain, "img/my shot.png"), "img/my shot.png");
        assert_eq!(restore_for(plain, "img/a: b.png"), "\"img/a: b.png\"");
        let attr = Context::Attribute { quote: None };
        assert_eq!(restore_for(attr, "a b.png"), "a%20b.png");
        let quoted = Context::Attribute { quote: Some(b'"') };
        assert_eq!(restore_for(quoted, "a b.png"), "a b.png");
    }
}
