//! The npm packages (npm/), the way a Next.js site on Vercel or Netlify gets
//! r2filter: `npm/pack.sh` builds the release binary (glibc 2.17 on Linux) and
//! writes the tarballs; npm installs them into a copy of
//! `examples/nextjs-blog` with a PATH that holds neither cargo nor any
//! target/ binary; `npm run build` runs the packaged r2filter in `prebuild`
//! against the in-process S3 server.
//!
//! Packing needs cargo-zigbuild and zig on Linux (`.ci/run` installs both and
//! builds the binary before the tests, so here the build is a no-op). Without
//! them, or without npm, these tests say SKIPPED, except when `CI` is set,
//! where that is a failure.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::support::*;

/// A cold release build of this crate takes several minutes here.
const PACK_LIMIT: Duration = Duration::from_secs(40 * 60);
const INSTALL_LIMIT: Duration = Duration::from_secs(15 * 60);

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The tarballs npm/pack.sh wrote, once per test run.
struct Packed {
    /// The main package, `r2filter-VERSION.tgz`.
    main: PathBuf,
    /// The host's platform package, with the release binary.
    host: PathBuf,
    /// Every platform package by npm/platforms/ name: the host's, and the
    /// others holding a stand-in file (npm must not install those here).
    platforms: Vec<(String, PathBuf)>,
}

/// Packs once (tests run in parallel: the others wait); `None` when npm or
/// cargo-zigbuild is missing outside CI.
fn packed() -> Option<&'static Packed> {
    static PACKED: OnceLock<Option<Packed>> = OnceLock::new();
    PACKED.get_or_init(pack).as_ref()
}

fn pack() -> Option<Packed> {
    if !npm_available() {
        return None;
    }
    if cfg!(target_os = "linux") && !zigbuild_available() {
        return None;
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-pack");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();

    let mut cmd = pack_sh();
    cmd.arg(&out);
    let printed = run_bounded(cmd, "npm/pack.sh", PACK_LIMIT);
    // One "PATH SIZE" line per tarball, after cargo's and npm's own output.
    let tarballs: Vec<PathBuf> = printed
        .lines()
        .filter_map(|l| {
            let (path, size) = l.rsplit_once(' ')?;
            (path.ends_with(".tgz") && size.parse::<u64>().is_ok()).then(|| PathBuf::from(path))
        })
        .collect();
    let version = env!("CARGO_PKG_VERSION");
    let main = out.join(format!("r2filter-{version}.tgz"));
    assert!(tarballs.contains(&main), "{printed}");
    let host = tarballs
        .iter()
        .find(|t| **t != main)
        .unwrap_or_else(|| panic!("no platform tarball in:\n{printed}"))
        .clone();
    for t in &tarballs {
        eprintln!(
            "packed {} ({} bytes)",
            t.display(),
            t.metadata().unwrap().len()
        );
    }

    let stand_in = out.join("not-for-this-machine");
    std::fs::write(&stand_in, "this is not a binary for this machine\n").unwrap();
    let mut platforms = Vec::new();
    for name in platform_names() {
        let tarball = out.join(format!("r2filter-{name}-{version}.tgz"));
        if tarball != host {
            let mut cmd = pack_sh();
            cmd.arg(&out)
                .args(["--platform", &name, "--binary"])
                .arg(&stand_in);
            run_bounded(cmd, "npm/pack.sh --platform", INSTALL_LIMIT);
        }
        assert!(tarball.is_file(), "{}", tarball.display());
        platforms.push((name, tarball));
    }
    Some(Packed {
        main,
        host,
        platforms,
    })
}

/// npm/pack.sh without the variables cargo sets for this test process: the
/// build inside would otherwise see them (ring's build script reads
/// CARGO_MANIFEST_DIR) and rebuild the release binary .ci/run already built.
fn pack_sh() -> Command {
    let mut cmd = Command::new(repo().join("npm/pack.sh"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let set_by_cargo_test = key == "CARGO"
            || key == "OUT_DIR"
            || [
                "CARGO_MANIFEST_",
                "CARGO_PKG_",
                "CARGO_BIN_",
                "CARGO_CRATE_",
                "CARGO_TARGET_TMPDIR",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .iter()
            .any(|p| key.starts_with(p));
        if set_by_cargo_test {
            cmd.env_remove(&*key);
        }
    }
    cmd
}

fn zigbuild_available() -> bool {
    let ok = Command::new("cargo-zigbuild")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but cargo-zigbuild is missing: .ci/run installs it \
             (cargo install --locked cargo-zigbuild@0.24.1, zig from PyPI ziglang)"
        );
        eprintln!("SKIPPED (not in CI): cargo-zigbuild is missing, npm/pack.sh cannot build");
    }
    ok
}

/// The folders of npm/platforms/.
fn platform_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("npm/platforms"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `tar -xzf TARBALL -C DIR`: npm tarballs hold one folder, `package/`.
fn untar(tarball: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(tarball)
        .arg("-C")
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success(), "tar -xzf {}", tarball.display());
    dir.join("package")
}

/// Every file in a tarball, sorted.
fn listing(tarball: &Path) -> Vec<String> {
    let out = Command::new("tar")
        .arg("-tzf")
        .arg(tarball)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut files: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    files.sort();
    files
}

fn package_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap()
}

