// Byte-exact input/expected pairs: every local image of the input is
// rewritten to `https://cdn.example/<its path>` and the whole output compared.
#![allow(clippy::string_slice)]

use std::collections::BTreeMap;

use crate::resolve::{Url, classify};
use crate::rewrite::{Replacement, replacement, splice, stable};
use crate::scan::{Context, Flavor, ScanOptions, scan};

fn opts(listed: &[(&str, &str)]) -> ScanOptions {
    let listed: BTreeMap<String, String> = listed
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ScanOptions {
        hugo_shortcodes: Some(listed),
        ..Flavor::Markdown.into()
    }
}

/// `doc` with every local image's URL replaced as the pipeline does it.
fn rewrite_with(doc: &str, opts: &ScanOptions) -> String {
    let found = scan(doc, opts).unwrap();
    stable(doc, opts, &found).unwrap();
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

fn rewrite(doc: &str) -> String {
    rewrite_with(doc, &opts(&[]))
}

/// A page starting with `{` is JSON front matter for Hugo (a page that
/// starts with `{{<` does not build): the cases start with a line of text.
fn page(body: &str) -> String {
    format!("P\n{body}")
}

#[test]
fn figure_named_quoted_bare_raw_and_over_lines() {
    let cases = [
        (
            "{{< figure src=\"a.jpg\" >}}\n",
            "{{< figure src=\"https://cdn.example/a.jpg\" >}}\n",
        ),
        (
            "{{% figure src=\"a.jpg\" caption=\"**c**\" %}}\n",
            "{{% figure src=\"https://cdn.example/a.jpg\" caption=\"**c**\" %}}\n",
        ),
        (
            "{{<figure src=img/a.jpg alt=x>}}\n",
            "{{<figure src=https://cdn.example/img/a.jpg alt=x>}}\n",
        ),
        (
            "{{< figure src = `a b.jpg` >}}\n",
            "{{< figure src = `https://cdn.example/a%20b.jpg` >}}\n",
        ),
        (
            "{{< figure\n  src=\"post/a.jpg\"\r\n  title=\"t\"\n>}}\n",
            "{{< figure\n  src=\"https://cdn.example/post/a.jpg\"\r\n  title=\"t\"\n>}}\n",
        ),
        (
            "Text {{< figure src=\"a.jpg\" link=\"big.png\" >}} and {{< figure src=\"b.jpg\" link=\"https://x.org/\" />}}\n",
            "Text {{< figure src=\"https://cdn.example/a.jpg\" link=\"https://cdn.example/big.png\" >}} and {{< figure src=\"https://cdn.example/b.jpg\" link=\"https://x.org/\" />}}\n",
        ),
        (
            "{{< figure src=\"a.jpg?w=2#f\" alt=\"with \\\"quotes\\\"\" >}}\n",
            "{{< figure src=\"https://cdn.example/a.jpg?w=2#f\" alt=\"with \\\"quotes\\\"\" >}}\n",
        ),
    ];
    for (doc, want) in cases {
        assert_eq!(rewrite(&page(doc)), page(want), "{doc:?}");
    }
}

#[test]
fn positional_figure_is_not_src_in_hugo() {
    // Hugo's figure reads `.Get "src"`: a positional value renders `src=""`.
    let doc = page("{{< figure \"a.jpg\" >}}\n");
    assert_eq!(rewrite(&doc), doc);
}

#[test]
fn listed_shortcodes_named_and_positional() {
    let doc =
        "P {{< img src=\"a.png\" >}} {{< gallery \"b.png\" c.png >}} {{< other src=\"d.png\" >}}\n";
    let want = "P {{< img src=\"https://cdn.example/a.png\" >}} {{< gallery \"https://cdn.example/b.png\" c.png >}} {{< other src=\"d.png\" >}}\n";
    assert_eq!(
        rewrite_with(doc, &opts(&[("img", "src"), ("gallery", "0")])),
        want
    );
    let second = page("{{< gallery \"b.png\" c.png >}}\n");
    assert_eq!(
        rewrite_with(&second, &opts(&[("gallery", "1")])),
        page("{{< gallery \"b.png\" https://cdn.example/c.png >}}\n")
    );
    // Unlisted, a theme's shortcode is left alone.
    assert_eq!(rewrite(doc), doc);
}

#[test]
fn live_in_code_because_hugo_runs_shortcodes_first() {
    // Hugo 0.111.3 renders these `<img>`s inside `<pre><code>` and `<code>`.
    let doc = "```\n{{< figure src=\"a.jpg\" >}}\n```\n\n`{{< figure src=\"b.jpg\" >}}`\n";
    let want = "```\n{{< figure src=\"https://cdn.example/a.jpg\" >}}\n```\n\n`{{< figure src=\"https://cdn.example/b.jpg\" >}}`\n";
    assert_eq!(rewrite(doc), want);
}

#[test]
fn commented_shortcodes_and_front_matter_are_text() {
    let doc = "---\ntitle: \"{{< figure src=\\\"fm.jpg\\\" >}}\"\n---\n{{</* figure src=\"a.jpg\" */>}}\n{{%/* figure src=\"b.jpg\" */%}}\n{{< figure src=\"c.jpg\" >}}\n";
    let want = "---\ntitle: \"{{< figure src=\\\"fm.jpg\\\" >}}\"\n---\n{{</* figure src=\"a.jpg\" */>}}\n{{%/* figure src=\"b.jpg\" */%}}\n{{< figure src=\"https://cdn.example/c.jpg\" >}}\n";
    assert_eq!(rewrite(doc), want);
}

#[test]
fn off_unless_asked_for() {
    let doc = "{{< figure src=\"a.jpg\" >}}\n";
    let plain: ScanOptions = Flavor::Markdown.into();
    assert!(scan(doc, &plain).unwrap().references.is_empty());
    // `.mdx` is not a Hugo format.
    let mdx = ScanOptions {
        flavor: Flavor::Mdx,
        ..opts(&[])
    };
    assert!(scan("Text\n", &mdx).unwrap().references.is_empty());
}

#[test]
fn markdown_inside_a_shortcode_tag_is_no_reference() {
    // The shortcode's output replaces the tag before Markdown is read.
    let doc = "![x]({{< param \"cover\" >}}) ![y](y.png)\n";
    assert_eq!(
        rewrite(doc),
        "![x]({{< param \"cover\" >}}) ![y](https://cdn.example/y.png)\n"
    );
}

#[test]
fn escaped_quote_form_is_reported_not_left() {
    let doc = page("{{< figure src=\\\"a.jpg\\\" >}}\n");
    let found = scan(&doc, &opts(&[])).unwrap();
    assert!(found.references.is_empty());
    assert_eq!(found.unmapped.len(), 1);
    assert_eq!(found.unmapped[0].url, "a.jpg");
}

#[test]
fn broken_shortcodes_are_skipped_as_hugo_refuses_them() {
    for doc in [
        "{{< figure src=\"a.jpg\n\" >}}\n",
        "{{< figure src=\"a.jpg\"",
        "{{< $bad >}}\n",
    ] {
        assert!(
            scan(&page(doc), &opts(&[])).unwrap().references.is_empty(),
            "{doc:?}"
        );
    }
}

#[test]
fn values_are_written_for_their_quotes() {
    use crate::rewrite::shortcode_value;
    assert_eq!(
        shortcode_value("https://c/a\"b\\c.jpg", Some(b'"')),
        "https://c/a%22b%5Cc.jpg"
    );
    assert_eq!(
        shortcode_value("https://c/a`b.jpg", Some(b'`')),
        "https://c/a%60b.jpg"
    );
    assert_eq!(
        shortcode_value("https://c/a b.jpg", None),
        "https://c/a%20b.jpg"
    );
    let r = &scan(&page("{{< figure src=\"a.jpg\" >}}"), &opts(&[]))
        .unwrap()
        .references[0];
    assert_eq!(
        r.context,
        Context::Shortcode {
            quote: Some(b'"'),
            image: true
        }
    );
}

#[test]
fn json_front_matter() {
    let doc = "\n{\n  \"title\": \"J {x}\",\n  \"images\": [\"a.jpg\", \"https://x.org/b.png\"],\n  \"cover\": {\"url\": \"c \\\"d\\\".png\"}\n}\nBody {{< figure src=\"e.jpg\" >}}\n";
    let want = "\n{\n  \"title\": \"J {x}\",\n  \"images\": [\"https://cdn.example/a.jpg\", \"https://x.org/b.png\"],\n  \"cover\": {\"url\": \"https://cdn.example/c%20\\\"d\\\".png\"}\n}\nBody {{< figure src=\"https://cdn.example/e.jpg\" >}}\n";
    assert_eq!(rewrite(doc), want);
    // Without Hugo, a document starting with `{` is text.
    let plain: ScanOptions = Flavor::Markdown.into();
    assert!(scan(doc, &plain).unwrap().references.is_empty());
}

#[test]
fn a_page_starting_with_a_shortcode_is_refused_as_hugo_refuses_it() {
    // Hugo 0.111.3: `unmarshal failed: invalid character '{' looking for
    // beginning of object key string`.
    let e = scan("{{< figure src=\"a.jpg\" >}}\n", &opts(&[])).unwrap_err();
    assert!(
        e.to_string().starts_with("front matter is not valid JSON"),
        "{e}"
    );
}

#[test]
fn json_front_matter_errors_name_the_place() {
    for (doc, at) in [
        ("{\"a\": 1,}\n", 7),
        ("{\"a\": [1\n", 6),
        ("{\n// c\n\"a\": 1}\n", 2),
    ] {
        let e = scan(doc, &opts(&[])).unwrap_err();
        assert!(
            e.to_string().starts_with("front matter is not valid JSON"),
            "{e}"
        );
        assert_eq!(e.offset(), at, "{doc:?}: {e}");
    }
}

#[test]
fn toml_and_yaml_front_matter_with_hugo() {
    let doc = "+++\nimages = ['a.jpg']\n+++\n{{< figure src=\"b.jpg\" >}}\n";
    assert_eq!(
        rewrite(doc),
        "+++\nimages = ['https://cdn.example/a.jpg']\n+++\n{{< figure src=\"https://cdn.example/b.jpg\" >}}\n"
    );
}
