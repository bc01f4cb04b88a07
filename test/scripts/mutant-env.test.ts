// test/helpers/mutant-env.ts: the mutant Stryker switched on in the test
// process reaches the child processes a test starts, through the variable
// Stryker's own instrumented code reads when it loads (its real header,
// generated from @stryker-mutator/instrumenter, runs in the child here).
import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ACTIVE_MUTANT_ENV, forwardActiveMutant } from '../helpers/mutant-env';
import { repoRoot } from '../install/package-fixture';

// NOTE: TypeScript compiles import() to require() for CommonJS output; the instrumenter is an ES module.
const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>;

/** A script with Stryker's instrumentation header that prints which branch of mutant '7' it runs. */
async function instrumentedScript(): Promise<string> {
  const root = path.join(repoRoot(), 'node_modules');
  const helpers = await importEsm(pathToFileURL(path.join(root, '@stryker-mutator/instrumenter/dist/src/util/syntax-helpers.js')).href);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const generate = (require(path.join(root, '@babel/generator')) as { default: (ast: unknown) => { code: string } }).default;
  const header = (helpers.instrumentationBabelHeader as unknown[]).map((node) => generate(node).code).join('\n');
  return `${header}\nprocess.stdout.write(stryMutAct_9fa48('7') ? 'mutant 7' : 'original');\n`;
}

describe('test/helpers/mutant-env: the active mutant reaches child processes', () => {
  it('forwardActiveMutant sets the variable from Stryker\'s namespace and clears it outside a mutant', () => {
    const env: NodeJS.ProcessEnv = { [ACTIVE_MUTANT_ENV]: 'stale', OTHER: 'x' };
    forwardActiveMutant(env, { __stryker__: { activeMutant: '12' } });
    assert.deepEqual(env, { [ACTIVE_MUTANT_ENV]: '12', OTHER: 'x' });
    forwardActiveMutant(env, { __stryker__: {} });
    assert.deepEqual(env, { OTHER: 'x' });
    forwardActiveMutant(env, { __stryker__: { activeMutant: 0 } });
    assert.deepEqual(env, { [ACTIVE_MUTANT_ENV]: '0', OTHER: 'x' }, 'mutant 0 is a mutant');
    forwardActiveMutant(env, {});
    assert.deepEqual(env, { OTHER: 'x' });
    assert.equal(ACTIVE_MUTANT_ENV, '__STRYKER_ACTIVE_MUTANT__');
  });

  it('a child started with the forwarded environment runs the mutant in Stryker\'s own instrumented code', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mutant-env-'));
    try {
      const file = path.join(dir, 'instrumented.js');
      fs.writeFileSync(file, await instrumentedScript());
      const run = (active: string | undefined): string => {
        const env: NodeJS.ProcessEnv = { ...process.env };
        forwardActiveMutant(env, { __stryker__: { activeMutant: active } });
        return childProcess.execFileSync(process.execPath, [file], { env, encoding: 'utf8' });
      };
      assert.deepEqual([run('7'), run('8'), run(undefined)], ['mutant 7', 'original', 'original']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