/// A PATH without cargo, rustc or any r2filter: a folder with links to node,
/// npm and npx, then the folders of this PATH that hold none of those and are
/// not under target/ or ~/.cargo.
fn path_without_cargo(bin: &Path) -> OsString {
    let current: Vec<PathBuf> =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect();
    std::fs::create_dir_all(bin).unwrap();
    for tool in ["node", "npm", "npx"] {
        let found = current
            .iter()
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("{tool} is not on PATH"));
        std::os::unix::fs::symlink(found, bin.join(tool)).unwrap();
    }
    let forbidden = ["cargo", "rustc", "rustup", "r2filter", "mdbook-r2filter"];
    let target = repo().join("target");
    let kept = current.into_iter().filter(|d| {
        !d.starts_with(&target)
            && !d.components().any(|c| c.as_os_str() == ".cargo")
            && !forbidden.iter().any(|f| d.join(f).exists())
    });
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(kept)).unwrap();
    for dir in std::env::split_paths(&path) {
        for f in forbidden {
            assert!(!dir.join(f).exists(), "{f} in {}", dir.display());
        }
    }
    path
}

#[test]
fn the_packages_carry_cargo_s_version_and_only_what_they_need() {
    let Some(p) = packed() else { return };
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        listing(&p.main),
        [
            "package/LICENSE-APACHE",
            "package/LICENSE-MIT",
            "package/README.md",
            "package/bin/r2filter.js",
            "package/package.json",
        ]
    );
    let exe = "r2filter";
    assert_eq!(
        listing(&p.host),
        [
            "package/LICENSE-APACHE".to_string(),
            "package/LICENSE-MIT".to_string(),
            format!("package/bin/{exe}"),
            "package/package.json".to_string(),
        ]
    );

    let work = tempfile::tempdir().unwrap();
    let main = package_json(&untar(&p.main, &work.path().join("main")));
    assert_eq!(main["name"], "r2filter");
    assert_eq!(main["version"], version);
    assert_eq!(main["bin"]["r2filter"], "bin/r2filter.js");
    assert!(main.get("scripts").is_none(), "no install scripts: {main}");
    let optional = main["optionalDependencies"].as_object().unwrap();
    let names: Vec<&str> = optional.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "@r2filter/darwin-arm64",
            "@r2filter/darwin-x64",
            "@r2filter/linux-arm64-gnu",
            "@r2filter/linux-arm64-musl",
            "@r2filter/linux-x64-gnu",
            "@r2filter/linux-x64-musl",
            "@r2filter/win32-arm64-msvc",
            "@r2filter/win32-x64-msvc",
        ]
    );
    assert!(optional.values().all(|v| v == version), "{main}");

    for (name, tarball) in &p.platforms {
        let dir = untar(tarball, &work.path().join(name));
        let pkg = package_json(&dir);
        assert_eq!(pkg["name"], format!("@r2filter/{name}"));
        assert_eq!(pkg["version"], version);
        let (os, cpu) = {
            let mut parts = name.split('-');
            (parts.next().unwrap(), parts.next().unwrap())
        };
        assert_eq!(pkg["os"], serde_json::json!([os]), "{name}");
        assert_eq!(pkg["cpu"], serde_json::json!([cpu]), "{name}");
        let libc = (os == "linux").then(|| {
            serde_json::json!([if name.ends_with("-musl") {
                "musl"
            } else {
                "glibc"
            }])
        });
        assert_eq!(pkg.get("libc"), libc.as_ref(), "{name}");
    }

    // The host binary is executable as packed.
    let host = untar(&p.host, &work.path().join("host"));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(host.join("bin").join(exe))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o111, 0o111, "{mode:o}");
}

