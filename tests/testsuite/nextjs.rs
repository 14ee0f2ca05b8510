//! End to end: the example Next.js blog built for real. `npm ci` and
//! `npm run build` run in a fresh copy of `examples/nextjs-blog`; npm runs the
//! `prebuild` script, i.e. the built `r2filter --in-place content/posts`
//! against the in-process S3 server; then `next build` renders static HTML.
//! (`npm.rs` does the same with the npm packages instead of this build.)
//!
//! Needs Node.js and npm (and the npm registry, or a warm npm cache). Without
//! npm the test says so and passes — except when `CI` is set, where a missing
//! npm is a failure, never a silent skip.

use std::path::Path;
use std::process::Command;

use crate::support::*;

/// `npm ARGS` in `dir` against `s3`, with this build's r2filter first on PATH.
fn npm(dir: &Path, s3: &S3Server, args: &[&str]) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_r2filter")).parent().unwrap();
    npm_command("npm", args, dir, &path_with(bin), s3)
}

#[test]
fn npm_run_build_publishes_every_image_and_the_pages_link_to_the_bucket() {
    if !npm_available() {
        return;
    }
    let s3 = S3Server::start();
    let work = tempfile::tempdir().unwrap();
    let blog = work.path().join("nextjs-blog");
    copy_example(&example_blog(), &blog);

    run_bounded(
        npm(
            &blog,
            &s3,
            &["ci", "--no-audit", "--no-fund", "--prefer-offline"],
        ),
        "npm ci",
        NPM_CI_LIMIT,
    );
    let build = run_bounded(
        npm(&blog, &s3, &["run", "build"]),
        "npm run build",
        BUILD_LIMIT,
    );
    assert!(
        build.contains("r2filter --in-place content/posts"),
        "{build}"
    );
    assert_blog_published(&blog, &s3);
}
