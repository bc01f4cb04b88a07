#!/usr/bin/env bash
# Run on the development machine (after `npm install`): packs into .carry/
# what scripts/cuda/build-and-test.sh needs on a GPU machine that has no Node
# and no network. .carry/ is git-ignored; name it in the device tool's carry
# list (or copy it over) together with the working tree.
#   .carry/node.xz              this machine's node binary (official/nodesource builds need only glibc)
#   .carry/include-node/        the four N-API headers (node_api.h, node_api_types.h, js_native_api*.h)
#   .carry/node_modules.tar.xz  node_modules (node-addon-api headers, typescript, mocha, runtime deps)
#
#   scripts/cuda/make-carry.sh [--node PATH]
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_BIN="$(command -v node || true)"
if [ "${1:-}" = "--node" ]; then NODE_BIN="$2"; fi
[ -x "$NODE_BIN" ] || { echo "make-carry.sh: no node binary (pass --node PATH)" >&2; exit 1; }
NODE_BIN="$(readlink -f "$NODE_BIN")"
[ -d node_modules/node-addon-api ] || { echo "make-carry.sh: run npm install first" >&2; exit 1; }

# A node linked against shared libnode/libuv would not run on another machine.
if ldd "$NODE_BIN" | grep -qE 'libnode|libuv|libv8'; then
  echo "make-carry.sh: $NODE_BIN needs shared Node libraries; use an official build from nodejs.org (--node)" >&2
  exit 1
fi

rm -rf .carry
mkdir -p .carry/include-node
HEADERS="$(dirname "$(dirname "$NODE_BIN")")/include/node"
[ -f "$HEADERS/node_api.h" ] || HEADERS=node_modules/node-api-headers/include
for h in node_api.h node_api_types.h js_native_api.h js_native_api_types.h; do
  cp "$HEADERS/$h" .carry/include-node/
done

xz -T0 -6 -c "$NODE_BIN" > .carry/node.xz
# Caches are not needed there; -h follows a node_modules that is a link.
tar -chf - --exclude='node_modules/.cache' --exclude='node_modules/.package-lock.json' node_modules |
  xz -T0 -6 > .carry/node_modules.tar.xz

du -sh .carry/* | sed 's/^/make-carry.sh: /'
total=$(du -sk .carry | cut -f1)
echo "make-carry.sh: .carry is $((total / 1024)) MiB (the device tool carries at most 64 MiB)"