/// The glibc symbol versions the Linux binary needs, newest last.
#[cfg(target_os = "linux")]
#[test]
fn the_linux_binary_needs_glibc_2_17_or_older() {
    let Some(p) = packed() else { return };
    let Some(readelf) = tool("readelf", "apt-get install binutils") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let bin = untar(&p.host, work.path()).join("bin/r2filter");
    let out = Command::new(readelf)
        .args(["--version-info", "--wide"])
        .arg(&bin)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let re = regex::Regex::new(r"GLIBC_(\d+)\.(\d+)(?:\.(\d+))?").unwrap();
    let mut versions: Vec<(u32, u32, u32)> = re
        .captures_iter(&text)
        .map(|c| {
            let n = |i: usize| c.get(i).map_or(0, |m| m.as_str().parse().unwrap());
            (n(1), n(2), n(3))
        })
        .collect();
    versions.sort();
    versions.dedup();
    let newest = *versions
        .last()
        .unwrap_or_else(|| panic!("no GLIBC_ version in readelf's output:\n{text}"));
    eprintln!(
        "newest GLIBC_ symbol version of {}: {}.{}.{} ({} versions)",
        bin.display(),
        newest.0,
        newest.1,
        newest.2,
        versions.len()
    );
    assert!(
        newest <= (2, 17, 0),
        "the packaged binary needs glibc {newest:?}; build it with cargo zigbuild --target <arch>-unknown-linux-gnu.2.17"
    );
}

