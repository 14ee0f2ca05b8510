//! Front matter, end to end through the `r2filter` binary: parse errors,
//! values kept by rule, and the differential test.
//!
//! The differential test: every document of `frontmatter/corpus/` (each
//! case of issue 11, the shapes real blogs use, and the awkward ones) is
//! published with `--out-dir` against a local-folder store, then the input and
//! the output are read by parsers that share nothing with r2filter: js-yaml 3
//! (gray-matter's), yaml 2 (Hexo's), PyYAML (where it reads the input) and
//! Python's tomllib. For each parser that reads the input:
//!
//! - it reads the output too (r2filter never breaks the YAML or TOML);
//! - the data are equal but for the values at image paths (the configured
//!   keys at any depth, `url` anywhere below them, lists of them), and each of
//!   those that names a local image is now the public URL of that file's
//!   bytes, query and fragment kept; values named `keep-*` are the ones the
//!   README says are never rewritten (block scalars, TOML multi-line strings)
//!   and must be unchanged;
//! - a value elsewhere changes only when an alias shares it with an image
//!   path (the anchor's scalar is the one rewritten).
//!
//! And a second run on the output changes nothing (a fixed point).
//!
//! The parsers come from `.ci/run` (under `/opt/r2filter-oracle`, or the
//! folder in `R2FILTER_ORACLE`); without them the test says SKIPPED, and fails
//! when `CI` is set.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{Output, PUBLIC_URL, Site, oracle_dir, png, sha256_hex};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/testsuite/frontmatter/corpus"
);
const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testsuite/frontmatter");
/// README: the default front-matter keys.
const KEYS: &[&str] = &[
    "image",
    "images",
    "cover",
    "coverImage",
    "cover_image",
    "thumbnail",
    "banner",
    "ogImage",
    "avatar",
];
/// README: only values whose path has one of these extensions are taken.
const IMAGE_EXTENSIONS: &[&str] = &[
    "png", "apng", "jpg", "jpeg", "jpe", "jfif", "gif", "webp", "avif", "svg", "ico", "bmp", "tif",
    "tiff",
];

/// The oracle's folder (a Python venv with PyYAML, and node_modules with
/// js-yaml and yaml), or None to skip outside CI.
fn oracle() -> Option<PathBuf> {
    let needs = ["bin/python", "node_modules/js-yaml", "node_modules/yaml"];
    oracle_dir("", &needs, "the front-matter oracles")
}

/// Runs both oracle scripts over `files`: file name → parser → data or error.
fn parse_all(oracle: &Path, files: &[PathBuf]) -> BTreeMap<String, BTreeMap<String, Value>> {
    let node = Command::new("node")
        .arg(Path::new(SCRIPTS).join("parse.cjs"))
        .args(files)
        .env("NODE_PATH", oracle.join("node_modules"))
        .output()
        .expect("node runs");
    let python = Command::new(oracle.join("bin/python"))
        .arg(Path::new(SCRIPTS).join("parse.py"))
        .args(files)
        .output()
        .expect("the oracle's python runs");
    let mut out: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for run in [node, python] {
        assert!(
            run.status.success(),
            "an oracle failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        for line in String::from_utf8(run.stdout).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let file = v["file"].as_str().unwrap().to_string();
            let entry = out.entry(file).or_default();
            for (k, val) in v.as_object().unwrap() {
                if !matches!(k.as_str(), "file" | "format") {
                    entry.insert(k.clone(), val.clone());
                }
            }
            entry.insert("format".into(), v["format"].clone());
        }
    }
    out
}

/// Where a value sits with respect to the image keys (README: Front matter).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Under {
    Outside,
    Value,
    Inside,
}

impl Under {
    fn child(self, key: &str) -> Under {
        if KEYS.contains(&key) || (key == "url" && self != Under::Outside) {
            Under::Value
        } else if self == Under::Outside {
            Under::Outside
        } else {
            Under::Inside
        }
    }
}

