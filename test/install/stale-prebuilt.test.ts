// A prebuilt binary records the hash of the native sources it was built from
// (<binary>.json, scripts/native-hash.js). scripts/install.js refuses one whose
// hash differs from the package's native/ (a message, then a source build),
// and the loader (lib/torch/native.ts) refuses to load it. The fixture is a
// package-shaped folder (scripts, native, dist/lib, node_modules linked, no
// .git) whose prebuilt is this checkout's addon, so nothing is packed or built.
import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanEnv, cleanUp, packageShapedCopy as fixture, repoRoot, tempDir } from './package-fixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hash = require(path.join(repoRoot(), 'scripts', 'native-hash.js')) as {
  nativeSourceHash(root: string): string | null;
  staleReason(binary: string, root: string): string | null;
  writeSourceRecord(binary: string, root: string): { sourceHash: string };
};
/** A folder whose cmake and c++ fail: a source build stops at once. */
function noCompiler(): string {
  const dir = tempDir('selfsup-no-cmake-');
  for (const tool of ['cmake', 'c++']) fs.writeFileSync(path.join(dir, tool), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  return dir;
}

function install(dir: string): { status: number | null; out: string } {
  const env = cleanEnv({ PATH: `${noCompiler()}${path.delimiter}${process.env.PATH ?? ''}` });
  const r = childProcess.spawnSync(process.execPath, [path.join(dir, 'scripts', 'install.js')], { cwd: dir, env, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Loads the fixture's dist/lib/torch/native in a child process. */
function load(dir: string): { status: number | null; out: string } {
  const code = `const n = require(${JSON.stringify(path.join(dir, 'dist', 'lib', 'torch', 'native.js'))});
    console.log(JSON.stringify(n.addonOrigin));`;
  const r = childProcess.spawnSync(process.execPath, ['-e', code], { cwd: dir, env: cleanEnv(), encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('install and load: a prebuilt binary built from other native sources is refused', function () {
  this.timeout(120_000);
  after(cleanUp);

  it('the source hash covers native/*.cc and *.h and changes with them', () => {
    const { dir } = fixture();
    const before = hash.nativeSourceHash(dir);
    assert.match(before ?? '', /^[0-9a-f]{64}$/);
    assert.equal(before, hash.nativeSourceHash(repoRoot()));
    fs.appendFileSync(path.join(dir, 'native', 'runtime.h'), '// changed\n');
    assert.notEqual(hash.nativeSourceHash(dir), before);
  });

  it('install: uses a prebuilt whose record matches, refuses one that differs or has none, then builds from source', () => {
    const { dir, prebuilt } = fixture();
    // No record: refused.
    let r = install(dir);
    assert.match(r.out, /the prebuilt addon selfsup\..*\.node is not used: it has no record of the native sources/);
    assert.match(r.out, /no prebuilt addon works here\n(selfsup: )?building from source/);
    assert.equal(r.status, 1, r.out); // the compiler shims stop the source build
    // A matching record: used, nothing compiled.
    hash.writeSourceRecord(prebuilt, dir);
    r = install(dir);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /nothing compiled/);
    // native/ changed after the binary was built: refused with both hashes named.
    fs.appendFileSync(path.join(dir, 'native', 'runtime.cc'), '// a change after the prebuilt was made\n');
    r = install(dir);
    assert.match(r.out, /is not used: it was built from other native sources \(hash [0-9a-f]{12}, this package's native\/ is [0-9a-f]{12}\)/);
    assert.match(r.out, /building from source/);
    assert.equal(r.status, 1, r.out);
  });

  it('load: a recorded prebuilt whose hash differs is not loaded, with the reason and what to run', () => {
    const { dir, prebuilt } = fixture();
    hash.writeSourceRecord(prebuilt, dir);
    assert.equal(install(dir).status, 0);
    let r = load(dir);
    assert.equal(r.status, 0, r.out);
    assert.equal((JSON.parse(r.out.trim().split('\n').pop()!) as { source: string }).source, 'prebuilt');
    fs.appendFileSync(path.join(dir, 'native', 'dispatch.h'), '// changed\n');
    r = load(dir);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /no usable native addon is installed.*prebuilt, refused: it was built from other native sources \(hash [0-9a-f]{12}/);
    assert.match(r.out, /npm rebuild selfsup/);
  });
});
