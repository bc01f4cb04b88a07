// `npm run mutate`'s targets stay in step with the code: every span it names
// is found (a renamed function would otherwise fail only when someone runs the
// slow mutation job), every test file it runs exists, and a folder target
// mirrors lib/ into test/.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../install/package-fixture';

interface Target { about: string; mutate: () => string[]; tests: string[] }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mutate = require(path.join(repoRoot(), 'scripts', 'mutate.js')) as {
  TARGETS: Record<string, Target>; span: (file: string, start: RegExp) => string;
  targetOf: (name: string) => Target; reportDir: (name: string) => string;
  withTests: (target: Target, list: string) => Target;
  configOf: (name: string, target: Target, options: { concurrency: number; incremental: boolean; allTests: boolean }) =>
    { mocharc: string; mocha: { require: string[]; spec: string[] }; config: Record<string, unknown> };
  mutatedText: (source: string, location: { start: { line: number; column: number }; end: { line: number; column: number } }) => string;
};

describe('scripts/mutate.js: the mutation targets', () => {
  it('every target names existing sources (spans of whole blocks) and existing test files', () => {
    for (const [name, target] of Object.entries(mutate.TARGETS)) {
      for (const entry of target.mutate()) {
        const [file, range] = entry.split(':');
        assert.ok(fs.existsSync(path.join(repoRoot(), file)), `${name}: ${file}`);
        if (range === undefined) continue;
        const [from, to] = range.split('-').map(Number);
        const lines = fs.readFileSync(path.join(repoRoot(), file), 'utf8').split('\n');
        assert.ok(from < to, `${name}: ${entry}`);
        assert.match(lines[to - 1], /^\s*\};?$/, `${name}: ${entry} ends on a closing brace`);
      }
      for (const t of target.tests) assert.ok(fs.existsSync(path.join(repoRoot(), t)), `${name}: ${t}`);
    }
  });

  it('a span runs from its start line to the closing brace at the same indentation', () => {
    const s = mutate.span('lib/cli/option-parsers.ts', /^export function intArg/);
    const [from, to] = s.split(':')[1].split('-').map(Number);
    const lines = fs.readFileSync(path.join(repoRoot(), 'lib/cli/option-parsers.ts'), 'utf8').split('\n');
    assert.match(lines[from - 1], /^export function intArg/);
    assert.equal(lines[to - 1], '}');
    assert.ok(lines.slice(from, to - 1).every((l) => l !== '}'), 'no earlier closing brace at column 0');
    assert.throws(() => mutate.span('lib/cli/option-parsers.ts', /^export function nothing/), /no line matching/);
  });

  it('files of one folder are a target against the whole mirror folder, reported apart from the folder', () => {
    const files = mutate.targetOf('lib/optim/sgd.ts,lib/optim/lamb.ts');
    assert.deepEqual([files.mutate(), files.tests], [['lib/optim/sgd.ts', 'lib/optim/lamb.ts'], ['test/optim/**/*.test.ts']]);
    assert.deepEqual(mutate.targetOf('lib/optim').tests, files.tests);
    assert.equal(path.relative(repoRoot(), mutate.reportDir('lib/optim/sgd.ts,lib/optim/lamb.ts')),
      path.join('reports', 'mutation', 'lib-optim-sgd.ts+lamb.ts'));
    assert.equal(path.relative(repoRoot(), mutate.reportDir('lib/optim')), path.join('reports', 'mutation', 'lib-optim'));
    assert.throws(() => mutate.targetOf('lib/optim/sgd.ts,lib/train/options.ts'),
      /expected files of one folder but received lib\/optim, lib\/train/);
    assert.throws(() => mutate.targetOf('lib/optim/nothing.ts'), /unknown source 'lib\/optim\/nothing.ts'/);
    assert.throws(() => mutate.targetOf('lib/nothing'), /unknown target 'lib\/nothing'/);
  });

  it('a nested folder is a target against its own mirror; its parent\'s target includes it', () => {
    const nested = mutate.targetOf('lib/ssl/pretext');
    assert.deepEqual([nested.mutate(), nested.tests], [['lib/ssl/pretext/**/*.ts'], ['test/ssl/pretext/**/*.test.ts']]);
    assert.deepEqual(mutate.targetOf('lib/ssl/pretext/').tests, nested.tests, 'a trailing slash is the same folder');
    assert.equal(path.relative(repoRoot(), mutate.reportDir('lib/ssl/pretext')), path.join('reports', 'mutation', 'lib-ssl-pretext'));
    const files = mutate.targetOf('lib/ssl/pretext/ab-bins.ts,lib/ssl/pretext/permutations.ts');
    assert.deepEqual([files.mutate(), files.tests],
      [['lib/ssl/pretext/ab-bins.ts', 'lib/ssl/pretext/permutations.ts'], ['test/ssl/pretext/**/*.test.ts']]);
    assert.equal(path.relative(repoRoot(), mutate.reportDir('lib/ssl/pretext/ab-bins.ts,lib/ssl/pretext/permutations.ts')),
      path.join('reports', 'mutation', 'lib-ssl-pretext-ab-bins.ts+permutations.ts'));
    assert.deepEqual(mutate.targetOf('lib/ssl').mutate(), ['lib/ssl/**/*.ts'], 'the parent globs its subfolders too');
    assert.throws(() => mutate.targetOf('lib/ssl/pretext/ab-bins.ts,lib/ssl/rotation.ts'),
      /expected files of one folder but received lib\/ssl\/pretext, lib\/ssl/);
    const only = mutate.withTests(nested, 'test/ssl/pretext/grid-patches.test.ts');
    assert.deepEqual([only.mutate(), only.tests], [['lib/ssl/pretext/**/*.ts'], ['test/ssl/pretext/grid-patches.test.ts']]);
  });

  it('the summary names the mutated expression by its location (1-based lines and columns, end exclusive)', () => {
    const source = 'read() {\n    if (this.file === undefined || !fs.existsSync(this.file)) return [];\n  f(a,\n    b);\n}';
    assert.equal(mutate.mutatedText(source, { start: { line: 2, column: 9 }, end: { line: 2, column: 32 } }), 'this.file === undefined');
    assert.equal(mutate.mutatedText(source, { start: { line: 2, column: 9 }, end: { line: 2, column: 61 } }),
      'this.file === undefined || !fs.existsSync(this.file)');
    assert.equal(mutate.mutatedText(source, { start: { line: 3, column: 4 }, end: { line: 4, column: 7 } }), '(a,\n    b)');
  });

  it('--tests runs the target against only the named test files, which must exist', () => {
    const t = mutate.withTests(mutate.targetOf('lib/eval/knn.ts'), 'test/eval/refusals.test.ts,test/eval/option-reach.test.ts');
    assert.deepEqual([t.mutate(), t.tests], [['lib/eval/knn.ts'], ['test/eval/refusals.test.ts', 'test/eval/option-reach.test.ts']]);
    assert.throws(() => mutate.withTests(t, 'test/eval/nothing.test.ts'), /unknown test file 'test\/eval\/nothing.test.ts' for --tests/);
    assert.throws(() => mutate.withTests(t, 'lib/eval/knn.ts'), /unknown test file 'lib\/eval\/knn.ts'/);
    assert.throws(() => mutate.withTests(t, ''), /expected at least one test file after --tests/);
  });

  it('--all-tests turns per-test coverage off, and every run forwards the active mutant to child processes', () => {
    const target = mutate.withTests(mutate.targetOf('lib/train/data-parallel.ts'), 'test/train/distributed-trainer.test.ts');
    const plain = mutate.configOf('x', target, { concurrency: 1, incremental: false, allTests: false });
    const all = mutate.configOf('x', target, { concurrency: 2, incremental: true, allTests: true });
    assert.deepEqual([plain.config.coverageAnalysis, all.config.coverageAnalysis], ['perTest', 'off']);
    // Stryker refuses ignoreStatic with coverage 'off' ("Config option "ignoreStatic" is not supported with coverage analysis "off"").
    assert.deepEqual([plain.config.ignoreStatic, all.config.ignoreStatic], [true, false]);
    assert.deepEqual([all.config.concurrency, all.config.incremental], [2, true]);
    for (const c of [plain, all]) {
      assert.deepEqual(c.mocha.require, ['dist/test/helpers/temp-root.js', 'dist/test/helpers/mutant-env.js']);
      assert.deepEqual(c.mocha.spec, ['dist/test/train/distributed-trainer.test.js']);
      for (const r of c.mocha.require) assert.ok(fs.existsSync(path.join(repoRoot(), r.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), r);
    }
  });
});

