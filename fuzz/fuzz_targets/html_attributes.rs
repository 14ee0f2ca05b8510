//! Any UTF-8 text as raw HTML: the tokenizer and the attribute and
//! character-reference decoding never panic, every span they give is on
//! character boundaries, and a URL written back with `attribute_value`
//! decodes to itself. (JSX is the mdx target's: it goes through markdown-rs.)
#![no_main]

use libfuzzer_sys::fuzz_target;

use r2filter_text::{rewrite, scan};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for tag in scan::html::start_tags(text) {
        for (span, _) in scan::html::image_attributes(text, &tag) {
            let raw = text
                .get(span.clone())
                .expect("spans are on char boundaries");
            let url = scan::html::attribute_url(raw);
            // A URL is written back so that it decodes to itself, and
            // nothing in it ends the value early.
            if url.contains(|c: char| c.is_ascii_whitespace() || matches!(c, '"' | '\'' | '>')) {
                continue;
            }
            for quote in [Some(b'"'), Some(b'\''), None] {
                let written = rewrite::attribute_value(&url, quote);
                assert_eq!(scan::html::attribute_url(&written), url, "{written:?}");
            }
        }
    }
    let _ = scan::html::commonmark_entity(text);
});
