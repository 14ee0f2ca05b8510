//! Issue 22: what pages need besides the URL. Sizes and placeholders in the
//! manifest, the images index (made from the manifest alone, validated
//! against its published JSON Schema by an independent validator),
//! `dimensions = true` on raw HTML and JSX images, the upgrade of manifests
//! from before sizes (never an upload), the mdBook and Hugo recipes built
//! for real, and the Next.js config warning.

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use image::{DynamicImage, ImageFormat, RgbImage};
use img_parts::{Bytes, ImageEXIF};
use serde_json::Value;

use crate::support::*;

const INDEX: &str = "public/r2filter-images.json";
const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/src/reference/images-index.schema.json"
);

/// A `w`×`h` picture, encoded as `format`.
fn picture(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    }));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A 64×48 JPEG whose EXIF Orientation (6) shows it 48×64.
fn sideways_jpeg() -> Vec<u8> {
    let mut jpeg =
        img_parts::jpeg::Jpeg::from_bytes(picture(64, 48, ImageFormat::Jpeg).into()).unwrap();
    let mut tiff = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06".to_vec();
    tiff.extend_from_slice(&[0; 6]);
    jpeg.set_exif(Some(Bytes::from(tiff)));
    jpeg.encoder().bytes().to_vec()
}

/// A PNG signature and nothing readable after it.
const CUT_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIH";

/// A site with one post and four images: a PNG, a sideways JPEG, an SVG
/// sized by its viewBox, and a PNG whose header is cut off.
fn site_with_images() -> Site {
    let site = Site::new();
    site.write("content/img/a.png", picture(40, 30, ImageFormat::Png));
    site.write("content/img/b.jpg", sideways_jpeg());
    site.write(
        "content/img/c.svg",
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"/>"#,
    );
    site.write("content/img/d.png", CUT_PNG);
    site.write(
        "content/post.md",
        "# Post\n\n![a](img/a.png)\n\n<img src=\"img/b.jpg\" alt=\"b\">\n\n![c](img/c.svg)\n\nBroken: ![d](img/d.png)\n",
    );
    site.write("public/.keep", "");
    site
}

fn index_of(site: &Site) -> Value {
    serde_json::from_str(&site.read(INDEX)).unwrap()
}

