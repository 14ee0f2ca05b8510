//! Front matter: detection, the key rules for YAML and TOML, what is kept by
//! rule, parse errors, how new values are written, and that no input hangs.

use super::*;
use crate::scan::{DEFAULT_FRONT_MATTER_KEYS, Flavor};

fn keys() -> Vec<String> {
    DEFAULT_FRONT_MATTER_KEYS
        .iter()
        .map(|k| k.to_string())
        .collect()
}

fn scanned(doc: &str) -> Result<Scanned, FrontMatterError> {
    let block = detect(doc).expect("the document has front matter");
    let mut out = Scanned::default();
    scan(doc, &block, &keys(), &mut out)?;
    out.references.sort_by_key(|r| r.span.start);
    out.kept.sort_by_key(|k| k.span.start);
    Ok(out)
}

/// (the span's text, the decoded value) of every reference in `doc`'s front
/// matter.
fn found(doc: &str) -> Vec<(String, String)> {
    let out = scanned(doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
    out.references
        .into_iter()
        .map(|r| (doc[r.span].to_string(), r.url))
        .collect()
}

fn yaml(body: &str) -> Vec<(String, String)> {
    found(&format!("---\n{body}\n---\n"))
}

fn p(raw: &str, url: &str) -> (String, String) {
    (raw.into(), url.into())
}

/// The values that `found` calls `raw` and `url` alike.
fn same(values: &[&str]) -> Vec<(String, String)> {
    values.iter().map(|v| p(v, v)).collect()
}

/// What a rewrite to `https://cdn/<value>` makes of `doc` (scan, encode,
/// splice: the pipeline without the network).
fn rewritten(doc: &str) -> String {
    use crate::rewrite::{Replacement, encode_for, splice};
    let refs = crate::scan::scan(doc, &Flavor::Markdown.into())
        .unwrap_or_else(|e| panic!("{doc:?}: {e}"))
        .references;
    let reps: Vec<Replacement> = refs
        .iter()
        .map(|r| Replacement {
            span: r.span.clone(),
            text: encode_for(r.context, &format!("https://cdn/{}", r.url)),
        })
        .collect();
    splice(doc, &reps)
}

// ------------------------------------------------------------ detection

#[test]
fn detect_yaml_and_toml_blocks() {
    let doc = "---\na: 1\n---\nText\n";
    assert_eq!(
        detect(doc),
        Some(Block {
            format: Format::Yaml,
            range: 0..13,
            body: 4..9
        })
    );
    let doc = "+++\na = 1\n+++\r\n";
    let b = detect(doc).unwrap();
    assert_eq!((b.format, b.range, b.body), (Format::Toml, 0..15, 4..10));
    // `...` ends YAML; trailing spaces after a delimiter are fine.
    let b = detect("--- \r\na: 1\r\n...  \r\nText").unwrap();
    assert_eq!(
        (
            &"--- \r\na: 1\r\n...  \r\nText"[b.body.clone()],
            b.range.end
        ),
        ("a: 1\r\n", 19)
    );
    // The closing line may be the last, without a newline.
    assert_eq!(detect("---\na: 1\n---").unwrap().range, 0..12);
    // Empty front matter.
    assert_eq!(detect("---\n---\n").unwrap().body, 4..4);
}

#[test]
fn detect_after_bom_and_blank_lines() {
    let doc = "\u{feff}---\ncover: a.png\n---\n";
    assert_eq!(detect(doc).unwrap().body, 7..20);
    let doc = "\n  \n\t\r\n---\ncover: a.png\n---\n";
    assert_eq!(&doc[detect(doc).unwrap().body], "cover: a.png\n");
    assert_eq!(yaml("cover: a.png"), same(&["a.png"]));
    assert_eq!(
        found("\u{feff}\n---\ncover: a.png\n---\n"),
        same(&["a.png"])
    );
}

#[test]
fn not_front_matter() {
    for doc in [
        "",
        "Text\n---\na: 1\n---\n",
        "---\na: 1\n",                 // never closed
        "----\na: 1\n----\n",          // a thematic break
        "  ---\na: 1\n---\n",          // indented
        "---\na: 1\n  ---\n",          // the closing line must not be indented
        "+++\na = 1\n---\n",           // mismatched
        "# Title\n\n---\na: 1\n---\n", // not at the start
    ] {
        assert_eq!(detect(doc), None, "{doc:?}");
    }
}

#[test]
fn mask_keeps_offsets_and_line_endings() {
    let doc = "\u{feff}---\r\ntitle: é\r\n---\r\nBody é\n";
    let masked = detect(doc).unwrap().mask(doc);
    assert_eq!(masked.len(), doc.len());
    assert_eq!(masked, "      \r\n         \r\n   \r\nBody é\n");
}

// ------------------------------------------------------------ YAML: issue 11's cases

#[test]
fn issue_1_one_pair_maps_in_flow_lists_do_not_hang() {
    assert_eq!(yaml("cover: [url: a.png]"), same(&["a.png"]));
    assert_eq!(yaml("images: [\"a.png\", alt: x]"), [p("a.png", "a.png")]);
}

#[test]
fn issue_2_a_tab_after_the_colon_stays() {
    assert_eq!(yaml("cover:\ta.png"), same(&["a.png"]));
    assert_eq!(
        yaml("title: x\ncover:\t\ta.png\nimages:\n- b.png\nthumbnail:\t'c.png'"),
        [
            p("a.png", "a.png"),
            p("b.png", "b.png"),
            p("c.png", "c.png")
        ]
    );
    assert_eq!(
        rewritten("---\ncover:\ta.png\n---\n"),
        "---\ncover:\thttps://cdn/a.png\n---\n"
    );
}

#[test]
fn issue_3_multi_line_plain_scalars_are_one_value() {
    // "a.png b" has no image extension: found here, skipped by resolve.
    assert_eq!(yaml("image: a.png\n  b"), [p("a.png\n  b", "a.png b")]);
    assert_eq!(yaml("summary: \"One\n  image: a.png\n  two\""), []);
    assert_eq!(
        yaml("cover: my\n  pic.png"),
        [p("my\n  pic.png", "my pic.png")]
    );
    assert_eq!(
        rewritten("---\ncover: my\n  pic.png\ntitle: t\n---\n"),
        "---\ncover: \"https://cdn/my pic.png\"\ntitle: t\n---\n"
    );
}

#[test]
fn issue_4_block_scalars_are_kept_even_as_list_items() {
    let doc = "---\nimages:\n  - |\n    - a.png\n  - b.png\ncover: >-\n  c.png\n---\n";
    let out = scanned(doc).unwrap();
    let urls: Vec<&str> = out.references.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls, ["b.png"]);
    let kept: Vec<(&str, &Rule)> = out
        .kept
        .iter()
        .map(|k| (&doc[k.span.clone()], &k.rule))
        .collect();
    assert_eq!(
        kept,
        [
            ("- a.png\n", &Rule::BlockScalar),
            ("c.png\n", &Rule::BlockScalar)
        ]
    );
}

