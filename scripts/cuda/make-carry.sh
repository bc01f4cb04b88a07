#!/usr/bin/env bash
# Run on the development machine (after `npm install` and `npx tsc -p .`):
# packs into .carry/ what scripts/cuda/build-and-test.sh needs on a GPU
# machine that has no Node and no network. .carry/ is git-ignored; name its
# parts in the device tool's carry list. Two parts, so that each call stays
# under the tool's 64 MiB with the tracked files (~9 MiB): call 2 carries both, 63.6 MiB in all at session 18 (the script prints the sum and warns past 64):
#   .carry/base/   (~29 MiB; every stage)
#     node.xz               this machine's node binary, stripped (official/nodesource builds need only glibc)
#     include-node/         the four N-API headers (node_api.h, node_api_types.h, js_native_api*.h)
#     node_modules.tar.xz   the packages the GPU stages load (runtime dependencies that they
#                           reach, mocha), not the whole node_modules
#     dist.tar.xz           the compiled JavaScript (dist/): no TypeScript compiler needed there
#   .carry/data/   (~25 MiB; the recipe stage)
#     fashion-mnist/        the four IDX files of Fashion-MNIST (Debian's dataset-fashion-mnist), as .xz
#
#   scripts/cuda/make-carry.sh [--node PATH] [--no-data]
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_BIN="$(command -v node || true)"
DATA=1
while [ $# -gt 0 ]; do
  case "$1" in
    --node) NODE_BIN="$2"; shift 2 ;;
    --no-data) DATA=0; shift ;;
    *) echo "make-carry.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$NODE_BIN" ] || { echo "make-carry.sh: no node binary (pass --node PATH)" >&2; exit 1; }
NODE_BIN="$(readlink -f "$NODE_BIN")"
[ -d node_modules/node-addon-api ] || { echo "make-carry.sh: run npm install first" >&2; exit 1; }
[ -f dist/lib/index.js ] || { echo "make-carry.sh: run npx tsc -p . first (dist/ is carried)" >&2; exit 1; }

# A node linked against shared libnode/libuv would not run on another machine.
if ldd "$NODE_BIN" | grep -qE 'libnode|libuv|libv8'; then
  echo "make-carry.sh: $NODE_BIN needs shared Node libraries; use an official build from nodejs.org (--node)" >&2
  exit 1
fi

rm -rf .carry
mkdir -p .carry/base/include-node
HEADERS="$(dirname "$(dirname "$NODE_BIN")")/include/node"
[ -f "$HEADERS/node_api.h" ] || HEADERS=node_modules/node-api-headers/include
for h in node_api.h node_api_types.h js_native_api.h js_native_api_types.h; do
  cp "$HEADERS/$h" .carry/base/include-node/
done

# Stripped (the symbols are a tenth of the binary; node runs the same), at xz's best ratio: call 2 carries base
# and data together, and every megabyte counts against the tool's 64 MiB.
strip -o .carry/node.stripped "$NODE_BIN" 2> /dev/null || cp "$NODE_BIN" .carry/node.stripped
xz -T0 -9e -c .carry/node.stripped > .carry/base/node.xz
rm -f .carry/node.stripped
# The packages the stages load and what they depend on (dependencies and the
# optional ones installed here, e.g. sharp's @img/* binaries for this platform).
PACKAGES="$("$NODE_BIN" - <<'JS'
const fs = require('fs');
const path = require('path');
const roots = ['commander', 'sharp', 'node-addon-api', 'node-gyp-build', 'uplot', 'mocha'];
const seen = new Set();
const visit = (name) => {
  if (seen.has(name)) return;
  const dir = path.join('node_modules', name);
  if (!fs.existsSync(path.join(dir, 'package.json'))) return; // an optional dependency not installed here
  seen.add(name);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep);
};
roots.forEach(visit);
console.log([...seen].sort().map((n) => path.join('node_modules', n)).join('\n'));
JS
)"
# -h follows a node_modules that is a link (a worktree's).
echo "$PACKAGES" | tar -chf - --exclude='*.md' --exclude='*.d.ts' --exclude='*.map' -T - | xz -T0 -6 > .carry/base/node_modules.tar.xz
tar -cf - dist | xz -T0 -6 > .carry/base/dist.tar.xz

if [ "$DATA" = 1 ]; then
  FMNIST=/usr/share/datasets/fashion-mnist
  if [ -f "$FMNIST/train-images-idx3-ubyte.gz" ]; then
    mkdir -p .carry/data/fashion-mnist
    # Recompressed with xz (26.4 MB against gzip's 30.9): build-and-test.sh unpacks them to raw IDX files.
    for f in "$FMNIST"/*-ubyte.gz; do
      gzip -dc "$f" | xz -T0 -9e > ".carry/data/fashion-mnist/$(basename "$f" .gz).xz"
    done
  else
    echo "make-carry.sh: $FMNIST is missing (apt-get install dataset-fashion-mnist): the recipe stage will not run" >&2
  fi
fi

du -sh .carry/*/* | sed 's/^/make-carry.sh: /'
for part in .carry/*; do
  echo "make-carry.sh: $part is $(( $(du -sk "$part" | cut -f1) / 1024 )) MiB"
done
tree=$(git ls-files -z | xargs -0 stat -c %s 2> /dev/null | awk '{ s += $1 } END { print s + 0 }')
both=$(( tree + $(du -sb .carry/base | cut -f1) + $(du -sb .carry/data 2> /dev/null | cut -f1 || echo 0) ))
echo "make-carry.sh: the device tool carries at most 64 MiB per call, tracked files included ($(( tree / 1048576 )) MiB);" \
  "tracked files + base + data = $(( both / 1048576 )) MiB ($both bytes)"
if [ "$both" -gt $(( 64 * 1048576 )) ]; then
  echo "make-carry.sh: WARNING: a call carrying base and data would be refused; carry .carry/data alone in the" \
    "call right after one that carried .carry/base (the warm machine keeps it), or shrink the tree" >&2
fi
