//! The library's errors. Each one that concerns a document carries where
//! (document, line, column, the source line) and every error has a hint; the
//! binaries render them once ([`Error::render`]).

use std::fmt::Write as _;
use std::path::PathBuf;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::batch::BatchError;
use crate::config::ConfigError;
use crate::document::ReadError;
use crate::manifest::ManifestError;
use crate::resolve::ResolveError;
use crate::store::StoreError;
use r2filter_text::scan::ScanError;

/// A place in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The document's name as the user gave it (`<stdin>` for standard input).
    pub doc: String,
    pub line: usize,
    pub col: usize,
    /// The whole source line, for the caret display.
    pub source_line: String,
    /// How many terminal columns of the line the reference spans (a Chinese
    /// character takes two).
    pub width: usize,
}

impl Location {
    pub fn new(doc: &str, source: &str, span: std::ops::Range<usize>) -> Location {
        let (line, col) = r2filter_text::scan::line_col(source, span.start);
        let start = source[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let end = source[span.start..]
            .find('\n')
            .map_or(source.len(), |i| span.start + i);
        let line_text = source[start..end].trim_end_matches('\r');
        let width = source[span.start..span.end.min(end).max(span.start)]
            .width()
            .max(1);
        Location {
            doc: doc.into(),
            line,
            col,
            source_line: line_text.into(),
            width,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.doc, self.line, self.col)
    }
}

/// What is wrong with one reference.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error("{} is not an image (its bytes are not PNG, JPEG, GIF, WebP, AVIF, SVG, ICO, BMP or TIFF)", .path.display())]
    NotAnImage { path: PathBuf },
    /// A video, audio, captions or asset file whose bytes are not of the
    /// type its extension names.
    #[error("{} is not a .{ext} file (its bytes are {})", .path.display(), .found.map_or("of no type r2filter publishes".to_string(), |m| m.to_string()))]
    NotItsType {
        path: PathBuf,
        ext: String,
        found: Option<&'static str>,
    },
    /// Larger than `max-bytes`.
    #[error("{} has {size} bytes, more than max-bytes ({max})", .path.display())]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not in the manifest (--offline)", .path.display())]
    NotInManifest { path: PathBuf },
    #[error("uploading {}: {source}", .path.display())]
    Store { path: PathBuf, source: StoreError },
    #[error("{} is not in the manifest {}", .path.display(), .manifest.display())]
    NotUploaded { path: PathBuf, manifest: PathBuf },
    /// eject: a URL of this destination that the manifest does not know.
    #[error("{url} is not in the manifest, so its bytes cannot be checked")]
    UnknownUrl { url: String },
    /// eject: the file to restore is there with other bytes.
    #[error("{} already exists with other bytes than the object {key}", .path.display())]
    RestoreConflict { path: PathBuf, key: String },
    /// eject: the object could not be downloaded.
    #[error("downloading {key}: {source}")]
    Download {
        key: String,
        source: std::sync::Arc<StoreError>,
    },
    /// eject: the object's bytes are not the manifest's.
    #[error("the object {key} arrived with sha256 {found}; the manifest says {expected}")]
    Corrupt {
        key: String,
        found: String,
        expected: String,
    },
    #[error(
        "the image {url:?} is rendered, but its place in the source could not be found to rewrite it"
    )]
    Unmapped { url: String },
    /// adopt: the remote image could not be adopted (an error with `--strict`).
    #[error("{url}: not adopted: {source}")]
    Adopt {
        url: String,
        source: crate::adopt::AdoptError,
    },
    /// adopt: the remote image is not in the manifest yet (`--offline`, `check`).
    #[error("{url} is on an adopted host but not in the manifest{}", offline_note(*.offline))]
    NotAdopted { url: String, offline: bool },
    /// `check --remote`: the remote image did not answer.
    #[error("{url}: {status}")]
    DeadRemote { url: String, status: String },
    /// A document that does not parse, with how the site was read
    /// ([`crate::site::Profile::reading`]).
    #[error("{error}")]
    Refused { error: ScanError, reading: String },
}

impl Problem {
    /// The bytes of `path`, whose name ends in `.ext`, are `found` (a
    /// sniffed Content-Type, or none r2filter publishes), which that name
    /// does not allow.
    pub(crate) fn not_its_type(
        path: PathBuf,
        ext: Option<String>,
        found: Option<crate::object::ImageType>,
    ) -> Problem {
        use r2filter_text::resolve::MEDIA_EXTENSIONS;
        match ext {
            Some(ext)
                if MEDIA_EXTENSIONS.contains(&ext.as_str())
                    || crate::object::asset_type(&ext).is_some() =>
            {
                Problem::NotItsType {
                    path,
                    ext,
                    found: found.map(|k| k.mime),
                }
            }
            _ => Problem::NotAnImage { path },
        }
    }

