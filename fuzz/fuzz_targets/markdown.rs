//! Any UTF-8 text as a `.md` document and as an mdBook chapter: scan +
//! splice must not panic and must keep every property in r2filter_text::props
//! (bytes outside reference spans untouched, idempotent, URLs parse back,
//! same events).
#![no_main]

use libfuzzer_sys::fuzz_target;

use r2filter_text::{props, scan};

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = std::str::from_utf8(data) {
        for flavor in [
            scan::Flavor::Markdown,
            scan::Flavor::MdBook(scan::MdBookMarkdown::default()),
        ] {
            if let Err(e) = props::check(doc, flavor) {
                panic!("{e}");
            }
        }
    }
});
