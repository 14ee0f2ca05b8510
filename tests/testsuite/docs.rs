//! The user guide, `docs/`: an mdBook that eats its own cooking. It is built
//! here with real mdBook (mdbook-driver, in process) and the
//! `mdbook-r2filter` just built as its preprocessor, on a local store in a
//! temp folder, exactly as `docs/book.toml` configures it but for the
//! store's and manifest's place. Then:
//!
//! - every relative `href` and `src` of the rendered HTML names a file of
//!   the output, and every `#fragment` an `id` of the page it points to;
//! - every image of `docs/src/` went to the store, and the pages link to it
//!   by its public URL only;
//! - every book page an error hint names exists (see [`HINT_PLACES`]);
//! - the README's commands still work as written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use crate::support::*;

/// The placeholder `public-url` of docs/book.toml.
const DOCS_PUBLIC_URL: &str = "https://docs.example.invalid";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `mdbook-r2filter` the book is built with: the one just built.
fn preprocessor() -> &'static str {
    mdbook_r2filter()
}

/// The book, built once for the tests of this module.
struct BuiltDocs {
    _dir: tempfile::TempDir,
    /// The copy of docs/ that was built.
    root: PathBuf,
    /// mdBook's output (`book/` under the copy).
    out: PathBuf,
    /// The local store the preprocessor published to.
    store: PathBuf,
    /// What the preprocessor wrote on stderr.
    stderr: String,
}

fn built() -> &'static BuiltDocs {
    static BUILT: OnceLock<BuiltDocs> = OnceLock::new();
    BUILT.get_or_init(build)
}

fn build() -> BuiltDocs {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let root = base.join("docs");
    copy_docs(&repo().join("docs"), &root);
    let store = base.join("store");
    let stderr_log = base.join("preprocessor.stderr");

    // docs/book.toml as committed: a local store under a placeholder URL.
    let path = root.join("book.toml");
    let mut doc: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let table = doc["preprocessor"]["r2filter"].as_table_mut().unwrap();
    assert!(
        table.contains_key("local-store"),
        "docs/book.toml must build on a local store (no account, no network): {table:?}"
    );
    assert_eq!(table["public-url"].as_str(), Some(DOCS_PUBLIC_URL));
    assert!(
        !table.contains_key("command"),
        "docs/book.toml runs mdbook-r2filter from PATH, as a reader's build does"
    );

    // Here: the built mdbook-r2filter, in a clean environment (mdBook's child
    // inherits this process's, and nothing of the machine's may leak in),
    // the store and manifest in the temp folder.
    let script = base.join("preprocessor.sh");
    std::fs::write(
        &script,
        format!(
            "# test scaffolding: the real binary, a clean environment, stderr kept\n\
             exec {env} '{bin}' \"$@\" 2>>'{log}'\n",
            env = clean_env(&base),
            bin = preprocessor(),
            log = stderr_log.display(),
        ),
    )
    .unwrap();
    for (key, value) in [
        ("command", format!("sh '{}'", script.display())),
        ("local-store", store.display().to_string()),
        ("manifest", base.join("manifest.json").display().to_string()),
    ] {
        table.insert(key.into(), toml::Value::String(value));
    }
    std::fs::write(&path, toml::to_string(&doc).unwrap()).unwrap();

    let result = mdbook_driver::MDBook::load(&root).and_then(|b| b.build());
    let stderr = std::fs::read_to_string(&stderr_log).unwrap_or_default();
    if let Err(e) = result {
        panic!("mdbook build docs/ failed: {e:#}\npreprocessor stderr:\n{stderr}");
    }
    let out = root.join("book");
    assert!(
        out.join("index.html").is_file(),
        "no index.html in {}",
        out.display()
    );
    BuiltDocs {
        _dir: dir,
        root,
        out,
        store,
        stderr,
    }
}

/// docs/ without a build's output (`book/`) a local `mdbook build` left.
fn copy_docs(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if from == repo().join("docs") && name == "book" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_docs(&e.path(), &to.join(&name));
        } else {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// One start tag of a page: its name and attributes.
type Tag = (String, Vec<(String, String)>);

#[derive(Default)]
struct Tags(std::cell::RefCell<Vec<Tag>>);

impl TokenSink for Tags {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token
            && tag.kind == TagKind::StartTag
        {
            let name = tag.name.to_string();
            let attrs = tag
                .attrs
                .iter()
                .map(|a| (a.name.local.to_string(), a.value.to_string()))
                .collect();
            self.0.borrow_mut().push((name.clone(), attrs));
            // What the tree builder tells the tokenizer: script and style
            // text is not markup (mdBook's scripts hold HTML in strings).
            return match name.as_str() {
                "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                "style" | "noscript" | "iframe" => TokenSinkResult::RawData(RawKind::Rawtext),
                "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
                _ => TokenSinkResult::Continue,
            };
        }
        TokenSinkResult::Continue
    }
}

