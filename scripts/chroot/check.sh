#!/usr/bin/env bash
# The install and the test suite on another Debian's libtorch: a chroot of
# that release, made with debootstrap from Debian's mirror, where `npm install`
# finds or installs its libtorch-dev and `npm test` compares against its
# python3-torch. trixie (Debian 13, the default) has libtorch 2.6: this runs
# the libtorch 2.x code (the c10d port of native/c10d_versions.h with Gloo,
# 2.x's rendezvous, interop with Python 2.x ranks, every version guard) on a
# CPU machine; CI runs it (.ci/run). sid (unstable) follows PyTorch's newer
# releases. See docs/compatibility.md.
#
#   sudo bash scripts/chroot/check.sh [--suite trixie|sid|...] [--keep] [--prebuild DIR]
#
# --prebuild DIR: instead of the tests, build that release's prebuilt addon
# (scripts/prebuild.js: node-gyp, the child-process load test, the source-hash
# record) and copy it with its record into DIR, e.g. prebuilds/linux-x64 of
# this checkout before `npm pack`, so the package installs without a compiler
# on that release too (docs/shipping.md).
#
# Needs root on a Debian machine that reaches deb.debian.org and the npm
# registry (as `npm install` does). The chroot is kept in
# $SELFSUP_CHROOT_ROOT (default /var/tmp/selfsup-<suite>) and reused by the
# next run; the repository is cloned into it at HEAD (commit first); --keep
# keeps the clone (root/selfsup in the chroot) after the run.
#
# Exit status: 0 passed; 3 the chroot could not be set up (no debootstrap, no
# mirror, no mounts: nothing was tested, the reason is printed); any other:
# the install, a build or the tests failed (.ci/run fails with it).
set -uo pipefail

suite=trixie
keep=no
prebuild=
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite=${2:?--suite needs a Debian suite, e.g. trixie or sid}; shift 2 ;;
    --keep) keep=yes; shift ;;
    --prebuild) prebuild=${2:?--prebuild needs a folder to copy the prebuilt addon into}; shift 2 ;;
    *) echo "chroot/check.sh: unknown argument '$1' (--suite NAME, --keep, --prebuild DIR)" >&2; exit 2 ;;
  esac
done
if [ -n "$prebuild" ]; then
  mkdir -p "$prebuild" 2> /dev/null && prebuild=$(cd "$prebuild" && pwd) ||
    { echo "chroot/check.sh: --prebuild $prebuild is not a folder that can be made" >&2; exit 2; }
fi
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=${SELFSUP_CHROOT_ROOT:-/var/tmp/selfsup-$suite}
mirror=${SELFSUP_CHROOT_MIRROR:-http://deb.debian.org/debian}
say() { echo "$suite: $* ($(date -u +%H:%M:%S))"; }
not_run() { say "NOT RUN: $*"; exit 3; }

[ "$(id -u)" = 0 ] || not_run "needs root (debootstrap, chroot, mounts)"
[ -f /etc/debian_version ] || not_run "needs a Debian host (apt, debootstrap)"
git -C "$repo" rev-parse HEAD > /dev/null 2>&1 || not_run "$repo is not a git checkout"

if ! command -v debootstrap > /dev/null; then
  say "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap > /dev/null || not_run "apt-get could not install debootstrap"
fi

if [ ! -x "$root/usr/bin/apt-get" ] || [ ! -f "$root/etc/ca-certificates.conf" ]; then
  # Never delete through a bind mount a killed run left behind.
  if grep -q " $root/" /proc/mounts; then
    not_run "mounts remain under $root (umount -R -l $root/dev $root/sys $root/proc)"
  fi
  say "debootstrap $suite into $root (from $mirror)"
  rm -rf "$root"
  log=$(mktemp)
  if ! debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$mirror" > "$log" 2>&1; then
    tail -n 5 "$log"
    rm -f "$log"
    not_run "debootstrap failed (log above)"
  fi
  rm -f "$log"
fi

# What the host uses to reach the network: its name, resolver, extra CA
# certificates (a proxy's) and npm settings.
cp /etc/resolv.conf /etc/hosts "$root/etc/"
if compgen -G '/usr/local/share/ca-certificates/*.crt' > /dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
[ -f "$HOME/.npmrc" ] && cp "$HOME/.npmrc" "$root/root/.npmrc"
# A mirror snapshot (or a clock ahead of it) outlives sid's week-long Release
# validity: take its packages anyway, for every apt-get in the chroot.
echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99selfsup-snapshot"

unmount() {
  umount -l "$root/proc" 2> /dev/null
  umount -R -l "$root/dev" 2> /dev/null
  umount -R -l "$root/sys" 2> /dev/null
}
trap unmount EXIT
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc" || not_run "cannot mount /proc in the chroot"
mountpoint -q "$root/dev" || mount --rbind /dev "$root/dev" || not_run "cannot bind /dev into the chroot"
mountpoint -q "$root/sys" || mount --rbind /sys "$root/sys" || not_run "cannot bind /sys into the chroot"

in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive CI=true HOME=/root bash -c "$1"; }

# A fresh machine as .ci/run expects one: node, npm, g++, cmake, python3
# (the release's own node and npm: 20 and 9 on trixie), and the Node headers
# node-gyp reads from /usr (nodedir).
say "apt-get install node, npm, g++, cmake, python3"
in_root 'update-ca-certificates > /dev/null && apt-get update -q > /dev/null &&
  apt-get install -y -q --no-install-recommends nodejs npm libnode-dev g++ cmake make python3 git xz-utils > /dev/null' \
  || not_run "apt-get in the chroot failed"

say "clone $(git -C "$repo" rev-parse --short HEAD) into $root/root/selfsup"
rm -rf "$root/root/selfsup"
git clone -q --no-hardlinks "$repo" "$root/root/selfsup" || not_run "git clone into the chroot failed"

# .ci/run's stages but the clean-tree check: trixie's npm 9 rewrites
# package-lock.json (it drops the "libc" fields npm 10 writes), which is npm's
# doing, not the install's.
# After npm install: the prebuilt addon (--prebuild), or the tests.
if [ -n "$prebuild" ]; then
  stages='echo "=== '"$suite"': prebuild" && node scripts/prebuild.js --force'
else
  stages='echo "=== '"$suite"': npm run test:gyp" && npm run test:gyp &&
  echo "=== '"$suite"': npm run test:cuda-syntax" && npm run test:cuda-syntax &&
  echo "=== '"$suite"': npm test" && npm test'
fi
status=0
in_root 'cd /root/selfsup &&
  echo "node $(node --version), npm $(npm --version), $(g++ --version | head -n1), debian $(cat /etc/debian_version)" &&
  echo "=== '"$suite"': npm install" && npm install && '"$stages" || status=$?
if [ -n "$prebuild" ] && [ "$status" = 0 ]; then
  built=("$root"/root/selfsup/prebuilds/linux-*/selfsup.*.node)
  if [ -f "${built[0]}" ] && [ -f "${built[0]}.json" ]; then
    cp "${built[0]}" "${built[0]}.json" "$prebuild/" && say "prebuilt: $prebuild/$(basename "${built[0]}")" || status=1
  else
    say "prebuild.js wrote no binary with a record"
    status=1
  fi
fi
if [ "$status" = 0 ]; then say "passed"; else say "FAILED (exit $status)"; fi
[ "$keep" = yes ] || rm -rf "$root/root/selfsup"
# mocha exits with its count of failures: 3 failures must not read as "not run"
[ "$status" = 3 ] && status=1
exit "$status"
