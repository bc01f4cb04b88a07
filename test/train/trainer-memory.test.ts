// A Trainer that is done leaves no tensor behind, however its fit() ended:
// completed, interrupted, failed on a NaN loss, with the k-NN monitor, with
// the graphed step's rehearsal, and a Trainer that never trained (issue 14
// part 1: on CUDA each of these would be device memory held until exit).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as torch from '../../lib/torch';
import { synthetic } from '../../lib/data/synthetic';
import { Trainer, TrainerOptions } from '../../lib/train';
import { Method } from '../../lib/ssl/method';
import { BYOL } from '../../lib/ssl/byol';
import { ToyMethod, ToyOptions } from './toy-method';

const data = synthetic({ n: 64, channels: 1, size: 8, classes: 4, seed: 1 });
const colour = synthetic({ n: 64, channels: 3, size: 16, classes: 4, seed: 3 });
const byol = (): Method =>
  new BYOL({ encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 8 }, hiddenDim: 64, outDim: 32 });

async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    global.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Live tensors after building a method, training it as `options` say, and disposing the method, minus before. */
async function leftBehind(options: Partial<TrainerOptions>, toy: ToyOptions | (() => Method) = {}, expectError?: RegExp): Promise<number> {
  await settle();
  const before = torch.memory().tensors;
  torch.manualSeed(123);
  const method = typeof toy === 'function' ? toy() : new ToyMethod(toy);
  const trainer = new Trainer(method, {
    data: typeof toy === 'function' ? colour : data, batchSize: 16, steps: 8, progress: 'none', logEvery: 1,
    handleSigint: false, ...options,
  });
  if (expectError === undefined) await trainer.fit();
  else await assert.rejects(trainer.fit(), expectError);
  method.dispose();
  // NOTE: no collection here: what the finalizers would free later (device
  // memory held until the collector runs) counts as left behind.
  return torch.memory().tensors - before;
}

describe('Trainer memory: nothing left behind', () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  it('after a completed run with a run folder and the online k-NN monitor', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-train-')), 'run');
    dirs.push(path.dirname(out));
    assert.equal(await leftBehind({ out, monitor: { train: data, test: data, everyEpochs: 1, trainSubset: 32, testSubset: 16 } }), 0);
  });

  it('after an interrupted run (the signal aborts mid-epoch)', async () => {
    const abort = new AbortController();
    const left = await leftBehind({ signal: abort.signal, onLog: (r) => { if (r.type === 'step' && r.step === 2) abort.abort(); } });
    assert.equal(left, 0);
  });

  it('after a run that stops on a NaN loss', async () => {
    assert.equal(await leftBehind({}, { nanAtStep: 5 }, /Loss is NaN at step 5/), 0);
  });

  it("after a run through the graphed step's rehearsal (static buffers, device scalars)", async () => {
    assert.equal(await leftBehind({ cudaGraph: 'rehearse', channelsLast: true }, byol), 0);
  });

  it('when the Trainer never trained', async () => {
    await settle();
    const before = torch.memory().tensors;
    const method = new ToyMethod({});
    new Trainer(method, { data, batchSize: 16, steps: 4, progress: 'none', handleSigint: false });
    method.dispose();
    assert.equal(torch.memory().tensors - before, 0);
  });
});