/// The start tags of `html`, as a browser's tokenizer reads them.
fn tags(html: &str) -> Vec<Tag> {
    let tok = Tokenizer::new(Tags::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(html));
    let _ = tok.feed(&input);
    tok.end();
    tok.sink.0.take()
}

/// Every rendered page: its path under the output, and its start tags.
fn pages(out: &Path) -> BTreeMap<PathBuf, Vec<Tag>> {
    files_under(out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .map(|p| {
            let html = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(out).unwrap().to_path_buf(), tags(&html))
        })
        .collect()
}

fn attr<'a>(tag: &'a Tag, name: &str) -> Option<&'a str> {
    tag.1.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim())
}

/// A URL with a scheme (`https:`, `mailto:`, `data:`, …) or `//host`.
fn is_external(url: &str) -> bool {
    if url.starts_with("//") {
        return true;
    }
    match url.find(':') {
        Some(i) => {
            let scheme = &url[..i];
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
                && !url[..i].contains('/')
        }
        None => false,
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap_or_else(|_| panic!("{s:?} is not UTF-8 once decoded"))
        .into_owned()
}

/// `dir/rel` with `.` and `..` taken out, or None if it climbs above `dir`'s
/// root (the output folder, `base`).
fn resolve(base: &Path, dir: &Path, rel: &str) -> Option<PathBuf> {
    let mut parts: Vec<String> = dir
        .strip_prefix(base)
        .unwrap()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let rel = rel.strip_prefix('/').map_or(rel, |r| {
        parts.clear();
        r
    });
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s.to_string()),
        }
    }
    Some(parts.iter().fold(base.to_path_buf(), |p, s| p.join(s)))
}

#[test]
fn every_link_and_fragment_of_the_built_docs_resolves() {
    let docs = built();
    let pages = pages(&docs.out);
    assert!(pages.len() > 20, "only {} pages were rendered", pages.len());
    let ids: BTreeMap<&PathBuf, BTreeSet<&str>> = pages
        .iter()
        .map(|(p, tags)| (p, tags.iter().filter_map(|t| attr(t, "id")).collect()))
        .collect();

    let mut checked = 0;
    let mut fragments = 0;
    let mut broken = Vec::new();
    for (page, tags) in &pages {
        // 404.html is served from anywhere: its <base href> sets where its
        // links start.
        let base = tags
            .iter()
            .find(|t| t.0 == "base")
            .and_then(|t| attr(t, "href"));
        let dir = match base {
            Some(b) => resolve(&docs.out, &docs.out, b).unwrap(),
            None => docs.out.join(page).parent().unwrap().to_path_buf(),
        };
        for tag in tags {
            for name in ["href", "src"] {
                let Some(url) = attr(tag, name) else { continue };
                if tag.0 == "base" || url.is_empty() || is_external(url) {
                    continue;
                }
                checked += 1;
                let (path, fragment) = match url.split_once('#') {
                    Some((p, f)) => (p, Some(f)),
                    None => (url, None),
                };
                let path = path.split('?').next().unwrap();
                let target = if path.is_empty() {
                    Some(docs.out.join(page))
                } else {
                    resolve(&docs.out, &dir, &decode(path))
                };
                let shown = format!("{}: <{} {name}=\"{url}\">", page.display(), tag.0);
                let Some(target) = target.filter(|t| t.is_file()) else {
                    broken.push(format!("{shown}: no such file in the output"));
                    continue;
                };
                let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
                    continue;
                };
                fragments += 1;
                let rel = target.strip_prefix(&docs.out).unwrap().to_path_buf();
                match ids.get(&rel) {
                    Some(ids) if ids.contains(decode(fragment).as_str()) => {}
                    Some(_) => {
                        broken.push(format!("{shown}: {} has no id {fragment:?}", rel.display()))
                    }
                    None => broken.push(format!("{shown}: {} is not a page", rel.display())),
                }
            }
        }
    }
    eprintln!(
        "{} pages, {checked} relative links and sources checked, {fragments} of them with a fragment",
        pages.len()
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(fragments > 0, "no link with a fragment was checked");
}

