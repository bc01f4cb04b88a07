// Options are data (issue 15, docs/core.md "Options as data"): a class or a
// function states the defaults of its options once, in an option table merged
// at entry. This fails when an inline default (`options.x ?? <literal>`, or
// `options.x === undefined ? <literal> :`) comes back anywhere in lib/. Read
// from the TypeScript sources, as layering.test.ts does.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const LIB = path.resolve(__dirname, '..', '..', 'lib');

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

  it('no inline option default is left in lib/', () => {
    const files = sources(LIB);
    assert.ok(files.length > 100, `expected lib/'s sources, found ${files.length} files`);
    const found = files.flatMap(inlineDefaults);
    assert.deepEqual(found, [], 'state these defaults in the class\'s option table (lib/torch/option-table.ts)');
  });
});
