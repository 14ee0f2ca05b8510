//! The library's stage files, at the crate root as in r2filter (they refer
//! to each other as crate::scan, crate::resolve), shared by every target.
#![allow(dead_code, unused_imports)]

#[path = "../../src/resolve.rs"]
pub mod resolve;
#[path = "../../src/rewrite.rs"]
pub mod rewrite;
#[path = "../../src/scan/mod.rs"]
pub mod scan;

/// What the shared checks reach the library through.
pub mod r2 {
    pub(crate) use crate::{resolve, rewrite, scan};
}

#[path = "../../tests/testsuite/props/mod.rs"]
pub mod props;
