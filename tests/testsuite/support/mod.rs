//! The one harness every integration test uses, in the spirit of mdBook's
//! `BookTest`: a temp [`Site`] (or a copy of the fixture [`Book`]) to run the
//! built binaries in, a real S3 server ([`S3Server`]: s3s + s3s-fs, SigV4
//! checked) on loopback that records every request, and exact snapshots of
//! what a person sees.
//!
//! ```ignore
//! let s3 = S3Server::start();
//! let site = Site::new();
//! site.image("posts/a.png", 1);
//! let out = site.r2filter().against(&s3).stdin("![a](posts/a.png)").run();
//! out.success();
//! out.stderr_eq(str![[r#"
//! r2filter: 1 reference in 1 document: 1 uploaded (37 B), 0 from manifest, 0 already in bucket, 0 remote skipped in [ELAPSED]
//!
//! "#]]);
//! ```
//!
//! Snapshots are snapbox's inline `str![]`: `SNAPSHOTS=overwrite cargo test`
//! rewrites every one that differs, in place, to review with `git diff`.
//! Paths, ports and times that change from run to run are redacted
//! (`[ROOT]`, `[ENDPOINT]`, `[ELAPSED]`, see [`redactions`]); `[..]` in a
//! snapshot matches anything within a line.
#![allow(dead_code)]

mod book;
mod imagehost;
mod node;
pub mod rendered;
mod repo;
mod s3;
mod uploads;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::Digest;
use snapbox::{Assert, IntoData, Redactions};

pub use book::*;
pub use imagehost::*;
pub use node::*;
pub use repo::*;
pub use s3::*;
pub use snapbox::str;

pub const ACCESS_KEY: &str = "AKIAR2FILTERTEST";
pub const SECRET_KEY: &str = "r2filter-test-secret-do-not-print-1234567890";
pub const BUCKET: &str = "test-bucket";
pub const PUBLIC_URL: &str = "https://assets.example.com";

/// Every file and folder under `dir`, relative, sorted: to show a run wrote
/// nothing.
pub fn tree(dir: &Path) -> Vec<String> {
    fn go(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                go(base, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out);
    out.sort();
    out
}

/// A tool a test needs: its path, or `None` to skip, but only outside CI
/// (`CI` set: a missing tool fails the test).
pub fn tool(path_or_name: &str, install: &str) -> Option<PathBuf> {
    let found = if path_or_name.contains('/') {
        Some(PathBuf::from(path_or_name)).filter(|p| p.exists())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(path_or_name))
                .find(|p| p.is_file())
        })
    };
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{path_or_name} is missing (CI is set, so this fails): {install}"
        );
        eprintln!("SKIPPED: {path_or_name} is missing; {install}");
    }
    found
}

/// An oracle's folder: `sub` in `R2FILTER_ORACLE` (default
/// `/opt/r2filter-oracle`, where `.ci/run` installs them), when each of
/// `needs` (paths inside it) is there and node is on PATH; otherwise `None`,
/// which skips the test outside CI and fails it when `CI` is set.
pub fn oracle_dir(sub: &str, needs: &[&str], what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("R2FILTER_ORACLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/r2filter-oracle"))
        .join(sub);
    if let Some(missing) = needs.iter().find(|n| !dir.join(n).exists()) {
        let at = dir.join(missing);
        assert!(
            std::env::var_os("CI").is_none(),
            "{what}: {} is missing (CI is set, so this fails): .ci/run installs it",
            at.display()
        );
        eprintln!("SKIPPED: {what}: {} is missing; see .ci/run", at.display());
        return None;
    }
    tool("node", "install Node.js")?;
    Some(dir)
}

/// `ci` normally; `full` when `R2FILTER_FULL=1` (the documented command for
/// the long fault and crash trials).
pub fn scaled(ci: usize, full: usize) -> usize {
    match std::env::var("R2FILTER_FULL").as_deref() {
        Ok("1") => full,
        _ => ci,
    }
}

