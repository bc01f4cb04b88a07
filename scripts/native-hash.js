// The hash of the addon's C++ sources (native/*.cc, native/*.h), recorded
// next to each prebuilt binary (<binary>.json, written by scripts/prebuild.js
// and scripts/cuda/build-and-test.sh). scripts/install.js and
// lib/torch/native.ts refuse a prebuilt binary whose recorded hash differs
// from the package's native/: a binary built before a native change is never
// paired with newer JavaScript.
//
//   node scripts/native-hash.js [root]           prints the hash of <root>/native
//   node scripts/native-hash.js --write BINARY    writes BINARY.json (sourceHash, builtAt)
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** sha256 over native/'s .cc and .h files (sorted names, each name and content); null without native/. */
function nativeSourceHash(root = ROOT) {
  const dir = path.join(root, 'native');
  let names;
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.cc') || n.endsWith('.h')).sort();
  } catch {
    return null;
  }
  if (names.length === 0) return null;
  const h = crypto.createHash('sha256');
  for (const name of names) {
    h.update(`${name}\0`);
    h.update(fs.readFileSync(path.join(dir, name)));
    h.update('\0');
  }
  return h.digest('hex');
}

/** The record next to a prebuilt binary: `<binary>.json`. */
function recordPath(binary) {
  return `${binary}.json`;
}

/** Writes `<binary>.json` with the hash of `root`'s native/ (atomically) and returns the record. */
function writeSourceRecord(binary, root = ROOT, extra = {}) {
  const record = { sourceHash: nativeSourceHash(root), builtAt: new Date().toISOString(), ...extra };
  const file = recordPath(binary);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
  return record;
}

/**
 * Why the prebuilt `binary` must not be used with the package at `root`, or
 * null when its recorded source hash equals that of `root`/native. A package
 * without native/ cannot be checked and is not refused.
 */
function staleReason(binary, root = ROOT) {
  const current = nativeSourceHash(root);
  if (current === null) return null;
  let record;
  try {
    record = JSON.parse(fs.readFileSync(recordPath(binary), 'utf8'));
  } catch {
    return `it has no record of the native sources it was built from (${path.basename(recordPath(binary))} is missing or unreadable)`;
  }
  if (!record || typeof record.sourceHash !== 'string') {
    return `its record ${path.basename(recordPath(binary))} names no source hash`;
  }
  if (record.sourceHash !== current) {
    return `it was built from other native sources (hash ${record.sourceHash.slice(0, 12)}, ` +
      `this package's native/ is ${current.slice(0, 12)})`;
  }
  return null;
}

module.exports = { nativeSourceHash, writeSourceRecord, staleReason, recordPath };

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--write') {
    if (!args[1]) {
      console.error('usage: native-hash.js --write BINARY');
      process.exitCode = 2;
    } else {
      console.log(JSON.stringify(writeSourceRecord(path.resolve(args[1]))));
    }
  } else {
    const hash = nativeSourceHash(args[0] ? path.resolve(args[0]) : ROOT);
    if (hash === null) {
      console.error('native-hash.js: no native/*.cc or *.h');
      process.exitCode = 1;
    } else {
      console.log(hash);
    }
  }
}