/// The image files of docs/src, by their bytes' SHA-256.
fn source_images(src: &Path) -> BTreeMap<String, PathBuf> {
    files_under(src)
        .into_iter()
        .filter(|p| {
            p.extension().is_some_and(|e| {
                ["png", "jpg", "jpeg", "gif", "webp", "avif", "svg"]
                    .contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
            })
        })
        .map(|p| (sha256_hex(&std::fs::read(&p).unwrap()), p))
        .collect()
}

#[test]
fn every_image_of_the_docs_went_to_the_store_and_the_pages_use_its_url() {
    let docs = built();
    eprint!("preprocessor stderr:\n{}", docs.stderr);
    let images = source_images(&docs.root.join("src"));
    assert!(
        !images.is_empty(),
        "docs/src has no image: the book would not eat its own cooking"
    );

    // What the store holds: key → bytes' hash.
    let stored: BTreeMap<String, String> = files_under(&docs.store)
        .into_iter()
        .map(|p| {
            let key = p
                .strip_prefix(&docs.store)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (key, sha256_hex(&std::fs::read(&p).unwrap()))
        })
        .collect();
    let stored_hashes: BTreeSet<&String> = stored.values().collect();
    for (hash, path) in &images {
        assert!(
            stored_hashes.contains(hash),
            "{} is not in the store ({stored:?})\npreprocessor stderr:\n{}",
            path.display(),
            docs.stderr
        );
    }

    // Every <img> of every page: the store's public URL of an image of
    // docs/src; never a path into the book.
    let mut used = BTreeSet::new();
    for (page, tags) in pages(&docs.out) {
        for tag in tags.iter().filter(|t| t.0 == "img") {
            let src = attr(tag, "src").unwrap_or_default();
            let key = src
                .strip_prefix(DOCS_PUBLIC_URL)
                .and_then(|k| k.strip_prefix('/'))
                .unwrap_or_else(|| {
                    panic!(
                        "{}: <img src=\"{src}\"> is not a URL of the store",
                        page.display()
                    )
                });
            let hash = stored.get(&decode(key)).unwrap_or_else(|| {
                panic!("{}: {src} names no object of the store", page.display())
            });
            used.insert(hash.clone());
        }
    }
    let unused: Vec<_> = images
        .iter()
        .filter(|(h, _)| !used.contains(*h))
        .map(|(_, p)| p.display().to_string())
        .collect();
    assert!(unused.is_empty(), "images no page shows: {unused:?}");
}

/// The GitHub Actions guide shows the workflow file .ci/run actionlints
/// (docs/src/guides/site.yml, pulled in with mdBook's include).
#[test]
fn the_actions_guide_shows_the_workflow_ci_lints() {
    let docs = built();
    let page = std::fs::read_to_string(docs.out.join("guides/github-actions.html")).unwrap();
    let workflow = std::fs::read_to_string(repo().join("docs/src/guides/site.yml")).unwrap();
    assert!(!page.contains("#include"), "the include was not expanded");
    for line in workflow.lines().filter(|l| !l.trim().is_empty()) {
        let escaped = line
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;");
        assert!(
            page.contains(&escaped) || page.contains(line),
            "{line:?} of site.yml is not on the page"
        );
    }
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    assert!(
        ci.contains("cp docs/src/guides/site.yml"),
        ".ci/run lints the guide's workflow"
    );
}

/// Where error hints send people, as the hints word it: the words (as they
/// appear in r2filter's sources), the file that must exist (relative to the
/// repository) and a line it must hold. A hint that names a place in words
/// ("the FAQ in the README") needs an entry here, and an entry no hint uses
/// any more fails too, so the list stays the hints' own. Hints that name a
/// page by its path (`docs/src/reference/settings.md#…`) need no entry: every
/// such path is checked against the built book.
/// Hints name book pages by path now; this list is for a hint that
/// names a place in words, which should stay rare.
const HINT_PLACES: &[(&str, &str, &str)] = &[];