#[test]
fn issue_5_flow_style_and_whole_flow_front_matter() {
    assert_eq!(yaml("seo: {ogImage: a.png}"), same(&["a.png"]));
    assert_eq!(yaml("authors: [{avatar: b.png}]"), same(&["b.png"]));
    assert_eq!(yaml("{\"cover\": \"a.png\"}"), [p("a.png", "a.png")]);
    assert_eq!(
        yaml("{cover: a.png,\n images: [b.png,\n   'c.png'], title: x}"),
        [
            p("a.png", "a.png"),
            p("b.png", "b.png"),
            p("c.png", "c.png")
        ]
    );
}

#[test]
fn issue_5_anchors_tags_and_aliases() {
    assert_eq!(yaml("cover: &c a.png"), same(&["a.png"]));
    assert_eq!(yaml("image: !!str b.png"), same(&["b.png"]));
    assert_eq!(yaml("image: ! b.png"), same(&["b.png"]));
    assert_eq!(
        yaml("cover: !!str &c\n  # why\n  'b.png'"),
        [p("b.png", "b.png")]
    );
    // An alias is its anchor's node: that scalar is what gets rewritten.
    assert_eq!(yaml("og: &o a.png\ncover: *o"), same(&["a.png"]));
    assert_eq!(
        yaml("base: &b {url: a.png, alt: x.png}\nthumbnail: *b\nbanner: *b"),
        same(&["a.png"])
    );
    assert_eq!(yaml("images: [&x a.png, *x]"), same(&["a.png"]));
    // A collection that holds an alias of itself: no endless walk.
    assert_eq!(yaml("images: &s [b.png, *s]"), same(&["b.png"]));
    // Merge keys (YAML 1.1, read by js-yaml and PyYAML) are mappings too.
    assert_eq!(
        yaml("defaults: &d {cover: a.png}\npost:\n  <<: *d\n  title: x"),
        same(&["a.png"])
    );
}

