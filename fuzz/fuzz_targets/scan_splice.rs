//! Any bytes that are UTF-8, as Markdown and as MDX: scan + splice must not
//! panic and must keep every property in tests/testsuite/props/mod.rs (bytes outside
//! reference spans untouched, idempotent, URLs parse back, same events).
#![no_main]
#![allow(dead_code)]

use libfuzzer_sys::fuzz_target;

// The library's own stage files, at the crate root as in r2filter (they
// refer to each other as crate::scan, crate::resolve).
#[path = "../../src/resolve.rs"]
mod resolve;
#[path = "../../src/rewrite.rs"]
mod rewrite;
#[path = "../../src/scan/mod.rs"]
mod scan;

/// What the shared checks reach the library through.
mod r2 {
    pub(crate) use crate::{resolve, rewrite, scan};
}

#[path = "../../tests/testsuite/props/mod.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = std::str::from_utf8(data) {
        for flavor in [scan::Flavor::Markdown, scan::Flavor::Mdx] {
            if let Err(e) = props::check(doc, flavor) {
                panic!("{e}");
            }
        }
    }
});