/// The `.rs` files of the program (src/, and crates/ once there is one).
fn program_sources() -> Vec<(PathBuf, String)> {
    ["src", "crates"]
        .iter()
        .map(|d| repo().join(d))
        .filter(|d| d.is_dir())
        .flat_map(|d| files_under(&d))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

#[test]
fn every_place_an_error_hint_names_exists() {
    let sources = program_sources();
    assert!(!sources.is_empty());
    let in_readme = regex::Regex::new(r"the [A-Za-z][A-Za-z -]*? in the README").unwrap();
    let book_path =
        regex::Regex::new(r"docs/src/([A-Za-z0-9_/.-]+\.md)(#[A-Za-z0-9_-]+)?").unwrap();

    let mut problems = Vec::new();
    let mut named = BTreeSet::new();
    let mut pages = BTreeSet::new();
    for (file, text) in &sources {
        let file = file.strip_prefix(repo()).unwrap().display();
        for m in in_readme.find_iter(text) {
            named.insert(m.as_str().to_string());
            if !HINT_PLACES.iter().any(|(words, ..)| *words == m.as_str()) {
                problems.push(format!(
                    "{file}: a hint names {:?}, which HINT_PLACES (tests/testsuite/docs.rs) does not list",
                    m.as_str()
                ));
            }
        }
        for c in book_path.captures_iter(text) {
            pages.insert((
                file.to_string(),
                c[1].to_string(),
                c.get(2).map(|f| f.as_str()[1..].to_string()),
            ));
        }
    }
    for (words, path, line) in HINT_PLACES {
        if !named.contains(*words) {
            problems.push(format!(
                "HINT_PLACES lists {words:?}, which no hint says any more: remove it"
            ));
        }
        let text = std::fs::read_to_string(repo().join(path)).unwrap_or_default();
        if !text.lines().any(|l| l == *line) {
            problems.push(format!("{words:?}: {path} has no line {line:?}"));
        }
    }

    // Pages named by path: in SUMMARY.md, rendered, with the fragment's id.
    if !pages.is_empty() {
        let summary = std::fs::read_to_string(repo().join("docs/src/SUMMARY.md")).unwrap();
        let docs = built();
        for (file, page, fragment) in &pages {
            if !summary.contains(&format!("]({page})")) {
                problems.push(format!(
                    "{file}: docs/src/{page} is not a page of the book (SUMMARY.md)"
                ));
                continue;
            }
            let html = docs.out.join(Path::new(page).with_extension("html"));
            let Ok(text) = std::fs::read_to_string(&html) else {
                problems.push(format!("{file}: docs/src/{page} was not rendered"));
                continue;
            };
            if let Some(f) = fragment
                && !tags(&text).iter().any(|t| attr(t, "id") == Some(f))
            {
                problems.push(format!("{file}: docs/src/{page} has no #{f}"));
            }
        }
    }
    eprintln!(
        "{} place(s) named in words, {} page(s) by path",
        named.len(),
        pages.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The README's fenced `sh` blocks, each as its command lines (comments and
/// blank lines left out; a line ending in `\` joined with the next).
fn readme_commands() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut heading = String::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("## ") {
            heading = line.to_string();
        }
        if line.trim_start() != "```sh" {
            continue;
        }
        let mut commands = Vec::new();
        let mut pending = String::new();
        for l in lines.by_ref() {
            let l = l.trim();
            if l == "```" {
                break;
            }
            if let Some(head) = l.strip_suffix('\\') {
                pending.push_str(head);
                continue;
            }
            let full = format!("{pending}{l}");
            pending.clear();
            if !full.is_empty() && !full.starts_with('#') {
                commands.push(full);
            }
        }
        blocks.push((heading.clone(), commands));
    }
    blocks
}

/// `PROGRAM ARGS... < INPUT`, split on white space (README commands use no
/// quotes); returns the arguments after `program` and the input file.
fn split_command<'a>(line: &'a str, program: &str) -> (Vec<&'a str>, &'a str) {
    assert!(!line.contains(['"', '\'']), "quoted arguments: {line}");
    let rest = line
        .strip_prefix(program)
        .unwrap_or_else(|| panic!("{line:?} does not start with {program:?}"));
    let (args, input) = rest
        .split_once(" < ")
        .unwrap_or_else(|| panic!("{line:?} reads no file on standard input"));
    (args.split_whitespace().collect(), input.trim())
}

/// The README's set-up commands: exactly two, the main job on a local folder
/// (run here as written, with the built binary in place of `cargo run -q
/// --` and a temp folder in place of /tmp/r2filter-demo), and every test
/// through `.ci/run`, which calls `cargo test`.
#[test]
fn the_readme_set_up_commands_work_as_written() {
    let blocks = readme_commands();
    let (_, setup) = blocks
        .iter()
        .find(|(h, _)| h == "## Set up")
        .expect("the README has a ## Set up section with an sh block");
    assert_eq!(setup.len(), 2, "two set-up commands: {setup:#?}");
    assert_eq!(setup[1], "cargo test --workspace");
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l == "cargo test --workspace --locked"),
        ".ci/run runs the README's test command"
    );

    let demo = "/tmp/r2filter-demo";
    assert!(setup[0].contains(demo), "{}", setup[0]);
    let work = tempfile::tempdir().unwrap();
    let line = setup[0].replace(demo, &work.path().display().to_string());
    let (args, input) = split_command(&line, "cargo run -q -- ");
    let out = Run::new(R2FILTER, repo())
        .args(&args)
        .stdin(std::fs::read(repo().join(input)).unwrap())
        .run();
    let stdout = out.success();
    assert_rewritten(stdout, "https://assets.example.com/");
    let objects = files_under(&work.path().join("bucket"));
    assert_eq!(objects.len(), 3, "{objects:?}");
    assert!(work.path().join("manifest.json").is_file());
    assert!(out.stderr.contains("3 uploaded"), "{}", out.stderr);
}