/// A port nothing listens on.
pub fn closed_port_endpoint() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// Bytes that sniff as PNG, distinct per `seed`.
pub fn png(seed: u32) -> Vec<u8> {
    let mut b =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    b.extend_from_slice(format!("r2filter test image {seed}").as_bytes());
    b
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The variable that refreshes snapshots: `SNAPSHOTS=overwrite cargo test`.
pub const SNAPSHOTS_ENV: &str = "SNAPSHOTS";

/// What every snapshot redacts: run times (`in 0.01s` → `in [ELAPSED]` in a
/// summary line, `"elapsed_ms": [ELAPSED_MS]` in a report), this month as
/// `[YEAR_MONTH]` (`2026/11/`, in default keys), and the given folder as
/// `[ROOT]`.
pub fn redactions(root: &Path) -> Redactions {
    let mut r = Redactions::new();
    r.insert("[ROOT]", root.to_path_buf()).unwrap();
    r.insert(
        "[ELAPSED]",
        regex::Regex::new(r"(?m) in (?<redacted>[0-9]+\.[0-9]{2}s)$").unwrap(),
    )
    .unwrap();
    // The default key template's `{year}/{month}`: the month of the run.
    let now = time::OffsetDateTime::now_utc();
    r.insert(
        "[YEAR_MONTH]",
        format!("{:04}/{:02}/", now.year(), now.month() as u8),
    )
    .unwrap();
    r.insert(
        "[ELAPSED_MS]",
        regex::Regex::new(r#""elapsed_ms": (?<redacted>[0-9]+)"#).unwrap(),
    )
    .unwrap();
    r
}

/// Asserts `actual` equals the snapshot `expected` after `redactions`.
#[track_caller]
pub fn assert_snapshot(actual: impl IntoData, expected: impl IntoData, redactions: &Redactions) {
    Assert::new()
        .action_env(SNAPSHOTS_ENV)
        // Backslashes are content here (JSON escapes, Markdown), not Windows paths.
        .normalize_paths(false)
        .redact_with(redactions.clone())
        .eq(actual, expected);
}

/// A temporary site folder: the working directory of every run.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Default for Site {
    fn default() -> Self {
        Site::new()
    }
}

impl Site {
    pub fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir(&root).unwrap();
        let root = root.canonicalize().unwrap();
        Site { dir, root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Site {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Writes a PNG at `rel`; returns its bytes.
    pub fn image(&self, rel: &str, seed: u32) -> Vec<u8> {
        let bytes = png(seed);
        self.write(rel, &bytes);
        bytes
    }

    /// The manifest as JSON, if written.
    pub fn manifest(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.path("r2filter-manifest.json")).ok()?;
        Some(serde_json::from_str(&text).unwrap())
    }

    /// The public URL of each object in the manifest, by content hash.
    pub fn urls_by_hash(&self) -> std::collections::HashMap<String, String> {
        let manifest = self.manifest().expect("a manifest was written");
        manifest["objects"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(h, e)| (h.clone(), e["url"].as_str().unwrap().to_string()))
            .collect()
    }

    /// `r2filter FROM --out-dir TO` (TO emptied first) against the local
    /// store `bucket`: how the differential tests publish a corpus.
    pub fn publish_local(&self, from: &str, to: &str) -> Output {
        let _ = std::fs::remove_dir_all(self.path(to));
        self.r2filter()
            .args([from, "--out-dir", to, "--local-store", "bucket"])
            .args(["--public-url", PUBLIC_URL])
            .run()
    }

    /// The outputs in `out` of `inputs` (published flat into it), once
    /// `out` is published again into a sibling folder and the second run is
    /// asserted to have changed none of them: the output is a fixed point.
    #[track_caller]
    pub fn fixed_point_outputs(&self, out: &str, inputs: &[PathBuf]) -> Vec<PathBuf> {
        let again = format!("{out}-again");
        self.publish_local(out, &again).success();
        let mut outputs = Vec::new();
        for input in inputs {
            let name = input.file_name().unwrap();
            let output = self.path(out).join(name);
            assert_eq!(
                std::fs::read(&output).unwrap(),
                std::fs::read(self.path(&again).join(name)).unwrap(),
                "{}: a second run changed the output",
                name.to_string_lossy()
            );
            outputs.push(output);
        }
        outputs
    }

    /// Asserts `actual` equals the snapshot, the site's root as `[ROOT]`.
    #[track_caller]
    pub fn snapshot(&self, actual: impl IntoData, expected: impl IntoData) {
        let mut r = redactions(&self.root);
        r.insert("[TMP]", self.dir.path().to_path_buf()).unwrap();
        assert_snapshot(actual, expected, &r);
    }

    /// A run of the `r2filter` binary in this site, with a clean environment.
    /// Its snapshots show the site as `[ROOT]` and the temp folder around it
    /// as `[TMP]`.
    pub fn r2filter(&self) -> Run {
        Run::new(env!("CARGO_BIN_EXE_r2filter"), &self.root).redact("[TMP]", self.dir.path())
    }

    /// The binary, run as another user (tests run as root, which reads any
    /// file whatever its mode). That user must reach the binary, and a
    /// checkout inside a private folder (`mktemp -d` makes one 0700) is out
    /// of its reach, so it runs a link to the binary put in the site's
    /// temporary folder (a copy across file systems); the caller opens the
    /// folders it needs.
    pub fn r2filter_as(&self, uid: u32, gid: u32) -> Run {
        let bin = self.dir.path().join("r2filter");
        if std::fs::hard_link(env!("CARGO_BIN_EXE_r2filter"), &bin).is_err() {
            std::fs::copy(env!("CARGO_BIN_EXE_r2filter"), &bin).unwrap();
        }
        Run::new(bin, &self.root)
            .redact("[TMP]", self.dir.path())
            .run_as(uid, gid)
    }
}

/// Empty AWS config and credentials files for every run: the SDK reads no
/// file of this machine's, and (unlike a path that does not exist, which it
/// warns about) says nothing, so error snapshots hold only r2filter's words.
pub fn empty_aws_files() -> (&'static Path, &'static Path) {
    static FILES: std::sync::OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> =
        std::sync::OnceLock::new();
    let (_, config, credentials) = FILES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (config, credentials) = (dir.path().join("config"), dir.path().join("credentials"));
        std::fs::write(&config, "").unwrap();
        std::fs::write(&credentials, "").unwrap();
        (dir, config, credentials)
    });
    (config, credentials)
}

