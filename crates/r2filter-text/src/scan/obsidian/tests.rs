// Byte-exact input/expected pairs: every local image is rewritten to
// `https://cdn.example/<its path>` and the whole output compared.
#![allow(clippy::string_slice)]

use super::{Embed, parse, render};
use crate::resolve::{Url, classify};
use crate::rewrite::{Replacement, replacement, splice, stable};
use crate::scan::{Context, Flavor, ScanOptions, scan};

fn opts() -> ScanOptions {
    ScanOptions {
        wikilinks: true,
        ..Flavor::Markdown.into()
    }
}

fn rewrite(doc: &str) -> String {
    let opts = opts();
    let found = scan(doc, &opts).unwrap();
    stable(doc, &opts, &found).unwrap();
    let reps: Vec<Replacement> = found
        .references
        .iter()
        .filter_map(|r| {
            let Url::Local { path, suffix } = classify(&r.url, r.context) else {
                return None;
            };
            let url = format!("https://cdn.example/{}{suffix}", path.replace(' ', "%20"));
            Some(Replacement {
                span: r.span.clone(),
                text: replacement(r.context, &url, &doc[r.span.clone()]),
            })
        })
        .collect();
    splice(doc, &reps)
}

#[test]
fn embeds_become_images() {
    let cases = [
        (
            "![[cat.png]]\n",
            "![cat\\.png](<https://cdn.example/cat.png>)\n",
        ),
        (
            "![[photos/my cat.png]]\n",
            "![photos\\/my cat\\.png](<https://cdn.example/photos/my%20cat.png>)\n",
        ),
        (
            "A ![[cat.png|A *fat* cat]] here.\n",
            "A ![A \\*fat\\* cat](<https://cdn.example/cat.png>) here.\n",
        ),
        (
            "![[cat.png|300]]\nnext line *em*\n",
            "<span><img src=\"https://cdn.example/cat.png\" alt=\"cat.png\" width=\"300\"></span>\nnext line *em*\n",
        ),
        (
            "> ![[cat.png|Tom & \"Jerry\"|300x200]]\n",
            "> <span><img src=\"https://cdn.example/cat.png\" alt=\"Tom &amp; &quot;Jerry&quot;\" width=\"300\" height=\"200\"></span>\n",
        ),
        (
            "![[cat.png#outline|100]]\n",
            "<span><img src=\"https://cdn.example/cat.png#outline\" alt=\"cat.png\" width=\"100\"></span>\n",
        ),
        (
            "| a |\n|---|\n| ![[cat.png\\|A cat\\|300]] |\n| ![[dog.png\\|A\\|dog]] |\n",
            "| a |\n|---|\n| <span><img src=\"https://cdn.example/cat.png\" alt=\"A cat\" width=\"300\"></span> |\n| ![A\\|dog](<https://cdn.example/dog.png>) |\n",
        ),
        (
            "![[100%.png]] ![[a?.png]]\n",
            "![100\\%\\.png](<https://cdn.example/100%.png>) ![a\\?\\.png](<https://cdn.example/a?.png>)\n",
        ),
    ];
    for (doc, want) in cases {
        assert_eq!(rewrite(doc), want, "{doc:?}");
    }
}

#[test]
fn notes_links_code_and_html_are_left_alone() {
    for doc in [
        "![[Note]] ![[Note#Heading]] [[cat.png]] [[Note|alias]]\n",
        "![[paper.pdf]] ![[clip.mp4]]\n",
        "`![[cat.png]]`\n\n```\n![[cat.png]]\n```\n\n    ![[cat.png]]\n",
        "<div>\n![[cat.png]]\n</div>\n",
        "\\![[cat.png]] !\\[[cat.png]]\n",
    ] {
        assert_eq!(rewrite(doc), doc, "{doc:?}");
    }
}

#[test]
fn off_unless_asked_for_and_never_in_mdx_or_mdbook() {
    let doc = "![[cat.png]]\n";
    let plain: ScanOptions = Flavor::Markdown.into();
    assert!(scan(doc, &plain).unwrap().references.is_empty());
    for flavor in [
        Flavor::Mdx,
        Flavor::MdBook(crate::scan::MdBookMarkdown::default()),
    ] {
        let o = ScanOptions { flavor, ..opts() };
        assert!(scan(doc, &o).unwrap().references.is_empty(), "{flavor:?}");
    }
}

#[test]
fn markdown_images_beside_embeds_are_unchanged() {
    let doc = "![a](a.png) ![[b.png]] [x](c.png)\n";
    assert_eq!(
        rewrite(doc),
        "![a](https://cdn.example/a.png) ![b\\.png](<https://cdn.example/b.png>) [x](https://cdn.example/c.png)\n"
    );
}

#[test]
fn references_carry_the_link_as_a_path() {
    let doc = "x ![[sub/a b.png#x|cap]]\n";
    let r = &scan(doc, &opts()).unwrap().references[0];
    assert_eq!(&doc[r.span.clone()], "![[sub/a b.png#x|cap]]");
    assert_eq!(r.context, Context::Embed);
    assert_eq!(
        classify(&r.url, r.context),
        Url::Local {
            path: "sub/a b.png".into(),
            suffix: "#x".into()
        }
    );
}

#[test]
fn aliases_as_obsidian_reads_them() {
    let cases = [
        ("![[a.png]]", None, None, None),
        ("![[a.png|300]]", None, Some("300"), None),
        ("![[a.png| 300x200 ]]", None, Some("300"), Some("200")),
        ("![[a.png|cap]]", Some("cap"), None, None),
        ("![[a.png|cap|300]]", Some("cap"), Some("300"), None),
        ("![[a.png|a|b|300]]", Some("a|b"), Some("300"), None),
        ("![[a.png|2nd edition]]", Some("2nd edition"), None, None),
        ("![[a.png|300x]]", Some("300x"), None, None),
    ];
    for (raw, alt, width, height) in cases {
        let e: Embed<'_> = parse(raw).unwrap();
        assert_eq!(
            (e.alt.as_deref(), e.width, e.height),
            (alt, width, height),
            "{raw}"
        );
    }
}

#[test]
fn renderings_read_back() {
    // The new text holds one image at the URL, whatever the alt text.
    for raw in [
        "![[a.png|x](y) *z* <b> & `c`]]",
        "![[a.png|x](y)|20]]",
        "![[a b.png]]",
    ] {
        let out = render(raw, "https://cdn.example/a(1) b.png");
        let found = scan(&out, &Flavor::Markdown.into()).unwrap().references;
        assert_eq!(found.len(), 1, "{out}");
        assert_eq!(found[0].url, "https://cdn.example/a(1) b.png", "{out}");
    }
}
