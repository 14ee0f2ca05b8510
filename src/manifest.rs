//! The plan phase reads it, the upload phase adds to it: the committed record of what is already in the bucket.
//!
//! `r2filter-manifest.json` maps each file's SHA-256 to its key and URL. With
//! every image in it, a run needs no network and no credentials. It is pretty,
//! sorted JSON so git diffs stay small, it names the destination it was made for,
//! and it is only ever replaced whole (temp file + rename) under a lock, merging
//! with whatever another run wrote meanwhile.

use std::collections::BTreeMap;
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
/// The last three fields came with metadata stripping and conversion; older
/// entries lack them (and older r2filter versions ignore them): an entry
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
}

impl Entry {
    /// The settings the object was made with: an entry from before they were
    /// recorded was published as the file was.
    pub fn transform(&self) -> &str {
        self.transform.as_deref().unwrap_or(UNTRANSFORMED)
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

    /// Adds `new` entries to the manifest on disk: under a lock, re-read it, merge
    /// (another run may have written meanwhile), write a temp file and rename it
    /// over. Never touches a file that does not parse.
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
            // of its location, converted): then it replaces it.
            match manifest.objects.get(hash) {
                Some(old) if old.transform() == entry.transform() => {}
                _ => {
                    manifest.objects.insert(hash.clone(), entry.clone());
                }
            }
        }
        let mut json = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
        json.push('\n');
        crate::atomic::write_atomic(path, json.as_bytes(), true).map_err(write_err)?;
        Ok(manifest)
    }
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
