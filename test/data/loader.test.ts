// The Loader: batches match the dataset at their indices, the order depends
// only on (seed, epoch), resume is exact, and nothing leaks.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { ImageDataset, makeDataset } from '../../lib/data/dataset';
import { Batch, disposeBatch, Loader } from '../../lib/data/loader';

/** N images of 1x2x2 whose pixels are (i, i, i, 255 - i), labels i % 3. */
function numbered(n: number): ImageDataset {
  const px = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) px.set([i, i, i, 255 - i], 4 * i);
  return makeDataset({ name: `numbered-${n}`, images: torch.tensor(px, { shape: [n, 1, 2, 2] }),
    labels: torch.arange(n).remainder(3), classes: ['a', 'b', 'c'] });
}

async function collect(it: AsyncIterable<Batch>): Promise<{ steps: number[]; indices: number[][]; first: number[][]; labels: number[][] }> {
  const out = { steps: [] as number[], indices: [] as number[][], first: [] as number[][], labels: [] as number[][] };
  for await (const b of it) {
    out.steps.push(b.step);
    out.indices.push(b.indices.toArray() as number[]);
    out.first.push(torch.scope(() => b.images.select(1, 0).select(1, 0).select(1, 0).toArray() as number[]));
    out.labels.push(b.labels!.toArray() as number[]);
    disposeBatch(b);
  }
  return out;
}

