// The README's examples are code users copy: they must run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..', '..');

/** Every ```ts block of the README, in order. */
function examples(): string[] {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Runs one example (top-level await allowed) in a temporary folder; returns what it logged. */
async function run(source: string): Promise<unknown[][]> {
  const code = source.replace(/from 'selfsup'/g, `from ${JSON.stringify(path.join(root, 'dist', 'lib'))}`);
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const logged: unknown[][] = [];
  const fakeConsole = { log: (...args: unknown[]) => logged.push(args) };
  const body = `return (async () => {\n${js.outputText}\n})();`;
  const cwd = process.cwd();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-readme-'));
  process.chdir(dir);
  try {
    await (new Function('require', 'console', 'exports', body) as (...a: unknown[]) => Promise<void>)(require, fakeConsole, {});
  } finally {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return logged;
}

describe('README', () => {
  it('has the core example, the training example and the self-supervised example', () => {
    assert.equal(examples().length, 3);
  });

  it('the core example compiles and runs', async () => {
    const logged = await run(examples()[0]);
    assert.equal(logged.length, 1);
    assert.equal(typeof logged[0][0], 'number');
    assert.deepEqual(logged[0][1], [16, 3, 3, 3]);
  });

  it('the training example trains, saves and reloads an encoder', async () => {
    const logged = await run(examples()[1]);
    const losses = logged.filter((l) => l[0] === 'step').map((l) => l[3] as number);
    assert.ok(losses.length >= 2, `expected loss lines, got ${JSON.stringify(logged)}`);
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses[losses.length - 1] < losses[0], `loss did not fall: ${losses.join(', ')}`);
    const same = logged.find((l) => l[0] === 'reloaded encoder gives the same features:');
    assert.deepEqual(same, ['reloaded encoder gives the same features:', true]);
  });

  it('the self-supervised example trains, and its encoder beats the random-encoder floor', async function () {
    // NOTE: the timeout only catches a hang; it is no race. On the shared
    // 2-core machine at load average 15, these 100 steps and the 5,000-image
    // k-NN bank took 3.5 minutes (1 thread), and 150 steps with 10,000 images
    // did not finish in 2.
    this.timeout(900_000);
    const logged = await run(examples()[2]);
    const loss = logged.find((l) => l[0] === 'loss after');
    assert.ok(loss !== undefined, JSON.stringify(logged));
    assert.equal(loss[1], 100);
    assert.ok(Number.isFinite(loss[3]) && (loss[3] as number) < 4, `loss ${String(loss[3])}`);
    const table = String(logged.at(-1)![0]);
    const knn20 = (row: string): number => Number(new RegExp(`${row}\\s+([0-9.]+)`).exec(table)![1]);
    assert.ok(knn20('trained encoder') > knn20('random encoder') + 1, table);
  });
});
