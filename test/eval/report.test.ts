// evaluateEncoder and formatReport: the rows and their numbers agree with
// the functions they are built from, the report survives JSON, the table
// reads as the README shows it, bad input fails before any work.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { evaluateEncoder, formatReport, EvalReport } from '../../lib/eval/report';
import { knn } from '../../lib/eval/knn';
import { linearProbe } from '../../lib/eval/linear-probe';
import { extractFeatures } from '../../lib/eval/features';
import { rawPixelFeatures, seededEncoder } from '../../lib/eval/floors';
import { synthetic } from '../../lib/data/synthetic';
import { disposeDataset, makeDataset, randomSplit, ImageDataset } from '../../lib/data/dataset';
import { SmallCnn } from '../../lib/models/small-cnn';

describe('eval: report', function () {
  this.timeout(120000);
  let train: ImageDataset;
  let test: ImageDataset;
  const factory = () => new SmallCnn({ inChannels: 1, width: 4 });
  before(() => {
    // One dataset split in two: the classes' patterns depend on the synthetic seed.
    const full = synthetic({ n: 500, channels: 1, size: 12, classes: 5, seed: 1 });
    [train, test] = randomSplit(full, [400, 100], { seed: 0 });
    disposeDataset(full);
  });
  after(() => {
    disposeDataset(train);
    disposeDataset(test);
  });

  it('evaluates the encoder and both floors, with the same numbers as knn on the same features', async () => {
    const encoder = seededEncoder(factory, 5);
    const lines: string[] = [];
    const report = await evaluateEncoder(encoder, { train, test, randomEncoder: factory, k: [5, 50], log: (l) => lines.push(l),
      linearOptions: { epochs: 3 } });
    assert.deepEqual(report.rows.map((r) => r.name), ['raw pixels', 'random encoder', 'trained encoder']);
    assert.deepEqual(report.k, [5, 50]);
    assert.equal(report.temperature, 0.07);
    assert.deepEqual(report.train, { name: train.name, size: 400 });
    assert.deepEqual(report.test, { name: test.name, size: 100 });
    assert.equal(report.rows[0].featureDim, 144);
    assert.equal(report.rows[2].featureDim, 16);
    torch.scope(() => {
      const raw = knn(rawPixelFeatures(train), rawPixelFeatures(test), { k: [5, 50] });
      assert.deepEqual(report.rows[0].knn, { 5: raw.top1[5], 50: raw.top1[50] });
      const opts = { mean: train.mean, std: train.std };
      const random = seededEncoder(factory, 0);
      const r = knn(extractFeatures(random, train, opts), extractFeatures(random, test, opts), { k: [5, 50] });
      assert.deepEqual(report.rows[1].knn, { 5: r.top1[5], 50: r.top1[50] });
      const t = knn(extractFeatures(encoder, train, opts), extractFeatures(encoder, test, opts), { k: [5, 50] });
      assert.deepEqual(report.rows[2].knn, { 5: t.top1[5], 50: t.top1[50] });
    });
    for (const row of report.rows) {
      assert.ok(row.linear! > 0.5 && row.linear! <= 1 && row.linearTrain! > 0.5, `${row.name} linear ${row.linear}`);
      assert.ok(row.knnTop5 !== undefined && row.seconds >= 0);
    }
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^eval: raw pixels: k-NN@5 \d+\.\d%, k-NN@50 \d+\.\d%, linear \d+\.\d% \(\d+\.\d s\)$/);
    // JSON-able: numbers and strings only.
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
    assert.equal(encoder.training, true);
  });

  it('the linear probe numbers equal linearProbe on the same features: top1 on the test split, linearTrain on the training split', async () => {
    // Test labels shifted by one class: the probe that fits the training split scores low on this test split, so
    // a probe measured on the wrong split cannot give the same numbers.
    // Its own (wrong) statistics: every encoder must see it normalised with the training split's.
    const shifted = makeDataset({ name: 'shifted', images: test.images.clone(), labels: test.labels!.add(1).remainder(5),
      mean: [0.9], std: [0.1] });
    try {
      const encoder = seededEncoder(factory, 5);
      const linearOptions = { epochs: 3, lr: 0.05 };
      const report = await evaluateEncoder(encoder, { train, test: shifted, knn: false, linearOptions });
      assert.deepEqual(report.rows.map((r) => r.name), ['raw pixels', 'trained encoder']);
      torch.scope(() => {
        const opts = { mean: train.mean, std: train.std };
        const raw = linearProbe(rawPixelFeatures(train), rawPixelFeatures(shifted), linearOptions);
        const enc = linearProbe(extractFeatures(encoder, train, opts), extractFeatures(encoder, shifted, opts), linearOptions);
        for (const [row, r] of [[report.rows[0], raw], [report.rows[1], enc]] as const) {
          assert.equal(row.linear, r.top1, `${row.name} linear`);
          assert.equal(row.linearTrain, r.trainTop1, `${row.name} linearTrain`);
          assert.ok(r.trainTop1 - r.top1 > 0.2, `${row.name}: train ${r.trainTop1} vs test ${r.top1} do not tell the splits apart`);
        }
      });
    } finally {
      disposeDataset(shifted);
    }
  });

  it('a training subset and a temperature: the rows equal k-NN and the probe on the seeded subset\'s features', async () => {
    const encoder = seededEncoder(factory, 5);
    const linearOptions = { epochs: 2 };
    const report = await evaluateEncoder(encoder, { train, test, k: [7], trainSubset: 150, subsetSeed: 4, linearOptions,
      temperature: 0.5, randomEncoder: factory, randomSeed: 2 });
    assert.equal(report.train.size, 150);
    assert.equal(report.temperature, 0.5);
    assert.deepEqual(report.rows.map((r) => r.name), ['raw pixels', 'random encoder', 'trained encoder']);
    torch.scope(() => {
      const indices = torch.randperm(train.length, { generator: new torch.Generator().manualSeed(4) }).narrow(0, 0, 150);
      const opts = { mean: train.mean, std: train.std };
      const bank = extractFeatures(encoder, train, { ...opts, indices });
      const queries = extractFeatures(encoder, test, opts);
      assert.equal(bank.features.shape[0], 150);
      assert.deepEqual(report.rows[2].knn, { 7: knn(bank, queries, { k: [7], temperature: 0.5 }).top1[7] });
      const probe = linearProbe(bank, queries, linearOptions);
      assert.equal(report.rows[2].linear, probe.top1);
      assert.equal(report.rows[2].linearTrain, probe.trainTop1);
      // The floors on the same subset; the random encoder built under randomSeed.
      const rawBank = rawPixelFeatures(train, { indices });
      const raw = knn(rawBank, rawPixelFeatures(test), { k: [7], temperature: 0.5 });
      assert.deepEqual(report.rows[0].knn, { 7: raw.top1[7] });
      const rawProbe = linearProbe(rawBank, rawPixelFeatures(test), linearOptions);
      assert.equal(report.rows[0].linearTrain, rawProbe.trainTop1);
      const random = seededEncoder(factory, 2);
      const r = knn(extractFeatures(random, train, { ...opts, indices }), extractFeatures(random, test, opts), { k: [7], temperature: 0.5 });
      assert.deepEqual(report.rows[1].knn, { 7: r.top1[7] });
      const seed0 = seededEncoder(factory, 0);
      const r0 = knn(extractFeatures(seed0, train, { ...opts, indices }), extractFeatures(seed0, test, opts), { k: [7], temperature: 0.5 });
      assert.notDeepEqual(r0.top1, r.top1, 'randomSeed 2 and the default 0 give the same floor here');
    });
  });

  it('lets the event loop run between rows, frees the random encoder, and reports the call\'s wall time', async () => {
    const encoder = factory();
    const events: string[] = [];
    const randoms: SmallCnn[] = [];
    const randomEncoder = () => {
      const m = factory();
      randoms.push(m);
      return m;
    };
    const options = { train, test, linear: false, k: [5], trainSubset: 60, randomEncoder,
      // A log line schedules a macrotask: it runs before the next row only if the report yields to the event loop.
      log: (line: string) => {
        events.push(line.split(':')[1].trim());
        setImmediate(() => events.push('tick'));
      } };
    const before = Date.now();
    const report = await evaluateEncoder(encoder, options);
    const after = Date.now();
    assert.deepEqual(events.slice(0, 5), ['raw pixels', 'tick', 'random encoder', 'tick', 'trained encoder']);
    // The random encoder's weights are freed when its row is done, the caller's encoder is not touched.
    assert.equal(randoms.length, 1);
    assert.ok(randoms[0].parameters().length > 0 && randoms[0].parameters().every((p) => p.isDisposed), 'random encoder freed');
    assert.ok(encoder.parameters().every((p) => !p.isDisposed));
    // seconds: the call's duration in seconds; the rows' disjoint durations (whole milliseconds) fit inside it.
    const rowMs = report.rows.reduce((sum, r) => sum + Math.round(r.seconds * 1000), 0);
    for (const r of report.rows) assert.ok(r.seconds >= 0 && r.seconds <= report.seconds, `${r.name}: ${r.seconds} s`);
    assert.ok(report.seconds * 1000 >= rowMs - 1e-6 && report.seconds <= (after - before) / 1000,
      `seconds ${report.seconds}: rows ${rowMs} ms, call ${after - before} ms`);
    assert.ok(after - before >= 1, 'the call took at least a millisecond');
  });

  it('formats a table with one decimal, and leaves out what was not measured', () => {
    const report: EvalReport = {
      train: { name: 'a', size: 10 }, test: { name: 'b', size: 5 }, k: [20, 200], temperature: 0.07, seconds: 1,
      rows: [
        { name: 'raw pixels', featureDim: 784, knn: { 20: 0.8459, 200: 0.7913 }, linear: 0.8412, seconds: 1 },
        { name: 'random encoder', featureDim: 128, knn: { 20: 0.766, 200: 0.7171 }, seconds: 1 },
        { name: 'trained encoder', featureDim: 128, knn: { 20: 0.8601, 200: 0.83 }, linear: 0.86049, seconds: 1 },
      ],
    };
    assert.equal(formatReport(report), [
      '                    k-NN@20  k-NN@200  linear',
      'raw pixels             84.6      79.1    84.1',
      'random encoder         76.6      71.7       -',
      'trained encoder        86.0      83.0    86.0',
    ].join('\n'));
    const knnOnly = { ...report, rows: report.rows.map(({ linear: _, ...r }) => r) };
    assert.equal(formatReport(knnOnly).split('\n')[0], '                    k-NN@20  k-NN@200');
    assert.throws(() => formatReport({} as EvalReport), /Expected an EvalReport \(from evaluateEncoder\)/);
  });

  it('evaluates k-NN only on a training subset, without floors, and frees what it creates', async () => {
    const encoder = factory();
    await evaluateEncoder(encoder, { train, test, linear: false, floors: false, k: [10], trainSubset: 100 });
    const before = torch.memory().tensors;
    const report = await evaluateEncoder(encoder, { train, test, linear: false, floors: false, k: [10], trainSubset: 100 });
    assert.equal(torch.memory().tensors, before);
    assert.equal(report.rows.length, 1);
    assert.equal(report.train.size, 100);
    assert.equal(report.rows[0].linear, undefined);
    assert.equal(formatReport(report).split('\n')[1].trim().split(/\s+/).length, 3); // 'trained encoder' + 1 number
  });

  it('each row\'s log line and fields follow the measurements asked for: k-NN only, probe only, top-5 with 5 classes or more', async () => {
    const encoder = seededEncoder(factory, 5);
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const knnOnly = await evaluateEncoder(encoder, { train, test, linear: false, floors: false, k: [5, 9], trainSubset: 60, log });
    const probeOnly = await evaluateEncoder(encoder, { train, test, knn: false, floors: false, trainSubset: 60, log,
      linearOptions: { epochs: 1 } });
    const [k, p] = [knnOnly.rows[0], probeOnly.rows[0]];
    assert.deepEqual([k.linear, k.linearTrain, p.knn, p.knnTop5], [undefined, undefined, undefined, undefined]);
    const pct = (x: number) => (100 * x).toFixed(1);
    assert.equal(lines[0], `eval: trained encoder: k-NN@5 ${pct(k.knn!['5'])}%, k-NN@9 ${pct(k.knn!['9'])}% (${k.seconds.toFixed(1)} s)`);
    assert.equal(lines[1], `eval: trained encoder: linear ${pct(p.linear!)}% (${p.seconds.toFixed(1)} s)`);
    // Top-5 is measured with 5 classes or more (these have 5): it equals knn's; with 3 classes there is none.
    torch.scope(() => {
      const indices = torch.randperm(train.length, { generator: new torch.Generator().manualSeed(0) }).narrow(0, 0, 60);
      const opts = { mean: train.mean, std: train.std };
      const r = knn(extractFeatures(encoder, train, { ...opts, indices }), extractFeatures(encoder, test, opts), { k: [5, 9] });
      assert.deepEqual(k.knnTop5, { 5: r.top5![5], 9: r.top5![9] });
    });
    const three = synthetic({ n: 60, channels: 1, size: 12, classes: 3, seed: 2 });
    try {
      const r3 = await evaluateEncoder(encoder, { train: three, test: three, linear: false, floors: false, k: [5] });
      assert.equal(r3.rows[0].knnTop5, undefined);
      assert.equal(typeof r3.rows[0].knn!['5'], 'number');
    } finally {
      disposeDataset(three);
    }
    // A k as large as the training images used is allowed; with it every image of the bank votes, so the
    // raw-pixel floor on the seeded subset of 60 differs from the whole split's 60 nearest.
    const all = await evaluateEncoder(encoder, { train, test, linear: false, k: [60], trainSubset: 60 });
    torch.scope(() => {
      const indices = torch.randperm(train.length, { generator: new torch.Generator().manualSeed(0) }).narrow(0, 0, 60);
      const onSubset = knn(rawPixelFeatures(train, { indices }), rawPixelFeatures(test), { k: [60] }).top1[60];
      const onAll = knn(rawPixelFeatures(train), rawPixelFeatures(test), { k: [60] }).top1[60];
      assert.notEqual(onSubset, onAll, 'the subset and the whole split give the same floor here');
      assert.deepEqual(all.rows[0].knn, { 60: onSubset });
    });
  });

  it('rejects bad arguments by name: the encoder, each split, the sizes, the options', async () => {
    const encoder = factory();
    const refuses = (p: Promise<unknown>, type: typeof TypeError | typeof RangeError, message: string) =>
      assert.rejects(p, (err: Error) => {
        assert.ok(err instanceof type, `${err.name}: ${err.message}`);
        assert.equal(err.message, message);
        return true;
      });
    for (const bad of [null, 5, {}, { forward: 5 }]) {
      await refuses(evaluateEncoder(bad as unknown as SmallCnn, { train, test }), TypeError,
        `Expected an Encoder (a Module with forward) for evaluateEncoder but received ${String(bad)}`);
    }
    for (const split of ['train', 'test'] as const) {
      for (const bad of [null, 'mnist', { name: 'x', images: [1] }, { ...test, images: torch.zeros([2, 12, 12]) }]) {
        await refuses(evaluateEncoder(encoder, { train, test, [split]: bad as unknown as ImageDataset }), TypeError,
          `Expected an ImageDataset with (N, C, H, W) images for options.${split} but received ${String(bad)}`);
      }
    }
    const unlabelled = makeDataset({ name: 'nolabels', images: train.images, mean: [0], std: [1] });
    await refuses(evaluateEncoder(encoder, { train: unlabelled, test }), TypeError,
      "Dataset 'nolabels' (options.train) has no labels: k-NN and the linear probe need a labelled dataset, e.g. " +
      "data.fashionMnist({ split: 'test' }) or an image folder with class subfolders");
    // One dimension differing is enough: channels, height, width.
    for (const [shape, seen] of [[[2, 3, 12, 12], '3x12x12'], [[2, 1, 10, 12], '1x10x12'], [[2, 1, 12, 10], '1x12x10']] as const) {
      const other = makeDataset({ name: 'other', images: torch.zeros([...shape], { dtype: 'uint8' }),
        labels: torch.zeros([2], { dtype: 'int64' }) });
      await refuses(evaluateEncoder(encoder, { train, test: other }), RangeError,
        `train images are 1x12x12 but test images are ${seen}: evaluate on two splits of the same dataset`);
      disposeDataset(other);
    }
    await refuses(evaluateEncoder(encoder, { train, test, trainSubset: 401 }), RangeError,
      `Expected options.trainSubset at most 400 (the size of '${train.name}') but received 401`);
    await refuses(evaluateEncoder(encoder, { train, test, batchSize: 0 }), RangeError,
      'Expected positive integer for options.batchSize but received 0');
    await refuses(evaluateEncoder(encoder, { train, test, randomEncoder: 'small_cnn' as unknown as () => SmallCnn }), TypeError,
      'Expected a function that builds an untrained encoder for options.randomEncoder but received small_cnn');
  });

  it('rejects bad input before any work', async () => {
    const encoder = factory();
    const unlabelled = makeDataset({ name: 'nolabels', images: test.images, mean: [0], std: [1] });
    await assert.rejects(evaluateEncoder(encoder, { train, test: unlabelled }),
      /Dataset 'nolabels' \(options.test\) has no labels: k-NN and the linear probe need a labelled dataset/);
    await assert.rejects(evaluateEncoder(encoder, { train, test, trainSubset: 1000 }),
      /Expected options.trainSubset at most 400/);
    await assert.rejects(evaluateEncoder(encoder, { train, test, trainSubset: 100 }),
      /Expected every k in options.k to be at most 100 \(the training images used\) but received 200/);
    const big = makeDataset({ name: 'big', images: torch.zeros([2, 1, 16, 16], { dtype: 'uint8' }),
      labels: torch.zeros([2], { dtype: 'int64' }) });
    await assert.rejects(evaluateEncoder(encoder, { train, test: big }),
      /train images are 1x12x12 but test images are 1x16x16: evaluate on two splits of the same dataset/);
    await assert.rejects(evaluateEncoder(encoder, { train, test, device: 'cuda' }),
      /The encoder's parameters are on cpu but options.device is cuda/);
    disposeDataset(big);
  });
});
