//! The lean `mdbook-r2filter`: mdBook starts it twice per build, so it is
//! built without r2filter's `s3` feature and links no S3 client (about half
//! the start-up cost of `r2filter`); a build that must upload to S3 is
//! handed, input and all, to `r2filter mdbook`. Cargo's dependency graph is
//! the proof that it is lean.

use crate::support::*;

/// The crates `package` is built from (normal dependencies, this lock file).
fn crates_of(package: &str) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}", "-p", package])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split(' ').next().map(str::to_string))
        .collect()
}

#[test]
fn mdbook_r2filter_and_the_text_crate_link_no_sdk_and_no_runtime() {
    let full = crates_of("r2filter");
    for marker in ["aws-sdk-s3", "tokio", "hyper"] {
        assert!(full.iter().any(|c| c == marker), "r2filter has {marker}");
    }
    for package in ["mdbook-r2filter", "r2filter-text"] {
        let crates = crates_of(package);
        assert!(crates.len() > 10, "{package}: {crates:?}");
        let heavy: Vec<&String> = crates
            .iter()
            .filter(|c| {
                c.starts_with("aws-") || ["tokio", "hyper", "reqwest"].contains(&c.as_str())
            })
            .collect();
        assert!(heavy.is_empty(), "{package} links {heavy:?}");
    }
    assert!(!crates_of("r2filter-text").contains(&"r2filter".to_string()));
}

#[test]
fn a_book_to_upload_is_handed_to_r2filter_and_a_warm_one_is_not() {
    let s3 = S3Server::start();
    let book = Book::new();
    // mdbook-r2filter alone in a folder, nothing on PATH: it cannot upload.
    let alone = book.dir.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    let lean = alone.join("mdbook-r2filter");
    std::fs::copy(mdbook_r2filter(), &lean).unwrap();
    let script = book.dir.path().join("lean.sh");
    std::fs::write(
        &script,
        format!(
            "exec {} AWS_ACCESS_KEY_ID={ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SECRET_KEY} '{}' \"$@\" 2>>'{}'\n",
            clean_env(book.dir.path()),
            lean.display(),
            book.stderr_log().display(),
        ),
    )
    .unwrap();
    let command = format!("sh '{}'", script.display());
    book.configure(&s3, Via::Binary, &[("command", &command)]);
    let err = book.build().unwrap_err();
    assert!(
        book.stderr()
            .contains("mdbook-r2filter hands uploads and downloads to the `r2filter` program"),
        "{err}"
    );
    assert_eq!(s3.requests().len(), 0, "no request before the hand-over");

    // With r2filter beside it, the cold build is handed over and uploads.
    std::fs::copy(R2FILTER, alone.join("r2filter")).unwrap();
    book.build().unwrap();
    let puts = s3.count("PUT");
    assert!(puts > 0);
    assert!(book.html("index.html").contains(PUBLIC_URL));

    // Warm: the lean binary answers alone (r2filter removed again).
    std::fs::remove_file(alone.join("r2filter")).unwrap();
    s3.forget_requests();
    book.build().unwrap();
    assert_eq!(s3.requests().len(), 0);
    assert!(book.html("index.html").contains(PUBLIC_URL));
}