#[test]
fn issue_5_other_tags_are_kept() {
    let doc = "---\ncover: !custom a.png\nimage: !!binary aGk=\nbanner: !<tag:x> b.png\n---\n";
    let out = scanned(doc).unwrap();
    assert_eq!(out.references, []);
    let kept: Vec<String> = out.kept.iter().map(|k| k.rule.to_string()).collect();
    assert_eq!(
        kept,
        [
            Rule::Tag("!custom".into()).to_string(),
            Rule::Tag("!!binary".into()).to_string(),
            Rule::Tag("!<tag:x>".into()).to_string(),
        ]
    );
    assert_eq!(&doc[out.kept[0].span.clone()], "a.png");
}

#[test]
fn issue_5_values_on_the_next_line_explicit_keys_folded_quotes() {
    assert_eq!(yaml("cover:\n  a.png"), same(&["a.png"]));
    assert_eq!(yaml("? cover\n: a.png"), same(&["a.png"]));
    assert_eq!(
        yaml("? image\n: - a.png\n  - b.png"),
        same(&["a.png", "b.png"])
    );
    assert_eq!(
        yaml("cover: \"my\n  pic.png\""),
        [p("my\n  pic.png", "my pic.png")]
    );
    assert_eq!(
        yaml("cover: 'my\n\n  pic.png'"),
        [p("my\n\n  pic.png", "my\npic.png")]
    );
}

#[test]
fn issue_5_url_after_a_block_scalar_in_the_same_map() {
    assert_eq!(
        yaml("cover:\n  alt: |\n    url: no.png\n  url: a.png\n  caption: >\n    b.png\n"),
        same(&["a.png"])
    );
}

#[test]
fn issue_6_url_at_any_depth_below_an_image_key_in_yaml_and_toml() {
    assert_eq!(yaml("cover:\n  meta:\n    url: a.png"), same(&["a.png"]));
    assert_eq!(
        found("+++\n[cover.meta]\nurl = \"a.png\"\n+++\n"),
        [p("a.png", "a.png")]
    );
    // `url` outside image keys, and other keys inside them, are not values.
    assert_eq!(yaml("link:\n  url: a.png\ncover:\n  alt: b.png"), []);
    assert_eq!(
        found("+++\n[link]\nurl = 'a.png'\n[cover]\nalt = 'b.png'\n+++\n"),
        []
    );
}

// ------------------------------------------------------------ YAML: more shapes

#[test]
fn yaml_scalars_plain_and_quoted() {
    let doc = "---\ntitle: \"cover: no.png\"\ncover: ./img/cover.png # the hero\nthumbnail: 'it''s.png'\nbanner: \"b\\u00e9.png\"\nogImage:   /og.png\n---\n";
    assert_eq!(
        found(doc),
        [
            p("./img/cover.png", "./img/cover.png"),
            p("it''s.png", "it's.png"),
            p("b\\u00e9.png", "bé.png"),
            p("/og.png", "/og.png"),
        ]
    );
}

#[test]
fn yaml_block_and_flow_lists_and_nested_url() {
    let doc = "---\nimages:\n  - a.png\n  - 'b c.png'\ntags: [x.png]\nimage: [c.png, \"d.png\"]\ncover:\n- e.png\nthumbnail:\n  url: ./t.png\n  alt: no.png\nlink:\n  url: no.png\n---\n";
    assert_eq!(
        found(doc),
        [
            p("a.png", "a.png"),
            p("b c.png", "b c.png"),
            p("c.png", "c.png"),
            p("d.png", "d.png"),
            p("e.png", "e.png"),
            p("./t.png", "./t.png"),
        ]
    );
}

