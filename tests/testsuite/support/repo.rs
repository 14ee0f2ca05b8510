//! A site that is a git repository (real git, no user configuration), what
//! its checkout holds byte for byte, and a static HTTP server on loopback
//! standing in for the CDN behind `public-url`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Runs `git args` in `root` with a fixed identity and no system or user
/// configuration; asserts success; returns stdout.
#[track_caller]
pub fn git(root: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "r2filter test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "r2filter test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git runs (apt-get install git)");
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `git init` in `root`, on branch main.
pub fn git_init(root: &Path) {
    git(root, &["init", "-q", "-b", "main"]);
}

/// Stages everything and commits.
pub fn git_commit_all(root: &Path, message: &str) {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", message]);
}

/// What a path of the checkout is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File(Vec<u8>),
    Symlink(PathBuf),
}

/// Every file and symlink under `root` but `.git/` and what `skip` says,
/// by relative path: a checkout, byte for byte.
pub fn checkout(root: &Path, skip: impl Fn(&str) -> bool) -> BTreeMap<String, Node> {
    fn go(root: &Path, dir: &Path, skip: &dyn Fn(&str) -> bool, out: &mut BTreeMap<String, Node>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel == ".git" || skip(&rel) {
                continue;
            }
            let t = e.file_type().unwrap();
            if t.is_symlink() {
                out.insert(rel, Node::Symlink(std::fs::read_link(&p).unwrap()));
            } else if t.is_dir() {
                go(root, &p, skip, out);
            } else {
                out.insert(rel, Node::File(std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    go(root, root, &skip, &mut out);
    out
}

/// The bytes of the image files git tracks (by extension), from the index.
pub fn tracked_image_bytes(root: &Path) -> u64 {
    git(root, &["ls-files", "-z", "-s"])
        .split('\0')
        .filter(|l| !l.is_empty())
        .filter_map(|line| {
            // "<mode> <blob> <stage>\t<path>"
            let (meta, path) = line.split_once('\t')?;
            // A symlink's blob is its target's path, not an image.
            if meta.starts_with("120000") {
                return None;
            }
            let ext = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
            let image =
                ["png", "jpg", "jpeg", "gif", "webp", "svg", "avif"].contains(&ext.as_str());
            let blob = meta.split(' ').nth(1)?;
            image.then(|| {
                git(root, &["cat-file", "-s", blob])
                    .trim()
                    .parse::<u64>()
                    .unwrap()
            })
        })
        .sum()
}

/// `git count-objects -v`'s `size` + `size-pack`, in KiB: what history holds.
pub fn git_object_kib(root: &Path) -> u64 {
    git(root, &["count-objects", "-v"])
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(": ")?;
            (k == "size" || k == "size-pack").then(|| v.parse::<u64>().unwrap())
        })
        .sum()
}

/// Copies the folder `from` to `to` (files and folders).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A static file server on 127.0.0.1 (GET only, one request per
/// connection): the CDN in front of a bucket folder. Stops when dropped.
pub struct StaticServer {
    pub url: String,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StaticServer {
    pub fn serve(dir: PathBuf) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (hits, stop) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (h, s) = (hits.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        h.fetch_add(1, Ordering::Relaxed);
                        let _ = answer(stream, &dir);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => break,
                }
            }
        });
        StaticServer {
            url,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    /// Requests so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
    }
    let path = first.split(' ').nth(1).unwrap_or("/");
    let rel = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let file = (!rel.split('/').any(|s| s == ".."))
        .then(|| std::fs::read(dir.join(&rel)).ok())
        .flatten();
    let mut stream = stream;
    match file {
        Some(bytes) => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                bytes.len()
            )?;
            stream.write_all(&bytes)?;
        }
        None => {
            write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
        }
    }
    stream.flush()
}
