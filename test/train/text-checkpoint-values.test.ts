// Text checkpoints (BERT, ALBERT, CLIP runs) by value: the two files'
// contents, the round trip of weights, optimizer, global generator and the
// loop's record, the refusals by message, and no tensor left behind.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { Linear } from '../../lib/nn/layers/linear';
import { loadSafetensors, readSafetensorsMetadata, saveSafetensors } from '../../lib/torch/safetensors';
import { AdamW } from '../../lib/optim/adamw';
import { BaseOptions, Optimizer } from '../../lib/optim/optimizer';
import { restoreTextCheckpoint, saveTextCheckpoint } from '../../lib/train/text-checkpoint';
import { StepsProgress } from '../../lib/train/text-trainer';
import { toBase64 } from '../../lib/train/checkpoint';

const values = (t: Tensor): number[] => [...(t.contiguous().toTypedArray() as Float32Array)];

/** A linear layer and AdamW after one step, with the loop's record after 3 steps. */
function run(seed: number, outFeatures = 2): { module: Linear; progress: StepsProgress } {
  torch.manualSeed(seed);
  const module = new Linear(3, outFeatures);
  const optimizer = new AdamW(module.parameters(), { lr: 0.1 }) as unknown as Optimizer<BaseOptions>;
  torch.scope(() => module.forward(torch.ones([1, 3])).sum().backward());
  optimizer.step();
  return { module, progress: { step: 3, losses: [3, 2.5, 2], history: [{ step: 2, loss: 2.75 }], window: { loss: [2] }, seconds: 1.5, optimizer } };
}

describe('train/text-checkpoint by value', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-text-checkpoint-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('saves model.* and optimizer.* tensors with metadata, and the JSON: step, generator, data, optimizer, record, time', () => {
    const { module, progress } = run(0);
    torch.manualSeed(5);
    const rng = toBase64(torch.getRngState());
    const live = torch.memory().tensors;
    const files = saveTextCheckpoint(path.join(dir, 'checkpoints'), 'bert', module, progress, { cursor: 7 });
    assert.equal(torch.memory().tensors, live);
    const base = path.join(dir, 'checkpoints', 'step-00000003');
    assert.deepEqual(files, { json: `${base}.json`, safetensors: `${base}.safetensors`, step: 3 });
    const text = fs.readFileSync(files.json, 'utf8');
    const state = JSON.parse(text) as Record<string, unknown>;
    assert.equal(text, `${JSON.stringify(state)}\n`);
    assert.deepEqual({ ...state, time: undefined }, {
      format: 'selfsup-text-checkpoint', version: 1, method: 'bert', step: 3, rngState: rng, data: { cursor: 7 },
      optimizer: progress.optimizer.stateDict().json,
      progress: { step: 3, losses: [3, 2.5, 2], history: [{ step: 2, loss: 2.75 }], window: { loss: [2] }, seconds: 1.5 }, time: undefined,
    });
    assert.equal(new Date(state.time as string).toISOString(), state.time);
    assert.deepEqual(readSafetensorsMetadata(files.safetensors), { format: 'pt', method: 'bert', step: '3' });
    const saved = loadSafetensors(files.safetensors);
    const want = [...[...module.stateDict()].map(([k, v]) => [`model.${k}`, values(v)]),
      ...[...progress.optimizer.stateDict().tensors].map(([k, v]) => [`optimizer.${k}`, values(v)])];
    assert.deepEqual([...saved].map(([k, v]) => [k, values(v)]).sort(), want.sort());
  });

  it('restores the weights and the global generator, and hands back the state and the optimizer\'s half', () => {
    const a = run(0);
    torch.manualSeed(5);
    const draws = values(torch.randn([3]));
    torch.manualSeed(5);
    const files = saveTextCheckpoint(dir, 'clip', a.module, a.progress, null);
    const b = run(1);
    torch.manualSeed(99);
    const live = torch.memory().tensors;
    const { state, optimizer } = restoreTextCheckpoint(files, 'clip', b.module);
    // Only the optimizer's tensors are handed back (the model's were copied in and freed).
    assert.equal(torch.memory().tensors, live + optimizer.tensors.size);
    assert.deepEqual(values(torch.randn([3])), draws);
    assert.deepEqual([...b.module.stateDict()].map(([k, v]) => [k, values(v)]), [...a.module.stateDict()].map(([k, v]) => [k, values(v)]));
    assert.deepEqual(state.progress.losses, [3, 2.5, 2]);
    assert.deepEqual(optimizer.json, a.progress.optimizer.stateDict().json);
    assert.deepEqual([...optimizer.tensors].map(([k, v]) => [k, values(v)]),
      [...a.progress.optimizer.stateDict().tensors].map(([k, v]) => [k, values(v)]));
  });

  it('refuses another format, another method, and weights of another shape, naming the file; frees what it read', () => {
    const a = run(0);
    const files = saveTextCheckpoint(dir, 'bert', a.module, a.progress, null);
    const image = path.join(dir, 'image.json');
    fs.writeFileSync(image, JSON.stringify({ format: 'selfsup-checkpoint' }));
    assert.throws(() => restoreTextCheckpoint({ ...files, json: image }, 'bert', a.module), {
      message: `Expected a checkpoint of selfsup train bert|albert|clip in ${image} but its format is "selfsup-checkpoint"` });
    assert.throws(() => restoreTextCheckpoint(files, 'albert', a.module), {
      message: `Cannot resume from ${files.json}: it was saved by bert, but this run trains albert` });
    const wide = run(1, 4);
    const live = torch.memory().tensors;
    assert.throws(() => restoreTextCheckpoint(files, 'bert', wide.module),
      (e: Error) => e.message.startsWith(`Cannot resume from ${files.safetensors}: its weights do not fit the run's bert: Error loading state dict`) &&
        e.message.includes('weight: checkpoint [2, 3], model [4, 3]'));
    assert.equal(torch.memory().tensors, live);
    // A missing key is refused too (strict), and a tensor of neither half is dropped.
    const partial = path.join(dir, 'partial');
    const tensors = loadSafetensors(files.safetensors);
    tensors.delete('model.bias');
    tensors.set('other.x', torch.ones([1]));
    saveSafetensors(`${partial}.safetensors`, tensors);
    fs.copyFileSync(files.json, `${partial}.json`);
    assert.throws(() => restoreTextCheckpoint({ json: `${partial}.json`, safetensors: `${partial}.safetensors`, step: 3 }, 'bert', run(2).module),
      /missing keys: bias/);
    const extra = path.join(dir, 'extra');
    tensors.set('model.bias', a.module.stateDict().get('bias')!);
    saveSafetensors(`${extra}.safetensors`, tensors);
    fs.copyFileSync(files.json, `${extra}.json`);
    const c = run(3);
    const before = torch.memory().tensors;
    const { optimizer } = restoreTextCheckpoint({ json: `${extra}.json`, safetensors: `${extra}.safetensors`, step: 3 }, 'bert', c.module);
    assert.deepEqual([...optimizer.tensors.keys()].sort(), [...a.progress.optimizer.stateDict().tensors.keys()].sort());
    assert.equal(torch.memory().tensors, before + optimizer.tensors.size);
  });
});