    pub fn hint(&self) -> String {
        match self {
            Problem::Resolve(e) => e.hint(),
            Problem::Scan(e) => e.hint(),
            Problem::NotAnImage { .. } => "only images are published: fix the reference, or replace the file with a real image".into(),
            Problem::NotItsType { .. } => "r2filter publishes a file only when its bytes are of the type its name says: fix the reference, or replace the file".into(),
            Problem::TooLarge { .. } => "link to it elsewhere, compress it, or raise max-bytes".into(),
            Problem::Read { .. } => "check the file's permissions".into(),
            Problem::NotInManifest { .. } => "run once without --offline (with credentials) to upload it".into(),
            Problem::Store { source, .. } => source.hint(),
            Problem::NotUploaded { .. } => "run r2filter on this document (with credentials) to upload it, and commit the manifest".into(),
            Problem::UnknownUrl { .. } => "eject restores what the manifest records: pass the manifest that published it (--manifest), or set on-missing to warn to keep this URL as it is".into(),
            Problem::RestoreConflict { .. } => "eject never overwrites a file: move it away (or restore it from git) and run again".into(),
            Problem::Download { source, .. } => source.hint(),
            Problem::Corrupt { .. } => "the store served other bytes than were published: try again, or from the bucket (without --from-public-url); `r2filter verify` checks every object".into(),
            Problem::Unmapped { .. } => "write the destination plainly on one line (no line break or character reference inside it); please report this document to r2filter".into(),
            Problem::Adopt { source, .. } => format!("{}; without --strict it is kept as written and the run goes on", source.hint()),
            Problem::NotAdopted { .. } => "run r2filter once with the network to adopt it, and commit the manifest".into(),
            Problem::DeadRemote { .. } => "readers see a broken image: replace or remove it; if its host is dying, list the host in `adopt` (with the image still up) so r2filter keeps a copy".into(),
            Problem::Refused { error, reading } => format!("{reading}. {}", error.hint()),
        }
    }

    /// A document that does not parse says how it was read: the site's
    /// profile and the switch that would read it differently.
    pub(crate) fn read_with(&mut self, profile: &crate::site::Profile) {
        if let Problem::Scan(error @ (ScanError::Mdx { .. } | ScanError::FrontMatter(_))) = self {
            *self = Problem::Refused {
                error: error.clone(),
                reading: profile.reading(),
            };
        }
    }
}

fn offline_note(offline: bool) -> &'static str {
    if offline { " (--offline)" } else { "" }
}

/// What is wrong with one reference, and where it is.
#[derive(Debug)]
pub struct ReferenceError {
    pub at: Location,
    pub problem: Problem,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{} problem(s) with image references", .0.len())]
    Documents(Vec<ReferenceError>),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("cannot write {}: {source}", .path.display())]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Batch(#[from] BatchError),
    #[error("the root folder {}: {source}", .path.display())]
    Root {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `r2filter init` will not replace a file.
    #[error("{} already exists; nothing was written", .path.display())]
    Exists { path: PathBuf },
    /// `r2filter verify` could not ask the store.
    #[error("cannot verify: {0}")]
    Verify(StoreError),
    /// The store could not be opened for uploading.
    #[error("{0}")]
    StoreOpen(StoreError),
    /// `r2filter verify` found objects that differ from the manifest: one
    /// line per difference, `bad` objects of `objects`.
    #[error("{bad} of {objects} objects in the manifest are wrong in the bucket")]
    Mismatches {
        lines: Vec<String>,
        bad: usize,
        objects: usize,
    },
    /// `migrate`, `orphans`: the store could not be asked (or told).
    #[error("cannot {doing}: {source}")]
    Store {
        doing: &'static str,
        source: StoreError,
    },
    /// `migrate --delete`: git refused.
    #[error("`git {command}` failed: {message}")]
    Git { command: String, message: String },
    /// `migrate --delete`: a file could not be deleted.
    #[error("cannot delete {}: {source}", .path.display())]
    Delete {
        path: PathBuf,
        source: std::io::Error,
    },
    /// adopt, `check --remote`: the HTTP client could not be set up.
    #[error("cannot fetch remote images: {0}")]
    Network(String),
    /// adopt, `check --remote` in a build without the network (the lean
    /// mdbook-r2filter hands such a book to `r2filter mdbook`).
    #[error(
        "{what} needs the network, and this build of r2filter has none (built without its `s3` feature)"
    )]
    NeedsNetwork { what: &'static str },
}

/// How a run ends, as the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: everything done.
    Success = 0,
    /// 1: a document, an upload or a write failed.
    Failure = 1,
    /// 2: usage or configuration: nothing was tried.
    Usage = 2,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(status as u8)
    }
}

