// Option tables (options as data): defaults filled in, checks run with the
// option's name, OPTIONAL/DERIVED/REQUIRED entries, keys in order, config
// JSON in order with arrays copied, pick, and the unknown-key check.
import * as assert from 'node:assert/strict';
import {
  checkOptionKeys, defineDefaults, defineOptions, DERIVED, is, option, OPTIONAL, optionsKey, REQUIRED,
} from '../../lib/torch/option-table';

const TABLE = defineOptions({
  width: option(32, is.int(1)),
  rate: option(0.5, is.number(0, 1)),
  scale: option([0.08, 1] as const, is.range(0)),
  mode: option<'a' | 'b'>('a', is.oneOf(['a', 'b'])),
  size: option(OPTIONAL, is.int(1)),
  hidden: option(DERIVED, is.int(1)),
  count: option(REQUIRED, is.int(0)),
});
const what = (k: string): string => `T option ${k}`;

describe('option tables', () => {
  it('resolves the given values over the defaults, in the table order', () => {
    assert.deepEqual(TABLE.keys, ['width', 'rate', 'scale', 'mode', 'size', 'hidden', 'count']);
    const v = TABLE.resolve({ rate: 0.25, count: 3 }, what);
    assert.deepEqual({ ...v }, { width: 32, rate: 0.25, scale: [0.08, 1], mode: 'a', size: undefined, hidden: undefined, count: 3 });
    assert.deepEqual(TABLE.defaults, { width: 32, rate: 0.5, scale: [0.08, 1], mode: 'a' });
    assert.ok(Object.isFrozen(TABLE.defaults) && Object.isFrozen(TABLE.specs) && Object.isFrozen(TABLE.keys));
    assert.equal(TABLE.resolve({ size: 7, count: 0 }, what).size, 7);
  });

  it('checks every given value and names the option; REQUIRED throws when missing', () => {
    assert.throws(() => TABLE.resolve({ width: 0, count: 1 }, what), /^RangeError: Expected positive integer for T option width but received 0$/);
    assert.throws(() => TABLE.resolve({ width: '8', count: 1 }, what), /^TypeError: Expected positive integer for T option width/);
    assert.throws(() => TABLE.resolve({ rate: 2, count: 1 }, what), /Expected a number in \[0, 1\] for T option rate but received 2/);
    assert.throws(() => TABLE.resolve({ scale: [1, 0.5], count: 1 }, what), /for T option scale but received \[1,0.5\]/);
    assert.throws(() => TABLE.resolve({ mode: 'c', count: 1 }, what), /Expected one of 'a', 'b' for T option mode but received 'c'/);
    assert.throws(() => TABLE.resolve({ size: 0, count: 1 }, what), /for T option size but received 0/);
    assert.throws(() => TABLE.resolve({}, what), /Expected non-negative integer for T option count but received undefined/);
  });

  it('a DERIVED option left undefined is reported as the owner\'s bug', () => {
    const v = TABLE.resolve({ count: 1 }, what);
    assert.throws(() => TABLE.checkDerived(v, 'Owner'), /Owner did not derive its option 'hidden'/);
    TABLE.checkDerived({ ...v, hidden: 4 }, 'Owner');
  });

  it('toJSON writes the values in the table order, leaves undefined out and copies arrays', () => {
    const source = { ...TABLE.resolve({ count: 2, hidden: 9 }, what), other: 1 };
    const json = TABLE.toJSON(source);
    assert.equal(JSON.stringify(json), '{"width":32,"rate":0.5,"scale":[0.08,1],"mode":"a","hidden":9,"count":2}');
    assert.notEqual(json.scale, source.scale);
  });

  it('resolve copies a default array, so no caller can change the table\'s', () => {
    const a = TABLE.resolve({ count: 1 }, what).scale as unknown as number[];
    a[0] = 0.5;
    assert.deepEqual(TABLE.resolve({ count: 1 }, what).scale, [0.08, 1]);
    assert.deepEqual(TABLE.defaults.scale, [0.08, 1]);
  });

  it('pick takes entries (default and check) into another table', () => {
    const small = defineOptions({ ...TABLE.pick('rate', 'width'), extra: option(true, is.boolean) });
    assert.deepEqual(small.keys, ['rate', 'width', 'extra']);
    assert.deepEqual({ ...small.resolve({}, what) }, { rate: 0.5, width: 32, extra: true });
    assert.throws(() => small.resolve({ width: -1 }, what), /T option width/);
  });

  it('is.intTuple takes a number or one integer per dimension; optionsKey names a function\'s option', () => {
    const t = defineOptions({ stride: option(1, is.intTuple(2, 1)) });
    assert.equal(t.resolve({}, optionsKey).stride, 1);
    assert.deepEqual(t.resolve({ stride: [2, 3] }, optionsKey).stride, [2, 3]);
    assert.throws(() => t.resolve({ stride: [2, 3, 4] }, optionsKey),
      /^TypeError: Expected a number or an array of 2 numbers for options.stride but received \[2,3,4\]$/);
    assert.throws(() => t.resolve({ stride: [2, 0] }, optionsKey), /^RangeError: Expected positive integer for options.stride\[1\]/);
  });

  it('defineDefaults states defaults checked elsewhere: values pass unchanged, REQUIRED stays undefined', () => {
    const d = defineDefaults<{ lr: number; momentum: number; betas: [number, number] }>({
      lr: REQUIRED, momentum: 0.9, betas: [0.9, 0.999],
    });
    assert.deepEqual(d.keys, ['lr', 'momentum', 'betas']);
    assert.deepEqual({ ...d.resolve({ lr: 0.1 }, (k) => k) }, { lr: 0.1, momentum: 0.9, betas: [0.9, 0.999] });
    assert.deepEqual({ ...d.resolve({ momentum: -1 }, (k) => k) }, { lr: undefined, momentum: -1, betas: [0.9, 0.999] });
    assert.deepEqual({ ...d.resolve({ lr: 1, extra: 2 } as object, (k) => k) }, { lr: 1, momentum: 0.9, betas: [0.9, 0.999] });
    const checked = defineOptions({ x: option(0, is.checkedLater<number>()) });
    assert.equal(checked.resolve({ x: 'anything' }, (k) => k).x, 'anything');
  });

  it('a table built at run time: defaults without the OPTIONAL/DERIVED/REQUIRED entries; checks without a minimum', () => {
    // Built here, not at module load, so that its construction runs inside a test.
    const local = defineOptions({ ...TABLE.specs, low: option([-3, -1] as const, is.range()), step: option(-2, is.intTuple(2)),
      n: option(-5, is.int()), x: option(-0.5, is.number()) });
    assert.deepEqual(local.defaults, { width: 32, rate: 0.5, scale: [0.08, 1], mode: 'a', low: [-3, -1], step: -2, n: -5, x: -0.5 });
    assert.deepEqual({ ...local.resolve({ count: 0, low: [-9, -8], step: [-1, -4], n: -7, x: -1e9 }, what) },
      { width: 32, rate: 0.5, scale: [0.08, 1], mode: 'a', size: undefined, hidden: undefined, count: 0, low: [-9, -8], step: [-1, -4],
        n: -7, x: -1e9 });
    // toJSON leaves the undefined options out (not as undefined keys).
    assert.deepEqual(Object.keys(local.toJSON(local.resolve({ count: 1 }, what))),
      ['width', 'rate', 'scale', 'mode', 'count', 'low', 'step', 'n', 'x']);
  });

  it('checkOptionKeys names unknown keys and lists the valid ones', () => {
    assert.throws(() => checkOptionKeys({ widht: 3, rat: 1 }, TABLE.keys, 'T'),
      /^TypeError: Unknown option\(s\) 'widht', 'rat' for T; expected some of width, rate, scale, mode, size, hidden, count$/);
    assert.throws(() => checkOptionKeys({ widht: 3 }, TABLE.keys, 'T'),
      /^TypeError: Unknown option\(s\) 'widht' for T; expected some of width, rate, scale, mode, size, hidden, count$/);
    assert.throws(() => checkOptionKeys(3, TABLE.keys, 'T'), /Expected an options object for T but received 3/);
    checkOptionKeys({ width: 3 }, TABLE.keys, 'T');
  });
});
