//! Node.js and npm for the tests that build `examples/nextjs-blog` for real
//! (`nextjs`: with the r2filter of this build; `npm`: with the npm packages).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// Generous bounds: `npm ci` downloads ~150 packages on a cold cache and
/// `next build` compiles on a busy 2-core machine.
pub const NPM_CI_LIMIT: Duration = Duration::from_secs(15 * 60);
pub const BUILD_LIMIT: Duration = Duration::from_secs(15 * 60);

/// The example site, in the source tree (never modified: tests copy it).
pub fn example_blog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nextjs-blog")
}

/// Whether npm runs; when it does not, the test says SKIPPED and returns,
/// except when `CI` is set, where a missing npm is a failure.
pub fn npm_available() -> bool {
    let ok = Command::new("npm")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but npm is not installed: .ci/run must install Node.js and npm"
        );
        eprintln!("SKIPPED (not in CI): npm is not installed, the Next.js build was not run");
    }
    ok
}

/// Copies the example, leaving out what a fresh clone does not have.
pub fn copy_example(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if ["node_modules", ".next", "out", "r2filter-manifest.json"]
            .iter()
            .any(|n| name == *n)
        {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().unwrap().is_dir() {
            copy_example(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// `program ARGS` in `dir` with `path` as PATH and only what npm needs from
/// this environment (home, cache, registry and proxy settings), plus the
/// destination and credentials of `s3`; nothing else of AWS or r2filter.
pub fn npm_command(
    program: impl AsRef<OsStr>,
    args: &[&str],
    dir: &Path,
    path: &OsStr,
    s3: &S3Server,
) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", path);
    for (k, v) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        let keep = ["HOME", "USER", "TMPDIR", "LANG", "CI"].contains(&k.as_str())
            || k.to_ascii_lowercase().starts_with("npm_config_")
            || k.to_ascii_lowercase().ends_with("_proxy");
        if keep {
            cmd.env(k, v);
        }
    }
    cmd.env("NEXT_TELEMETRY_DISABLED", "1")
        .env("R2FILTER_BUCKET", BUCKET)
        .env("R2FILTER_ENDPOINT", &s3.endpoint)
        .env("R2FILTER_PUBLIC_URL", PUBLIC_URL)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_CONFIG_FILE", super::empty_aws_files().0)
        .env("AWS_SHARED_CREDENTIALS_FILE", super::empty_aws_files().1)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// This process's PATH with `first` in front.
pub fn path_with(first: &Path) -> OsString {
    std::env::join_paths(
        std::iter::once(first.to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap()
}

/// Runs `cmd` to completion within `limit` (killed after it); asserts success;
/// returns its combined output.
#[track_caller]
pub fn run_bounded(mut cmd: Command, what: &str, limit: Duration) -> String {
    let log = tempfile::NamedTempFile::new().unwrap();
    // Both streams append to one file, interleaved as a terminal would show.
    let append = || {
        std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap()
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(append())
        .stderr(append())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(log.path()).unwrap_or_default();
    match status {
        Some(s) if s.success() => output,
        Some(s) => panic!("{what} failed ({s}):\n{output}"),
        None => panic!("{what} did not finish within {limit:?}:\n{output}"),
    }
}

/// After `npm run build` in `blog` (a copy of the example) against `s3`: every
/// local image (post folder and public/) is in the bucket with its bytes,
/// uploaded once and recorded in the manifest, and the built pages reference
/// the public URLs and no local image path.
#[track_caller]
pub fn assert_blog_published(blog: &Path, s3: &S3Server) {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(blog.join("r2filter-manifest.json")).unwrap(),
    )
    .unwrap();
    let url_of = |file: &str| -> String {
        let bytes = std::fs::read(example_blog().join(file)).unwrap();
        let entry = &manifest["objects"][sha256_hex(&bytes)];
        let key = entry["key"]
            .as_str()
            .unwrap_or_else(|| panic!("{file} not in the manifest"));
        assert_eq!(
            s3.get(key).expect("object in the bucket").bytes,
            bytes,
            "{file}"
        );
        let url = entry["url"].as_str().unwrap().to_string();
        assert_eq!(url, format!("{PUBLIC_URL}/{key}"));
        url
    };
    let cover = url_of("content/posts/images/cover.png");
    let sunset = url_of("content/posts/images/sunset.png");
    let diagram = url_of("content/posts/images/diagram.png");
    let avatar = url_of("public/images/avatar.png");
    let map = url_of("content/posts/images/map.png");
    assert_eq!(s3.count("PUT"), 5);

    let page = |p: &str| std::fs::read_to_string(blog.join("out").join(p)).unwrap();
    let hello = page("posts/hello-world.html");
    for url in [&cover, &sunset, &avatar] {
        assert!(
            hello.contains(&format!("src=\"{url}\"")),
            "{url} in {hello}"
        );
    }
    let components = page("posts/components.html");
    for url in [&diagram, &sunset] {
        assert!(
            components.contains(&format!("src=\"{url}\"")),
            "{url} in {components}"
        );
    }
    // The JSX expression prop survived and was evaluated.
    assert!(components.contains("alt=\"A diagram\""), "{components}");
    // MDX (issue 13): Markdown images indented inside JSX, and `src={"…"}`.
    let gallery = page("posts/gallery.html");
    for url in [&sunset, &map, &diagram] {
        assert!(
            gallery.contains(&format!("src=\"{url}\"")),
            "{url} in {gallery}"
        );
    }
    let index = page("index.html");
    assert!(index.contains(&format!("src=\"{cover}\"")), "{index}");
    for (name, html) in [
        ("hello", &hello),
        ("components", &components),
        ("gallery", &gallery),
        ("index", &index),
    ] {
        for local in ["src=\"./images/", "src=\"images/", "src=\"/images/"] {
            assert!(!html.contains(local), "{name} still has {local}");
        }
    }
}
