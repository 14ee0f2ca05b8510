#!/usr/bin/env node
// The `r2filter` command of the npm package: runs the native binary that npm
// installed from the matching platform package (an optionalDependency whose
// os/cpu/libc fields select it), passing arguments, stdio and the exit status
// through. Nothing is downloaded at install or run time.
"use strict";

const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

// "<platform>-<arch>[-<libc>]" as Node.js names them -> the package with that
// binary. npm/version.js checks this table against npm/platforms/ and the
// optionalDependencies of package.json.
const PLATFORMS = {
  "linux-x64-glibc": "@r2filter/linux-x64-gnu",
  "linux-arm64-glibc": "@r2filter/linux-arm64-gnu",
  "darwin-x64": "@r2filter/darwin-x64",
  "darwin-arm64": "@r2filter/darwin-arm64",
  "win32-x64": "@r2filter/win32-x64-msvc",
};

/** "linux-x64-glibc", "linux-x64-musl", "darwin-arm64", "win32-x64", ... */
function platformKey() {
  const key = `${process.platform}-${process.arch}`;
  if (process.platform !== "linux") {
    return key;
  }
  // glibc's version is in Node's diagnostic report; musl (Alpine) has none.
  if (process.report) {
    process.report.excludeNetwork = true; // no reverse DNS lookups
  }
  const report = process.report && process.report.getReport();
  const header = report && (typeof report === "string" ? JSON.parse(report) : report).header;
  return `${key}-${header && header.glibcVersionRuntime ? "glibc" : "musl"}`;
}

function fail(message) {
  process.stderr.write(`r2filter: ${message}\n`);
  process.exit(1);
}

/** The binary to run: R2FILTER_BINARY_PATH, else the platform package's. */
function binaryPath() {
  const override = process.env.R2FILTER_BINARY_PATH;
  if (override) {
    return override;
  }
  const key = platformKey();
  const pkg = PLATFORMS[key];
  if (!pkg) {
    fail(
      `there is no prebuilt binary for this platform (${key}); there is one for ` +
        `${Object.keys(PLATFORMS).join(", ")}.\n` +
        "Build it with `cargo install r2filter` and set R2FILTER_BINARY_PATH to its path " +
        "(for example ~/.cargo/bin/r2filter).",
    );
  }
  const exe = process.platform === "win32" ? "r2filter.exe" : "r2filter";
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    fail(
      `the package ${pkg}, which holds the binary for this platform (${key}), is not installed.\n` +
        "npm installs it with r2filter as an optional dependency: reinstall without " +
        "--omit=optional / --no-optional, and without copying node_modules from another platform.",
    );
  }
  return path.join(dir, "bin", exe);
}

function main() {
  const bin = binaryPath();
  const result = spawnSync(bin, process.argv.slice(2), { stdio: "inherit" });
  if (result.error) {
    fail(`cannot run ${bin}: ${result.error.message}`);
  }
  if (result.signal) {
    // Die of the same signal, so the caller sees what the binary saw; if this
    // process ignores it, exit as a shell would report it.
    process.exitCode = 128 + (os.constants.signals[result.signal] || 0);
    process.kill(process.pid, result.signal);
    return;
  }
  process.exit(result.status);
}

if (require.main === module) {
  main();
}

module.exports = { PLATFORMS, platformKey };