#[test]
fn yaml_keys_at_any_depth_and_in_list_items() {
    let doc = "---\nseo:\n  ogImage: og.png\nauthors:\n  - name: A\n    avatar: a.png\n  - avatar: \"b.png\"\n\"cover\": 'c.png'\n---\n";
    assert_eq!(
        found(doc),
        [
            p("og.png", "og.png"),
            p("a.png", "a.png"),
            p("b.png", "b.png"),
            p("c.png", "c.png")
        ]
    );
}

#[test]
fn yaml_comments_hashes_nulls_and_non_ascii() {
    assert_eq!(
        yaml("cover: \"a #b.png\" # c\nimage: a#b.png # c\nbanner: 'x.png' #no"),
        [
            p("a #b.png", "a #b.png"),
            p("a#b.png", "a#b.png"),
            p("x.png", "x.png")
        ]
    );
    assert_eq!(
        yaml("cover:\nimage: ~\nbanner: null\nthumbnail: ''\navatar: [null]"),
        []
    );
    assert_eq!(
        yaml("cover: 截图 1.png\nimage: caf%C3%A9.png"),
        same(&["截图 1.png", "caf%C3%A9.png"])
    );
}

#[test]
fn yaml_crlf_document_end_and_dashes_in_block_scalars() {
    assert_eq!(
        found("---\r\ncover: a.png\r\nimages:\r\n  - b.png\r\n...\r\nBody\r\n"),
        same(&["a.png", "b.png"])
    );
    // An indented `---` is text of the block scalar, not the end of the block.
    assert_eq!(
        yaml("description: |\n  ---\n  cover: no.png\ncover: a.png"),
        same(&["a.png"])
    );
}

#[test]
fn yaml_multiple_documents_are_all_read() {
    // (`--- ` alone would close the front matter.)
    assert_eq!(
        yaml("cover: a.png\n--- # two\nimage: b.png"),
        same(&["a.png", "b.png"])
    );
}

#[test]
fn yaml_parse_errors_say_where() {
    for (body, line, col) in [
        ("cover: [a.png", 3, 1),
        ("title: x\ncover: a: b", 3, 9),
        ("cover: \"a.png", 2, 8),
        ("a: 1\n a: 2\n  - x", 3, 3),
        ("cover: *nowhere", 2, 8),
    ] {
        let doc = format!("---\n{body}\n---\n");
        let e = scanned(&doc).expect_err(body);
        assert_eq!(e.format, Format::Yaml);
        assert_eq!(
            crate::scan::line_col(&doc, e.offset),
            (line, col),
            "{body:?}: {e}"
        );
        assert!(!e.message.is_empty());
    }
}

/// Issue 21: YAML that go-yaml (Hugo), js-yaml 3 (gray-matter), yaml 2
/// and PyYAML all read: a flow sequence whose `]` is in column 0 (Hugo's
/// own documentation, content/en/templates/types.md).
#[test]
fn yaml_flow_collection_closed_in_column_0() {
    let doc = "---\ntitle: Template types\nweight: 30\naliases: [\n  '/templates/base/',\n  '/templates/home/',\n]\nimages: [\n  'a.png',\n  b.png\n]\ncover: {\n  url: c.png\n}\n---\n";
    assert_eq!(
        found(doc),
        [
            p("a.png", "a.png"),
            p("b.png", "b.png"),
            p("c.png", "c.png")
        ]
    );
    assert_eq!(
        rewritten(doc),
        doc.replace("'a.png'", "'https://cdn/a.png'")
            .replace(" b.png", " https://cdn/b.png")
            .replace(" c.png", " https://cdn/c.png")
    );
}

/// Issue 21: a comment right after a quoted scalar, with no space before
/// its `#`: js-yaml 3 and PyYAML (and go-yaml, a libyaml port) read
/// `cover: "a.png"#x` as `a.png` and a comment; yaml 2 refuses it. r2filter
/// reads it as the first three do under every profile (docs/src/profiles.md:
/// a document its own site's parser reads is not refused, and where yaml 2
/// refuses it the site refuses it before and after alike).
#[test]
fn yaml_comment_right_after_a_quoted_scalar() {
    let doc = "---\ncover: \"a.png\"#x\nimage: 'b.png'#y\n---\n";
    assert_eq!(found(doc), [p("a.png", "a.png"), p("b.png", "b.png")]);
    assert_eq!(
        rewritten(doc),
        "---\ncover: \"https://cdn/a.png\"#x\nimage: 'https://cdn/b.png'#y\n---\n"
    );
}

