//! The plan phase reads it, the upload phase adds to it: the committed record of what is already in the bucket.
//!
//! `r2filter-manifest.json` maps each file's SHA-256 to its key and URL. With
//! every image in it, a run needs no network and no credentials. It is pretty,
//! sorted JSON so git diffs stay small, it names the destination it was made for,
//! and it is only ever replaced whole (temp file + rename) under a lock, merging
//! with whatever another run wrote meanwhile.

use std::collections::{BTreeMap, BTreeSet, btree_map};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The current format version.
pub const VERSION: u32 = 1;

/// Where objects go. A manifest made for another destination is never reused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// `s3` or `local`.
    pub store: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    pub public_url: String,
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.endpoint, &self.bucket) {
            (Some(e), Some(b)) => write!(f, "bucket {b} at {e}, served from {}", self.public_url),
            (None, Some(b)) => write!(f, "bucket {b}, served from {}", self.public_url),
            _ => write!(f, "{} store, served from {}", self.store, self.public_url),
        }
    }
}

/// One uploaded object, under the SHA-256 of the source file it was made
/// from.
///
/// `transform`, `published_sha256` and `location` came with metadata
/// stripping and conversion, `sources` with migrate and eject; older entries
/// lack them (and older r2filter versions ignore them): an entry
/// without `transform` was published as the file is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    pub url: String,
    /// Of the object (the published bytes).
    pub size: u64,
    pub content_type: String,
    /// RFC 3339 time of the first upload (its month is in the default key).
    pub uploaded: String,
    /// The settings the object was made with
    /// ([`crate::transform::Settings::describe`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<String>,
    /// The object's SHA-256, when its bytes are not the source file's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_sha256: Option<String>,
    /// The location metadata the source file carries (`EXIF GPS`, …), so
    /// that every run can say so without reading the file again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<String>,
    /// Where the bytes were published from: each file's path relative to the
    /// root (`/`-separated), with the paths as documents wrote them
    /// (`img/a.png`, `/static/a.png`). `r2filter eject` restores files and
    /// links from it; `r2filter migrate` deletes only files named here.
    /// Absent in manifests written before it existed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, BTreeSet<String>>,
    /// The object's displayed width and height in CSS pixels (EXIF
    /// orientation applied), read from its header ([`crate::measure`]).
    /// Absent in entries made before they were recorded (a run that has the
    /// file adds them) and when the header could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// What could not be read of the object (its header: no width and
    /// height; its pixels: no placeholder); not tried again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// `placeholder = "blur"`: a tiny blurred copy, as a `data:` URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// The remote URLs the object was adopted from (`adopt`), as documents
    /// wrote them, each with the documents that did (paths relative to the
    /// root; `post.md#2` when one document wrote two URLs with these same
    /// bytes: its second reference to the object). A run finds an adopted
    /// URL here instead of downloading it; `r2filter eject` puts it back.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub origins: BTreeMap<String, BTreeSet<String>>,
}

/// One place a published file was referenced from: the file (relative to the
/// root) and the path as the document wrote it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    pub sha256: String,
    pub path: String,
    pub written: String,
}

/// One place an adopted URL was referenced from: the URL as written and the
/// document (see [`Entry::origins`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    pub sha256: String,
    pub url: String,
    pub place: String,
}

impl Entry {
    /// The settings the object was made with: an entry from before they were
    /// recorded was published as the file was.
    pub fn transform(&self) -> &str {
        self.transform.as_deref().unwrap_or(UNTRANSFORMED)
    }

    /// Takes from `other` (an entry for the same object) the measurements
    /// this one lacks: its size, its placeholder, and why one of them could
    /// not be had. An entry that records something unreadable has been
    /// measured already.
    pub fn learn_measurements(&mut self, other: &Entry) {
        if self.unreadable.is_some() {
            return;
        }
        let size = self.width.is_none();
        if size {
            self.width = other.width;
            self.height = other.height;
        }
        let placeholder = self.placeholder.is_none();
        if placeholder {
            self.placeholder.clone_from(&other.placeholder);
        }
        if size && self.width.is_none() || placeholder && self.placeholder.is_none() {
            self.unreadable.clone_from(&other.unreadable);
        }
    }
}

