//! r2filter's integration tests: one binary (one link of s3s, aws-sdk-s3 and
//! mdbook-driver, not one per area), a module per area, one harness
//! ([`support`]).
//!
//! Run one area with `cargo test --test testsuite ux::`; refresh the exact
//! snapshots (`str![]`) with `SNAPSHOTS=overwrite cargo test --test testsuite`.

// A test is one scenario read top to bottom, each step beside its
// assertions; the 80-line limit (clippy.toml) is for the product's code.
#![allow(clippy::too_many_lines)]

mod support;

mod adopt;
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
mod hugo;
mod images;
mod lean;
mod mdbook;
mod mdbook_parity;
mod mdx;
mod media;
mod migrate;
mod moto;
mod nextjs;
mod npm;
mod obsidian;
mod orphans;
mod privacy;
mod region;
mod release;
mod scanner;
mod sites;
mod sites_hugo_obsidian;
mod statcache;
mod uploads;
mod ux;
