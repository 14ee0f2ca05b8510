//! `images-index = "public/r2filter-images.json"`: what a site's templates
//! need to know about each published image, keyed by its public URL:
//!
//! ```json
//! {
//!   "https://assets.example.com/blog/2026/11/3f2a9c1b7d4e.png": {
//!     "bytes": 48213,
//!     "height": 630,
//!     "placeholder": "data:image/png;base64,iVBORw0KGgo…",
//!     "type": "image/png",
//!     "width": 1200
//!   }
//! }
//! ```
//!
//! It is made from the manifest alone, so a clone whose images have moved to
//! the bucket writes the same index without a file or a request. Keys are
//! sorted at both levels (it diffs well in git); `width` and `height` are
//! `null` when unknown, with `unreadable` saying why when the header could
//! not be read. The schema is docs/src/reference/images-index.schema.json.
//! The file is replaced atomically, and only when its bytes change.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::manifest::Manifest;

/// One object, as the index shows it (fields in alphabetical order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexEntry {
    /// The object's size in bytes.
    pub bytes: u64,
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Its Content-Type.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    pub width: Option<u32>,
}

/// The index of every object `manifest` names, by public URL.
pub fn entries(manifest: &Manifest) -> BTreeMap<&str, IndexEntry> {
    manifest
        .objects
        .values()
        .map(|e| {
            let entry = IndexEntry {
                bytes: e.size,
                height: e.height,
                placeholder: e.placeholder.clone(),
                kind: e.content_type.clone(),
                unreadable: e.unreadable.clone(),
                width: e.width,
            };
            (e.url.as_str(), entry)
        })
        .collect()
}

/// The index's text: pretty JSON, sorted, ending with a newline.
pub fn render(manifest: &Manifest) -> String {
    let mut json = serde_json::to_string_pretty(&entries(manifest)).expect("an index serializes");
    json.push('\n');
    json
}

/// Writes the index of `manifest` to `path` (its folder created when
/// missing), atomically, unless the file already holds these bytes.
/// Returns whether it was written.
pub fn write(path: &Path, manifest: &Manifest) -> std::io::Result<bool> {
    let text = render(manifest);
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(false);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::atomic::write_atomic(path, text.as_bytes(), true)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Destination, Entry};

    fn manifest() -> Manifest {
        let mut m = Manifest::new(Destination {
            store: "local".into(),
            endpoint: None,
            bucket: None,
            public_url: "https://cdn.example.com".into(),
        });
        let entry = |key: &str, size| Entry {
            key: key.into(),
            url: format!("https://cdn.example.com/{key}"),
            size,
            content_type: "image/png".into(),
            uploaded: "2026-11-28T00:00:00Z".into(),
            ..Entry::default()
        };
        m.objects.insert(
            "bb".into(),
            Entry {
                width: Some(1200),
                height: Some(630),
                placeholder: Some("data:image/png;base64,AAAA".into()),
                ..entry("a.png", 10)
            },
        );
        m.objects.insert(
            "aa".into(),
            Entry {
                unreadable: Some("its header is cut off".into()),
                ..entry("b.png", 20)
            },
        );
        m.objects.insert("cc".into(), entry("c.png", 30));
        m
    }

    #[test]
    fn sorted_by_url_and_field_with_nulls_for_unknown_sizes() {
        assert_eq!(
            render(&manifest()),
            r#"{
  "https://cdn.example.com/a.png": {
    "bytes": 10,
    "height": 630,
    "placeholder": "data:image/png;base64,AAAA",
    "type": "image/png",
    "width": 1200
  },
  "https://cdn.example.com/b.png": {
    "bytes": 20,
    "height": null,
    "type": "image/png",
    "unreadable": "its header is cut off",
    "width": null
  },
  "https://cdn.example.com/c.png": {
    "bytes": 30,
    "height": null,
    "type": "image/png",
    "width": null
  }
}
"#
        );
    }

    #[test]
    fn written_into_a_new_folder_and_only_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("public/nested/r2filter-images.json");
        assert!(write(&path, &manifest()).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), render(&manifest()));
        assert!(!write(&path, &manifest()).unwrap());
        let empty = Manifest::new(manifest().destination);
        assert!(write(&path, &empty).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
    }
}