/// How an entry without `transform` was made.
pub const UNTRANSFORMED: &str = "strip-metadata=none";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub version: u32,
    pub destination: Destination,
    /// By full SHA-256 (hex), sorted.
    pub objects: BTreeMap<String, Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("manifest {path} is not valid: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("manifest {path} was made for {found}, but this run publishes to {wanted}")]
    OtherDestination {
        path: PathBuf,
        found: Box<Destination>,
        wanted: Box<Destination>,
    },
    #[error("cannot write manifest {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

impl ManifestError {
    pub fn hint(&self) -> String {
        match self {
            ManifestError::Read { .. } => "check the file's permissions".into(),
            ManifestError::Corrupt { .. } => "it was left as it is: fix it (git checkout it, or resolve the merge conflict), or delete it to rebuild it from the bucket".into(),
            ManifestError::OtherDestination { .. } => "pass --manifest with another file for this destination, or delete the manifest to start over".into(),
            ManifestError::Write { .. } => "check that its folder exists and is writable".into(),
        }
    }
}

impl Manifest {
    pub fn new(destination: Destination) -> Manifest {
        Manifest {
            version: VERSION,
            destination,
            objects: BTreeMap::new(),
        }
    }

    /// Reads the manifest at `path`, or an empty one if there is none. A file
    /// that does not parse, or that names another destination, is an error.
    pub fn load(path: &Path, destination: &Destination) -> Result<Manifest, ManifestError> {
        match read(path)? {
            None => Ok(Manifest::new(destination.clone())),
            Some(m) if m.destination == *destination => Ok(m),
            Some(m) => Err(ManifestError::OtherDestination {
                path: path.into(),
                found: Box::new(m.destination),
                wanted: Box::new(destination.clone()),
            }),
        }
    }

    /// The SHA-256 of the object at each key (to detect shortened-hash
    /// collisions): its published bytes', which are the source's unless it was
    /// stripped or converted.
    pub fn by_key(&self) -> BTreeMap<&str, &str> {
        self.objects
            .iter()
            .map(|(hash, e)| {
                let published = e.published_sha256.as_deref().unwrap_or(hash);
                (e.key.as_str(), published)
            })
            .collect()
    }

    /// The manifest's entry for a public URL of this destination (a `?query` or
    /// `#fragment` after it ignored), with its SHA-256.
    pub fn by_url(&self) -> BTreeMap<&str, (&str, &Entry)> {
        self.objects
            .iter()
            .map(|(hash, e)| (e.url.as_str(), (hash.as_str(), e)))
            .collect()
    }

    /// The manifest's entry for each adopted URL (as documents wrote it),
    /// with its SHA-256.
    pub fn by_origin(&self) -> BTreeMap<&str, (&str, &Entry)> {
        self.objects
            .iter()
            .flat_map(|(hash, e)| {
                e.origins
                    .keys()
                    .map(move |url| (url.as_str(), (hash.as_str(), e)))
            })
            .collect()
    }

    /// [`Manifest::with_sources`] for adopted URLs: `new` with every origin
    /// place recorded, and entries carrying only the places the manifest
    /// lacks for objects already in it.
    pub fn with_origins(
        &self,
        mut new: BTreeMap<String, Entry>,
        origins: impl IntoIterator<Item = Origin>,
    ) -> BTreeMap<String, Entry> {
        for o in origins {
            if let Some(entry) = new.get_mut(&o.sha256) {
                entry.origins.entry(o.url).or_default().insert(o.place);
                continue;
            }
            let Some(known) = self.objects.get(&o.sha256) else {
                continue;
            };
            if known
                .origins
                .get(&o.url)
                .is_some_and(|p| p.contains(&o.place))
            {
                continue;
            }
            new.entry(o.sha256)
                .or_insert_with(|| Entry {
                    sources: BTreeMap::new(),
                    origins: BTreeMap::new(),
                    ..known.clone()
                })
                .origins
                .entry(o.url)
                .or_default()
                .insert(o.place);
        }
        new
    }

    /// What to merge so that every source is recorded: `new` entries with
    /// their sources added, and for objects already in the manifest, entries
    /// carrying only the sources it lacks. Sources of objects in neither are
    /// dropped (their upload failed). Empty when there is nothing new.
    pub fn with_sources(
        &self,
        mut new: BTreeMap<String, Entry>,
        sources: impl IntoIterator<Item = Source>,
    ) -> BTreeMap<String, Entry> {
        for s in sources {
            if let Some(entry) = new.get_mut(&s.sha256) {
                entry.sources.entry(s.path).or_default().insert(s.written);
                continue;
            }
            let Some(known) = self.objects.get(&s.sha256) else {
                continue;
            };
            if known
                .sources
                .get(&s.path)
                .is_some_and(|w| w.contains(&s.written))
            {
                continue;
            }
            new.entry(s.sha256)
                .or_insert_with(|| Entry {
                    sources: BTreeMap::new(),
                    ..known.clone()
                })
                .sources
                .entry(s.path)
                .or_default()
                .insert(s.written);
        }
        new
    }

    /// Adds `new` entries to the manifest on disk: under a lock, re-read it, merge
    /// (another run may have written meanwhile), write a temp file and rename it
    /// over. Never touches a file that does not parse. An entry already there
    /// keeps its key and URL and gains the new entry's sources (and the
    /// measurements it lacks).
    pub fn save_merged(
        path: &Path,
        destination: &Destination,
        new: &BTreeMap<String, Entry>,
    ) -> Result<Manifest, ManifestError> {
        let write_err = |source| ManifestError::Write {
            path: path.into(),
            source,
        };
        let lock_path = lock_path(path);
        let lock_file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(write_err)?;
        let mut lock = fd_lock::RwLock::new(lock_file);
        let _guard = lock.write().map_err(write_err)?;

        let mut manifest = Manifest::load(path, destination)?;
        for (hash, entry) in new {
            // The first upload's entry stands (its key is what documents link
            // to), unless the new one was made with other settings (stripped
            // of its location, converted): then it replaces it. Either way it
            // keeps the sources recorded so far and gains the new ones.
            let kept = match manifest.objects.entry(hash.clone()) {
                btree_map::Entry::Vacant(v) => v.insert(entry.clone()),
                btree_map::Entry::Occupied(o) => {
                    let old = o.into_mut();
                    if old.transform() != entry.transform() {
                        let sources = std::mem::take(&mut old.sources);
                        let origins = std::mem::take(&mut old.origins);
                        *old = Entry {
                            sources,
                            origins,
                            ..entry.clone()
                        };
                    } else {
                        old.learn_measurements(entry);
                    }
                    old
                }
            };
            for (path, written) in &entry.sources {
                kept.sources
                    .entry(path.clone())
                    .or_default()
                    .extend(written.iter().cloned());
            }
            for (url, places) in &entry.origins {
                kept.origins
                    .entry(url.clone())
                    .or_default()
                    .extend(places.iter().cloned());
            }
        }
        let mut json = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
        json.push('\n');
        crate::atomic::write_atomic(path, json.as_bytes(), true).map_err(write_err)?;
        Ok(manifest)
    }
}

/// A recorded source path as a path relative to the root, if it is a plain
/// one: a manifest is input too, so `..`, `.` or an absolute path never get
/// near the file system.
pub fn source_path(source: &str) -> Option<PathBuf> {
    let p = Path::new(source);
    (!source.is_empty()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_))))
    .then(|| p.to_path_buf())
}

