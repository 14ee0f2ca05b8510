//! The release archives and the two things that download them: the GitHub
//! Action's install script (.github/scripts/install.sh) and `cargo binstall`
//! (Cargo.toml's [package.metadata.binstall]). The archives are made by the
//! script the release workflow runs (.github/scripts/archive.sh), from this
//! build's binaries, and served from a file:// folder laid out like GitHub's
//! release downloads.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// This machine as GitHub names a runner (RUNNER_OS, RUNNER_ARCH) and as Rust
/// names the target the release builds for it.
fn runner() -> (&'static str, &'static str, &'static str) {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => ("Linux", "X64", "x86_64-unknown-linux-gnu"),
        ("linux", "aarch64") => ("Linux", "ARM64", "aarch64-unknown-linux-gnu"),
        ("macos", "x86_64") => ("macOS", "X64", "x86_64-apple-darwin"),
        ("macos", "aarch64") => ("macOS", "ARM64", "aarch64-apple-darwin"),
        other => panic!("no release target for {other:?}"),
    }
}

/// `.github/scripts/archive.sh TARGET BIN_DIR OUT`; returns the archive's
/// path. BIN_DIR holds stand-ins for the two binaries (scripts that answer
/// `--version` like them): the debug binaries are 300 MB each, and what is
/// checked here is where the files go, not what they are.
fn archive(target: &str, out: &Path) -> PathBuf {
    let bin_dir = tempfile::tempdir().unwrap();
    for bin in ["r2filter", "mdbook-r2filter"] {
        let path = bin_dir.path().join(bin);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"{bin} {}\"\n", env!("CARGO_PKG_VERSION")),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    let output = Command::new(repo().join(".github/scripts/archive.sh"))
        .arg(target)
        .arg(bin_dir.path())
        .arg(out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim_end())
}

/// The root [package], with the fields it inherits from [workspace.package].
fn cargo_package() -> toml::Table {
    let cargo: toml::Table = std::fs::read_to_string(repo().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let mut package = cargo["package"].as_table().unwrap().clone();
    for (key, value) in cargo["workspace"]["package"].as_table().unwrap() {
        if package.get(key).and_then(|v| v.get("workspace")).is_some() {
            package.insert(key.clone(), value.clone());
        }
    }
    package
}

fn repository() -> String {
    cargo_package()["repository"].as_str().unwrap().to_string()
}

/// A template of [package.metadata.binstall] filled in as cargo binstall does.
fn binstall(key: &str, target: &str) -> String {
    let package = cargo_package();
    let meta = package["metadata"]["binstall"].as_table().unwrap();
    let template = meta
        .get("overrides")
        .and_then(|o| o.get(target))
        .and_then(|o| o.get(key))
        .or_else(|| meta.get(key))
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no binstall {key}"));
    template
        .replace("{ repo }", &repository())
        .replace("{ name }", "r2filter")
        .replace("{ version }", env!("CARGO_PKG_VERSION"))
        .replace("{ target }", target)
        .replace(
            "{ binary-ext }",
            if target.contains("windows") {
                ".exe"
            } else {
                ""
            },
        )
}

#[test]
fn archives_are_where_cargo_binstall_looks() {
    let work = tempfile::tempdir().unwrap();
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        let url = binstall("pkg-url", target);
        let expected_name = url.rsplit('/').next().unwrap();
        let format = if target.contains("windows") {
            "zip"
        } else {
            "tgz"
        };
        assert_eq!(binstall("pkg-fmt", target), format, "{target}");
        // Where release.yml's `gh release create` puts the archive.
        assert_eq!(
            url,
            format!(
                "{}/releases/download/v{}/{expected_name}",
                repository(),
                env!("CARGO_PKG_VERSION")
            )
        );
        if target.contains("windows") {
            // archive.sh needs r2filter.exe; what it names the archive is
            // what matters here.
            assert_eq!(expected_name, format!("r2filter-{target}.zip"));
            continue;
        }
        let archive = archive(target, &work.path().join(target));
        assert_eq!(
            archive.file_name().unwrap().to_str().unwrap(),
            expected_name
        );
        let listing = Command::new("tar")
            .arg("-tzf")
            .arg(&archive)
            .output()
            .unwrap();
        let listing = String::from_utf8(listing.stdout).unwrap();
        for bin in ["r2filter", "mdbook-r2filter"] {
            let bin_dir = binstall("bin-dir", target).replace("{ bin }", bin);
            assert!(
                listing.lines().any(|l| l == bin_dir),
                "{bin_dir} not in {}:\n{listing}",
                archive.display()
            );
        }
        // The .sha256 beside it is what `sha256sum -c` checks.
        let check = Command::new("sha256sum")
            .arg("-c")
            .arg(format!("{expected_name}.sha256"))
            .current_dir(archive.parent().unwrap())
            .output()
            .unwrap();
        assert!(check.status.success(), "{check:?}");
    }
}

