#!/usr/bin/env node
// Locks the npm packages to Cargo.toml: the version and repository of the
// main package and of every platform package, and the exact versions of the
// main package's optionalDependencies.
//
//   node npm/version.js           rewrite npm/**/package.json from Cargo.toml
//   node npm/version.js --check   change nothing; exit 1 naming what is stale
//
// It also checks that the launcher's platform table, npm/platforms/ and the
// optionalDependencies name the same packages, that each platform package's
// os/cpu/libc fields match its name, and that the launcher's key for each
// package is the machine npm installs it on.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const npmDir = __dirname;
const cargoToml = path.join(npmDir, "..", "Cargo.toml");
const mainDir = path.join(npmDir, "r2filter");
const platformsDir = path.join(npmDir, "platforms");

/** `key = "value"` of a table of Cargo.toml (the only form we use). */
function tableField(text, table, key) {
  const start = text.search(new RegExp(`^\\[${table.replace(".", "\\.")}\\]\\s*$`, "m"));
  if (start < 0) {
    return undefined;
  }
  const rest = text.slice(start).split(/^\[/m)[1];
  const m = rest.match(new RegExp(`^${key}\\s*=\\s*"([^"]*)"\\s*$`, "m"));
  return m ? m[1] : undefined;
}

/** `key` of Cargo.toml's [package], or of [workspace.package] when the
 * package inherits it (`key.workspace = true`). */
function cargoPackageField(text, key) {
  const value = tableField(text, "package", key) ?? tableField(text, "workspace.package", key);
  if (value === undefined) {
    throw new Error(`${cargoToml}: neither [package] nor [workspace.package] has ${key} = "..."`);
  }
  return value;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function format(value) {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// What os/cpu/libc a platform package name stands for: "linux-x64-gnu" ->
// linux, x64, glibc; "win32-x64-msvc" -> win32, x64, no libc field.
function expectedFields(name) {
  const [os, cpu, abi] = name.split("-");
  const fields = { os: [os], cpu: [cpu] };
  if (os === "linux") {
    fields.libc = [abi === "musl" ? "musl" : "glibc"];
  }
  return fields;
}

function main() {
  const check = process.argv.includes("--check");
  const cargo = fs.readFileSync(cargoToml, "utf8");
  const version = cargoPackageField(cargo, "version");
  const repository = cargoPackageField(cargo, "repository");
  const repo = { type: "git", url: `git+${repository}.git` };
  const problems = [];
  const stale = [];

  const platformNames = fs
    .readdirSync(platformsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const platformPackages = platformNames.map((n) => `@r2filter/${n}`);

  // Each file: what it should hold, then compare or write.
  const wanted = new Map();
  const mainFile = path.join(mainDir, "package.json");
  const main = readJson(mainFile);
  main.version = version;
  main.repository = repo;
  main.optionalDependencies = Object.fromEntries(platformPackages.map((p) => [p, version]));
  wanted.set(mainFile, main);
  for (const name of platformNames) {
    const file = path.join(platformsDir, name, "package.json");
    const pkg = readJson(file);
    if (pkg.name !== `@r2filter/${name}`) {
      problems.push(`${file}: name is ${pkg.name}, expected @r2filter/${name}`);
    }
    for (const [field, value] of Object.entries(expectedFields(name))) {
      if (JSON.stringify(pkg[field]) !== JSON.stringify(value)) {
        problems.push(`${file}: ${field} is ${JSON.stringify(pkg[field])}, expected ${JSON.stringify(value)}`);
      }
    }
    pkg.version = version;
    pkg.repository = repo;
    wanted.set(file, pkg);
  }

  const launcher = require(path.join(mainDir, "bin", "r2filter.js"));
  const launched = Object.values(launcher.PLATFORMS).sort();
  if (JSON.stringify(launched) !== JSON.stringify(platformPackages)) {
    problems.push(
      `the launcher's PLATFORMS (${launched.join(", ")}) and npm/platforms/ ` +
        `(${platformPackages.join(", ")}) name different packages`,
    );
  }
  // Each key of the table leads to the package npm installs on that machine.
  for (const [key, pkg] of Object.entries(launcher.PLATFORMS)) {
    const [os, cpu, libc] = key.split("-");
    const want = { os: [os], cpu: [cpu] };
    if (libc) {
      want.libc = [libc];
    }
    const got = expectedFields(pkg.replace(/^@r2filter\//, ""));
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(`the launcher runs ${pkg} on ${key}, but npm installs it on ${JSON.stringify(got)}`);
    }
  }

  for (const [file, value] of wanted) {
    const text = format(value);
    if (fs.readFileSync(file, "utf8") !== text) {
      stale.push(path.relative(path.join(npmDir, ".."), file));
      if (!check) {
        fs.writeFileSync(file, text);
      }
    }
  }

  for (const p of problems) {
    process.stderr.write(`npm/version.js: ${p}\n`);
  }
  if (check && stale.length > 0) {
    process.stderr.write(
      `npm/version.js: not at Cargo.toml's version ${version} / repository ${repository}: ` +
        `${stale.join(", ")}\nRun: node npm/version.js\n`,
    );
    process.exit(1);
  }
  if (problems.length > 0) {
    process.exit(1);
  }
  if (!check) {
    process.stdout.write(`${stale.length} package.json file(s) updated to ${version}\n`);
  }
}

main();