/// What one value at an image path should become.
enum Expect {
    /// Not a local image (remote, no image extension, not a path).
    Same,
    /// A local image the README says is never rewritten (its name has
    /// `keep-` in it).
    Kept(PathBuf),
    /// The public URL of this file, then the query and fragment.
    Url(PathBuf, String),
}

/// The site: documents in `posts/`, the site root in `public/`.
struct Paths {
    posts: PathBuf,
    public: PathBuf,
}

impl Paths {
    /// Classifies `value` independently of r2filter's code, by the README's
    /// rules.
    fn expect(&self, value: &str) -> Expect {
        let v = value.trim();
        let scheme = v.split_once(':').is_some_and(|(s, _)| {
            s.len() > 1
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
        if v.starts_with("//") || scheme {
            return Expect::Same;
        }
        let cut = v.find(['?', '#']).unwrap_or(v.len());
        let (raw, suffix) = v.split_at(cut);
        let path = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
        let image = Path::new(&path)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if path.is_empty() || !image {
            return Expect::Same;
        }
        let file = match path.strip_prefix('/') {
            Some(rest) => self.public.join(rest),
            None => self.posts.join(&path),
        };
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        // `keep-a.png`, or `- keep-a.png` (the text of a block scalar).
        if name.contains("keep-") {
            Expect::Kept(file)
        } else {
            Expect::Url(file, suffix.to_string())
        }
    }
}

/// Counted over the reading of the parser most sites use for the format
/// (js-yaml for YAML, tomllib for TOML); `readings` over every parser.
#[derive(Default, Debug)]
struct Counts {
    documents: usize,
    /// (document, parser) pairs compared.
    readings: usize,
    /// Values at image paths now holding the image's public URL.
    rewritten: usize,
    kept_by_rule: usize,
    left_as_not_local: usize,
    through_alias: usize,
}

/// Compares one parser's reading of input and output; failures go to `bad`.
struct Compare<'a> {
    paths: &'a Paths,
    urls: &'a HashMap<PathBuf, String>,
    /// The front matter uses aliases (`*name`).
    aliases: bool,
    /// Old → new value at image paths.
    rewrites: HashMap<String, String>,
    /// Non-image leaves that changed: (path, old, new), checked at the end.
    changed_elsewhere: Vec<(String, String, String)>,
    counts: &'a mut Counts,
    /// This parser's counts are the ones reported.
    primary: bool,
    bad: &'a mut Vec<String>,
    at: String,
}

impl Compare<'_> {
    fn walk(&mut self, input: &Value, output: &Value, under: Under, path: &str) {
        match (input, output) {
            (Value::Object(a), Value::Object(b)) => {
                let ka: Vec<&String> = a.keys().collect();
                let kb: Vec<&String> = b.keys().collect();
                if ka != kb {
                    return self.fail(path, format!("keys {ka:?} became {kb:?}"));
                }
                for (k, v) in a {
                    self.walk(v, &b[k], under.child(k), &format!("{path}.{k}"));
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                if a.len() != b.len() {
                    return self.fail(path, format!("{} items became {}", a.len(), b.len()));
                }
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    self.walk(x, y, under, &format!("{path}[{i}]"));
                }
            }
            (Value::String(old), Value::String(new)) if under == Under::Value => {
                match self.paths.expect(old) {
                    Expect::Same | Expect::Kept(_) if old != new => {
                        self.fail(path, format!("{old:?} must stay, became {new:?}"))
                    }
                    Expect::Same => self.count(|c| c.left_as_not_local += 1),
                    Expect::Kept(_) => self.count(|c| c.kept_by_rule += 1),
                    Expect::Url(file, suffix) => match self.urls.get(&file) {
                        None => self.fail(
                            path,
                            format!("{old:?}: {} is not in the manifest", file.display()),
                        ),
                        Some(url) if *new == format!("{url}{suffix}") => {
                            self.count(|c| c.rewritten += 1);
                            self.rewrites.insert(old.clone(), new.clone());
                        }
                        Some(url) => self.fail(
                            path,
                            format!("{old:?} became {new:?}, expected {url}{suffix}"),
                        ),
                    },
                }
            }
            (Value::String(old), Value::String(new)) if old != new => {
                self.changed_elsewhere
                    .push((path.to_string(), old.clone(), new.clone()));
            }
            (a, b) if a != b => self.fail(path, format!("{a} became {b}")),
            _ => {}
        }
    }

