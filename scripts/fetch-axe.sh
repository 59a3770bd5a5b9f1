#!/usr/bin/env bash
# Fetch axe-core (the accessibility checker the browser tests run in each page) from the npm
# registry, pinned to one version and checked against the registry's sha512 integrity, into
# target/axe-core/axe.min.js. Nothing is installed system-wide; a second run is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.14.1
integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
dir="${CARGO_TARGET_DIR:-target}/axe-core"
out="$dir/axe-$version.min.js"

if [ -s "$out" ]; then echo "$out"; exit 0; fi
mkdir -p "$dir"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp" "https://registry.npmjs.org/axe-core/-/axe-core-$version.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tmp" | base64 -w0)"
if [ "$got" != "$integrity" ]; then
  echo "error: axe-core $version does not match its pinned integrity ($got)" >&2
  exit 1
fi
tar -xzf "$tmp" -O package/axe.min.js > "$out.part"
mv "$out.part" "$out"
echo "$out"
