//! `r2filter check --remote`: every remote image reference of the documents
//! (any host, listed in `adopt` or not), asked whether it is still there, so
//! CI sees link rot before readers do. Each distinct URL is asked once, with
//! HEAD (a one-byte ranged GET where HEAD is not answered), `concurrency` at
//! once and [`super::PER_HOST`] per host, under the same address rules as
//! adopting (`adopt-private`).

use r2filter_text::resolve::{Skip, Url, classify};

use crate::config::Config;
use crate::document::Document;
use crate::error::{Error, Location, Problem, ReferenceError};

/// What [`check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteChecked {
    /// Remote image references (http, https, `//`).
    pub references: usize,
    /// Distinct URLs asked.
    pub urls: usize,
}

/// One remote reference: its document, where, and the URL asked.
struct Found {
    doc: usize,
    span: std::ops::Range<usize>,
    url: String,
}

/// Asks every remote image URL of `docs`; `Err(Error::Documents)` lists the
/// dead ones (each reference, with the status or the reason), in document
/// order.
pub fn check(cfg: &Config, docs: &[Document]) -> Result<RemoteChecked, Error> {
    let (scans, _) = crate::pipeline::locate::scan_all(cfg, docs);
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for (d, scanned) in scans.into_iter().enumerate() {
        let scanned = match scanned {
            Ok(s) => s,
            Err(e) => {
                let offset = e.offset();
                problems.push(ReferenceError {
                    at: Location::new(&docs[d].name, &docs[d].text, offset..offset),
                    problem: e.into(),
                });
                continue;
            }
        };
        for r in scanned.references {
            if classify(&r.url, r.context) != Url::Skip(Skip::Remote) {
                continue;
            }
            if let Some(mut url) = super::parse_remote(&r.url) {
                url.set_fragment(None);
                found.push(Found {
                    doc: d,
                    span: r.span,
                    url: url.to_string(),
                });
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Documents(problems));
    }
    let mut urls: Vec<&str> = found.iter().map(|f| f.url.as_str()).collect();
    urls.sort_unstable();
    urls.dedup();
    let answers = probe(cfg, &urls)?;
    for f in &found {
        let i = urls.binary_search(&f.url.as_str()).expect("asked");
        let status = match &answers[i] {
            Ok(status) if (200..300).contains(status) => continue,
            Ok(status) => format!("HTTP {status}"),
            Err(e) => e.to_string(),
        };
        let d = &docs[f.doc];
        problems.push(ReferenceError {
            at: Location::new(&d.name, &d.text, f.span.clone()),
            problem: Problem::DeadRemote {
                url: f.url.clone(),
                status,
            },
        });
    }
    if problems.is_empty() {
        Ok(RemoteChecked {
            references: found.len(),
            urls: urls.len(),
        })
    } else {
        Err(Error::Documents(problems))
    }
}

/// Each URL's final status, or why there is none.
#[cfg(feature = "s3")]
fn probe(cfg: &Config, urls: &[&str]) -> Result<Vec<Result<u16, super::AdoptError>>, Error> {
    if urls.is_empty() {
        return Ok(Vec::new());
    }
    let fetcher = super::http::Fetcher::for_check(&cfg.adopt, cfg.concurrency)
        .map_err(|e| Error::Network(e.to_string()))?;
    let parsed: Vec<url::Url> = urls
        .iter()
        .map(|u| url::Url::parse(u).expect("parsed before"))
        .collect();
    Ok(fetcher.probe_all(&parsed))
}

#[cfg(not(feature = "s3"))]
fn probe(_: &Config, urls: &[&str]) -> Result<Vec<Result<u16, super::AdoptError>>, Error> {
    if urls.is_empty() {
        return Ok(Vec::new());
    }
    Err(Error::NeedsNetwork {
        what: "checking remote images",
    })
}
