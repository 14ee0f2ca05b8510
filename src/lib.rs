//! r2filter: move a static site's images to S3-compatible object storage
//! (Cloudflare R2 first) at build time, and rewrite the Markdown so that only
//! those URLs change.
//!
//! [`run`] takes a batch of [`Document`]s through the pipeline: find each
//! image reference and its file, hash each file, decide what each image is
//! published as and under which key, upload what the bucket lacks, and splice
//! the new URLs into the source bytes. The text stages (scanning and
//! splicing) are the [`r2filter_text`] crate; this crate adds the files, the
//! stores and the manifest around them.
//!
//! The public API is that run and its [`Config`] (from [`Settings`] layers),
//! the many-files reader and writer ([`batch`]), the manifest ([`manifest`]),
//! what an image is ([`object`]) and what it is published as ([`transform`]),
//! and the command line ([`cli`]) the binaries run; the rest is internal.
//! The `s3` feature (on by default) adds S3-compatible stores; without it the
//! pipeline publishes to a local folder only.
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
//!     flavor: r2filter_text::scan::Flavor::Markdown,
//! };
//! let outcome = run(&cfg, &[doc], Options::default())?;
//! print!("{}", outcome.outputs[0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod adopt;
mod atomic;
pub mod batch;
pub mod cli;
mod config;
mod document;
mod error;
pub mod images_index;
pub mod manifest;
pub mod measure;
mod nextjs;
pub mod object;
mod ops;
mod pipeline;
mod progress;
mod resolve;
pub mod site;
mod store;
pub mod transform;

pub use config::{Config, ConfigError, OnMissing, Settings};
pub use document::{Document, ReadError};
pub use error::{Error, ExitStatus, Location, Problem, ReferenceError};
pub use pipeline::{Options, Outcome, Planned, Record, Status, Summary, run};
pub use progress::{NoProgress, Progress};