impl Error {
    /// [`ExitStatus::Usage`] for usage and configuration, else
    /// [`ExitStatus::Failure`].
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Config(_) | Error::Root { .. } | Error::Exists { .. } => ExitStatus::Usage,
            Error::Batch(e) if e.is_usage() => ExitStatus::Usage,
            Error::Manifest(ManifestError::OtherDestination { .. }) => ExitStatus::Usage,
            Error::StoreOpen(e) | Error::Verify(e) | Error::Store { source: e, .. }
                if e.is_config() =>
            {
                ExitStatus::Usage
            }
            _ => ExitStatus::Failure,
        }
    }

    /// The error as shown to a person: one block per problem, each with its
    /// location, the source line with a caret under the reference, and a hint.
    ///
    /// ```text
    /// error: post.md:3:10: image file not found: "img/a.png" (looked for img/a.png)
    ///   |
    /// 3 | Here: ![a](img/a.png)
    ///   |            ^^^^^^^^^
    ///   = hint: did you mean "img/A.png"?
    /// ```
    pub fn render(&self) -> String {
        let mut out = String::new();
        match self {
            Error::Documents(problems) => {
                for p in problems {
                    render_located(&mut out, p);
                }
                if problems.len() > 1 {
                    let _ = writeln!(
                        out,
                        "error: {} references failed; nothing was written",
                        problems.len()
                    );
                }
            }
            Error::Mismatches { lines, .. } => {
                for line in lines {
                    let _ = writeln!(out, "error: {line}");
                }
                block(&mut out, &self.to_string(), &self.hint());
            }
            _ => block(&mut out, &self.to_string(), &self.hint()),
        }
        out
    }

    /// What to do about it (for [`Error::Documents`], each problem has its own).
    pub fn hint(&self) -> String {
        match self {
            Error::Config(e) => e.hint(),
            Error::Manifest(e) => e.hint(),
            Error::Documents(_) => "see each reference's hint".into(),
            Error::Read(e) => e.hint(),
            Error::Output { .. } => "check the folder exists and is writable".into(),
            Error::Root { .. } => "set --root to an existing folder".into(),
            Error::Exists { .. } => "edit that file, or pass --force to replace it".into(),
            Error::Batch(e) => e.hint(),
            Error::Verify(e) | Error::StoreOpen(e) => e.hint(),
            Error::Mismatches { .. } => "run r2filter on the documents that use them to upload them again, or remove their entries from the manifest".into(),
            Error::Store { source, .. } => source.hint(),
            Error::Git { .. } => "git will not drop a file whose changes it has not recorded: commit or stash them, then run again (what git removed before the failure is staged)".into(),
            Error::Delete { .. } => "check the file's permissions".into(),
            Error::Network(_) => "check the machine's TLS setup (CA certificates)".into(),
            Error::NeedsNetwork { .. } => "run `r2filter`, which is built with it (`cargo install r2filter`)".into(),
        }
    }
}

fn block(out: &mut String, message: &str, hint: &str) {
    let _ = writeln!(out, "error: {message}");
    let _ = writeln!(out, "  = hint: {hint}");
}

fn render_located(out: &mut String, p: &ReferenceError) {
    let at = &p.at;
    let _ = writeln!(out, "error: {at}: {}", p.problem);
    let num = at.line.to_string();
    let pad = " ".repeat(num.len());
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{num} | {}", at.source_line);
    // Copy tabs and pad by display width, so the caret sits under the reference
    // on a terminal even after tabs or wide (CJK) characters.
    let lead: String = at
        .source_line
        .chars()
        .take(at.col.saturating_sub(1))
        .map(|c| match c {
            '\t' => "\t".to_string(),
            c => " ".repeat(c.width().unwrap_or(0)),
        })
        .collect();
    let _ = writeln!(out, "{pad} | {lead}{}", "^".repeat(at.width));
    let _ = writeln!(out, "{pad} = hint: {}", p.problem.hint());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_the_reference() {
        let src = "# T\n\tHere: ![a](img/a.png)\n";
        let start = src.find("img/").unwrap();
        let at = Location::new("post.md", src, start..start + 9);
        let e = Error::Documents(vec![ReferenceError {
            at,
            problem: Problem::NotInManifest {
                path: "img/a.png".into(),
            },
        }]);
        assert_eq!(
            e.render(),
            "error: post.md:2:13: img/a.png is not in the manifest (--offline)\n  |\n2 | \tHere: ![a](img/a.png)\n  | \t           ^^^^^^^^^\n  = hint: run once without --offline (with credentials) to upload it\n"
        );
    }
}