/// `env -i …` for a shell script that runs one of our binaries as mdBook
/// would, with a clean environment: HOME, the empty AWS files, no instance
/// metadata, no colour.
pub fn clean_env(home: &Path) -> String {
    let (config, credentials) = empty_aws_files();
    format!(
        "env -i HOME='{}' AWS_CONFIG_FILE='{}' AWS_SHARED_CREDENTIALS_FILE='{}' \
         AWS_EC2_METADATA_DISABLED=true NO_COLOR=1",
        home.display(),
        config.display(),
        credentials.display()
    )
}

/// A command under construction; the environment starts empty but for PATH, so
/// no credential or config of the machine leaks in.
pub struct Run {
    cmd: Command,
    stdin: Vec<u8>,
    redactions: Redactions,
}

impl Run {
    pub fn new(program: impl AsRef<std::ffi::OsStr>, cwd: &Path) -> Run {
        let mut cmd = Command::new(program);
        cmd.current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", cwd)
            .env("AWS_CONFIG_FILE", empty_aws_files().0)
            .env("AWS_SHARED_CREDENTIALS_FILE", empty_aws_files().1)
            // Never ask an instance metadata service (not on loopback).
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1");
        Run {
            cmd,
            stdin: Vec::new(),
            redactions: redactions(cwd),
        }
    }

    /// Shows `value` as `placeholder` (`[NAME]`) in this run's snapshots.
    pub fn redact(mut self, placeholder: &'static str, value: impl AsRef<Path>) -> Run {
        self.redactions
            .insert(placeholder, value.as_ref().to_path_buf())
            .unwrap();
        self
    }

    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Run {
        self.cmd.arg(a);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Run {
        self.cmd.env(k, v);
        self
    }

    /// Runs the command as another user (tests run as root, which reads any
    /// file whatever its mode).
    fn run_as(mut self, uid: u32, gid: u32) -> Run {
        use std::os::unix::process::CommandExt;
        self.cmd.uid(uid).gid(gid);
        self
    }

    pub fn stdin(mut self, s: impl AsRef<[u8]>) -> Run {
        self.stdin = s.as_ref().to_vec();
        self
    }

    /// Bucket, endpoint, public URL and credentials for `server`.
    pub fn against(self, server: &S3Server) -> Run {
        self.endpoint(&server.endpoint)
            .credentials(ACCESS_KEY, SECRET_KEY)
    }

    /// Bucket and public URL, with this endpoint, and no credentials. The
    /// endpoint shows as `[ENDPOINT]` in snapshots.
    pub fn endpoint(mut self, endpoint: &str) -> Run {
        self.redactions
            .insert("[ENDPOINT]", endpoint.to_string())
            .unwrap();
        self.args([
            "--bucket",
            BUCKET,
            "--endpoint",
            endpoint,
            "--public-url",
            PUBLIC_URL,
        ])
    }

    pub fn credentials(self, key: &str, secret: &str) -> Run {
        self.env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
    }

    /// Starts the command with stdin written and closed; the caller waits
    /// (or kills).
    pub fn spawn(mut self) -> std::process::Child {
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("the binary starts");
        let mut stdin = child.stdin.take().unwrap();
        let input = std::mem::take(&mut self.stdin);
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        child
    }

    pub fn run(mut self) -> Output {
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("the binary starts");
        let mut stdin = child.stdin.take().unwrap();
        let input = std::mem::take(&mut self.stdin);
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        Output {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            redactions: self.redactions,
        }
    }
}

#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// What the snapshots of this run redact.
    pub redactions: Redactions,
}

impl Output {
    /// Asserts stdout equals the snapshot (redacted as the run says).
    #[track_caller]
    pub fn stdout_eq(&self, expected: impl IntoData) -> &Output {
        assert_snapshot(&self.stdout, expected, &self.redactions);
        self
    }

    /// Asserts stderr equals the snapshot (redacted as the run says).
    #[track_caller]
    pub fn stderr_eq(&self, expected: impl IntoData) -> &Output {
        assert_snapshot(&self.stderr, expected, &self.redactions);
        self
    }

    /// Asserts any text this run produced (a report, say) equals the
    /// snapshot, with the run's redactions.
    #[track_caller]
    pub fn text_eq(&self, actual: impl IntoData, expected: impl IntoData) -> &Output {
        assert_snapshot(actual, expected, &self.redactions);
        self
    }

    /// Asserts exit 0; returns stdout.
    #[track_caller]
    pub fn success(&self) -> &str {
        assert_eq!(
            self.code,
            Some(0),
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        &self.stdout
    }

    /// Asserts exit `code` with nothing on stdout; returns stderr.
    #[track_caller]
    pub fn failure(&self, code: i32) -> &str {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert_eq!(self.stdout, "", "stdout must stay empty on failure");
        &self.stderr
    }
}