    /// A value outside the image paths may change only as an alias of one.
    fn finish(&mut self) {
        for (path, old, new) in std::mem::take(&mut self.changed_elsewhere) {
            if self.aliases && self.rewrites.get(&old) == Some(&new) {
                self.count(|c| c.through_alias += 1);
            } else {
                self.fail(
                    &path,
                    format!("{old:?} is not at an image path, yet became {new:?}"),
                );
            }
        }
    }

    fn count(&mut self, f: impl FnOnce(&mut Counts)) {
        if self.primary {
            f(self.counts);
        }
    }

    fn fail(&mut self, path: &str, what: String) {
        self.bad.push(format!("{}: {path}: {what}", self.at));
    }
}

/// Every file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn front_matter_differential() {
    let Some(oracle) = oracle() else { return };
    let site = Site::new();
    let paths = Paths {
        posts: site.path("posts"),
        public: site.path("public"),
    };
    std::fs::create_dir_all(&paths.public).unwrap();
    std::fs::create_dir_all(&paths.posts).unwrap();
    for doc in files(Path::new(CORPUS)) {
        std::fs::copy(&doc, paths.posts.join(doc.file_name().unwrap())).unwrap();
    }
    // An image after an empty front matter block (37-empty-front-matter.md).
    site.write("posts/body.png", png(0));
    let inputs = files(&paths.posts)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect::<Vec<_>>();
    let before = parse_all(&oracle, &inputs);

    // Every local image the oracles find at an image path exists, each with
    // its own bytes.
    fn images(v: &Value, under: Under, paths: &Paths, out: &mut Vec<PathBuf>) {
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| images(v, under.child(k), paths, out)),
            Value::Array(a) => a.iter().for_each(|v| images(v, under, paths, out)),
            Value::String(s) if under == Under::Value => match paths.expect(s) {
                Expect::Url(f, _) | Expect::Kept(f) => out.push(f),
                Expect::Same => {}
            },
            _ => {}
        }
    }
    let mut wanted = Vec::new();
    for readings in before.values() {
        for reading in readings.values() {
            if let Some(data) = reading.get("data") {
                images(data, Under::Outside, &paths, &mut wanted);
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    for (i, f) in wanted.iter().enumerate() {
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, png(i as u32 + 1)).unwrap();
    }

    // Publish, then publish the output again.
    site.publish_local("posts", "out").success();
    let outputs = site.fixed_point_outputs("out", &inputs);

    // The manifest: which URL each file got.
    let by_hash = site.urls_by_hash();
    let urls: HashMap<PathBuf, String> = wanted
        .iter()
        .filter_map(|f| {
            let url = by_hash.get(&sha256_hex(&std::fs::read(f).unwrap()))?;
            Some((f.clone(), url.clone()))
        })
        .collect();

    let after = parse_all(&oracle, &outputs);
    let mut counts = Counts::default();
    let mut bad = Vec::new();
    for (input, output) in inputs.iter().zip(&outputs) {
        let name = input.file_name().unwrap().to_string_lossy().to_string();
        let read_in = &before[&input.display().to_string()];
        let read_out = &after[&output.display().to_string()];
        counts.documents += 1;
        if read_in["format"] != read_out["format"] || read_in["format"].is_null() {
            bad.push(format!(
                "{name}: front matter found {} before, {} after",
                read_in["format"], read_out["format"]
            ));
            continue;
        }
        let text = std::fs::read_to_string(input).unwrap();
        let mut read_by_any = false;
        for (parser, reading) in read_in {
            if parser == "format" || reading.get("missing").is_some() {
                continue;
            }
            let Some(data_in) = reading.get("data") else {
                // js-yaml and tomllib, the parsers of the sites most users
                // run, must read every document of the corpus.
                if parser == "js-yaml" || parser == "tomllib" {
                    bad.push(format!(
                        "{name}: {parser} cannot read the input: {}",
                        reading["error"]
                    ));
                }
                continue;
            };
            let Some(data_out) = read_out[parser].get("data") else {
                bad.push(format!(
                    "{name}: {parser} reads the input but not the output: {}",
                    read_out[parser]["error"]
                ));
                continue;
            };
            read_by_any = true;
            counts.readings += 1;
            let mut cmp = Compare {
                paths: &paths,
                urls: &urls,
                aliases: text.contains('*'),
                rewrites: HashMap::new(),
                changed_elsewhere: Vec::new(),
                counts: &mut counts,
                primary: parser == "js-yaml" || parser == "tomllib",
                bad: &mut bad,
                at: format!("{name} ({parser})"),
            };
            cmp.walk(data_in, data_out, Under::Outside, "");
            cmp.finish();
        }
        if !read_by_any {
            bad.push(format!("{name}: no parser read it"));
        }
    }
    // What the scanner itself kept by rule (block scalars, other tags, TOML
    // multi-line strings), for the record.
    let kept: usize = inputs
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let scanned =
                r2filter_text::scan::scan(&text, &r2filter_text::scan::Flavor::Markdown.into());
            scanned.map_or(0, |s| s.kept.len())
        })
        .sum();
    eprintln!("front-matter differential: {counts:?}; the scanner kept {kept} values by rule");
    assert!(
        bad.is_empty(),
        "{} problems:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(
        counts.documents >= 40 && counts.rewritten > 100,
        "{counts:?}"
    );
}

