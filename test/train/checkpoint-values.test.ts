// Checkpoints by value: the two files' contents, the folder's listing, pruning
// and lookup, every refusal by its message, and a run's state (weights,
// optimizer, generators, schedulers, ranks) restored to what was saved.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { loadSafetensors, readSafetensorsMetadata } from '../../lib/torch/safetensors';
import { SGD } from '../../lib/optim/sgd';
import {
  checkpointName, findCheckpoint, fromBase64, listCheckpoints, pruneCheckpoints, readCheckpoint, restoreCheckpoint,
  restoreRunState, RunParts, saveCheckpoint, saveRunState, toBase64,
} from '../../lib/train/checkpoint';
import { ToyMethod } from './toy-method';

/** A toy method and an SGD with momentum after one step (so the optimizer has state tensors). */
function trained(seed: number, o: { name?: 'simclr' | 'byol'; outDim?: number } = {}): { method: ToyMethod; optimizer: SGD } {
  torch.manualSeed(seed);
  const method = new ToyMethod(o);
  const optimizer = new SGD(method.parameters(), { lr: 0.1, momentum: 0.9 });
  torch.scope(() => {
    let loss = torch.zeros([]);
    for (const p of method.parameters()) loss = loss.add(p.pow(2).sum());
    loss.backward();
  });
  optimizer.step();
  optimizer.zeroGrad();
  return { method, optimizer };
}

const values = (t: Tensor): number[] => [...(t.contiguous().toTypedArray() as Float32Array)];

class Scheduler {
  constructor(public lastStep: number) {}
  loadStateDict(s: { lastStep: number }): void {
    this.lastStep = s.lastStep;
  }
}

