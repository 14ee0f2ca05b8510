#!/usr/bin/env node
// The `r2filter` command of the npm package: runs the native binary that npm
// installed from the matching platform package (an optionalDependency whose
// os/cpu/libc fields select it), passing arguments, stdio and the exit status
// through. Nothing is downloaded at install or run time.
//
// Which package: `platformKey` (pure: platform, arch and libc in, key out) and
// `PLATFORMS`; which libc: `libcOf` (pure: what Node's diagnostic report and
// the file system say, in). `currentPlatform` gathers those facts for this
// process; tests call the pure functions with facts of other machines.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

// "<platform>-<arch>[-<libc>]" as Node.js names them -> the package with that
// binary. npm/version.js checks this table against npm/platforms/ and the
// optionalDependencies of package.json.
const PLATFORMS = {
  "linux-x64-glibc": "@r2filter/linux-x64-gnu",
  "linux-arm64-glibc": "@r2filter/linux-arm64-gnu",
  "linux-x64-musl": "@r2filter/linux-x64-musl",
  "linux-arm64-musl": "@r2filter/linux-arm64-musl",
  "darwin-x64": "@r2filter/darwin-x64",
  "darwin-arm64": "@r2filter/darwin-arm64",
  "win32-x64": "@r2filter/win32-x64-msvc",
  "win32-arm64": "@r2filter/win32-arm64-msvc",
};

/**
 * "glibc" or "musl": the C library of a Linux machine, told the way Biome's
 * launcher and detect-libc (sharp, napi-rs) tell it.
 *
 * facts.report: Node's diagnostic report (process.report.getReport()), or
 *   null when there is none. Its header has glibcVersionRuntime on glibc
 *   only; a musl Node has loaded ld-musl-<arch>.so.1 / libc.musl-<arch>.so.1.
 * facts.libFiles: the names in /lib (musl's loader ld-musl-<arch>.so.1 is
 *   there on Alpine).
 * facts.ldd: the text of /usr/bin/ldd (musl's is its loader, which names
 *   musl; glibc's is a script naming the GNU C Library).
 */
function libcOf(facts) {
  const isMuslFile = (f) => /(^|\/)(ld-musl-|libc\.musl-)/.test(f);
  const report = facts.report;
  if (report && report.header) {
    if (report.header.glibcVersionRuntime) {
      return "glibc";
    }
    if (Array.isArray(report.sharedObjects) && report.sharedObjects.some(isMuslFile)) {
      return "musl";
    }
  }
  if ((facts.libFiles || []).some(isMuslFile)) {
    return "musl";
  }
  if (facts.ldd && facts.ldd.includes("musl")) {
    return "musl";
  }
  if (report && report.header) {
    // A report without glibc's version does not come from a glibc process.
    return "musl";
  }
  return "glibc";
}

/** "linux-x64-glibc", "linux-arm64-musl", "darwin-arm64", "win32-arm64", ... */
function platformKey({ platform, arch, libc }) {
  const key = `${platform}-${arch}`;
  return platform === "linux" ? `${key}-${libc}` : key;
}

/** This process's platform, arch and (on Linux) libc. */
function currentPlatform() {
  const platform = process.platform;
  const facts = { platform, arch: process.arch, libc: null };
  if (platform !== "linux") {
    return facts;
  }
  let report = null;
  if (process.report && typeof process.report.getReport === "function") {
    process.report.excludeNetwork = true; // no reverse DNS lookups
    report = process.report.getReport();
    if (typeof report === "string") {
      report = JSON.parse(report);
    }
  }
  const attempt = (f) => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  facts.libc = libcOf({
    report,
    libFiles: attempt(() => fs.readdirSync("/lib")),
    ldd: attempt(() => fs.readFileSync("/usr/bin/ldd", "latin1")),
  });
  return facts;
}

function fail(message) {
  process.stderr.write(`r2filter: ${message}\n`);
  process.exit(1);
}

/** Why the platform package may be missing, and what to do about it. */
function notInstalledMessage(pkg, key, facts, version) {
  const flags = [`--os=${facts.platform}`, `--cpu=${facts.arch}`];
  if (facts.libc) {
    flags.push(`--libc=${facts.libc}`);
  }
  return (
    `the package ${pkg}, which holds the binary for this platform (${key}), is not installed.\n` +
    "npm installs it as an optional dependency of r2filter, and leaves it out when:\n" +
    "  - the lockfile was made on another system (say macOS) and installed here (say Linux CI):\n" +
    "    npm then skips this platform's package (npm/cli#4828). Fix the lockfile where you make\n" +
    "    it: `rm -rf node_modules package-lock.json && npm install`, then commit it; or add this\n" +
    `    platform's package to it: \`npm install ${flags.join(" ")}\`;\n` +
    "  - optional dependencies were turned off (--omit=optional, --no-optional): install without that;\n" +
    "  - node_modules was copied from another machine: install here instead.\n" +
    `Right now, here: \`npm install --no-save ${version ? `${pkg}@${version}` : pkg}\`; or build the binary with ` +
    "`cargo install r2filter` and set R2FILTER_BINARY_PATH to it (e.g. ~/.cargo/bin/r2filter)."
  );
}

/** The binary to run: R2FILTER_BINARY_PATH, else the platform package's. */
function binaryPath() {
  const override = process.env.R2FILTER_BINARY_PATH;
  if (override) {
    return override;
  }
  const facts = currentPlatform();
  const key = platformKey(facts);
  const pkg = PLATFORMS[key];
  if (!pkg) {
    fail(
      `there is no prebuilt binary for this platform (${key}); there is one for ` +
        `${Object.keys(PLATFORMS).join(", ")}.\n` +
        "Build it with `cargo install r2filter` and set R2FILTER_BINARY_PATH to its path " +
        "(for example ~/.cargo/bin/r2filter).",
    );
  }
  const exe = facts.platform === "win32" ? "r2filter.exe" : "r2filter";
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    let version = null;
    try {
      version = require("../package.json").version;
    } catch {
      // Not inside its package (a copy of this file): the message names no version.
    }
    fail(notInstalledMessage(pkg, key, facts, version));
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

module.exports = { PLATFORMS, platformKey, libcOf, currentPlatform };