#[test]
fn yaml_deep_nesting_is_an_error_not_a_crash() {
    let doc = format!("---\ncover: {}\n---\n", "[".repeat(100_000));
    assert!(scanned(&doc).is_err());
    let doc = format!("---\nimages:\n{}a.png\n---\n", "- ".repeat(5_000));
    assert_eq!(found(&doc).len(), 1);
}

#[test]
fn yaml_many_aliases_are_walked_once() {
    // "Billion laughs": every level doubles the paths, not the work.
    let mut body = String::from("a0: &a0 [x.png, y.png]\n");
    for i in 1..40 {
        body.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
    }
    body.push_str("images: *a39\n");
    assert_eq!(yaml(&body), same(&["x.png", "y.png"]));
}

// ------------------------------------------------------------ TOML

#[test]
fn toml_strings_lists_tables() {
    let doc = "+++\ntitle = \"image = 'no.png'\"\ncover = \"./cover.png\"\nimages = ['a.png', \"b.png\"]\n[thumbnail]\nurl = \"t.png\"\nalt = \"no.png\"\n[seo]\nogImage = 'og.png'\n[[banner]]\nurl = \"x.png\"\n+++\n";
    assert_eq!(
        found(doc),
        [
            p("./cover.png", "./cover.png"),
            p("a.png", "a.png"),
            p("b.png", "b.png"),
            p("t.png", "t.png"),
            p("og.png", "og.png"),
            p("x.png", "x.png"),
        ]
    );
}

#[test]
fn toml_inline_tables_dotted_keys_escapes() {
    assert_eq!(
        found(
            "+++\ncover = { url = \"c\\u00e9.png\", alt = \"x.png\" }\nseo.image = 'd.png'\n\"avatar\" = \"e.png\"\n+++\n"
        ),
        [
            p("c\\u00e9.png", "cé.png"),
            p("d.png", "d.png"),
            p("e.png", "e.png")
        ]
    );
}

#[test]
fn toml_multi_line_strings_are_kept() {
    let doc = "+++\ncover = \"\"\"a.png\"\"\"\nimage = '''\nb.png'''\nbanner = 3\n+++\n";
    let out = scanned(doc).unwrap();
    assert_eq!(out.references, []);
    assert_eq!(out.kept.len(), 2);
    assert!(out.kept.iter().all(|k| k.rule == Rule::MultiLineString));
}

#[test]
fn toml_parse_errors_say_where() {
    let doc = "+++\ntitle = \"x\"\ncover = \n+++\n";
    let e = scanned(doc).unwrap_err();
    assert_eq!(e.format, Format::Toml);
    assert_eq!(crate::scan::line_col(doc, e.offset).0, 3, "{e}");
    let doc = "+++\ncover = 'a.png'\ncover = 'b.png'\n+++\n";
    assert!(scanned(doc).is_err(), "duplicate keys");
}

// ------------------------------------------------------------ writing values back

#[test]
fn encode_keeps_the_style_when_it_can() {
    let url = "https://cdn.example.com/2026/11/abc.png";
    for style in [
        Style::YamlPlain { flow: false },
        Style::YamlPlain { flow: true },
        Style::YamlSingle,
        Style::YamlDouble,
        Style::TomlBasic,
        Style::TomlLiteral,
    ] {
        assert_eq!(style.encode(url), url, "{style:?}");
    }
}

