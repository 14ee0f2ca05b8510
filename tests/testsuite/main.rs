//! r2filter's integration tests: one binary (one link of s3s, aws-sdk-s3 and
//! mdbook-driver, not one per area), a module per area, one harness
//! ([`support`]).
//!
//! Run one area with `cargo test --test testsuite ux::`; refresh the exact
//! snapshots (`str![]`) with `SNAPSHOTS=overwrite cargo test --test testsuite`.

mod support;

/// The scan + splice properties, shared with the cargo-fuzz target.
mod props;

/// What `props` reaches the library through (the fuzz target defines its own).
mod r2 {
    pub use r2filter::{resolve, rewrite, scan};
}

mod audit;
mod bad_input;
mod batch;
mod commonmark;
mod concurrency;
mod crash;
mod docs;
mod eject;
mod faults;
mod filter;
mod frontmatter;
mod hexo;
mod layout;
mod lean;
mod mdbook;
mod mdbook_parity;
mod mdx;
mod migrate;
mod moto;
mod nextjs;
mod npm;
mod orphans;
mod privacy;
mod properties;
mod release;
mod scanner;
mod statcache;
mod uploads;
mod ux;
