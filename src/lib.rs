//! r2filter: move a static site's images to S3-compatible object storage
//! (Cloudflare R2 first) at build time, and rewrite the Markdown so that only
//! those URLs change.
//!
//! [`run`] takes a batch of [`Document`]s through five phases
//! ([`pipeline`]): locate (scan each document for image references with
//! their byte spans, [`scan`]; resolve local paths to files inside the root,
//! [`resolve`]), hash (SHA-256 and the sniffed type, [`object`], skipping
//! unchanged files by the stat cache), plan (a key and URL per content, from
//! the manifest or new), upload (what the bucket lacks, to S3 or a local
//! folder) and splice (the new URLs into the source bytes, [`rewrite`]).
//!
//! The public API is that run, its [`Config`] (from [`Settings`] layers), the
//! pure stages above (used by the fuzz target and the examples) and the
//! command line ([`cli`]) the binaries run; the rest is internal.
//!
//! ```no_run
//! use r2filter::{Document, Options, Settings, run};
//! let cfg = Settings {
//!     local_store: Some("bucket".into()),
//!     ..Settings::default()
//! }
//! .resolve(std::path::Path::new("."), std::path::Path::new("."))?;
//! let doc = Document {
//!     name: "post.md".into(),
//!     base_dir: ".".into(),
//!     text: "![a](a.png)\n".into(),
//!     flavor: r2filter::scan::Flavor::Markdown,
//! };
//! let outcome = run(&cfg, &[doc], Options::default())?;
//! print!("{}", outcome.outputs[0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod atomic;
mod audit;
mod batch;
pub mod cli;
mod config;
mod document;
mod eject;
mod error;
mod manifest;
mod mdbook;
mod migrate;
pub mod object;
mod orphans;
mod pipeline;
mod progress;
mod published;
mod report;
pub mod resolve;
pub mod rewrite;
pub mod scan;
mod statcache;
mod store;
pub mod transform;
mod upload;

pub use config::{Config, ConfigError, OnMissing, Settings};
pub use document::{Document, ReadError};
pub use error::{Error, ExitStatus, Location, Problem, ReferenceError};
pub use pipeline::{Options, Outcome, Planned, Record, Status, Summary, run};
pub use progress::{NoProgress, Progress};
