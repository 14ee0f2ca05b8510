//! r2filter: move a static site's images to S3-compatible object storage
//! (Cloudflare R2 first) at build time, and rewrite the Markdown so that only
//! those URLs change.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`scan`] finds image references with their byte spans (pulldown-cmark's
//!    offset iterator; [`html`] for raw HTML and JSX attributes),
//! 2. [`resolve`] turns local paths into files, confined to the root,
//! 3. [`object`] hashes (SHA-256), sniffs the Content-Type and names the key
//!    ([`statcache`] skips the read for files unchanged since the last run),
//! 4. [`manifest`] remembers what is already uploaded,
//! 5. [`store`] talks to the bucket (or a local folder) and [`upload`] sends what
//!    is missing under bounded concurrency,
//! 6. [`rewrite`] splices the new URLs into the source bytes.
//!
//! [`pipeline::run`] drives them over a batch of documents ([`batch`] writes
//! them back, made durable by [`durable`]); [`config`] and
//! [`cli`] are the edges. [`audit`] holds `r2filter check` (offline: is every
//! image in the manifest?) and `r2filter verify` (is every manifest object in
//! the bucket?).

pub mod audit;
pub mod batch;
pub mod cli;
pub mod config;
pub mod durable;
pub mod error;
pub mod manifest;
pub mod mdbook;
pub mod object;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod resolve;
pub mod rewrite;
pub mod scan;
pub mod statcache;
pub mod store;
pub mod upload;

pub use error::Error;