#[test]
fn encode_quotes_or_escapes_what_a_style_cannot_hold() {
    let plain = Style::YamlPlain { flow: false };
    let flow = Style::YamlPlain { flow: true };
    assert_eq!(plain.encode("https://x/a b.png"), "\"https://x/a b.png\"");
    assert_eq!(plain.encode("https://x/a.png #c"), "\"https://x/a.png #c\"");
    assert_eq!(
        plain.encode("https://x/a.png?q=a,b"),
        "https://x/a.png?q=a,b"
    );
    assert_eq!(
        flow.encode("https://x/a.png?q=a,b"),
        "\"https://x/a.png?q=a,b\""
    );
    assert_eq!(flow.encode("https://x/a.png?q"), "\"https://x/a.png?q\"");
    assert_eq!(plain.encode("-x.png"), "\"-x.png\"");
    assert_eq!(plain.encode("true"), "\"true\"");
    assert_eq!(plain.encode("2026-11-01"), "\"2026-11-01\"");
    assert_eq!(plain.encode("x:"), "\"x:\"");
    assert_eq!(plain.encode("a\"b\\c\u{1}"), "\"a\\\"b\\\\c\\u0001\"");
    assert_eq!(
        Style::YamlDouble.encode("a\"b\\c\u{1}"),
        "a\\\"b\\\\c\\u0001"
    );
    assert_eq!(Style::YamlSingle.encode("it's\na"), "it''s%0Aa");
    assert_eq!(Style::TomlBasic.encode("a\"b\\c\n"), "a\\\"b\\\\c\\u000A");
    assert_eq!(Style::TomlLiteral.encode("it's\ta\n"), "it%27s\ta%0A");
}

/// Each style, and each awkward value, reads back as the value (through our
/// own parsers here; the differential test reads them with js-yaml, yaml,
/// PyYAML and tomllib). Where a style had to percent-encode, the value reads
/// back as the same URL.
#[test]
fn encoded_values_parse_back() {
    let values = [
        "https://cdn.example.com/a.png",
        "https://cdn.example.com/a b.png",
        "https://x/a.png?q=a,b[1]{2}#f",
        "https://x/it's \"q\".png",
        "https://x/a\\b.png",
        "https://x/é截图.png",
        "https://x/tab\tand\u{7}bell.png",
        "true",
        "-1",
        "a: b #c",
    ];
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let keys = keys();
    for value in values {
        for (style, open, close) in [
            (Style::YamlPlain { flow: false }, "---\ncover: ", "\n---\n"),
            (Style::YamlPlain { flow: true }, "---\ncover: [", "]\n---\n"),
            (Style::YamlSingle, "---\ncover: '", "'\n---\n"),
            (Style::YamlDouble, "---\nimages: {url: \"", "\"}\n---\n"),
            (Style::TomlBasic, "+++\ncover = \"", "\"\n+++\n"),
            (Style::TomlLiteral, "+++\ncover = ['", "']\n+++\n"),
        ] {
            let doc = format!("{open}{}{close}", style.encode(value));
            let block = detect(&doc).unwrap();
            let mut out = Scanned::default();
            scan(&doc, &block, &keys, &mut out).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
            let urls: Vec<String> = out.references.iter().map(|r| decode(&r.url)).collect();
            assert_eq!(urls, [decode(value)], "{doc:?}");
        }
    }
}

#[test]
fn rewritten_byte_exactly_through_scan() {
    for (doc, want) in [
        (
            "---\r\ntitle: T\r\ncover: 'a.png'   # hero\r\nimages:\r\n  - b.png\r\n---\r\n\r\n![x](c.png)\r\n",
            "---\r\ntitle: T\r\ncover: 'https://cdn/a.png'   # hero\r\nimages:\r\n  - https://cdn/b.png\r\n---\r\n\r\n![x](https://cdn/c.png)\r\n",
        ),
        (
            "+++\ntitle = \"T\"\nimages = [ \"a.png\",'b.png' ]\n+++\n\nText\n",
            "+++\ntitle = \"T\"\nimages = [ \"https://cdn/a.png\",'https://cdn/b.png' ]\n+++\n\nText\n",
        ),
        (
            "\u{feff}\n---\nseo: {ogImage: a.png, title: x}\n---\n# T\n",
            "\u{feff}\n---\nseo: {ogImage: https://cdn/a.png, title: x}\n---\n# T\n",
        ),
        (
            "---\nimages: [a b.png, c.png]\n---\n",
            "---\nimages: [\"https://cdn/a b.png\", https://cdn/c.png]\n---\n",
        ),
    ] {
        let out = rewritten(doc);
        assert_eq!(out, want);
        // The output is a fixed point: every value now names the CDN.
        let again = crate::scan::scan(&out, &Flavor::Markdown.into()).unwrap();
        assert!(
            again
                .references
                .iter()
                .all(|r| r.url.starts_with("https://cdn/")),
            "{again:?}"
        );
    }
}