/// A folder laid out like https://github.com/OWNER/NAME/releases/..., with
/// this machine's archive under `download/v<version>/` and `latest/download/`.
struct Releases {
    dir: tempfile::TempDir,
    archive: PathBuf,
}

impl Releases {
    fn new() -> Releases {
        let dir = tempfile::tempdir().unwrap();
        let (_, _, target) = runner();
        let tagged = dir.path().join(format!(
            "someone/r2filter/releases/download/v{}",
            env!("CARGO_PKG_VERSION")
        ));
        let archive = archive(target, &tagged);
        let latest = dir.path().join("someone/r2filter/releases/latest/download");
        std::fs::create_dir_all(&latest).unwrap();
        for f in std::fs::read_dir(&tagged).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), latest.join(f.file_name())).unwrap();
        }
        Releases { dir, archive }
    }

    /// The action's install step with `version` ("" = the action's ref or
    /// latest) and `action_ref`, in a fresh runner folder.
    fn install(&self, version: &str, action_ref: &str) -> (Output, tempfile::TempDir) {
        let runner_dir = tempfile::tempdir().unwrap();
        let (os, arch, _) = runner();
        let out = Run::new(repo().join(".github/scripts/install.sh"), runner_dir.path())
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TEMP", runner_dir.path().join("tmp"))
            .env("GITHUB_PATH", runner_dir.path().join("github_path"))
            .env("GITHUB_OUTPUT", runner_dir.path().join("github_output"))
            .env("R2FILTER_REPO", "someone/r2filter")
            .env(
                "R2FILTER_RELEASE_URL",
                format!("file://{}", self.dir.path().display()),
            )
            .env("R2FILTER_VERSION", version)
            .env("R2FILTER_ACTION_REF", action_ref)
            .run();
        (out, runner_dir)
    }
}

#[test]
fn the_action_installs_the_release_for_this_runner_and_puts_it_on_path() {
    if tool("curl", "apt-get install curl").is_none() {
        return;
    }
    let releases = Releases::new();
    let version = env!("CARGO_PKG_VERSION");
    // An explicit version, the action's own tag, and the latest release.
    for (input, action_ref, expect_dir) in [
        (version.to_string(), "main".to_string(), version.to_string()),
        (String::new(), format!("v{version}"), version.to_string()),
        (String::new(), "main".to_string(), "latest".to_string()),
    ] {
        let (out, runner_dir) = releases.install(&input, &action_ref);
        let log = out.success();
        assert!(
            log.contains(&format!("Installed r2filter {version}")),
            "{log}"
        );
        let path = std::fs::read_to_string(runner_dir.path().join("github_path")).unwrap();
        let bin = PathBuf::from(path.trim_end());
        assert!(
            bin.ends_with(format!(
                "r2filter-{expect_dir}-{}/r2filter-{}",
                runner().2,
                runner().2
            )),
            "{}",
            bin.display()
        );
        for exe in ["r2filter", "mdbook-r2filter"] {
            let run = Command::new(bin.join(exe))
                .arg("--version")
                .output()
                .unwrap();
            assert!(run.status.success(), "{exe}: {run:?}");
        }
        let outputs = std::fs::read_to_string(runner_dir.path().join("github_output")).unwrap();
        assert!(
            outputs.contains(&format!("version={version}\n")),
            "{outputs}"
        );
        assert!(
            outputs.contains(&format!("path={}\n", bin.display())),
            "{outputs}"
        );
    }
}

#[test]
fn the_action_refuses_an_archive_whose_sha256_does_not_match() {
    if tool("curl", "apt-get install curl").is_none() {
        return;
    }
    let releases = Releases::new();
    let sums = releases.archive.with_extension("gz.sha256");
    let text = std::fs::read_to_string(&sums).unwrap();
    let flipped = if text.starts_with('0') { "1" } else { "0" };
    std::fs::write(&sums, format!("{flipped}{}", &text[1..])).unwrap();

    let (out, runner_dir) = releases.install(env!("CARGO_PKG_VERSION"), "");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("SHA-256 is"), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(runner_dir.path().join("github_path")).unwrap_or_default(),
        "",
        "nothing was put on PATH"
    );

    // A release without the archive fails too (curl --fail), after naming
    // the URL it tried.
    let (out, runner_dir) = releases.install("0.0.0-missing", "");
    assert!(out.code.is_some_and(|c| c != 0), "{out:?}");
    assert!(
        out.stdout
            .contains("/releases/download/v0.0.0-missing/r2filter-"),
        "{out:?}"
    );
    assert!(!runner_dir.path().join("github_path").exists());
}
