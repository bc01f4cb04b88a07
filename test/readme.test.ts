// The README's example is code users copy: it must run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..', '..');

describe('README', () => {
  it('the API example compiles and runs', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const match = /```ts\n([\s\S]*?)```/.exec(readme);
    assert.ok(match, 'README has a ```ts example');
    const source = match[1].replace(/from 'selfsup'/g, `from ${JSON.stringify(path.join(root, 'dist', 'lib'))}`);
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    const logged: unknown[][] = [];
    const fakeConsole = { log: (...args: unknown[]) => logged.push(args) };
    const run = new Function('require', 'console', 'exports', js.outputText);
    run(require, fakeConsole, {});
    assert.equal(logged.length, 1);
    assert.equal(typeof logged[0][0], 'number');
    assert.deepEqual(logged[0][1], [16, 3, 3, 3]);
  });
});