/// `url` → (width, height) of every entry of an index.
fn sizes(index: &Value) -> Vec<(Option<u64>, Option<u64>, String)> {
    index
        .as_object()
        .unwrap()
        .values()
        .map(|e| {
            (
                e["width"].as_u64(),
                e["height"].as_u64(),
                e["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_index_lists_every_object_and_a_fresh_clone_writes_it_without_a_request() {
    let s3 = S3Server::start();
    let site = site_with_images();
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--in-place", "content", "--images-index", INDEX])
        .args(["--placeholder", "blur"])
        .run();
    out.success();
    let stderr = &out.stderr;
    // The cut-off header: reported at its reference, and still published.
    assert!(
        stderr.contains(
            "content/post.md:9:14: content/img/d.png: its header is cut off; published without width and height"
        ),
        "{stderr}"
    );
    assert_eq!(s3.count("PUT"), 4);
    let index = index_of(&site);
    let mut got = sizes(&index);
    got.sort();
    assert_eq!(
        got,
        [
            (None, None, "image/png".to_string()),
            (Some(40), Some(30), "image/png".to_string()),
            (Some(48), Some(64), "image/jpeg".to_string()),
            (Some(300), Some(150), "image/svg+xml".to_string()),
        ]
    );
    let manifest = site.manifest().unwrap();
    for (sha, entry) in manifest["objects"].as_object().unwrap() {
        let url = entry["url"].as_str().unwrap();
        let i = &index[url];
        assert_eq!(i["bytes"], entry["size"], "{sha}");
        assert_eq!(
            i["width"],
            entry.get("width").cloned().unwrap_or(Value::Null)
        );
        assert_eq!(
            i["placeholder"],
            entry.get("placeholder").cloned().unwrap_or(Value::Null)
        );
        match entry["content_type"].as_str().unwrap() {
            "image/svg+xml" => assert!(i.get("placeholder").is_none()),
            _ if i["width"].is_null() => {
                assert_eq!(i["unreadable"], "its header is cut off");
            }
            _ => {
                let p = i["placeholder"].as_str().unwrap();
                assert!(
                    p.starts_with("data:image/png;base64,") && p.len() <= 1000,
                    "{p}"
                );
            }
        }
    }
    // Sorted keys at both levels: what serde_json writes from sorted maps.
    let text = site.read(INDEX);
    let keys: Vec<&String> = index.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(text.find("\"bytes\"").unwrap() < text.find("\"height\"").unwrap());
    assert!(text.ends_with("}\n"));

    // A fresh clone: the rewritten posts, the manifest, no image, no index,
    // no credentials. The same index, and not one request.
    let clone = Site::new();
    clone.write("content/post.md", site.read("content/post.md"));
    clone.write(
        "r2filter-manifest.json",
        site.read("r2filter-manifest.json"),
    );
    s3.forget_requests();
    clone
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(["--in-place", "content", "--images-index", INDEX])
        .args(["--placeholder", "blur"])
        .run()
        .success();
    assert_eq!(s3.requests().len(), 0, "{:?}", s3.requests());
    assert_eq!(clone.read(INDEX), text);
    assert_eq!(clone.read("content/post.md"), site.read("content/post.md"));
}

#[test]
fn manifests_from_before_sizes_gain_them_without_an_upload() {
    let s3 = S3Server::start();
    let site = site_with_images();
    let run = |extra: &[&str]| {
        site.r2filter()
            .against(&s3)
            .args(["content", "--out-dir", "out", "--images-index", INDEX])
            .args(extra)
            .run()
    };
    run(&[]).success();
    let first = site.manifest().unwrap();
    // As an older r2filter wrote it: no sizes, nothing unreadable.
    let mut old = first.clone();
    for e in old["objects"].as_object_mut().unwrap().values_mut() {
        let e = e.as_object_mut().unwrap();
        for k in ["width", "height", "unreadable", "placeholder"] {
            e.remove(k);
        }
    }
    site.write(
        "r2filter-manifest.json",
        serde_json::to_string_pretty(&old).unwrap(),
    );
    run(&[]).success();
    assert_eq!(index_of(&site).as_object().unwrap().len(), 4);
    assert!(
        sizes(&index_of(&site))
            .iter()
            .filter(|s| s.0.is_some())
            .count()
            == 3
    );
    s3.forget_requests();
    run(&[]).success();
    let upgraded = site.manifest().unwrap();
    assert_eq!(upgraded, first, "the upgrade restores every size");
    // Placeholders asked for later: learnt from the files, not uploaded.
    run(&["--placeholder", "blur"]).success();
    let with_blur = site.manifest().unwrap();
    let blurred = with_blur["objects"]
        .as_object()
        .unwrap()
        .values()
        .filter(|e| e.get("placeholder").is_some())
        .count();
    assert_eq!(blurred, 2, "the PNG and the JPEG");
    for (sha, e) in with_blur["objects"].as_object().unwrap() {
        assert_eq!(e["key"], first["objects"][sha]["key"], "keys never change");
    }
    assert_eq!(s3.requests().len(), 0, "{:?}", s3.requests());
    // Warm: nothing to learn, nothing written.
    let before = site.read("r2filter-manifest.json");
    let index_before = site.read(INDEX);
    run(&["--placeholder", "blur"]).success();
    assert_eq!(site.read("r2filter-manifest.json"), before);
    assert_eq!(site.read(INDEX), index_before);
    assert_eq!(s3.requests().len(), 0);
}

/// The written index is valid under the published JSON Schema, checked by an
/// independent validator (Python's jsonschema, from `.ci/run`), which also
/// rejects what the schema forbids.
#[test]
fn the_index_is_valid_under_its_published_schema() {
    let Some(oracle) = oracle_dir("", &["bin/python"], "the JSON Schema validator") else {
        return;
    };
    let python = oracle.join("bin/python");
    let has = Command::new(&python)
        .args(["-c", "import jsonschema"])
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        assert!(
            std::env::var_os("CI").is_none(),
            "jsonschema is not installed in {} (CI is set, so this fails): .ci/run installs it",
            oracle.display()
        );
        eprintln!("SKIPPED: jsonschema is not installed; see .ci/run");
        return;
    }
    let site = site_with_images();
    site.r2filter()
        .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
        .args(["content", "--out-dir", "out", "--images-index", INDEX])
        .args(["--placeholder", "blur"])
        .run()
        .success();
    let validate = |file: &Path| {
        Command::new(&python)
            .args([
                "-c",
                "import json, sys, jsonschema\n\
                 schema = json.load(open(sys.argv[1]))\n\
                 jsonschema.Draft202012Validator.check_schema(schema)\n\
                 jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))\n",
                SCHEMA,
            ])
            .arg(file)
            .output()
            .unwrap()
    };
    let ok = validate(&site.path(INDEX));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // What the schema must refuse: a missing field, a stray one, a wrong type.
    let index = index_of(&site);
    let url = index.as_object().unwrap().keys().next().unwrap().clone();
    for (field, value) in [
        ("bytes", None),
        ("extra", Some(Value::from(1))),
        ("width", Some(Value::from("40"))),
        ("placeholder", Some(Value::from("https://x/a.png"))),
    ] {
        let mut bad = index.clone();
        let entry = bad[&url].as_object_mut().unwrap();
        match value {
            Some(v) => entry.insert(field.into(), v),
            None => entry.remove(field),
        };
        site.write("bad.json", serde_json::to_string(&bad).unwrap());
        let out = validate(&site.path("bad.json"));
        assert!(!out.status.success(), "{field}: accepted");
    }
}

#[test]
fn dimensions_go_on_raw_and_jsx_images_that_have_neither() {
    let site = Site::new();
    site.write("docs/a.png", picture(40, 30, ImageFormat::Png));
    site.write("docs/b.jpg", sideways_jpeg());
    let md = "![md](a.png)\n\n<img src=\"a.png\" alt=\"raw\">\n\n<img src=\"a.png\" width=\"10\">\n\n\
              > <p><img alt=\"multi\"\n> src='b.jpg'></p>\n\nInline <img src=a.png> too.\n";
    let mdx = "<img src=\"a.png\" alt=\"x\" />\n\n<Image src={\"b.jpg\"} alt=\"y\" />\n\n\
               <Image src=\"a.png\" height={5} />\n\n<Image fill src=\"a.png\" />\n\n\
               <Image {...rest} src=\"a.png\" />\n\n![md](b.jpg)\n";
    site.write("docs/post.md", md);
    site.write("docs/post.mdx", mdx);
    let url = |file: &str| {
        let bytes = std::fs::read(site.path(&format!("docs/{file}"))).unwrap();
        let ext = if file.ends_with("png") { "png" } else { "jpg" };
        format!("{PUBLIC_URL}/{}.{ext}", sha256_hex(&bytes))
    };
    let (a, b) = (url("a.png"), url("b.jpg"));
    let publish = |extra: &[&str]| {
        site.r2filter()
            .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
            .args(["--key-template", "{hash}.{ext}"])
            .args(["docs", "--out-dir", "out"])
            .args(extra)
            .run()
            .success()
            .to_string()
    };
    publish(&["--dimensions"]);
    assert_eq!(
        site.read("out/post.md"),
        format!(
            "![md]({a})\n\n<img src=\"{a}\" width=\"40\" height=\"30\" alt=\"raw\">\n\n<img src=\"{a}\" width=\"10\">\n\n\
             > <p><img alt=\"multi\"\n> src='{b}' width=\"48\" height=\"64\"></p>\n\nInline <img src={a} width=\"40\" height=\"30\"> too.\n"
        )
    );
    assert_eq!(
        site.read("out/post.mdx"),
        format!(
            "<img src=\"{a}\" width={{40}} height={{30}} alt=\"x\" />\n\n<Image src={{\"{b}\"}} width={{48}} height={{64}} alt=\"y\" />\n\n\
             <Image src=\"{a}\" height={{5}} />\n\n<Image fill src=\"{a}\" />\n\n\
             <Image {{...rest}} src=\"{a}\" />\n\n![md]({b})\n"
        )
    );
    // A fixed point: the elements now name remote images.
    site.fixed_point_outputs(
        "out",
        &[site.path("docs/post.md"), site.path("docs/post.mdx")],
    );
    // Off (the default): only URLs change.
    publish(&[]);
    assert_eq!(
        site.read("out/post.md"),
        md.replace("src=\"a.png\"", &format!("src=\"{a}\""))
            .replace("src=a.png", &format!("src={a}"))
            .replace("(a.png)", &format!("({a})"))
            .replace("'b.jpg'", &format!("'{b}'"))
    );
    // From the environment too.
    site.r2filter()
        .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
        .args(["--key-template", "{hash}.{ext}", "docs", "--out-dir", "out"])
        .env("R2FILTER_DIMENSIONS", "true")
        .run()
        .success();
    assert!(
        site.read("out/post.md")
            .contains("width=\"40\" height=\"30\" alt=\"raw\"")
    );
}

#[test]
fn an_mdbook_with_dimensions_renders_sized_raw_images() {
    let s3 = S3Server::start();
    let book = Book::new();
    let via = Via::Clean {
        program: Program::MdbookR2filter,
        credentials: true,
    };
    book.configure(&s3, via, &[("images-index", "r2filter-images.json")]);
    // A boolean key (configure writes strings).
    let path = book.root.join("book.toml");
    let mut doc: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    doc["preprocessor"]["r2filter"]
        .as_table_mut()
        .unwrap()
        .insert("dimensions".into(), toml::Value::Boolean(true));
    std::fs::write(&path, toml::to_string(&doc).unwrap()).unwrap();
    std::fs::write(book.src("sized.png"), picture(40, 30, ImageFormat::Png)).unwrap();
    let chapter = book.src("gallery.md");
    let mut text = std::fs::read_to_string(&chapter).unwrap();
    text.push_str("\n<img src=\"sized.png\" alt=\"Sized\">\n");
    std::fs::write(&chapter, text).unwrap();
    book.build().unwrap();
    let html = book.html("gallery.html");
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(book.root.join("r2filter-images.json")).unwrap(),
    )
    .unwrap();
    let (url, _) = index
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, e)| e["width"] == 40 && e["height"] == 30)
        .expect("the chapter's image in the index");
    assert!(
        html.contains(&format!(
            "<img src=\"{url}\" width=\"40\" height=\"30\" alt=\"Sized\">"
        )),
        "{html}"
    );
    // The fixture's raw <img width="160"> is left as written.
    let screens = book.html("guide/deep/screens.html");
    assert!(
        screens.contains("alt=\"Screen, in HTML\" width=\"160\">"),
        "{screens}"
    );
    assert!(!screens.contains("height="), "{screens}");
}

