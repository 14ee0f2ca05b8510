#!/usr/bin/env bash
# Packs one target's release binaries the way cargo binstall and action.yml
# expect them (Cargo.toml's [package.metadata.binstall]):
#
#   .github/scripts/archive.sh TARGET BIN_DIR OUT_DIR
#
# writes OUT_DIR/r2filter-TARGET.tar.gz (.zip for Windows), holding the folder
# r2filter-TARGET/ with r2filter, mdbook-r2filter, README.md and the licenses,
# and OUT_DIR/r2filter-TARGET.tar.gz.sha256 in `sha256sum` format. Prints the
# archive's path.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: .github/scripts/archive.sh TARGET BIN_DIR OUT_DIR" >&2; exit 2; }
target=$1
bin_dir=$2
out=$3
root=$(cd "$(dirname "$0")/../.." && pwd)

ext=""
format=tar.gz
case "$target" in
  *-windows-*) ext=.exe; format=zip ;;
esac

name="r2filter-$target"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
for bin in r2filter mdbook-r2filter; do
  cp "$bin_dir/$bin$ext" "$stage/$name/"
  chmod 755 "$stage/$name/$bin$ext"
done
cp "$root/README.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$stage/$name/"

mkdir -p "$out"
out=$(cd "$out" && pwd)
archive="$name.$format"
rm -f "$out/$archive"
if [ "$format" = zip ]; then
  if command -v 7z >/dev/null 2>&1; then
    (cd "$stage" && 7z a -tzip -bd "$out/$archive" "$name" >/dev/null)
  else
    (cd "$stage" && zip -qr "$out/$archive" "$name")
  fi
else
  tar -C "$stage" -czf "$out/$archive" "$name"
fi

# "<hash>  <file name>": `sha256sum -c` (Linux) and `shasum -a 256 -c` (macOS)
# both check it.
if command -v sha256sum >/dev/null 2>&1; then
  (cd "$out" && sha256sum "$archive" >"$archive.sha256")
else
  (cd "$out" && shasum -a 256 "$archive" >"$archive.sha256")
fi
echo "$out/$archive"
