//! Any UTF-8 text as MDX: scan + splice must not panic and must keep the
//! properties in r2filter_text::props.
#![no_main]

use libfuzzer_sys::fuzz_target;

use r2filter_text::{props, scan};

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = std::str::from_utf8(data)
        && let Err(e) = props::check(doc, scan::Flavor::Mdx)
    {
        panic!("{e}");
    }
});