/// A store, a public URL and `args`, run in `site`.
fn run(site: &Site, args: &[&str], stdin: &str) -> Output {
    site.r2filter()
        .args(args)
        .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
        .stdin(stdin)
        .run()
}

#[test]
fn a_front_matter_parse_error_names_the_place_and_writes_nothing() {
    let site = Site::new();
    site.image("posts/a.png", 1);
    site.write("posts/good.md", "---\ncover: a.png\n---\n");
    site.write(
        "posts/bad.md",
        "---\ntitle: x\ncover: [a.png\n---\n\n![a](a.png)\n",
    );
    let err = run(&site, &["posts", "--out-dir", "out"], "")
        .failure(1)
        .to_string();
    assert!(
        err.contains("posts/bad.md:4:1: front matter is not valid YAML"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert!(!site.path("out").exists(), "nothing is written");
    assert!(!site.path("bucket").exists(), "nothing is uploaded");

    let err = run(
        &site,
        &["--base-dir", "posts"],
        "+++\ntitle = 'x'\ncover = \n+++\n",
    )
    .failure(1)
    .to_string();
    assert!(
        err.contains("<stdin>:3:9: front matter is not valid TOML"),
        "{err}"
    );
    let err = run(&site, &["--in-place", "posts/bad.md"], "")
        .failure(1)
        .to_string();
    assert!(err.contains("posts/bad.md:4:1"), "{err}");
    assert_eq!(
        site.read("posts/bad.md"),
        "---\ntitle: x\ncover: [a.png\n---\n\n![a](a.png)\n"
    );
}

#[test]
fn values_kept_by_rule_are_reported_with_v() {
    let site = Site::new();
    site.image("a.png", 1);
    let doc = "---\ncover: |\n  a.png\nimage: !custom a.png\nbanner: a.png\n---\n";
    let out = run(&site, &["-v"], doc);
    let stdout = out.success().to_string();
    assert!(
        stdout.starts_with("---\ncover: |\n  a.png\nimage: !custom a.png\nbanner: https://"),
        "{stdout}"
    );
    assert!(
        out.stderr
            .contains("<stdin>:3:3: a YAML block scalar (| or >) is never rewritten"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("<stdin>:4:16: a value tagged !custom is never rewritten"),
        "{}",
        out.stderr
    );
    // Not shown without -v.
    let quiet = run(&site, &[], doc);
    quiet.success();
    assert!(
        !quiet.stderr.contains("never rewritten"),
        "{}",
        quiet.stderr
    );
}
