//! Properties of scan + splice over generated Markdown (and any string at
//! all): no panic; the output differs from the input only inside reference
//! spans; applying the rewrite twice equals applying it once; the new URLs
//! parse back to themselves; the output parses to the same pulldown-cmark
//! events but for image/link destinations. The checks themselves are in
//! crates/r2filter-text/src/props.rs, shared with the cargo-fuzz target in fuzz/.
//!
//! `PROPTEST_CASES=20000 cargo test -p r2filter-text --test properties` for a longer run.

use r2filter_text::props;

use proptest::prelude::*;
use r2filter_text::scan::Flavor;

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("img/a.png".to_string()),
        Just("a b.png".to_string()),
        Just("截图.png".to_string()),
        Just("caf%C3%A9.png".to_string()),
        Just("a(1).png".to_string()),
        Just("a)b.png".to_string()),
        Just("../x.png".to_string()),
        Just("/abs.png".to_string()),
        Just("https://x.org/y.png".to_string()),
        Just("//cdn.example/z.png".to_string()),
        Just("data:image/png;base64,AAAA".to_string()),
        Just("#anchor".to_string()),
        Just("notes.md".to_string()),
        Just("img/b.jpg?v=1#top".to_string()),
        Just("diagram".to_string()),
        Just("a&amp;b.png".to_string()),
        Just("a\\_b.png".to_string()),
        Just("a<b>.png".to_string()),
        Just("a\"b'.png".to_string()),
        Just("".to_string()),
        "[a-zA-Z0-9_ ./-]{1,12}\\.(png|gif|svg|JPG|webp)",
    ]
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => path().prop_map(|p| format!("![alt]({p})")),
        2 => path().prop_map(|p| format!("![alt](<{p}> \"title\")")),
        2 => path().prop_map(|p| format!("[text]({p})")),
        1 => path().prop_map(|p| format!("[![a]({p})]({p})")),
        2 => (path(), "[a-z]{1,3}").prop_map(|(p, id)| format!("![r][{id}] ![{id}][] ![{id}]\n\n[{id}]: {p} \"t\"\n")),
        1 => path().prop_map(|p| format!("`![c]({p})`")),
        1 => path().prop_map(|p| format!("\n```md\n![c]({p})\n```\n")),
        1 => path().prop_map(|p| format!("\n    ![indented]({p})\n")),
        2 => path().prop_map(|p| format!("<img src=\"{p}\">")),
        1 => path().prop_map(|p| format!("\n<p>\n<img\n  src='{p}'\n  alt=x>\n</p>\n")),
        1 => path().prop_map(|p| format!("<video poster={p}></video>")),
        1 => (path(), path()).prop_map(|(a, b)| format!("<img srcset=\"{a} 1x, {b} 2x\">")),
        1 => path().prop_map(|p| format!("\n> ![q]({p})\n")),
        1 => path().prop_map(|p| format!("\n- ![l]({p})\n")),
        1 => path().prop_map(|p| format!("\n| ![t]({p}) | x |\n|---|---|\n| a | b |\n")),
        1 => path().prop_map(|p| format!("<!-- ![x]({p}) -->")),
        1 => path().prop_map(|p| format!("<Figure src=\"{p}\" />")),
        3 => "[ -~]{0,16}",
        1 => "\\PC{0,8}",
        2 => prop_oneof![
            Just("\n\n"), Just("\r\n"), Just("*"), Just("\\"), Just("["), Just("]"),
            Just("!"), Just("<"), Just(">"), Just("`"), Just("\t"), Just("&amp;"),
        ].prop_map(str::to_string),
    ]
}

fn front_matter() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        path().prop_map(|p| format!("---\ntitle: x\ncover: {p}\nimages:\n  - \"{p}\"\n---\n")),
        path().prop_map(|p| format!("+++\nimage = '{p}'\n+++\n")),
    ]
}

fn document() -> impl Strategy<Value = String> {
    (
        front_matter(),
        prop::collection::vec(
            (
                fragment(),
                prop_oneof![Just(""), Just(" "), Just("\n"), Just("\n\n")],
            ),
            0..14,
        ),
    )
        .prop_map(|(fm, parts)| {
            let mut doc = fm;
            for (f, sep) in parts {
                doc.push_str(&f);
                doc.push_str(sep);
            }
            doc
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generated_markdown_keeps_every_property(doc in document()) {
        if let Err(e) = props::check(&doc, Flavor::Markdown) {
            return Err(TestCaseError::fail(e));
        }
    }

    #[test]
    fn generated_mdx_keeps_every_property(doc in document()) {
        if let Err(e) = props::check(&doc, Flavor::Mdx) {
            return Err(TestCaseError::fail(e));
        }
    }

    #[test]
    fn any_string_keeps_every_property(doc in "\\PC{0,64}|[\\[\\]()!<>`\"' \n\\\\a.png]{0,64}") {
        for flavor in [Flavor::Markdown, Flavor::Mdx] {
            if let Err(e) = props::check(&doc, flavor) {
                return Err(TestCaseError::fail(e));
            }
        }
    }
}

/// Found by proptest (20,000 cases): in MDX a stray `<a` ran on to the next
/// `>` or through an unclosed `{`, so once the rewrite dropped a destination's
/// angle brackets it swallowed the `<img>` after it. A tag name must now end
/// at whitespace, `/`, `>` or `{`, and an unclosed `{` skips only itself.
#[test]
fn mdx_stray_tag_does_not_swallow_the_next_one() {
    let doc = "<a![alt](<img/b.jpg?v=1#top> \"title\") {<img src=\"img/a.png\">";
    props::check(doc, Flavor::Mdx).unwrap();
    let doc = "<a x {<img src=\"img/a.png\"> ![b](<img/b.png>)";
    props::check(doc, Flavor::Mdx).unwrap();
}

#[test]
fn the_checks_catch_broken_rewrites() {
    // The properties are not vacuous: each kind of broken output fails them.
    let doc = "Hi ![a](img/a.png \"t\") *x*\n";
    let (out, refs, reps) = props::rewrite(doc, Flavor::Markdown);
    let check = |out: &str, reps: &[r2filter_text::rewrite::Replacement]| {
        props::check_output(doc, Flavor::Markdown, out, &refs, reps)
    };
    assert_eq!(check(&out, &reps), Ok(()));
    // A byte outside the span changed.
    assert!(check(&out.replace("Hi", "Ho"), &reps).is_err());
    // A URL that does not parse back (an unescaped space ends it early).
    let mut bad = reps.clone();
    bad[0].text = "https://cdn.example.com/a b.png".into();
    let spliced = r2filter_text::rewrite::splice(doc, &bad);
    assert!(check(&spliced, &bad).is_err());
    // Not idempotent: a local path left where the URL should be.
    bad[0].text = "img/b.png".into();
    let spliced = r2filter_text::rewrite::splice(doc, &bad);
    assert!(check(&spliced, &bad).is_err());
    // Structure changed: emphasis lost.
    assert!(check(&out.replace("*x*", "x"), &reps).is_err());
}
