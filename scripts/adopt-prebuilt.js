// What the loader (lib/torch/native.ts) does when no install record names an
// addon and no build/ folder has one: npm did not run selfsup's install
// script. npm 12 runs a dependency's install script only when the project's
// allowScripts (package.json, .npmrc) names the package; `--ignore-scripts`
// and `ignore-scripts=true` skip it on every npm. The loader then does, once,
// the part of scripts/install.js that needs no root and no compiler: find
// libtorch, choose the prebuilt binary of its flavour, link `torch-lib` to its
// lib folder, load-test the binary in a child process, and write the record
// (`"by": "load"`), so later loads read the record as after an install. What
// it does not do: apt-get (libtorch-dev, OpenBLAS, the dataset) or a source
// build; its reason says what to run instead.
'use strict';

const path = require('node:path');
const { findLibtorch, openmpBlasDir, LibtorchError } = require('./find-libtorch');
const { usePrebuilt, writeRecord, RECORD_FILE } = require('./install');

/** What npm users run to get the install script's work done. */
const REMEDY = 'npm did not run selfsup\'s install script (npm 12 runs a dependency\'s install script only when ' +
  'the project\'s allowScripts names it; --ignore-scripts skips it). Run `npm install-scripts approve selfsup` ' +
  '(npm 12) and then `npm rebuild selfsup`, or `npm rebuild selfsup` on npm 10 and 11';

const ROOT = path.resolve(__dirname, '..');

/**
 * Adopts the prebuilt binary of this package (prebuilds/) that matches this
 * machine's libtorch. Returns { ok: true, addon, flavour, record (its path, or
 * null when it could not be written) } or { ok: false, reason }. Never throws
 * for a missing libtorch or binary.
 */
function adoptPrebuilt() {
  const notes = [];
  const say = { log: (m) => notes.push(m), warn: (m) => notes.push(m) };
  let found;
  try {
    found = findLibtorch();
  } catch (e) {
    if (!(e instanceof LibtorchError)) throw e;
    return { ok: false, reason: e.message };
  }
  if (!found) {
    return { ok: false, reason: 'no libtorch was found (the install script installs Debian\'s libtorch-dev as root)' };
  }
  found.openmpBlas = openmpBlasDir(found);
  const pre = usePrebuilt(found, say);
  if (!pre) return { ok: false, reason: notes.join('; ') || 'no prebuilt addon' };
  let record = path.join(ROOT, RECORD_FILE);
  try {
    writeRecord(ROOT, 'prebuilt', pre.addon, found, pre.torchVersion, pre.flavour, 'load');
  } catch {
    // A read-only package folder: the binary still loads; the next process adopts it again.
    record = null;
  }
  return { ok: true, addon: pre.addon, flavour: pre.flavour, record };
}

module.exports = { adoptPrebuilt, REMEDY };
