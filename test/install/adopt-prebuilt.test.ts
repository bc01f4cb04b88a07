// When npm did not run the install script (npm 12 runs a dependency's install
// script only when the project's allowScripts names it; --ignore-scripts), the
// loader adopts the prebuilt binary of this machine's libtorch
// (scripts/adopt-prebuilt.js): load-tested in a child process, `torch-lib`
// linked, the record written, so the next load reads the record. Without one
// that works, the error says what npm skipped and what to run. The fixture is
// a package-shaped copy whose prebuilt is this checkout's addon; nothing is
// packed or built (test/install/prebuilt.test.ts installs a real tarball with
// --ignore-scripts).
import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanEnv, cleanUp, findLibtorch, packageShapedCopy, repoRoot } from './package-fixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hash = require(path.join(repoRoot(), 'scripts', 'native-hash.js')) as {
  writeSourceRecord(binary: string, root: string): { sourceHash: string };
};
/** This machine's libtorch and its flavour, as the loader finds them. */
const here = findLibtorch.findLibtorch();
const flavour = findLibtorch.flavourOf(here).tag;

interface Origin { source: string; path: string; flavour: string | null; record: string | null }

/** Loads the copy's dist/lib/torch/native in a child process, runs an operator, and reports the origin. */
function load(dir: string, env: NodeJS.ProcessEnv = cleanEnv()): { status: number | null; out: string; origin?: Origin } {
  const code = `const n = require(${JSON.stringify(path.join(dir, 'dist', 'lib', 'torch', 'native.js'))});
    const a = n.native.fromBuffer(new Float32Array([1, 2]), [2], 'float32');
    const s = n.native.call(n.native.lookupOp('sum'), a);
    console.log(JSON.stringify({ sum: new Float32Array(n.native.toBuffer(s))[0], origin: n.addonOrigin }));`;
  const r = childProcess.spawnSync(process.execPath, ['-e', code], { cwd: dir, env, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) return { status: r.status, out };
  const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as { sum: number; origin: Origin };
  assert.equal(last.sum, 3, out);
  return { status: r.status, out, origin: last.origin };
}

type Record = { kind: string; path: string; flavour: string; by: string; installedAt: string; libtorch: { libDir: string } };

function readRecord(dir: string): Record {
  return JSON.parse(fs.readFileSync(path.join(dir, 'native-addon.json'), 'utf8')) as Record;
}

describe('load: without the install script, the prebuilt binary of this libtorch is adopted', function () {
  this.timeout(120_000);
  after(cleanUp);

  it('adopts, links torch-lib and records it once; the next load reads the record', () => {
    const { dir, prebuilt } = packageShapedCopy();
    hash.writeSourceRecord(prebuilt, dir);
    assert.ok(!fs.existsSync(path.join(dir, 'native-addon.json')));
    const first = load(dir);
    assert.equal(first.status, 0, first.out);
    assert.deepEqual(first.origin, { source: 'adopted', path: prebuilt, flavour,
      record: path.join(dir, 'native-addon.json') });
    const rec = readRecord(dir);
    assert.equal(rec.kind, 'prebuilt');
    assert.equal(rec.by, 'load');
    assert.equal(rec.path, path.relative(dir, prebuilt));
    assert.equal(fs.readlinkSync(path.join(path.dirname(prebuilt), 'torch-lib')), here.libDir);
    // The second load takes the record as an install's: not adopted again, the record untouched.
    const second = load(dir);
    assert.equal(second.status, 0, second.out);
    assert.equal(second.origin!.source, 'prebuilt');
    assert.equal(second.origin!.path, prebuilt);
    assert.equal(readRecord(dir).installedAt, rec.installedAt);
  });

  it('without a prebuilt for this libtorch: an error that says what npm skipped and what to run', () => {
    const { dir, prebuilt } = packageShapedCopy();
    fs.rmSync(prebuilt);
    const r = load(dir);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /no usable native addon is installed\. npm did not run selfsup's install script \(npm 12 runs a dependency's install script only when the project's allowScripts names it; --ignore-scripts skips it\)/);
    assert.match(r.out, /`npm install-scripts approve selfsup` \(npm 12\) and then `npm rebuild selfsup`/);
    assert.match(r.out, new RegExp(`none adopted: no prebuilt addon for ${flavour.replace(/\./g, '\\.')}\\)`));
    assert.ok(!fs.existsSync(path.join(dir, 'native-addon.json')), 'a failed adoption wrote a record');
    assert.doesNotMatch(r.out, /Segmentation|Aborted/);
  });

  it('a prebuilt without a record of its native sources is not adopted, and the reason is named', () => {
    const { dir, prebuilt } = packageShapedCopy();
    const r = load(dir);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /none adopted: the prebuilt addon selfsup\..*\.node is not used: it has no record of the native sources it was built from \(.*\.node\.json is missing or unreadable\); no prebuilt addon works here\)/);
    assert.ok(!fs.existsSync(path.join(path.dirname(prebuilt), 'torch-lib')));
  });

  it('a binary that does not load is refused by the child-process test, not loaded', () => {
    const { dir, prebuilt } = packageShapedCopy();
    fs.writeFileSync(prebuilt, 'not an ELF file');
    hash.writeSourceRecord(prebuilt, dir);
    const r = load(dir);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /none adopted: testing the prebuilt addon .* in a child process; the prebuilt addon .* does not work with this libtorch \(exit 1:\nError: .*: file too short/);
    // usePrebuilt removes the link it made when no binary works.
    assert.ok(!fs.existsSync(path.join(path.dirname(prebuilt), 'torch-lib')));
  });

  it('LIBTORCH naming a folder without libtorch: find-libtorch\'s refusal is the reason', () => {
    const { dir, prebuilt } = packageShapedCopy();
    hash.writeSourceRecord(prebuilt, dir);
    const r = load(dir, cleanEnv({ LIBTORCH: path.join(dir, 'no-such-libtorch') }));
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /none adopted: .*LIBTORCH.*no-such-libtorch/);
  });

  it('an install record, even one naming a missing binary, means the script ran: no adoption', () => {
    const { dir, prebuilt } = packageShapedCopy();
    hash.writeSourceRecord(prebuilt, dir);
    fs.writeFileSync(path.join(dir, 'native-addon.json'), JSON.stringify({ kind: 'built', path: 'build/Release/gone.node' }));
    const r = load(dir);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /no usable native addon is installed\. Run `npm rebuild selfsup`/);
    assert.doesNotMatch(r.out, /adopted/);
    assert.ok(!fs.existsSync(path.join(path.dirname(prebuilt), 'torch-lib')));
  });
});
