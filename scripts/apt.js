// Debian packages for install.js and test-deps.js: what is installed, and
// installing what is missing when running as root on Debian.
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');

/** True when apt may be run by this process: root on Debian (or a derivative). */
function canInstall() {
  return fs.existsSync('/etc/debian_version') && typeof process.getuid === 'function' && process.getuid() === 0 &&
    fs.existsSync('/usr/bin/apt-get');
}

/** True when dpkg reports `pkg` as installed. */
function isInstalled(pkg) {
  const r = childProcess.spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && /\binstall ok installed\b/.test(r.stdout);
}

/** True when apt's package lists know `pkg` (so no `apt-get update` is needed to install it). */
function isKnown(pkg) {
  const r = childProcess.spawnSync('apt-cache', ['show', '--no-all-versions', pkg], { encoding: 'utf8' });
  return r.status === 0 && /^Package:/m.test(r.stdout);
}

function run(args) {
  console.log(`selfsup: ${args.join(' ')}`);
  const r = childProcess.spawnSync(args[0], args.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

/**
 * Installs `pkgs` with apt-get (root on Debian only). Runs `apt-get update`
 * first when the lists do not know a package, or after an install that failed
 * on stale lists. Returns true when all of them are installed afterwards.
 */
function install(pkgs, { noRecommends = false } = {}) {
  const missing = pkgs.filter((p) => !isInstalled(p));
  if (missing.length === 0) return true;
  const cmd = ['apt-get', 'install', '-y'].concat(noRecommends ? ['--no-install-recommends'] : [], missing);
  let updated = false;
  if (!missing.every(isKnown)) {
    run(['apt-get', 'update']);
    updated = true;
  }
  if (run(cmd)) return true;
  if (updated) return false;
  return run(['apt-get', 'update']) && run(cmd);
}

module.exports = { canInstall, isInstalled, isKnown, install };
