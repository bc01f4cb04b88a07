#!/usr/bin/env node
// `npm pack` / `npm publish` run this (prepack): build the prebuilt addon for
// the libtorch of this machine (Debian 12's libtorch-dev 1.13 CPU on the
// release machine) with prebuildify + node-gyp (binding.gyp), test it in a
// child process, and put it in prebuilds/<platform>-<arch>/ under its flavour
// name, where the package's "files" pick it up. Other flavours already in
// prebuilds/ (the CUDA one a maintainer copied from a GPU machine) are kept.
//
// The build runs in a scratch copy, so the cmake-js build in build/ is left
// alone. A binary that is newer than every source it is built from is reused.
//
//   node scripts/prebuild.js [--force]
// Environment: LIBTORCH (see find-libtorch.js), SELFSUP_SKIP_PREBUILD=1 (skip),
// npm_config_nodedir (Node headers; default: those next to this node).
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { findLibtorch, notFoundMessage, prebuiltFileName } = require('./find-libtorch');
const { probeAddon, prebuildsDir } = require('./install');
const { staleReason, writeSourceRecord } = require('./native-hash');

const ROOT = path.resolve(__dirname, '..');
/** What the binary is built from: a change to any of these makes the prebuilt stale. */
const SOURCES = ['native', 'binding.gyp', 'scripts/find-libtorch.js'];

function log(msg) {
  console.log(`selfsup prebuild: ${msg}`);
}

function newestMtime(entry) {
  const st = fs.statSync(entry);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

/** True when `file` exists, is newer than every source it is built from and records native/'s current hash. */
function upToDate(file) {
  if (!fs.existsSync(file) || staleReason(file, ROOT) !== null) return false;
  const built = fs.statSync(file).mtimeMs;
  return SOURCES.every((s) => newestMtime(path.join(ROOT, s)) < built);
}

/** The prefix with include/node/node_api.h next to this node (so node-gyp does not download headers). */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(process.execPath, '..', '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

/**
 * A fresh scratch folder (named `prefix`...) holding a copy of what the addon
 * is built from, with node_modules linked: node-gyp then leaves build/ alone.
 */
function scratchCopy(prefix) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    for (const entry of ['native', 'native-compat', 'scripts', 'binding.gyp', 'package.json']) {
      fs.cpSync(path.join(ROOT, entry), path.join(work, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
  } catch (err) {
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
  return work;
}

/** Runs prebuildify (N-API, stripped, libc tag) in `work`; returns the .node file it wrote. */
function runPrebuildify(work) {
  const bin = require.resolve('prebuildify/bin.js', { paths: [ROOT] });
  const jobs = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const env = { ...process.env, npm_config_jobs: String(jobs), npm_config_loglevel: 'warn' };
  const nodedir = nodeDir();
  if (nodedir) env.npm_config_nodedir = nodedir;
  const args = [bin, '--napi', '--strip', '--tag-libc', `--target=node@${process.versions.node}`, work];
  const r = childProcess.spawnSync(process.execPath, args, { cwd: work, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`prebuildify failed (exit ${r.status}); see the compiler output above`);
  const out = path.join(work, 'prebuilds', `${process.platform}-${process.arch}`);
  const built = fs.readdirSync(out).filter((n) => n.endsWith('.node'));
  if (built.length !== 1) throw new Error(`expected one .node file in ${out} but found: ${built.join(', ') || 'none'}`);
  return path.join(out, built[0]);
}

function main(argv) {
  if (process.env.SELFSUP_SKIP_PREBUILD === '1') {
    log('SELFSUP_SKIP_PREBUILD=1: the package gets no new prebuilt binary');
    return 0;
  }
  const found = findLibtorch();
  if (!found) {
    console.error(`${notFoundMessage()}\n(Or set SELFSUP_SKIP_PREBUILD=1 to pack without a prebuilt binary.)`);
    return 1;
  }
  const dest = path.join(prebuildsDir(ROOT), prebuiltFileName(found));
  const shown = path.relative(ROOT, dest);
  if (!argv.includes('--force') && upToDate(dest)) {
    log(`${shown} is newer than its sources: kept (--force rebuilds it)`);
    return 0;
  }
  log(`building ${shown} against libtorch ${found.version} in ${found.libDir}`);
  const started = Date.now();
  const work = scratchCopy('selfsup-prebuild-');
  try {
    const built = runPrebuildify(work);
    const probe = probeAddon(built);
    if (!probe.ok) throw new Error(`the prebuilt addon does not work: ${probe.reason}`);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(built, `${dest}.tmp`);
    fs.renameSync(`${dest}.tmp`, dest);
    // What install.js and the loader compare with the package's native/ (scripts/native-hash.js).
    writeSourceRecord(dest, ROOT, { torchVersion: probe.torchVersion });
    const mb = (fs.statSync(dest).size / 1e6).toFixed(1);
    log(`wrote ${shown} (${mb} MB, libtorch ${probe.torchVersion}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`selfsup prebuild: ${e.message}`);
    process.exitCode = 1;
  }
}

module.exports = { upToDate, SOURCES, scratchCopy, nodeDir };