#[test]
fn the_hugo_recipe_reads_sizes_and_placeholders_from_the_index() {
    let Some(hugo) = tool("hugo", "apt-get install hugo (.ci/run does)") else {
        return;
    };
    let site = Site::new();
    site.write(
        "hugo.toml",
        "baseURL = \"https://example.org/\"\ntitle = \"t\"\ndisableKinds = [\"taxonomy\", \"term\", \"RSS\", \"sitemap\"]\n",
    );
    site.write(
        "r2filter.toml",
        "images-index = \"data/r2filter-images.json\"\nplaceholder = \"blur\"\nsite-root = \"static\"\nlocal-store = \"bucket\"\npublic-url = \"https://assets.example.com\"\n",
    );
    site.write(
        "content/posts/cat/cat.png",
        picture(40, 30, ImageFormat::Png),
    );
    site.write(
        "content/posts/cat/index.md",
        "---\ntitle: Cat\n---\n\n![A cat](cat.png \"Cat\") and ![elsewhere](https://elsewhere.example/x.png)\n",
    );
    site.write(
        "layouts/_default/single.html",
        "<main>{{ .Content }}</main>\n",
    );
    site.write("static/.keep", "");
    let hook = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/src/guides/hugo-render-image.tmpl"
    ))
    .unwrap();
    site.write("layouts/_default/_markup/render-image.html", hook);
    site.r2filter()
        .args(["--in-place", "content"])
        .run()
        .success();
    let index: Value = serde_json::from_str(&site.read("data/r2filter-images.json")).unwrap();
    let (url, entry) = index.as_object().unwrap().iter().next().unwrap();
    let placeholder = entry["placeholder"].as_str().unwrap();
    let out = Command::new(hugo)
        .args(["--quiet", "--source"])
        .arg(&site.root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = site.read("public/posts/cat/index.html");
    // Hugo's html/template writes `+` as `&#43;` in an attribute (the same
    // character to a browser).
    let placeholder = placeholder.replace('+', "&#43;");
    assert!(
        page.contains(&format!(
            "<img src=\"{url}\" alt=\"A cat\" title=\"Cat\" width=\"40\" height=\"30\" style=\"background:url({placeholder}) center/cover\" loading=\"lazy\">"
        )),
        "{page}"
    );
    // An image the index does not know: as before.
    assert!(
        page.contains(
            "<img src=\"https://elsewhere.example/x.png\" alt=\"elsewhere\" loading=\"lazy\">"
        ),
        "{page}"
    );
}

