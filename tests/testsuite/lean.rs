//! The lean `mdbook-r2filter`: mdBook starts it twice per build, so it links
//! no S3 client (about half the start-up cost of `r2filter`); a build that
//! must upload to S3 is handed, input and all, to `r2filter mdbook`.

use crate::support::*;

fn contains(haystack: &[u8], needle: &str) -> bool {
    regex::bytes::Regex::new(&regex::escape(needle))
        .unwrap()
        .is_match(haystack)
}

/// The bytes of section `name` of a 64-bit little-endian ELF file (what is
/// loaded, unlike the debug info, which names every crate's files).
fn elf_section<'a>(elf: &'a [u8], name: &str) -> &'a [u8] {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap()) as usize;
    assert_eq!(&elf[..5], b"\x7fELF\x02", "a 64-bit ELF file");
    let (shoff, shentsize, shnum, shstrndx) =
        (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let header = |i: usize| shoff + i * shentsize;
    let names = u64_at(header(shstrndx) + 0x18);
    (0..shnum)
        .map(header)
        .find(|&h| {
            let at = names + u32_at(h);
            elf[at..].split(|&b| b == 0).next() == Some(name.as_bytes())
        })
        .map(|h| &elf[u64_at(h + 0x18)..u64_at(h + 0x18) + u64_at(h + 0x20)])
        .unwrap_or_else(|| panic!("no section {name}"))
}

#[test]
fn mdbook_r2filter_links_no_s3_client() {
    // The SDK's source paths (in its panic locations, in .rodata) are in every
    // binary that links its code.
    let full = std::fs::read(R2FILTER).unwrap();
    let lean = std::fs::read(MDBOOK_R2FILTER).unwrap();
    assert!(
        contains(elf_section(&full, ".rodata"), "aws-sdk-s3"),
        "the marker is meaningful"
    );
    assert!(
        !contains(elf_section(&lean, ".rodata"), "aws-sdk-s3"),
        "mdbook-r2filter links aws-sdk-s3"
    );
    let (text_full, text_lean) = (
        elf_section(&full, ".text").len(),
        elf_section(&lean, ".text").len(),
    );
    assert!(text_lean < text_full / 2, "{text_lean} vs {text_full}");
}

#[test]
fn a_book_to_upload_is_handed_to_r2filter_and_a_warm_one_is_not() {
    let s3 = S3Server::start();
    let book = Book::new();
    // mdbook-r2filter alone in a folder, nothing on PATH: it cannot upload.
    let alone = book.dir.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    let lean = alone.join("mdbook-r2filter");
    std::fs::copy(MDBOOK_R2FILTER, &lean).unwrap();
    let script = book.dir.path().join("lean.sh");
    std::fs::write(
        &script,
        format!(
            "exec env -i HOME='{home}' AWS_CONFIG_FILE='{home}/none' AWS_SHARED_CREDENTIALS_FILE='{home}/none' \
             AWS_EC2_METADATA_DISABLED=true NO_COLOR=1 AWS_ACCESS_KEY_ID={ACCESS_KEY} \
             AWS_SECRET_ACCESS_KEY={SECRET_KEY} '{}' \"$@\" 2>>'{}'\n",
            lean.display(),
            book.stderr_log().display(),
            home = book.dir.path().display(),
        ),
    )
    .unwrap();
    let command = format!("sh '{}'", script.display());
    book.configure(&s3, Via::Binary, &[("command", &command)]);
    let err = book.build().unwrap_err();
    assert!(
        book.stderr()
            .contains("mdbook-r2filter hands uploads to the `r2filter` program"),
        "{err}"
    );
    assert_eq!(s3.requests().len(), 0, "no request before the hand-over");

    // With r2filter beside it, the cold build is handed over and uploads.
    std::fs::copy(R2FILTER, alone.join("r2filter")).unwrap();
    book.build().unwrap();
    let puts = s3.count("PUT");
    assert!(puts > 0);
    assert!(book.html("index.html").contains(PUBLIC_URL));

    // Warm: the lean binary answers alone (r2filter removed again).
    std::fs::remove_file(alone.join("r2filter")).unwrap();
    s3.forget_requests();
    book.build().unwrap();
    assert_eq!(s3.requests().len(), 0);
    assert!(book.html("index.html").contains(PUBLIC_URL));
}