describe('train/checkpoint by value', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-checkpoint-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names, base64 both ways', () => {
    assert.equal(checkpointName(123), 'step-00000123');
    assert.equal(checkpointName(0), 'step-00000000');
    assert.equal(checkpointName(123456789), 'step-123456789');
    const bytes = torch.tensor(new Uint8Array([0, 1, 255, 7, 8]));
    assert.equal(toBase64(bytes), Buffer.from([0, 1, 255, 7, 8]).toString('base64'));
    assert.equal(toBase64(bytes.narrow(0, 2, 2)), Buffer.from([255, 7]).toString('base64'));
    assert.deepEqual([...fromBase64('AAH/BwgA').toTypedArray()], [0, 1, 255, 7, 8, 0]);
    assert.equal(fromBase64('AAH/').dtype, 'uint8');
  });

  it('saveCheckpoint: model.* and optimizer.* tensors, metadata, and the JSON with its fields in order', () => {
    const { method, optimizer } = trained(0);
    const before = new Date().toISOString();
    const files = saveCheckpoint(path.join(dir, 'a', 'checkpoints'), method, optimizer,
      { step: 12, epoch: 3, loader: { epoch: 3, step: 2 }, rngState: 'AA==', augmentationState: 'AQ==', schedulers: { lr: 12, wd: 11 }, elapsed: 4.5 });
    const base = path.join(dir, 'a', 'checkpoints', 'step-00000012');
    assert.deepEqual(files, { json: `${base}.json`, safetensors: `${base}.safetensors`, step: 12 });
    const text = fs.readFileSync(files.json, 'utf8');
    const state = JSON.parse(text) as Record<string, unknown>;
    assert.equal(text, `${JSON.stringify(state, null, 1)}\n`);
    assert.deepEqual(Object.keys(state), ['format', 'version', 'method', 'step', 'epoch', 'loader', 'rngState', 'augmentationState',
      'schedulers', 'elapsed', 'optimizer', 'time']);
    assert.deepEqual({ ...state, time: undefined }, {
      format: 'selfsup-checkpoint', version: 1, method: 'simclr', step: 12, epoch: 3, loader: { epoch: 3, step: 2 }, rngState: 'AA==',
      augmentationState: 'AQ==', schedulers: { lr: 12, wd: 11 }, elapsed: 4.5, optimizer: optimizer.stateDict().json, time: undefined,
    });
    assert.ok((state.time as string) >= before && (state.time as string) <= new Date().toISOString(), state.time as string);
    assert.deepEqual(readSafetensorsMetadata(files.safetensors), { format: 'pt', method: 'simclr', step: '12' });
    const saved = loadSafetensors(files.safetensors);
    const model = [...method.stateDict()].map(([k, v]) => [`model.${k}`, values(v)]);
    const opt = [...optimizer.stateDict().tensors].map(([k, v]) => [`optimizer.${k}`, values(v)]);
    assert.ok(opt.length > 0);
    assert.deepEqual([...saved].map(([k, v]) => [k, values(v)]).sort(), [...model, ...opt].sort());
  });

  it('listCheckpoints: complete pairs of step-NNNNNNNN files only, by step; pruneCheckpoints keeps the newest', () => {
    assert.deepEqual(listCheckpoints(path.join(dir, 'none')), []);
    const touch = (name: string): void => fs.writeFileSync(path.join(dir, name), '');
    for (const s of ['00000002', '00000010', '20000000', '100000000']) {
      touch(`step-${s}.json`);
      touch(`step-${s}.safetensors`);
    }
    touch('step-00000005.json'); // no weights: incomplete
    touch('step-00000007.safetensors'); // no JSON: incomplete
    touch('step-123.json'); // not 8 digits
    touch('step-123.safetensors');
    touch('step-00000009.json.tmp');
    touch('other.json');
    const at = (s: string) => ({ json: path.join(dir, `step-${s}.json`), safetensors: path.join(dir, `step-${s}.safetensors`), step: Number(s) });
    assert.deepEqual(listCheckpoints(dir), [at('00000002'), at('00000010'), at('20000000'), at('100000000')]);
    pruneCheckpoints(dir, 10);
    assert.equal(listCheckpoints(dir).length, 4);
    pruneCheckpoints(dir, 2);
    assert.deepEqual(listCheckpoints(dir), [at('20000000'), at('100000000')]);
    for (const gone of ['step-00000002.json', 'step-00000002.safetensors', 'step-00000010.json', 'step-00000010.safetensors']) {
      assert.equal(fs.existsSync(path.join(dir, gone)), false, gone);
    }
    assert.equal(fs.existsSync(path.join(dir, 'step-00000005.json')), true);
    pruneCheckpoints(dir, 0);
    assert.deepEqual(listCheckpoints(dir), []);
    pruneCheckpoints(path.join(dir, 'none'), 1); // a missing folder: nothing to do
  });

  it('findCheckpoint: a run folder, a checkpoints folder or either file; refusals by message', () => {
    const run = path.join(dir, 'run');
    const ck = path.join(run, 'checkpoints');
    fs.mkdirSync(ck, { recursive: true });
    const missing = path.join(dir, 'nope');
    assert.throws(() => findCheckpoint(missing), { message: `Cannot resume from '${missing}': no such file or folder` });
    assert.throws(() => findCheckpoint(run), {
      message: `Cannot resume from '${run}': it holds no checkpoint (expected checkpoints/step-XXXXXXXX.json and .safetensors)` });
    for (const s of ['00000004', '00000008']) {
      fs.writeFileSync(path.join(ck, `step-${s}.json`), '');
      fs.writeFileSync(path.join(ck, `step-${s}.safetensors`), '');
    }
    const newest = { json: path.join(ck, 'step-00000008.json'), safetensors: path.join(ck, 'step-00000008.safetensors'), step: 8 };
    assert.deepEqual(findCheckpoint(run), newest);
    assert.deepEqual(findCheckpoint(ck), newest);
    const older = { json: path.join(ck, 'step-00000004.json'), safetensors: path.join(ck, 'step-00000004.safetensors'), step: 4 };
    assert.deepEqual(findCheckpoint(older.json), older);
    assert.deepEqual(findCheckpoint(older.safetensors), older);
    fs.writeFileSync(path.join(dir, 'mine.json'), '');
    assert.throws(() => findCheckpoint(path.join(dir, 'mine.json')), {
      message: `Cannot resume from '${path.join(dir, 'mine.json')}': ${path.join(dir, 'mine.safetensors')} is missing` });
    fs.writeFileSync(path.join(dir, 'mine.safetensors'), '');
    assert.deepEqual(findCheckpoint(path.join(dir, 'mine.safetensors')),
      { json: path.join(dir, 'mine.json'), safetensors: path.join(dir, 'mine.safetensors'), step: -1 });
    // Only the file's own extension is cut, and only a name ending in step-N gives a step.
    const dotted = path.join(dir, 'x.json.d', 'y.safetensors.d');
    fs.mkdirSync(dotted, { recursive: true });
    for (const f of ['step-00000003-copy.json', 'step-00000003-copy.safetensors']) fs.writeFileSync(path.join(dotted, f), '');
    assert.deepEqual(findCheckpoint(path.join(dotted, 'step-00000003-copy.json')), { json: path.join(dotted, 'step-00000003-copy.json'),
      safetensors: path.join(dotted, 'step-00000003-copy.safetensors'), step: -1 });
    fs.writeFileSync(path.join(dir, 'w.safetensors'), '');
    assert.throws(() => findCheckpoint(path.join(dir, 'w.safetensors')), {
      message: `Cannot resume from '${path.join(dir, 'w.safetensors')}': ${path.join(dir, 'w.json')} is missing` });
  });

  it('readCheckpoint refuses another format; restoreCheckpoint names both methods and what does not fit', () => {
    const { method, optimizer } = trained(0);
    const files = saveCheckpoint(dir, method, optimizer,
      { step: 1, epoch: 0, loader: { epoch: 0, step: 1 }, rngState: '', augmentationState: '', schedulers: { lr: 1 }, elapsed: 0 });
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ format: 'other' }));
    assert.throws(() => readCheckpoint({ ...files, json: bad }), { message: `Expected a selfsup checkpoint in ${bad} but its format is "other"` });
    const read = () => readCheckpoint(files);
    // Same shapes, another method: refused after the weights fit.
    const byol = trained(1, { name: 'byol' });
    assert.throws(() => restoreCheckpoint(byol.method, byol.optimizer, read(), 'runs/a'), {
      message: "Cannot resume from runs/a: the checkpoint was saved by method 'simclr' but this run trains 'byol'" });
    // Other shapes: the weights' error, with both names when they differ.
    const wide = trained(1, { outDim: 4 });
    assert.throws(() => restoreCheckpoint(wide.method, wide.optimizer, read(), 'runs/a'),
      (e: Error) => e.message.startsWith("Cannot resume from runs/a: the checkpoint was saved by method 'simclr', and its weights do not fit: ") &&
        e.message.includes('projector.weight'));
    const wideByol = trained(1, { name: 'byol', outDim: 4 });
    assert.throws(() => restoreCheckpoint(wideByol.method, wideByol.optimizer, read(), 'runs/a'),
      (e: Error) => e.message.startsWith("Cannot resume from runs/a: the checkpoint was saved by method 'simclr', but this run trains 'byol', " +
        'and its weights do not fit: '));
    // A checkpoint missing a weight is refused (strict loading), naming the key.
    const partial = read();
    partial.tensors.delete('model.projector.bias');
    const same = trained(1);
    assert.throws(() => restoreCheckpoint(same.method, same.optimizer, partial, 'runs/a'),
      (e: Error) => e.message.startsWith("Cannot resume from runs/a: the checkpoint was saved by method 'simclr', and its weights do not fit: ") &&
        e.message.includes('projector.bias'));
    // The optimizer: another grouping.
    const other = trained(1);
    const grouped = new SGD([{ params: other.method.encoder.parameters() }, { params: other.method.projector.parameters() }], { lr: 0.1 });
    assert.throws(() => restoreCheckpoint(other.method, grouped, read(), 'runs/a'), {
      message: 'Cannot resume from runs/a: the optimizer state does not fit (was the optimizer or the parameter grouping changed?): ' +
        'Expected 2 parameter groups in the state dict but received 1' });
    // And what fits is restored: weights and momentum buffers, model.* and optimizer.* apart.
    const fresh = trained(2);
    restoreCheckpoint(fresh.method, fresh.optimizer, read(), 'runs/a');
    assert.deepEqual([...fresh.method.stateDict()].map(([k, v]) => [k, values(v)]), [...method.stateDict()].map(([k, v]) => [k, values(v)]));
    assert.deepEqual([...fresh.optimizer.stateDict().tensors].map(([k, v]) => [k, values(v)]),
      [...optimizer.stateDict().tensors].map(([k, v]) => [k, values(v)]));
  });

  function parts(seed: number, wd: boolean): RunParts & { schedulers: { lr: Scheduler; wd?: Scheduler } } {
    const { method, optimizer } = trained(seed);
    return { method, optimizer, schedulers: { lr: new Scheduler(seed * 10), ...(wd ? { wd: new Scheduler(seed * 10 + 1) } : {}) },
      generator: new torch.Generator().manualSeed(seed) };
  }

  it('saveRunState then restoreRunState: weights, generators where they stood, schedulers, position; keeps the newest', () => {
    const a = parts(3, true);
    torch.manualSeed(42);
    torch.randn([5], { generator: a.generator });
    const aug = a.generator.getState();
    const wantAug = values(torch.randn([4], { generator: a.generator }));
    const wantGlobal = values(torch.randn([4]));
    torch.manualSeed(42);
    for (const step of [5, 6, 7]) saveRunState(dir, a, { step, loader: { epoch: 1, step: step - 4 }, elapsed: 9.5 }, aug, 2);
    assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [6, 7]);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'step-00000007.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([json.step, json.epoch, json.loader, json.schedulers, json.elapsed, json.worldSize, json.ranks, json.cudaRngState],
      [7, 1, { epoch: 1, step: 3 }, { lr: 30, wd: 31 }, 9.5, undefined, undefined, undefined]);
    assert.equal(json.rngState, toBase64(torch.getRngState()));
    assert.equal(json.augmentationState, toBase64(aug));

    const b = parts(4, true);
    torch.manualSeed(0);
    const at = restoreRunState(findCheckpoint(dir), b, 'cpu');
    assert.deepEqual(at, { step: 7, loader: { epoch: 1, step: 3 }, elapsed: 9.5 });
    assert.deepEqual(values(torch.randn([4], { generator: b.generator })), wantAug);
    assert.deepEqual(values(torch.randn([4])), wantGlobal);
    assert.deepEqual([b.schedulers.lr.lastStep, b.schedulers.wd?.lastStep], [30, 31]);
    assert.deepEqual([...b.method.stateDict()].map(([k, v]) => [k, values(v)]), [...a.method.stateDict()].map(([k, v]) => [k, values(v)]));
    // A CUDA generator state in the checkpoint is left alone on a CPU run (there is no GPU to give it to),
    // and restoring leaves no tensor behind (the checkpoint's tensors are freed).
    const file = path.join(dir, 'step-00000007.json');
    fs.writeFileSync(file, JSON.stringify({ ...json, cudaRngState: 'AAAA' }));
    const e = parts(4, true);
    restoreRunState(findCheckpoint(dir), e, 'cpu');
    const live = torch.memory().tensors;
    restoreRunState(findCheckpoint(dir), e, 'cpu');
    assert.equal(torch.memory().tensors, live);
    // Without a saved wd step (a run without a wd schedule), a wd scheduler takes the lr's.
    const c = parts(5, false);
    saveRunState(path.join(dir, 'c'), c, { step: 1, loader: { epoch: 0, step: 1 }, elapsed: 0 }, aug);
    const d = parts(6, true);
    restoreRunState(findCheckpoint(path.join(dir, 'c')), d, 'cpu');
    assert.deepEqual([d.schedulers.lr.lastStep, d.schedulers.wd?.lastStep], [50, 50]);
    // keep defaults to 2.
    for (const step of [2, 3]) saveRunState(path.join(dir, 'c'), c, { step, loader: { epoch: 0, step }, elapsed: 0 }, aug);
    assert.deepEqual(listCheckpoints(path.join(dir, 'c')).map((x) => x.step), [2, 3]);
  });

  it('data-parallel checkpoints: every rank\'s generators, restored by rank; another process count refused by message', () => {
    const a = parts(1, false);
    const g = (seed: number) => new torch.Generator().manualSeed(seed).getState();
    const ranks = [{ rngState: toBase64(g(10)), augmentationState: toBase64(g(11)) }, { rngState: toBase64(g(20)), augmentationState: toBase64(g(21)) }];
    const files = saveRunState(dir, a, { step: 4, loader: { epoch: 0, step: 4 }, elapsed: 1 }, g(11), 2, ranks);
    const json = JSON.parse(fs.readFileSync(files.json, 'utf8')) as Record<string, unknown>;
    assert.deepEqual([json.worldSize, json.ranks], [2, ranks]);
    const b = parts(2, false);
    restoreRunState(files, b, 'cpu', { rank: 1, worldSize: 2 });
    assert.deepEqual(values(torch.randn([3], { generator: b.generator })), values(torch.randn([3], { generator: new torch.Generator().manualSeed(21) })));
    assert.deepEqual(values(torch.randn([3])), values(torch.randn([3], { generator: new torch.Generator().manualSeed(20) })));
    assert.throws(() => restoreRunState(files, parts(3, false), 'cpu'), {
      message: `Cannot resume from ${files.json}: it was saved by a run of 2 processes but this run has 1; resume with the same number of ` +
        'processes (--nproc-per-node 2)' });
    const single = saveRunState(path.join(dir, 's'), a, { step: 4, loader: { epoch: 0, step: 4 }, elapsed: 1 }, g(11));
    assert.throws(() => restoreRunState(single, parts(3, false), 'cpu', { rank: 0, worldSize: 3 }), {
      message: `Cannot resume from ${single.json}: it was saved by a run of 1 process but this run has 3; resume with the same number of ` +
        'processes (--nproc-per-node 1)' });
  });
});
