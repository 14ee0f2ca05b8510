//! The fixture book: a copy of `fixtures/book` in a temp folder whose
//! `[preprocessor.r2filter]` command is the built binary, built in process by
//! mdbook-driver (mdBook then spawns the preprocessor exactly as `mdbook
//! build` does).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{ACCESS_KEY, BUCKET, PUBLIC_URL, S3Server, SECRET_KEY};

pub const R2FILTER: &str = env!("CARGO_BIN_EXE_r2filter");

/// The lean `mdbook-r2filter`, built as users install it: on its own (cargo
/// gives a package built together with r2filter r2filter's default
/// features, the S3 client among them), into `target/lean` (so that it does
/// not replace the `target/debug` one), incremental after the first time.
/// It is linked into `target/lean/bin` beside a link to the tested
/// `r2filter`, where `cargo install` would put both: it hands uploads to the
/// `r2filter` beside it.
pub fn mdbook_r2filter() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let target = Path::new(R2FILTER).ancestors().nth(2).unwrap().join("lean");
        let out = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "--locked",
                "--quiet",
                "-p",
                "mdbook-r2filter",
                "--target-dir",
            ])
            .arg(&target)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo build -p mdbook-r2filter: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bin = target.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let (lean, beside) = (bin.join("mdbook-r2filter"), bin.join("r2filter"));
        for old in [&lean, &beside] {
            let _ = std::fs::remove_file(old);
        }
        let built = target.join("debug").join("mdbook-r2filter");
        if std::fs::hard_link(&built, &lean).is_err() {
            std::fs::copy(&built, &lean).unwrap();
        }
        std::os::unix::fs::symlink(R2FILTER, &beside).unwrap();
        lean.to_str().expect("a UTF-8 target path").to_string()
    })
}

/// How mdBook starts the preprocessor.
#[derive(Clone, Copy)]
pub enum Via {
    /// `command = "/…/mdbook-r2filter"`, with this process's environment.
    Binary,
    /// The wrapper around `mdbook-r2filter`: clean environment, stderr kept.
    Clean { program: Program, credentials: bool },
}

#[derive(Clone, Copy)]
pub enum Program {
    MdbookR2filter,
    R2filterMdbook,
    /// `r2filter --offline mdbook`: the manifest or nothing.
    R2filterOfflineMdbook,
    /// `r2filter --dry-run --report FILE mdbook`, FILE beside the book.
    R2filterDryRunMdbook,
}

/// A copy of `fixtures/book` in a temp folder, built in process by
/// mdbook-driver with the preprocessor command of [`Via`].
pub struct Book {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Book {
    pub fn new() -> Book {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap().join("book");
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/book");
        copy_dir(&fixture, &root);
        Book { dir, root }
    }

    pub fn src(&self, rel: &str) -> PathBuf {
        self.root.join("src").join(rel)
    }

    pub fn stderr_log(&self) -> PathBuf {
        self.dir.path().join("preprocessor.stderr")
    }

    /// Asserts what the preprocessor wrote on stderr so far equals the
    /// snapshot (the book's folder as `[ROOT]`, the temp folder as `[TMP]`).
    #[track_caller]
    pub fn stderr_eq(&self, expected: impl snapbox::IntoData) {
        self.snapshot(self.stderr(), expected);
    }

    /// Asserts `actual` equals the snapshot, redacted as [`Book::stderr_eq`].
    #[track_caller]
    pub fn snapshot(&self, actual: impl snapbox::IntoData, expected: impl snapbox::IntoData) {
        let mut r = super::redactions(&self.root);
        r.insert("[TMP]", self.dir.path().to_path_buf()).unwrap();
        super::assert_snapshot(actual, expected, &r);
    }

    /// What the preprocessor wrote on stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr_log()).unwrap_or_default()
    }

    /// Points `[preprocessor.r2filter]` at `s3` and sets `command`; `extra` keys
    /// are added to the table.
    pub fn configure(&self, s3: &S3Server, via: Via, extra: &[(&str, &str)]) {
        let command = match via {
            Via::Binary => mdbook_r2filter().to_string(),
            Via::Clean {
                program,
                credentials,
            } => {
                let program = match program {
                    Program::MdbookR2filter => format!("'{}'", mdbook_r2filter()),
                    Program::R2filterMdbook => format!("'{R2FILTER}' mdbook"),
                    Program::R2filterOfflineMdbook => format!("'{R2FILTER}' --offline mdbook"),
                    Program::R2filterDryRunMdbook => format!(
                        "'{R2FILTER}' --dry-run --report '{}' mdbook",
                        self.dir.path().join("report.json").display()
                    ),
                };
                let creds = if credentials {
                    format!("AWS_ACCESS_KEY_ID={ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SECRET_KEY} ")
                } else {
                    String::new()
                };
                let script = self.dir.path().join("preprocessor.sh");
                std::fs::write(
                    &script,
                    format!(
                        "# test scaffolding: the real binary, a clean environment, stderr kept\n\
                         exec {} {creds}{program} \"$@\" 2>>'{}'\n",
                        super::clean_env(self.dir.path()),
                        self.stderr_log().display()
                    ),
                )
                .unwrap();
                format!("sh '{}'", script.display())
            }
        };
        let path = self.root.join("book.toml");
        let mut doc: toml::Table =
            toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let table = doc["preprocessor"]["r2filter"].as_table().unwrap().clone();
        let mut table = table;
        for (k, v) in [
            ("command", command.as_str()),
            ("bucket", BUCKET),
            ("endpoint", s3.endpoint.as_str()),
            ("public-url", PUBLIC_URL),
            // URLs computable from the bytes alone.
            ("key-template", "{hash}.{ext}"),
        ]
        .iter()
        .chain(extra)
        {
            table.insert(k.to_string(), toml::Value::String(v.to_string()));
        }
        doc["preprocessor"]
            .as_table_mut()
            .unwrap()
            .insert("r2filter".into(), toml::Value::Table(table));
        std::fs::write(&path, toml::to_string(&doc).unwrap()).unwrap();
    }

    /// `mdbook build`, in process.
    pub fn build(&self) -> Result<(), String> {
        mdbook_driver::MDBook::load(&self.root)
            .and_then(|b| b.build())
            .map_err(|e| format!("{e:#}\npreprocessor stderr:\n{}", self.stderr()))
    }

    pub fn html(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join("book").join(rel)).unwrap()
    }

    /// Every `src` and `srcset` URL of every `<img>` in the rendered HTML.
    pub fn rendered_img_urls(&self) -> BTreeSet<String> {
        let mut urls = BTreeSet::new();
        let mut pages = Vec::new();
        walk_files(&self.root.join("book"), &mut pages);
        for page in pages
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "html"))
        {
            let html = std::fs::read_to_string(page).unwrap();
            for tag in html.split("<img").skip(1) {
                let tag = &tag[..tag.find('>').unwrap()];
                if let Some(src) = attr(tag, "src") {
                    urls.insert(src.to_string());
                }
                if let Some(set) = attr(tag, "srcset") {
                    for candidate in set.split(',') {
                        let url = candidate.split_whitespace().next().unwrap();
                        urls.insert(url.to_string());
                    }
                }
            }
        }
        urls
    }
}

/// The value of `name="…"` in a tag's text.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        // A local build or quick start may have left these in the fixture.
        if name == "book" || name.to_string_lossy().starts_with("r2filter-manifest.json") {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(&name));
        } else {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

fn walk_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk_files(&p, out);
        } else {
            out.push(p);
        }
    }
}
