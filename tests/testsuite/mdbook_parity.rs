//! Issue 10, case 10: a book of edge cases built by mdBook with and without
//! the preprocessor. The two renderings must be the same page but for the
//! image URLs: mdBook parses chapters with its own options (definition lists
//! on, no front matter), and so must r2filter.

use std::path::Path;

use crate::support::*;

const R2FILTER: &str = env!("CARGO_BIN_EXE_r2filter");

/// The edge cases, with the exact inputs of the issue.
const CHAPTER: &str = "---\nimage: img/a.png\n---\n\n\
---\n![x](img/a.png)\n---\n\n\
Term\n:     ![y](img/a.png)\n\n\
Fenced\n: ```\n  ![not](img/none.png)\n  ```\n\n\
After the definition: ![b](img/b.png)\n\n\
<a href=\"img/a.png\">full size</a>\n";

fn book(dir: &Path, with_preprocessor: bool) {
    let mut toml = "[book]\ntitle = \"edge\"\nsrc = \"src\"\n".to_string();
    if with_preprocessor {
        toml.push_str(&format!(
            "\n[preprocessor.r2filter]\ncommand = \"'{R2FILTER}' mdbook\"\nafter = [\"links\"]\n\
             local-store = \"bucket\"\npublic-url = \"{PUBLIC_URL}\"\nkey-template = \"{{hash}}.{{ext}}\"\n"
        ));
    }
    std::fs::create_dir_all(dir.join("src/img")).unwrap();
    std::fs::write(dir.join("book.toml"), toml).unwrap();
    std::fs::write(
        dir.join("src/SUMMARY.md"),
        "# Summary\n\n- [Edge](edge.md)\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/edge.md"), CHAPTER).unwrap();
    std::fs::write(dir.join("src/img/a.png"), png(1)).unwrap();
    std::fs::write(dir.join("src/img/b.png"), png(2)).unwrap();
    mdbook_driver::MDBook::load(dir)
        .and_then(|b| b.build())
        .unwrap_or_else(|e| panic!("{e:#}"));
}

#[test]
fn a_book_renders_the_same_but_for_image_urls() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    let with = tmp.path().join("with");
    book(&plain, false);
    book(&with, true);
    let page = |dir: &Path| std::fs::read_to_string(dir.join("book/edge.html")).unwrap();
    let (plain, with) = (page(&plain), page(&with));

    let a = format!("{PUBLIC_URL}/{}.png", sha256_hex(&png(1)));
    let b = format!("{PUBLIC_URL}/{}.png", sha256_hex(&png(2)));
    // Only attribute values change: the heading "image: img/a.png" (and its
    // anchor) and the code in the definition stay as mdBook rendered them.
    let expected = plain
        .replace("src=\"img/a.png\"", &format!("src=\"{a}\""))
        .replace("href=\"img/a.png\"", &format!("href=\"{a}\""))
        .replace("src=\"img/b.png\"", &format!("src=\"{b}\""));
    assert_ne!(expected, plain, "the page names the images");
    assert_eq!(with, expected);
    // Every image the page loads or links to is on the bucket.
    assert!(!with.contains("=\"img/"), "{with}");
    assert!(with.contains("image: img/a.png"), "{with}");
    assert!(with.contains("![y](img/a.png)"), "{with}");
}