fn read(path: &Path) -> Result<Option<Manifest>, ManifestError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            return Err(ManifestError::Corrupt {
                path: path.into(),
                detail: "not UTF-8".into(),
            });
        }
        Err(source) => {
            return Err(ManifestError::Read {
                path: path.into(),
                source,
            });
        }
    };
    let m: Manifest = serde_json::from_str(&text).map_err(|e| ManifestError::Corrupt {
        path: path.into(),
        detail: format!(
            "line {} column {}: {}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        ),
    })?;
    if m.version != VERSION {
        return Err(ManifestError::Corrupt {
            path: path.into(),
            detail: format!(
                "format version {} is not {VERSION}; upgrade r2filter",
                m.version
            ),
        });
    }
    Ok(Some(m))
}

/// serde_json appends " at line L column C"; the caller says it once.
fn strip_position(msg: &str) -> &str {
    msg.rfind(" at line ").map_or(msg, |i| &msg[..i])
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest() -> Destination {
        Destination {
            store: "s3".into(),
            endpoint: Some("http://127.0.0.1:9".into()),
            bucket: Some("blog-assets".into()),
            public_url: "https://assets.example.com".into(),
        }
    }

    fn entry(key: &str) -> Entry {
        Entry {
            key: key.into(),
            url: format!("https://assets.example.com/{key}"),
            size: 3,
            content_type: "image/png".into(),
            uploaded: "2026-11-28T00:00:00Z".into(),
            ..Entry::default()
        }
    }

    fn source(sha256: &str, path: &str, written: &str) -> Source {
        Source {
            sha256: sha256.into(),
            path: path.into(),
            written: written.into(),
        }
    }

    #[test]
    fn manifests_without_sources_still_load_and_sources_merge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        // Written before sources existed: no `sources` key at all.
        let old = r#"{
  "version": 1,
  "destination": {
    "store": "s3",
    "endpoint": "http://127.0.0.1:9",
    "bucket": "blog-assets",
    "public_url": "https://assets.example.com"
  },
  "objects": {
    "aa": {
      "key": "a.png",
      "url": "https://assets.example.com/a.png",
      "size": 3,
      "content_type": "image/png",
      "uploaded": "2026-11-28T00:00:00Z"
    }
  }
}
"#;
        fs::write(&path, old).unwrap();
        let m = Manifest::load(&path, &dest()).unwrap();
        assert!(m.objects["aa"].sources.is_empty());

        let mut b = entry("b.png");
        b.sources
            .entry("posts/b.png".into())
            .or_default()
            .insert("b.png".into());
        let todo = m.with_sources(
            BTreeMap::from([("bb".to_string(), b)]),
            [
                source("aa", "posts/img/a.png", "img/a.png"),
                source("aa", "posts/img/a.png", "./img/a.png"),
                source("bb", "posts/b.png", "/posts/b.png"),
                // Not uploaded (its upload failed): not recorded.
                source("cc", "posts/c.png", "c.png"),
            ],
        );
        assert_eq!(todo.keys().collect::<Vec<_>>(), ["aa", "bb"]);
        let m = Manifest::save_merged(&path, &dest(), &todo).unwrap();
        assert_eq!(
            m.objects["aa"].sources["posts/img/a.png"]
                .iter()
                .collect::<Vec<_>>(),
            ["./img/a.png", "img/a.png"]
        );
        assert_eq!(m.objects["bb"].sources["posts/b.png"].len(), 2);
        // Nothing new: nothing to write.
        assert!(
            m.with_sources(
                BTreeMap::new(),
                [source("aa", "posts/img/a.png", "img/a.png")]
            )
            .is_empty()
        );
        // The old part of the file is unchanged; sources sit sorted in their entry.
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(
                "\"sources\": {\n        \"posts/img/a.png\": [\n          \"./img/a.png\",\n          \"img/a.png\"\n        ]\n      }"
            ),
            "{text}"
        );
        assert_eq!(Manifest::load(&path, &dest()).unwrap(), m);
    }

    #[test]
    fn entries_from_before_transforms_read_and_are_replaced_by_new_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let old = BTreeMap::from([("aa".to_string(), entry("a.png"))]);
        Manifest::save_merged(&path, &dest(), &old).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("transform"), "old fields only: {text}");
        // Same settings (none recorded = as is): the first entry stands.
        let again = BTreeMap::from([("aa".to_string(), entry("other.png"))]);
        let m = Manifest::save_merged(&path, &dest(), &again).unwrap();
        assert_eq!(m.objects["aa"].key, "a.png");
        // Stripped: it replaces the old entry, and says how it was made.
        let stripped = Entry {
            transform: Some("strip-metadata=location".into()),
            published_sha256: Some("bb".into()),
            location: vec!["EXIF GPS".into()],
            ..entry("b.png")
        };
        let new = BTreeMap::from([("aa".to_string(), stripped.clone())]);
        let m = Manifest::save_merged(&path, &dest(), &new).unwrap();
        assert_eq!(m.objects["aa"], stripped);
        assert_eq!(m.by_key()["b.png"], "bb");
        assert_eq!(
            Manifest::load(&path, &dest()).unwrap().objects["aa"],
            stripped
        );
    }

    #[test]
    fn save_merges_and_is_sorted_pretty_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let one = BTreeMap::from([("bb".to_string(), entry("b.png"))]);
        let two = BTreeMap::from([("aa".to_string(), entry("a.png"))]);
        Manifest::save_merged(&path, &dest(), &one).unwrap();
        let m = Manifest::save_merged(&path, &dest(), &two).unwrap();
        assert_eq!(m.objects.keys().collect::<Vec<_>>(), ["aa", "bb"]);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("}\n"));
        assert!(text.find("\"aa\"").unwrap() < text.find("\"bb\"").unwrap());
        assert_eq!(Manifest::load(&path, &dest()).unwrap(), m);
    }

    #[test]
    fn origins_are_recorded_looked_up_and_merged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let origin = |sha: &str, url: &str, place: &str| Origin {
            sha256: sha.into(),
            url: url.into(),
            place: place.into(),
        };
        let (imgur, mirror) = ("https://i.imgur.com/a.png", "https://mirror.example/a.png");
        let m = Manifest::new(dest());
        let todo = m.with_origins(
            BTreeMap::from([("aa".to_string(), entry("a.png"))]),
            [
                origin("aa", imgur, "posts/a.md"),
                origin("aa", mirror, "posts/b.md"),
                // Not uploaded: not recorded.
                origin("cc", imgur, "posts/c.md"),
            ],
        );
        let m = Manifest::save_merged(&path, &dest(), &todo).unwrap();
        assert_eq!(m.by_origin()[imgur].0, "aa");
        assert_eq!(m.by_origin()[mirror].0, "aa");
        // A known object gains a place; a known place is nothing new.
        assert!(
            m.with_origins(BTreeMap::new(), [origin("aa", imgur, "posts/a.md")])
                .is_empty()
        );
        let more = m.with_origins(BTreeMap::new(), [origin("aa", imgur, "posts/d.md")]);
        let m = Manifest::save_merged(&path, &dest(), &more).unwrap();
        assert_eq!(
            m.objects["aa"].origins[imgur].iter().collect::<Vec<_>>(),
            ["posts/a.md", "posts/d.md"]
        );
        // Replaced by new settings, the entry keeps its origins.
        let stripped = Entry {
            transform: Some("strip-metadata=location".into()),
            ..entry("b.png")
        };
        let new = BTreeMap::from([("aa".to_string(), stripped)]);
        let m = Manifest::save_merged(&path, &dest(), &new).unwrap();
        assert_eq!(m.objects["aa"].key, "b.png");
        assert_eq!(m.objects["aa"].origins.len(), 2);
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"origins\": {\n        \"https://i.imgur.com/a.png\": [\n          \"posts/a.md\",\n          \"posts/d.md\"\n        ],"),
            "{text}"
        );
    }

    #[test]
    fn only_plain_relative_source_paths() {
        assert_eq!(source_path("posts/a.png"), Some("posts/a.png".into()));
        for bad in ["", "/etc/passwd", "../x.png", "a/../../x.png", "./a.png"] {
            assert_eq!(source_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn corrupt_manifest_is_an_error_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        fs::write(&path, "{ not json").unwrap();
        assert!(matches!(
            Manifest::load(&path, &dest()),
            Err(ManifestError::Corrupt { .. })
        ));
        let new = BTreeMap::from([("aa".to_string(), entry("a.png"))]);
        assert!(Manifest::save_merged(&path, &dest(), &new).is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "{ not json");
    }

    #[test]
    fn other_destination_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        Manifest::save_merged(&path, &dest(), &BTreeMap::new()).unwrap();
        let mut other = dest();
        other.bucket = Some("other".into());
        assert!(matches!(
            Manifest::load(&path, &other),
            Err(ManifestError::OtherDestination { .. })
        ));
    }
}
