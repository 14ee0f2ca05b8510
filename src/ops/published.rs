//! The references in documents that point at this destination's objects:
//! what `r2filter migrate` and `r2filter eject` start from once documents
//! hold public URLs instead of paths.
//!
//! A URL is this destination's when it starts with `public-url/`; the
//! manifest then says which object (by its URL) it is. A `?query` or
//! `#fragment` after it is kept apart.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::document::Document;
use crate::error::{Location, Problem, ReferenceError};
use crate::manifest::{Entry, Manifest};
use r2filter_text::scan::{self, Reference, ScanOptions};

/// A reference to one of the manifest's objects.
#[derive(Debug, Clone)]
pub struct Published {
    /// Index of the document.
    pub doc: usize,
    pub reference: Reference,
    pub sha256: String,
    /// `?query#fragment` after the URL.
    pub suffix: String,
}

/// What the documents point at.
#[derive(Debug, Default)]
pub struct Found {
    pub published: Vec<Published>,
    /// URLs under `public-url` that the manifest does not know.
    pub unknown: Vec<(usize, Reference)>,
    /// Documents that could not be scanned (front matter that does not parse).
    pub problems: Vec<ReferenceError>,
}

/// Scans `docs` for URLs of `cfg`'s destination.
pub fn find(cfg: &Config, docs: &[Document], manifest: &Manifest) -> Found {
    let by_url: BTreeMap<&str, (&str, &Entry)> = manifest.by_url();
    let base = format!("{}/", cfg.destination.public_url);
    let mut found = Found::default();
    for (d, doc) in docs.iter().enumerate() {
        let opts = ScanOptions {
            hexo_assets: None,
            ..cfg.scan_options(doc.flavor, &doc.name)
        };
        let references = match scan::scan(&doc.text, &opts) {
            Ok(scanned) => scanned.references,
            Err(e) => {
                let offset = e.offset();
                let mut problem = Problem::from(e);
                problem.read_with(&cfg.profile);
                found.problems.push(ReferenceError {
                    at: Location::new(&doc.name, &doc.text, offset..offset),
                    problem,
                });
                continue;
            }
        };
        for reference in references {
            let url = reference.url.trim();
            if !url.starts_with(&base) {
                continue;
            }
            let cut = url.find(['?', '#']).unwrap_or(url.len());
            let (bare, suffix) = url.split_at(cut);
            match by_url.get(bare) {
                Some((sha, _)) => found.published.push(Published {
                    doc: d,
                    sha256: sha.to_string(),
                    suffix: suffix.to_string(),
                    reference,
                }),
                None => found.unknown.push((d, reference)),
            }
        }
    }
    found
}
