//! Any UTF-8 text inside a YAML (`---`) and a TOML (`+++`) block at the start
//! of a document, followed by Markdown: scan + splice keep every property in
//! r2filter_text::props, and the block is front matter only at the start.
#![no_main]

use libfuzzer_sys::fuzz_target;

use r2filter_text::{props, scan};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (block, body) = text.split_once("\n\n").unwrap_or((text, ""));
    for fence in ["---", "+++"] {
        let doc = format!("{fence}\n{block}\n{fence}\n\n{body}");
        for flavor in [scan::Flavor::Markdown, scan::Flavor::Mdx] {
            if let Err(e) = props::check(&doc, flavor) {
                panic!("{e}");
            }
        }
        // The same block further down is never front matter.
        let later = format!("Intro.\n\n{fence}\n{block}\n{fence}\n");
        assert!(scan::frontmatter::detect(&later).is_none());
    }
});