#[test]
fn a_next_config_without_the_host_is_a_warning_with_the_snippet() {
    let site = Site::new();
    site.write("content/posts/a.md", "![a](a.png)\n");
    site.image("content/posts/a.png", 1);
    site.write(
        "next.config.mjs",
        "export default { images: { remotePatterns: [{ hostname: 'other.example.com' }] } };\n",
    );
    let args = ["--local-store", "bucket", "--public-url", PUBLIC_URL];
    let out = site
        .r2filter()
        .args(args)
        .args(["--in-place", "content/posts"])
        .run();
    out.success();
    let stderr = &out.stderr;
    let expected = "next.config.mjs: images.remotePatterns does not allow assets.example.com, so next/image will refuse the images r2filter publishes there";
    assert!(stderr.contains(expected), "{stderr}");
    assert!(
        stderr.contains("{ protocol: 'https', hostname: 'assets.example.com', pathname: '/**' },"),
        "{stderr}"
    );
    // `check` says so too, and does not fail on it (see the docs).
    site.write("content/posts/b.md", "![a](a.png)\n");
    let out = site
        .r2filter()
        .args(args)
        .args(["check", "content/posts"])
        .run();
    out.success();
    assert!(out.stderr.contains(expected), "{}", out.stderr);
    // With the host allowed: nothing to say.
    site.write(
        "next.config.mjs",
        "export default { images: { remotePatterns: [new URL('https://assets.example.com/**')] } };\n",
    );
    let out = site
        .r2filter()
        .args(args)
        .args(["check", "content/posts"])
        .run();
    out.success();
    assert!(!out.stderr.contains("next.config"), "{}", out.stderr);
}

#[test]
fn init_nextjs_prints_the_pattern_and_the_examples_component() {
    let site = Site::new();
    site.write(
        "r2filter.toml",
        "public-url = \"https://cdn.example.org/blog\"\n",
    );
    let out = site.r2filter().args(["init", "--nextjs"]).run();
    let printed = out.success();
    assert!(
        printed
            .contains("{ protocol: 'https', hostname: 'cdn.example.org', pathname: '/blog/**' },"),
        "{printed}"
    );
    let component = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/nextjs-blog/components/mdx-image.js"
    ))
    .unwrap();
    assert!(
        printed.contains(&component),
        "the example's component drifted:\n{printed}"
    );
    assert!(printed.contains("placeholder: 'blur', blurDataURL: info.placeholder"));
}