#[test]
fn front_matter_is_never_read_as_markdown() {
    use crate::scan::scan;
    // A YAML line that would open a fenced code block in Markdown must not
    // hide the images after the front matter; and a Markdown-looking value is
    // not an image.
    let doc = "---\ntitle: |\n  ```\nnote: \"![x](no.png)\"\n---\n\n![a](a.png)\n";
    let urls: Vec<String> = scan(doc, &Flavor::Markdown.into())
        .unwrap()
        .references
        .into_iter()
        .map(|r| r.url)
        .collect();
    assert_eq!(urls, ["a.png"]);
    // A blank first line inside the block (pulldown-cmark alone would take the
    // `---` for a thematic break).
    let doc = "---\n\ncover: c.png\n---\n\n![a](a.png)\n";
    let urls: Vec<String> = scan(doc, &Flavor::Markdown.into())
        .unwrap()
        .references
        .into_iter()
        .map(|r| r.url)
        .collect();
    assert_eq!(urls, ["c.png", "a.png"]);
}

#[test]
fn mdx_front_matter_once_and_comments_skipped() {
    use crate::scan::scan;
    let doc = "---\ncover: ./c.png\nhtml: <img src=\"no.png\">\n---\n\n<Image src=\"./a.png\" />\n{/* <Image src=\"./old.png\" /> */}\n{ /* <img\nsrc=\"./old.png\"> */ }\n{show && <img src=\"./b.png\" />}\n";
    let urls: Vec<String> = scan(doc, &Flavor::Mdx.into())
        .unwrap()
        .references
        .into_iter()
        .map(|r| r.url)
        .collect();
    assert_eq!(urls, ["./c.png", "./a.png", "./b.png"]);
}

#[test]
fn scan_reports_a_front_matter_error() {
    let doc = "---\ncover: [a.png\n---\n\n![a](a.png)\n";
    let e = crate::scan::scan(doc, &Flavor::Markdown.into()).unwrap_err();
    assert!(
        e.to_string().starts_with("front matter is not valid YAML"),
        "{e}"
    );
}

// ------------------------------------------------------------ no input hangs

/// Documents built from YAML's and TOML's syntax pieces, thousands of them:
/// every scan finishes (a watchdog fails the test after a minute) without
/// panicking. Together with the structure of the code (the parsers consume
/// input on every event; the walk visits each node once per state) this is
/// what "no input can make the scanner loop" rests on; the cargo-fuzz target
/// searches further.
#[test]
fn no_input_hangs_or_panics() {
    const PIECES: &[&str] = &[
        "cover", "images", "url", "image", ": ", ":", ":\t", "\t", " ", "  ", "\n", "\r\n", "- ",
        "-", "[", "]", "{", "}", ",", "? ", "'", "\"", "''", "\\", "#", " #", "&a ", "*a",
        "!!str ", "!x ", "|", ">-", "a.png", "b c.png", "é", "截图", "---", "...", "\n---\n", "=",
        " = ", "[x]", "[[y]]", "'''", "\"\"\"", "%", "@", "`", "~", "null", "\u{feff}", "<<: ",
    ];
    let (done, finished) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let keys = keys();
        // xorshift: the same documents every run.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..20_000 {
            let len = (next() % 40) as usize;
            let body: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let open = if case % 4 == 3 { "+++" } else { "---" };
            let doc = format!("{open}\n{body}\n{open}\n");
            if let Some(block) = detect(&doc) {
                let mut out = Scanned::default();
                let _ = scan(&doc, &block, &keys, &mut out);
                for r in &out.references {
                    assert!(doc.get(r.span.clone()).is_some(), "{doc:?}: {r:?}");
                }
            }
            let _ = crate::scan::scan(&doc, &Flavor::Markdown.into());
        }
        let _ = done.send(());
    });
    if finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .is_err()
    {
        panic!("front-matter scanning did not finish within a minute (a hang, or a panic above)");
    }
    worker.join().unwrap();
}