/// The README's one-minute try: `npx r2filter …< your-post.md` in the folder
/// of a post, no clone and no account; run with the built binary in place of
/// `npx r2filter` (the npm package runs that same binary) and a temp folder
/// in place of /tmp.
#[test]
fn the_readme_one_minute_try_works_as_written() {
    let blocks = readme_commands();
    let (_, try_it) = blocks
        .iter()
        .find(|(h, _)| h.starts_with("## Try it"))
        .expect("the README has a ## Try it section with an sh block");
    assert_eq!(try_it.len(), 1, "{try_it:#?}");
    let work = tempfile::tempdir().unwrap();
    let tmp = work.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let line = try_it[0].replace("/tmp/", &format!("{}/", tmp.display()));
    let (args, input) = split_command(&line, "npx r2filter ");
    assert_eq!(input, "your-post.md");

    let site = Site::new();
    site.image("images/sunset.png", 1);
    site.image("images/shot.png", 2);
    site.write(
        "your-post.md",
        "# A post\n\n![Sunset](images/sunset.png)\n\n<img src=\"images/shot.png\" alt=\"shot\">\n",
    );
    let out = site
        .r2filter()
        .args(&args)
        .stdin(site.read("your-post.md"))
        .run();
    assert_rewritten(out.success(), "https://assets.example.com/");
    assert_eq!(files_under(&tmp.join("r2filter-try")).len(), 2);
    // The post's folder is left as it was: no manifest, no cache there.
    assert!(site.manifest().is_none());
    assert!(!site.path("r2filter-manifest.json.cache").exists());

    // Again: nothing copied, from the manifest.
    let again = site
        .r2filter()
        .args(&args)
        .stdin(site.read("your-post.md"))
        .run();
    again.success();
    assert!(again.stderr.contains("2 from manifest"), "{}", again.stderr);
}

/// `stdout` links its images to `public` and no local `images/` path is
/// left outside code spans.
#[track_caller]
fn assert_rewritten(stdout: &str, public: &str) {
    assert!(stdout.contains(&format!("]({public}")), "{stdout}");
    // Every other piece between backquotes is code.
    let text: String = stdout
        .lines()
        .flat_map(|l| l.split('`').step_by(2).chain(["\n"]))
        .collect();
    for local in ["](images/", "](<images/", "src=\"images/", "]: images/"] {
        assert!(!text.contains(local), "{local} left in:\n{stdout}");
    }
}

/// The settings and commands reference pages are the code's: between their
/// markers, exactly what `r2filter::cli::reference` makes from the
/// settings' and commands' own definitions (clap's arguments, their
/// variables and defaults, serde's keys, the headings each command takes).
/// `SNAPSHOTS=overwrite` rewrites them.
#[test]
fn the_settings_and_commands_pages_are_generated_from_the_code() {
    use r2filter::cli::reference;
    for (page, generated) in [
        ("docs/src/reference/settings.md", reference::settings_page()),
        ("docs/src/reference/commands.md", reference::commands_page()),
    ] {
        let path = repo().join(page);
        let committed = std::fs::read_to_string(&path).unwrap();
        let expected = reference::splice(&committed, &generated).unwrap_or_else(|| {
            panic!(
                "{page} has no generated part: put these two lines where it goes\n{}\n{}",
                reference::BEGIN,
                reference::END
            )
        });
        // snapbox reads `[..]` and a line `...` in a snapshot as wildcards.
        assert!(
            !generated.contains("[..]") && !generated.lines().any(|l| l.trim() == "..."),
            "{page}: the generated text holds a snapshot wildcard"
        );
        snapbox::Assert::new()
            .action_env(SNAPSHOTS_ENV)
            .normalize_paths(false)
            .redact_with(snapbox::Redactions::new())
            .eq(expected, snapbox::Data::read_from(&path, None));
    }
}
