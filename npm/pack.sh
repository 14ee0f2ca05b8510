#!/usr/bin/env bash
# Writes the installable npm tarballs to OUT_DIR: the main package `r2filter`
# and one platform package holding the release binary.
#
#   npm/pack.sh OUT_DIR
#       builds this machine's release binary and packs the host's platform
#       package. On linux-x64 and linux-arm64 the binary is built with
#       cargo-zigbuild for glibc 2.17 (target <arch>-unknown-linux-gnu.2.17),
#       so it runs on every current CI and hosting image; that needs
#       `cargo install --locked cargo-zigbuild@0.24.1` and zig (PyPI `ziglang`;
#       point CARGO_ZIGBUILD_PYTHON_PATH at the Python that has it). On a
#       musl system (Alpine) it builds the static <arch>-unknown-linux-musl
#       binary with plain cargo. Other platforms' packages (the musl ones
#       from a glibc machine, Windows on ARM, ...) need that target's Rust
#       std, which the release workflow has: it packs them with --binary.
#   npm/pack.sh OUT_DIR --platform NAME --binary PATH
#       packs an already built binary (the release workflow does this for the
#       binaries its matrix built); NAME is a folder of npm/platforms/.
#
# Binaries are staged in a temporary folder, never in the source tree. Prints
# one line per tarball: its path and size in bytes.
set -euo pipefail

usage() {
  echo "usage: npm/pack.sh OUT_DIR [--platform NAME --binary PATH]" >&2
  exit 2
}

[ $# -ge 1 ] || usage
out=$1
shift
platform=""
binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --platform) [ $# -ge 2 ] || usage; platform=$2; shift 2 ;;
    --binary) [ $# -ge 2 ] || usage; binary=$2; shift 2 ;;
    *) usage ;;
  esac
done
# Both or neither.
if [ "${platform:+set}" != "${binary:+set}" ]; then
  usage
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# The packages must already carry Cargo.toml's version.
node npm/version.js --check

if [ -z "$platform" ]; then
  # The host: "<os>-<arch>" as npm/platforms/ names them, and how to build.
  os=$(uname -s)
  arch=$(uname -m)
  # A musl system (Alpine) builds its own static binary: no zig needed there.
  libc=gnu
  if [ "$os" = Linux ] && ldd --version 2>&1 | grep -qi musl; then
    libc=musl
  fi
  native_target=""
  case "$os-$arch-$libc" in
    Linux-x86_64-gnu) platform=linux-x64-gnu; zig_target=x86_64-unknown-linux-gnu ;;
    Linux-aarch64-gnu) platform=linux-arm64-gnu; zig_target=aarch64-unknown-linux-gnu ;;
    Linux-x86_64-musl) platform=linux-x64-musl; zig_target=""; native_target=x86_64-unknown-linux-musl ;;
    Linux-aarch64-musl) platform=linux-arm64-musl; zig_target=""; native_target=aarch64-unknown-linux-musl ;;
    Darwin-x86_64-*) platform=darwin-x64; zig_target="" ;;
    Darwin-arm64-*) platform=darwin-arm64; zig_target="" ;;
    MINGW*-x86_64-* | MSYS*-x86_64-* | CYGWIN*-x86_64-*) platform=win32-x64-msvc; zig_target="" ;;
    MINGW*-aarch64-* | MSYS*-aarch64-* | CYGWIN*-aarch64-*) platform=win32-arm64-msvc; zig_target="" ;;
    *) echo "npm/pack.sh: no npm platform package for $os $arch ($libc)" >&2; exit 1 ;;
  esac
  # Where cargo puts what it builds (CARGO_TARGET_DIR when set).
  target_dir=${CARGO_TARGET_DIR:-target}
  exe=r2filter
  case "$platform" in
    win32-*) exe=r2filter.exe ;;
  esac
  if [ -n "$native_target" ]; then
    # Rust's musl targets link the C library in: a static binary.
    cargo build --release --locked --bin r2filter --target "$native_target" >&2
    binary="$target_dir/$native_target/release/$exe"
  elif [ -n "$zig_target" ]; then
    if ! cargo-zigbuild --version >/dev/null 2>&1; then
      echo "npm/pack.sh: cargo-zigbuild is missing: cargo install --locked cargo-zigbuild@0.24.1 (and pip install ziglang)" >&2
      exit 1
    fi
    # cargo-zigbuild drops the glibc suffix from the output folder.
    cargo zigbuild --release --locked --bin r2filter --target "$zig_target.2.17" >&2
    binary="$target_dir/$zig_target/release/$exe"
  else
    cargo build --release --locked --bin r2filter >&2
    binary="$target_dir/release/$exe"
  fi
fi

[ -d "npm/platforms/$platform" ] || { echo "npm/pack.sh: unknown platform $platform (see npm/platforms/)" >&2; exit 1; }
[ -f "$binary" ] || { echo "npm/pack.sh: no binary at $binary" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R npm/r2filter "$stage/main"
cp -R "npm/platforms/$platform" "$stage/platform"
mkdir -p "$stage/platform/bin"
case "$binary" in
  *.exe) exe=r2filter.exe ;;
  *) exe=r2filter ;;
esac
cp "$binary" "$stage/platform/bin/$exe"
chmod 755 "$stage/platform/bin/$exe" "$stage/main/bin/r2filter.js"
for pkg in main platform; do
  cp LICENSE-MIT LICENSE-APACHE "$stage/$pkg/"
done
cp npm/README.md "$stage/main/README.md"

mkdir -p "$out"
out=$(cd "$out" && pwd)
# --json: the file names npm chose (a scoped name becomes scope-name-version.tgz).
for pkg in main platform; do
  file=$(cd "$stage/$pkg" && npm pack --json --pack-destination "$out" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].filename))')
  echo "$out/$file $(wc -c <"$out/$file")"
done