#[test]
fn npm_install_of_the_tarballs_then_npm_run_build_publishes_with_the_packaged_binary() {
    let Some(p) = packed() else { return };
    let s3 = S3Server::start();
    let work = tempfile::tempdir().unwrap();
    let blog = work.path().join("nextjs-blog");
    copy_example(&example_blog(), &blog);
    let path = path_without_cargo(&work.path().join("bin"));

    // Every platform package comes from its tarball, not the registry (that
    // version may not be published yet); npm picks by os/cpu/libc.
    let mut pkg = package_json(&blog);
    pkg["overrides"] = p
        .platforms
        .iter()
        .map(|(name, tarball)| {
            (
                format!("@r2filter/{name}"),
                serde_json::json!(format!("file:{}", tarball.display())),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    std::fs::write(
        blog.join("package.json"),
        serde_json::to_string_pretty(&pkg).unwrap(),
    )
    .unwrap();
    let main = p.main.to_str().unwrap();
    run_bounded(
        npm_command(
            "npm",
            &[
                "install",
                "--no-audit",
                "--no-fund",
                "--prefer-offline",
                "--save-dev",
                main,
            ],
            &blog,
            &path,
            &s3,
        ),
        "npm install",
        INSTALL_LIMIT,
    );
    let installed: Vec<String> = std::fs::read_dir(blog.join("node_modules/@r2filter"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let host_name = p
        .platforms
        .iter()
        .find(|(_, t)| *t == p.host)
        .map(|(n, _)| n.clone())
        .unwrap();
    assert_eq!(
        installed,
        [host_name],
        "npm installs only this machine's package"
    );

    // `npx r2filter --version` prints Cargo's version.
    let version = run_bounded(
        npm_command(
            "npx",
            &["--no-install", "r2filter", "--version"],
            &blog,
            &path,
            &s3,
        ),
        "npx r2filter --version",
        INSTALL_LIMIT,
    );
    assert_eq!(
        version.trim_end(),
        format!("r2filter {}", env!("CARGO_PKG_VERSION"))
    );

    // The launcher passes stdin, stdout and the exit code through.
    let launcher = blog.join("node_modules/.bin/r2filter");
    let bucket = work.path().join("bucket");
    let out = Run::new(&launcher, &blog)
        .env("PATH", &path)
        .args(["--base-dir", "content/posts", "--local-store"])
        .arg(&bucket)
        .args(["--public-url", PUBLIC_URL, "--manifest"])
        .arg(work.path().join("manifest.json"))
        .stdin("# Hi\n\n![cover](./images/cover.png)\n")
        .run();
    let stdout = out.success();
    assert!(
        stdout.starts_with(&format!("# Hi\n\n![cover]({PUBLIC_URL}/"))
            && stdout.ends_with(".png)\n"),
        "{stdout}"
    );
    let usage = Run::new(&launcher, &blog)
        .env("PATH", &path)
        .arg("--no-such-flag")
        .run();
    assert!(usage.failure(2).contains("--no-such-flag"), "{usage:?}");

    // `npm run build`: prebuild runs the packaged r2filter against the bucket.
    let build = run_bounded(
        npm_command("npm", &["run", "build"], &blog, &path, &s3),
        "npm run build",
        BUILD_LIMIT,
    );
    assert!(
        build.contains("r2filter --in-place content/posts"),
        "{build}"
    );
    assert_blog_published(&blog, &s3);
}

/// The launcher without a platform package, or on a platform with none, says
/// which platform it is on and what to do; it never runs something else.
#[test]
fn the_launcher_names_the_platform_when_no_package_matches() {
    if !npm_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let launcher = work.path().join("r2filter.js");
    std::fs::copy(repo().join("npm/r2filter/bin/r2filter.js"), &launcher).unwrap();
    let host_key = format!(
        "{}-{}{}",
        match std::env::consts::OS {
            "macos" => "darwin",
            "windows" => "win32",
            os => os,
        },
        match std::env::consts::ARCH {
            "x86_64" => "x64",
            "aarch64" => "arm64",
            arch => arch,
        },
        if cfg!(target_os = "linux") {
            "-glibc"
        } else {
            ""
        }
    );

    let missing = Run::new("node", work.path())
        .arg(&launcher)
        .arg("--version")
        .run();
    let err = missing.failure(1);
    assert!(err.contains(&format!("({host_key})")), "{err}");
    assert!(err.contains("is not installed"), "{err}");
    // The common cause (a lockfile made on another system, npm/cli#4828) and
    // its fixes, for this very platform.
    assert!(err.contains("npm/cli#4828"), "{err}");
    assert!(
        err.contains("`rm -rf node_modules package-lock.json && npm install`"),
        "{err}"
    );
    let mut parts = host_key.split('-');
    let (os, cpu) = (parts.next().unwrap(), parts.next().unwrap());
    let libc = parts
        .next()
        .map(|l| format!(" --libc={l}"))
        .unwrap_or_default();
    assert!(
        err.contains(&format!("`npm install --os={os} --cpu={cpu}{libc}`")),
        "{err}"
    );
    assert!(err.contains("--omit=optional"), "{err}");
    assert!(err.contains("R2FILTER_BINARY_PATH"), "{err}");

    // An architecture nobody builds for.
    std::fs::write(
        work.path().join("riscv.js"),
        "Object.defineProperty(process, 'arch', { value: 'riscv64' });\n",
    )
    .unwrap();
    let other = Run::new("node", work.path())
        .args(["--require", "./riscv.js"])
        .arg(&launcher)
        .arg("--version")
        .run();
    let err = other.failure(1);
    let riscv_key = host_key.replace(
        match std::env::consts::ARCH {
            "x86_64" => "x64",
            "aarch64" => "arm64",
            arch => arch,
        },
        "riscv64",
    );
    assert!(
        err.contains(&format!(
            "no prebuilt binary for this platform ({riscv_key})"
        )),
        "{err}"
    );
    assert!(err.contains("R2FILTER_BINARY_PATH"), "{err}");
}

/// `libcOf` and `platformKey`, the launcher's pure choice, on the facts of
/// other machines: Node's diagnostic report, the names in /lib and the text
/// of /usr/bin/ldd decide glibc or musl; platform, arch and libc decide the
/// package.
#[test]
fn the_launcher_tells_glibc_from_musl_and_picks_the_package() {
    if !npm_available() {
        return;
    }
    let gnu_ldd = "#!/bin/bash\n# This file is part of the GNU C Library.\n";
    let glibc_report = serde_json::json!({
        "header": { "glibcVersionRuntime": "2.36", "glibcVersionCompiler": "2.28" },
        "sharedObjects": ["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"],
    });
    // What Node on Alpine reports: no glibc version, musl's loader loaded.
    let musl_report = serde_json::json!({
        "header": { "osName": "Linux" },
        "sharedObjects": ["/lib/ld-musl-aarch64.so.1", "/usr/lib/libstdc++.so.6"],
    });
    // What the launcher is told about a machine, and what it must choose.
    let case = |what: &str, platform: &str, arch: &str, facts, expect| {
        serde_json::json!({
            "what": what, "platform": platform, "arch": arch, "facts": facts, "expect": expect,
        })
    };
    let chooses = |libc: Option<&str>, key: &str, pkg: Option<&str>| serde_json::json!({ "libc": libc, "key": key, "pkg": pkg });
    let cases = [
        case(
            "Debian x64: the report has glibc's version",
            "linux",
            "x64",
            serde_json::json!({ "report": glibc_report, "libFiles": ["x86_64-linux-gnu"], "ldd": gnu_ldd }),
            chooses(
                Some("glibc"),
                "linux-x64-glibc",
                Some("@r2filter/linux-x64-gnu"),
            ),
        ),
        case(
            "Alpine arm64: the report shows musl's loader",
            "linux",
            "arm64",
            serde_json::json!({ "report": musl_report, "libFiles": ["ld-musl-aarch64.so.1"] }),
            chooses(
                Some("musl"),
                "linux-arm64-musl",
                Some("@r2filter/linux-arm64-musl"),
            ),
        ),
        case(
            "Alpine x64 without a report: musl's loader in /lib",
            "linux",
            "x64",
            serde_json::json!({ "report": null, "libFiles": ["apk", "ld-musl-x86_64.so.1", "libc.musl-x86_64.so.1"] }),
            chooses(
                Some("musl"),
                "linux-x64-musl",
                Some("@r2filter/linux-x64-musl"),
            ),
        ),
        case(
            "musl without a report or /lib entry: ldd names musl",
            "linux",
            "x64",
            serde_json::json!({ "report": null, "libFiles": [], "ldd": "musl libc (x86_64)\nVersion 1.2.5\n" }),
            chooses(
                Some("musl"),
                "linux-x64-musl",
                Some("@r2filter/linux-x64-musl"),
            ),
        ),
        case(
            "a report without glibc's version and nothing else to go by",
            "linux",
            "arm64",
            serde_json::json!({ "report": { "header": {}, "sharedObjects": [] } }),
            chooses(
                Some("musl"),
                "linux-arm64-musl",
                Some("@r2filter/linux-arm64-musl"),
            ),
        ),
        case(
            "glibc without a report: nothing says musl",
            "linux",
            "arm64",
            serde_json::json!({ "report": null, "libFiles": ["aarch64-linux-gnu"], "ldd": gnu_ldd }),
            chooses(
                Some("glibc"),
                "linux-arm64-glibc",
                Some("@r2filter/linux-arm64-gnu"),
            ),
        ),
        case(
            "Windows on ARM",
            "win32",
            "arm64",
            serde_json::Value::Null,
            chooses(None, "win32-arm64", Some("@r2filter/win32-arm64-msvc")),
        ),
        case(
            "Windows x64",
            "win32",
            "x64",
            serde_json::Value::Null,
            chooses(None, "win32-x64", Some("@r2filter/win32-x64-msvc")),
        ),
        case(
            "macOS on Apple silicon",
            "darwin",
            "arm64",
            serde_json::Value::Null,
            chooses(None, "darwin-arm64", Some("@r2filter/darwin-arm64")),
        ),
        case(
            "an architecture nobody builds for",
            "linux",
            "riscv64",
            serde_json::json!({ "report": glibc_report }),
            chooses(Some("glibc"), "linux-riscv64-glibc", None),
        ),
    ];
    let script = r#"
const l = require(process.argv[1]);
let input = "";
process.stdin.on("data", (d) => (input += d)).on("end", () => {
  const out = JSON.parse(input).map((c) => {
    const libc = c.platform === "linux" ? l.libcOf(c.facts) : null;
    const key = l.platformKey({ platform: c.platform, arch: c.arch, libc });
    return { libc, key, pkg: l.PLATFORMS[key] || null };
  });
  process.stdout.write(JSON.stringify(out));
});
"#;
    let out = Run::new("node", repo())
        .args(["-e", script])
        .arg(repo().join("npm/r2filter/bin/r2filter.js"))
        .stdin(serde_json::to_string(&cases).unwrap())
        .run();
    let chosen: Vec<serde_json::Value> = serde_json::from_str(out.success()).unwrap();
    assert_eq!(chosen.len(), cases.len());
    for (case, got) in cases.iter().zip(&chosen) {
        assert_eq!(got, &case["expect"], "{}", case["what"]);
    }
}

/// Node as it is on an Alpine machine: its report has no glibc version and
/// names musl's loader among the loaded objects.
const AS_ON_MUSL: &str = r#"
const real = process.report.getReport.bind(process.report);
process.report.getReport = () => {
  const r = real();
  delete r.header.glibcVersionRuntime;
  delete r.header.glibcVersionCompiler;
  const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
  r.sharedObjects = [`/lib/ld-musl-${arch}.so.1`];
  return r;
};
"#;

/// Node as it is on Windows on ARM.
const AS_ON_WINDOWS_ARM64: &str = r#"
Object.defineProperty(process, "platform", { value: "win32" });
Object.defineProperty(process, "arch", { value: "arm64" });
"#;

/// The launcher inside a project whose node_modules holds every platform
/// package with a stand-in binary (a script that names its package): on
/// this machine, on a musl one and on Windows on ARM (Node's view of the
/// machine replaced by a preloaded script), it runs the matching package's
/// binary with the arguments and passes its exit code through;
/// R2FILTER_BINARY_PATH wins over the packages.
#[test]
fn the_launcher_runs_the_matching_package_on_glibc_musl_and_windows_on_arm() {
    if !npm_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let project = work.path();
    let modules = project.join("node_modules");
    copy_tree(&repo().join("npm/r2filter"), &modules.join("r2filter"));
    for name in platform_names() {
        let dir = modules.join("@r2filter").join(&name);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::copy(
            repo()
                .join("npm/platforms")
                .join(&name)
                .join("package.json"),
            dir.join("package.json"),
        )
        .unwrap();
        let exe = if name.starts_with("win32-") {
            "r2filter.exe"
        } else {
            "r2filter"
        };
        stand_in(
            &dir.join("bin").join(exe),
            &format!("#!/bin/sh\necho \"stand-in {name}: $*\"\nexit 3\n"),
        );
    }
    std::fs::write(project.join("musl.js"), AS_ON_MUSL).unwrap();
    std::fs::write(project.join("windows-arm64.js"), AS_ON_WINDOWS_ARM64).unwrap();
    let launcher = modules.join("r2filter/bin/r2filter.js");
    let run = |preload: Option<&str>, binary_path: Option<&Path>| {
        let mut run = Run::new("node", project);
        if let Some(p) = preload {
            run = run.args(["--require", p]);
        }
        if let Some(b) = binary_path {
            run = run.env("R2FILTER_BINARY_PATH", b);
        }
        let out = run.arg(&launcher).args(["--version", "two words"]).run();
        assert_eq!(out.code, Some(3), "{out:?}");
        out.stdout
    };

    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => panic!("no npm package for {other}"),
    };
    let host = match std::env::consts::OS {
        "linux" => {
            let musl = std::fs::read_dir("/lib").is_ok_and(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("ld-musl-"))
            });
            format!("linux-{arch}-{}", if musl { "musl" } else { "gnu" })
        }
        "macos" => format!("darwin-{arch}"),
        other => panic!("no npm package for {other}"),
    };
    assert_eq!(
        run(None, None),
        format!("stand-in {host}: --version two words\n")
    );
    if cfg!(target_os = "linux") {
        assert_eq!(
            run(Some("./musl.js"), None),
            format!("stand-in linux-{arch}-musl: --version two words\n")
        );
    }
    assert_eq!(
        run(Some("./windows-arm64.js"), None),
        "stand-in win32-arm64-msvc: --version two words\n"
    );

    let own = project.join("own-build");
    stand_in(&own, "#!/bin/sh\necho \"own build: $*\"\nexit 3\n");
    assert_eq!(
        run(Some("./windows-arm64.js"), Some(&own)),
        "own build: --version two words\n"
    );
}

/// An executable script at `path`.
fn stand_in(path: &Path, script: &str) {
    std::fs::write(path, script).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// npm/version.js: the committed packages follow Cargo.toml, and a new
/// Cargo.toml version reaches every package.json (and the exact pins).
#[test]
fn npm_versions_follow_cargo_toml() {
    if !npm_available() {
        return;
    }
    let check = Run::new("node", repo())
        .args(["npm/version.js", "--check"])
        .run();
    check.success();

    // A copy of npm/ beside a Cargo.toml at another version.
    let work = tempfile::tempdir().unwrap();
    let copy = work.path();
    copy_tree(&repo().join("npm"), &copy.join("npm"));
    let cargo = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let bumped = cargo.replacen(
        &format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
        "version = \"9.8.7\"",
        1,
    );
    assert_ne!(bumped, cargo);
    std::fs::write(copy.join("Cargo.toml"), bumped).unwrap();

    let stale = Run::new("node", copy)
        .args(["npm/version.js", "--check"])
        .run();
    let err = stale.failure(1);
    assert!(err.contains("npm/r2filter/package.json"), "{err}");
    assert!(
        err.contains("npm/platforms/linux-x64-gnu/package.json"),
        "{err}"
    );

    Run::new("node", copy).arg("npm/version.js").run().success();
    let main = package_json(&copy.join("npm/r2filter"));
    assert_eq!(main["version"], "9.8.7");
    for (name, v) in main["optionalDependencies"].as_object().unwrap() {
        assert_eq!(v, "9.8.7", "{name}");
    }
    for name in platform_names() {
        let pkg = package_json(&copy.join("npm/platforms").join(&name));
        assert_eq!(pkg["version"], "9.8.7", "{name}");
    }
    Run::new("node", copy)
        .args(["npm/version.js", "--check"])
        .run()
        .success();
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dst = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), &dst).unwrap();
        }
    }
}
