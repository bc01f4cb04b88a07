// Options are data (issue 15, docs/core.md "Options as data"): a class or a
// function states the defaults of its options once, in an option table merged
// at entry. This fails when an inline default (`options.x ?? <literal>`, or
// `options.x === undefined ? <literal> :`) comes back in a folder already
// converted. Read from the TypeScript sources, as layering.test.ts does.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const LIB = path.resolve(__dirname, '..', '..', 'lib');

// The folders whose inline defaults are gone; append a folder once it is converted.
const CONVERTED = ['nn', 'optim', 'models', 'torch', 'data', 'train', 'eval', 'export', 'dashboard', 'bench', 'cli', 'ssl'];
// Files in those folders that another developer owns and converts (PROTOCOL.md);
// remove an entry once its defaults are in a table.
const PENDING = new Set([
  // text3's text and image-text files (PROTOCOL.md), converted by their owner:
  'data/image-text/caption-batches.ts', 'data/image-text/fashion-captions.ts', 'data/image-text/scenes.ts',
]);

// A literal: a number (with sign, exponent, separators or octal), a boolean, a
// string, an array of literals, an empty object, Infinity. Not `null`:
// `options.x === undefined ? null` hands ATen its "None", which is no default of
// ours; nor an array computed from other values (`[data.length]`).
const LITERAL = String.raw`(?:-?\d[\d_.e]*|0o[0-7]+|true|false|'[^']*'|"[^"]*"|\[\s*(?:-?\d|'|"|\])|\{\s*\}|Infinity\b)`;
const INLINE_DEFAULT = new RegExp(String.raw`\boptions\??\.\w+\s*(?:\?\?|===\s*undefined\s*\?)\s*\(?\s*` + LITERAL);

/** Every .ts file under `dir`, relative to lib/. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path.relative(LIB, full).split(path.sep).join('/'));
  }
  return out;
}

/** `file:line: text` for each line of `file` that holds an inline option default. */
function inlineDefaults(file: string): string[] {
  return fs.readFileSync(path.join(LIB, file), 'utf8').split('\n')
    .map((line, i) => (INLINE_DEFAULT.test(line) ? `${file}:${i + 1}: ${line.trim()}` : ''))
    .filter((s) => s !== '');
}

describe('options are data', () => {
  it('the pattern finds inline defaults and passes table reads and logic', () => {
    const found = [
      "const eps = checkNumber(options.eps ?? 1e-5, 'options.eps', 0);",
      'const setToNone = options.setToNone ?? true;',
      "const mode = this.options.option ?? 'lr';",
      'betas: options.betas ?? [0.9, 0.999],',
      'const skip = new Set(options.noWeightDecayList ?? []);',
      'const extra = options.extra ?? {};',
      'const limit = options.rowLimit ?? Infinity;',
      'const m = options.mode ?? 0o666;',
      "return options.device === undefined ? 'cpu' : checkDevice(options.device);",
    ];
    for (const line of found) assert.ok(INLINE_DEFAULT.test(line), line);
    const passed = [
      'const { eps } = NORM_OPTIONS.resolve(options, optionsKey);',
      'this.stride = o.stride ?? kernelSize;',
      'const t = options.timeout ?? fallback;',
      'const value = options.value === undefined ? null : checkNumber(options.value);',
      'const scale = g.lrScale ?? 1;',
      'const shape = checkShape(options.shape ?? [(data as AnyTypedArray).length]);',
    ];
    for (const line of passed) assert.ok(!INLINE_DEFAULT.test(line), line);
  });

  it(`no inline option default is left in lib/{${CONVERTED.join(',')}}`, () => {
    const files = CONVERTED.flatMap((d) => sources(path.join(LIB, d)));
    assert.ok(files.length > 100, `expected the converted folders' sources, found ${files.length} files`);
    const found = files.filter((f) => !PENDING.has(f)).flatMap(inlineDefaults);
    assert.deepEqual(found, [], 'state these defaults in the class\'s option table (lib/torch/option-table.ts)');
  });

  it('every pending file still exists and still has an inline default (else drop it from PENDING)', () => {
    for (const f of PENDING) {
      assert.ok(fs.existsSync(path.join(LIB, f)), `${f} is gone`);
      assert.notDeepEqual(inlineDefaults(f), [], `${f} has no inline default left: remove it from PENDING`);
    }
  });
});
