#!/usr/bin/env bash
# The install step of action.yml: downloads the release archive for this
# runner, checks its SHA-256, unpacks it under RUNNER_TEMP and puts the folder
# (r2filter and mdbook-r2filter) on the job's PATH.
#
# Environment (GitHub sets the RUNNER_* and GITHUB_* ones):
#   R2FILTER_VERSION      "1.2.3", "v1.2.3" or "latest"; empty: the action's
#                         own ref when it is a version tag, else latest
#   R2FILTER_ACTION_REF   the ref the action was used at (github.action_ref)
#   R2FILTER_REPO         owner/name of the repository with the releases
#   R2FILTER_RELEASE_URL  where releases live; default https://github.com
#                         (tests point it at a file:// folder)
set -euo pipefail

: "${R2FILTER_REPO:?R2FILTER_REPO (owner/name) is not set}"
: "${RUNNER_TEMP:?RUNNER_TEMP is not set}"
: "${GITHUB_PATH:?GITHUB_PATH is not set}"
base=${R2FILTER_RELEASE_URL:-https://github.com}

version=${R2FILTER_VERSION:-}
if [ -z "$version" ]; then
  case "${R2FILTER_ACTION_REF:-}" in
    v[0-9]*.*) version=$R2FILTER_ACTION_REF ;;
    *) version=latest ;;
  esac
fi

case "${RUNNER_OS:-}-${RUNNER_ARCH:-}" in
  Linux-X64) target=x86_64-unknown-linux-gnu ;;
  Linux-ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS-X64) target=x86_64-apple-darwin ;;
  macOS-ARM64) target=aarch64-apple-darwin ;;
  Windows-X64) target=x86_64-pc-windows-msvc ;;
  Windows-ARM64) target=aarch64-pc-windows-msvc ;;
  *)
    echo "::error::r2filter has no prebuilt binary for ${RUNNER_OS:-?} ${RUNNER_ARCH:-?}; use cargo install r2filter" >&2
    exit 1
    ;;
esac
format=tar.gz
[ "$RUNNER_OS" = Windows ] && format=zip
archive="r2filter-$target.$format"

if [ "$version" = latest ]; then
  url="$base/$R2FILTER_REPO/releases/latest/download/$archive"
else
  url="$base/$R2FILTER_REPO/releases/download/v${version#v}/$archive"
fi

dir="$RUNNER_TEMP/r2filter-${version#v}-$target"
rm -rf "$dir"
mkdir -p "$dir"
echo "Downloading $url"
curl --fail --silent --show-error --location --retry 3 -o "$dir/$archive" "$url"
curl --fail --silent --show-error --location --retry 3 -o "$dir/$archive.sha256" "$url.sha256"

expected=$(cut -d ' ' -f 1 <"$dir/$archive.sha256")
if command -v sha256sum >/dev/null 2>&1; then
  actual=$(sha256sum "$dir/$archive" | cut -d ' ' -f 1)
else
  actual=$(shasum -a 256 "$dir/$archive" | cut -d ' ' -f 1)
fi
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  echo "::error::$archive: SHA-256 is $actual, the release says ${expected:-nothing}" >&2
  exit 1
fi

if [ "$format" = zip ]; then
  unzip -q "$dir/$archive" -d "$dir"
else
  tar -xzf "$dir/$archive" -C "$dir"
fi
bin="$dir/r2filter-$target"
echo "$bin" >>"$GITHUB_PATH"
installed=$("$bin/r2filter" --version)
echo "Installed $installed to $bin"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "version=${installed#r2filter }" >>"$GITHUB_OUTPUT"
  echo "path=$bin" >>"$GITHUB_OUTPUT"
fi