describe('data: Loader', () => {
  const ds = numbered(50);
  after(() => { ds.images.dispose(); ds.labels!.dispose(); });

  it('yields length batches whose images and labels are the dataset rows at their indices', async () => {
    const loader = new Loader(ds, { batchSize: 8 });
    assert.equal(loader.length, 6);
    let count = 0;
    const seen = new Set<number>();
    for await (const b of loader.epoch(0)) {
      assert.equal(b.step, count++);
      assert.equal(b.epoch, 0);
      assert.deepEqual(b.images.shape, [8, 1, 2, 2]);
      assert.equal(b.images.dtype, 'uint8');
      assert.equal(b.images.device, 'cpu');
      const idx = b.indices.toArray() as number[];
      assert.deepEqual(b.images.toArray(), idx.map((i) => [[[i, i], [i, 255 - i]]]));
      assert.deepEqual(b.labels!.toArray(), idx.map((i) => i % 3));
      idx.forEach((i) => seen.add(i));
      disposeBatch(b);
    }
    assert.equal(count, 6);
    assert.equal(seen.size, 48); // distinct images; the two left out are dropped
  });

  it('the order depends only on (seed, epoch): same for a new loader, different across epochs and seeds', async () => {
    const a = await collect(new Loader(ds, { batchSize: 10, seed: 5 }).epoch(3));
    const b = await collect(new Loader(ds, { batchSize: 10, seed: 5 }).epoch(3));
    const c = await collect(new Loader(ds, { batchSize: 10, seed: 5 }).epoch(4));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.indices, c.indices);
    const d = await collect(new Loader(ds, { batchSize: 10, seed: 6 }).epoch(3));
    assert.notDeepEqual(a.indices, d.indices);
    // Epoch e is randperm with a generator seeded with seed + e.
    const expected = torch.randperm(50, { generator: new torch.Generator().manualSeed(8) }).toArray();
    assert.deepEqual(a.indices.flat(), expected);
    // 50 images in batches of 10: a full epoch visits every image exactly once.
    const all = await collect(new Loader(ds, { batchSize: 10, seed: 5, dropLast: true }).epoch(1));
    assert.deepEqual(all.indices.flat().sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  });

  it('epoch(e, { startStep: k }) yields exactly batches k.. of epoch(e), and state() tells where to resume', async () => {
    const loader = new Loader(ds, { batchSize: 7, seed: 1 });
    const whole = await collect(loader.epoch(2));
    assert.deepEqual(loader.state(), { epoch: 3, step: 0 });
    const resumed = await collect(new Loader(ds, { batchSize: 7, seed: 1 }).epoch(2, { startStep: 4 }));
    assert.deepEqual(resumed.steps, [4, 5, 6]);
    assert.deepEqual(resumed.indices, whole.indices.slice(4));
    assert.deepEqual(resumed.first, whole.first.slice(4));
    assert.deepEqual(resumed.labels, whole.labels.slice(4));
    // Interrupt after step 2, then resume from state().
    const it = loader.epoch(2);
    for await (const b of it) {
      disposeBatch(b);
      if (b.step === 2) break;
    }
    const s = loader.state();
    assert.deepEqual(s, { epoch: 2, step: 3 });
    const rest = await collect(loader.epoch(s.epoch, { startStep: s.step }));
    assert.deepEqual(rest.indices, whole.indices.slice(3));
    assert.deepEqual((await collect(loader.epoch(2, { startStep: 7 }))).steps, []);
    await assert.rejects(async () => { for await (const b of loader.epoch(2, { startStep: 8 })) disposeBatch(b); },
      /Expected startStep in 0\.\.7 \(the loader has 7 batches per epoch\) but received 8/);
  });

  it('shuffle false visits the dataset in order; dropLast false keeps the short last batch', async () => {
    const loader = new Loader(ds, { batchSize: 16, shuffle: false, dropLast: false });
    assert.equal(loader.length, 4);
    const got = await collect(loader.epoch(0));
    assert.deepEqual(got.indices.map((b) => b.length), [16, 16, 16, 2]);
    assert.deepEqual(got.indices.flat(), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(got.first[3], [48, 49]);
  });

  it('a batch larger than the dataset is an error with dropLast, one short batch without', async () => {
    assert.throws(() => new Loader(ds, { batchSize: 64 }),
      /batchSize 64 is larger than dataset 'numbered-50' \(50 images\), and dropLast is true, so an epoch would have no batch/);
    const loader = new Loader(ds, { batchSize: 64, dropLast: false });
    assert.equal(loader.length, 1);
    assert.deepEqual((await collect(loader.epoch(0))).indices.map((b) => b.length), [50]);
    assert.throws(() => new Loader(ds, { batchSize: 0 }), /Expected positive integer for batchSize but received 0/);
    assert.throws(() => new Loader(ds, { batchSize: 4, device: 'gpu' as 'cpu' }), /Expected 'cpu', 'cuda' or 'cuda:N' for device/);
    assert.throws(() => new Loader(ds, { batchSize: 4, shuffle: 'yes' as unknown as boolean }),
      /^TypeError: Expected true or false for shuffle but received 'yes'$/);
  });

  it('a transform receives the uint8 batch and its result is yielded; batch tensors it drops are freed', async () => {
    const loader = new Loader(ds, {
      batchSize: 5, seed: 2,
      transform: (images, batch) => ({ x: images.float().div(255), labels: batch.labels!, step: batch.step }),
    });
    const before = torch.memory().tensors;
    const plain = await collect(new Loader(ds, { batchSize: 5, seed: 2 }).epoch(0));
    let step = 0;
    for await (const out of loader.epoch(0)) {
      assert.equal(out.step, step);
      assert.equal(out.x.dtype, 'float32');
      assert.deepEqual(out.labels.toArray(), plain.labels[step]);
      const v = torch.scope(() => out.x.select(1, 0).select(1, 0).select(1, 0).toArray() as number[]).map((f) => Math.round(f * 255));
      assert.deepEqual(v, plain.first[step]);
      step++;
      disposeBatch(out);
    }
    assert.equal(step, 10);
    assert.equal(torch.memory().tensors, before);
  });

  it('leaves the live tensor count flat over epochs, with early breaks and prefetch 0..3', async () => {
    const before = torch.memory().tensors;
    for (const prefetch of [0, 1, 3]) {
      const loader = new Loader(ds, { batchSize: 4, prefetch, seed: prefetch });
      for (let e = 0; e < 2; e++) {
        for await (const b of loader.epoch(e)) {
          torch.scope(() => { b.images.float().mean().add(b.labels!.sum()).item(); });
          disposeBatch(b);
        }
        assert.equal(torch.memory().tensors, before, `after epoch ${e} with prefetch ${prefetch}`);
      }
      // Breaking out frees the batches prepared ahead and the epoch's order.
      for await (const b of loader.epoch(5)) {
        disposeBatch(b);
        if (b.step === 1) break;
      }
      assert.equal(torch.memory().tensors, before, `after a break with prefetch ${prefetch}`);
    }
  });

  it('prepares the next batch before the consumer asks for it', async () => {
    const prepared: number[] = [];
    const loader = new Loader(ds, { batchSize: 10, transform: (images, b) => { prepared.push(b.step); return { images, step: b.step }; } });
    const it = loader.epoch(0)[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.done, false);
    assert.deepEqual(prepared, [0, 1]); // batch 1 was gathered while batch 0 is in the consumer's hands
    disposeBatch(first.value);
    await it.return(undefined);
  });
});
