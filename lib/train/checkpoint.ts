// Training checkpoints: weights and optimizer tensors in a safetensors file
// (`model.<key>`, `optimizer.<key>`), everything else needed to resume
// exactly in a JSON file next to it. The JSON is written last, so a
// checkpoint counts only once both files are complete.
import * as fs from 'fs';
import * as path from 'path';
import * as torch from '../torch';
import { Tensor } from '../torch';
import { loadSafetensors, saveSafetensors } from '../torch/safetensors';
import { writeFileAtomic } from '../torch/atomic-file';
import { Method } from '../ssl/method';
import { Optimizer, BaseOptions, OptimizerStateDict } from '../optim/optimizer';
import { LoaderState } from '../data/loader';

/** The JSON half of a checkpoint. */
export interface CheckpointState {
  format: 'selfsup-checkpoint';
  version: 1;
  /** The method's registry name. */
  method: string;
  /** Optimizer steps completed. */
  step: number;
  /** The epoch of the next step. */
  epoch: number;
  /** Where the data order resumes. */
  loader: LoaderState;
  /** The global CPU generator's state (base64 of `torch.getRngState()`). */
  rngState: string;
  /** The training GPU's default generator state (base64 of `torch.cuda.getRngState(index)`); CUDA runs only. */
  cudaRngState?: string;
  /** The augmentation generator's state before the next step's views (base64). */
  augmentationState: string;
  /** The optimizer's non-tensor state (its tensors are `optimizer.*` in the safetensors file). */
  optimizer: OptimizerStateDict['json'];
  /** `lastStep` of the learning-rate and weight-decay schedulers. */
  schedulers: { lr: number; wd?: number };
  /** Seconds of training before this checkpoint (across resumes). */
  elapsed: number;
  /** Processes of the data-parallel run that wrote it (absent: 1). */
  worldSize?: number;
  /** A data-parallel run's generators, one entry per rank (rank 0's are also `rngState` and `augmentationState`). */
  ranks?: RankGenerators[];
  /** When it was written (ISO 8601). */
  time: string;
}

/** One rank's generator states (base64), as a data-parallel checkpoint stores them. */
export interface RankGenerators {
  rngState: string;
  augmentationState: string;
}

/** Paths of one checkpoint's two files. */
export interface CheckpointFiles {
  json: string;
  safetensors: string;
  step: number;
}

const NAME = /^step-(\d{8,})\.json$/;

/**
 * The base name of the checkpoint after `step` steps.
 * @example checkpointName(123) // 'step-00000123'
 */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Bytes of a uint8 tensor as base64. @example toBase64(torch.getRngState()) */
export function toBase64(t: Tensor): string {
  const bytes = t.toTypedArray();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A uint8 tensor from base64. @example torch.setRngState(fromBase64(state.rngState)) */
export function fromBase64(text: string): Tensor {
  return torch.tensor(new Uint8Array(Buffer.from(text, 'base64')));
}

/**
 * Writes `<dir>/step-XXXXXXXX.safetensors` and `.json` and returns their paths.
 *
 * @example
 * saveCheckpoint('runs/a/checkpoints', method, optimizer, state);
 */
export function saveCheckpoint(dir: string, method: Method, optimizer: Optimizer<BaseOptions>,
  state: Omit<CheckpointState, 'format' | 'version' | 'optimizer' | 'method' | 'time'>): CheckpointFiles {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, checkpointName(state.step));
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of method.stateDict()) tensors.set(`model.${k}`, v);
  const opt = optimizer.stateDict();
  for (const [k, v] of opt.tensors) tensors.set(`optimizer.${k}`, v);
  saveSafetensors(`${base}.safetensors`, tensors, { format: 'pt', method: method.name, step: String(state.step) });
  const full: CheckpointState = {
    format: 'selfsup-checkpoint', version: 1, method: method.name, ...state, optimizer: opt.json,
    time: new Date().toISOString(),
  };
  writeFileAtomic(`${base}.json`, `${JSON.stringify(full, null, 1)}\n`);
  return { json: `${base}.json`, safetensors: `${base}.safetensors`, step: state.step };
}

/**
 * The complete checkpoints in a folder, oldest first.
 * @example listCheckpoints('runs/a/checkpoints').at(-1)
 */
export function listCheckpoints(dir: string): CheckpointFiles[] {
  if (!fs.existsSync(dir)) return [];
  const found: CheckpointFiles[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = NAME.exec(name);
    if (m === null) continue;
    const safetensors = path.join(dir, name.replace(/\.json$/, '.safetensors'));
    if (!fs.existsSync(safetensors)) continue;
    found.push({ json: path.join(dir, name), safetensors, step: Number(m[1]) });
  }
  return found.sort((a, b) => a.step - b.step);
}

/**
 * Deletes all but the newest `keep` checkpoints of a folder.
 * @example pruneCheckpoints('runs/a/checkpoints', 2);
 */
export function pruneCheckpoints(dir: string, keep: number): void {
  const all = listCheckpoints(dir);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) {
    // The JSON first: a half-deleted checkpoint must not look complete.
    fs.rmSync(c.json, { force: true });
    fs.rmSync(c.safetensors, { force: true });
  }
}

/**
 * The checkpoint that `resume` names: a run folder (its newest checkpoint), a
 * checkpoints folder, or either file of one checkpoint.
 *
 * @example findCheckpoint('runs/a') // { json: 'runs/a/checkpoints/step-00000460.json', ... }
 */
export function findCheckpoint(resume: string): CheckpointFiles {
  if (!fs.existsSync(resume)) throw new Error(`Cannot resume from '${resume}': no such file or folder`);
  if (fs.statSync(resume).isDirectory()) {
    const inRun = listCheckpoints(path.join(resume, 'checkpoints'));
    const list = inRun.length > 0 ? inRun : listCheckpoints(resume);
    if (list.length === 0) {
      throw new Error(`Cannot resume from '${resume}': it holds no checkpoint (expected checkpoints/step-XXXXXXXX.json ` +
        'and .safetensors)');
    }
    return list[list.length - 1];
  }
  const base = resume.replace(/\.(json|safetensors)$/, '');
  const files = { json: `${base}.json`, safetensors: `${base}.safetensors` };
  for (const f of Object.values(files)) {
    if (!fs.existsSync(f)) throw new Error(`Cannot resume from '${resume}': ${f} is missing`);
  }
  const m = /step-(\d+)$/.exec(base);
  return { ...files, step: m === null ? -1 : Number(m[1]) };
}

/** Reads a checkpoint's JSON and tensors (on `device`). @example const { state, tensors } = readCheckpoint(files, 'cpu'); */
export function readCheckpoint(files: CheckpointFiles, device: torch.Device = 'cpu'): {
  state: CheckpointState; tensors: Map<string, Tensor>;
} {
  const state = JSON.parse(fs.readFileSync(files.json, 'utf8')) as CheckpointState;
  if (state.format !== 'selfsup-checkpoint') {
    throw new Error(`Expected a selfsup checkpoint in ${files.json} but its format is ${JSON.stringify(state.format)}`);
  }
  return { state, tensors: loadSafetensors(files.safetensors, { device }) };
}

/**
 * Loads a checkpoint's weights into `method` and its state into `optimizer`.
 * A checkpoint of another method or another shape throws an error that
 * names both methods and every mismatched key.
 *
 * @example restoreCheckpoint(method, optimizer, readCheckpoint(findCheckpoint('runs/a')), 'runs/a');
 */
export function restoreCheckpoint(method: Method, optimizer: Optimizer<BaseOptions>,
  checkpoint: { state: CheckpointState; tensors: Map<string, Tensor> }, where: string): void {
  const { state, tensors } = checkpoint;
  const model = new Map<string, Tensor>();
  const opt = new Map<string, Tensor>();
  for (const [k, v] of tensors) {
    if (k.startsWith('model.')) model.set(k.slice(6), v);
    else if (k.startsWith('optimizer.')) opt.set(k.slice(10), v);
  }
  try {
    method.loadStateDict(model, { strict: true });
  } catch (err) {
    const names = state.method === method.name ? `method '${method.name}'`
      : `method '${state.method}', but this run trains '${method.name}'`;
    throw new Error(`Cannot resume from ${where}: the checkpoint was saved by ${names}, and its weights do not fit: ` +
      `${(err as Error).message}`);
  }
  if (state.method !== method.name) {
    throw new Error(`Cannot resume from ${where}: the checkpoint was saved by method '${state.method}' but this run ` +
      `trains '${method.name}'`);
  }
  try {
    optimizer.loadStateDict({ json: state.optimizer, tensors: opt });
  } catch (err) {
    throw new Error(`Cannot resume from ${where}: the optimizer state does not fit (was the optimizer or the ` +
      `parameter grouping changed?): ${(err as Error).message}`);
  }
}

/** The live objects of a run whose state a checkpoint holds. */
export interface RunParts {
  method: Method;
  optimizer: Optimizer<BaseOptions>;
  /** The learning-rate and (optional) weight-decay schedulers. */
  schedulers: { lr: RestorableScheduler; wd?: RestorableScheduler };
  /** The augmentation generator. */
  generator: torch.Generator;
  /** The CUDA device index of the run, whose default generator is saved too; undefined on the CPU. */
  gpu?: number;
}

/** What a scheduler gives a checkpoint and takes back from it. */
export interface RestorableScheduler {
  readonly lastStep: number;
  loadStateDict(state: { lastStep: number }): void;
}

/** Where a run stands: what `saveRunState` writes besides the tensors and `restoreRunState` gives back. */
export interface RunPosition {
  /** Optimizer steps completed. */
  step: number;
  /** Where the data order resumes. */
  loader: LoaderState;
  /** Seconds of training so far (across resumes). */
  elapsed: number;
}

/**
 * Writes a checkpoint of a run into `dir` and keeps the newest `keep`:
 * weights, optimizer state, schedulers, the global and CUDA generators, and
 * `augState` (the augmentation generator's state where the next step draws).
 * The inverse of `restoreRunState`.
 *
 * @example const files = saveRunState('runs/a/checkpoints', parts, { step, loader, elapsed }, augState);
 */
export function saveRunState(dir: string, parts: RunParts, at: RunPosition, augState: Tensor, keep = 2,
  ranks?: RankGenerators[]): CheckpointFiles {
  const files = torch.scope(() => saveCheckpoint(dir, parts.method, parts.optimizer, {
    ...(ranks === undefined ? {} : { worldSize: ranks.length, ranks }),
    step: at.step, epoch: at.loader.epoch, loader: at.loader, rngState: toBase64(torch.getRngState()),
    cudaRngState: parts.gpu === undefined ? undefined : toBase64(torch.cuda.getRngState(parts.gpu)),
    augmentationState: toBase64(augState),
    schedulers: { lr: parts.schedulers.lr.lastStep, wd: parts.schedulers.wd?.lastStep }, elapsed: at.elapsed,
  }));
  pruneCheckpoints(dir, keep);
  return files;
}

/**
 * Restores a run from the checkpoint `files` (read onto `device`) into
 * `parts` and returns where it stands. The inverse of `saveRunState`.
 *
 * @example const at = restoreRunState(findCheckpoint('runs/a'), parts, 'cpu'); // at.step
 */
export function restoreRunState(files: CheckpointFiles, parts: RunParts, device: torch.Device,
  ranks: { rank: number; worldSize: number } = { rank: 0, worldSize: 1 }): RunPosition {
  const ck = readCheckpoint(files, device);
  const saved = ck.state.worldSize ?? 1;
  if (saved !== ranks.worldSize) {
    for (const t of ck.tensors.values()) t.dispose();
    throw new Error(`Cannot resume from ${files.json}: it was saved by a run of ${saved} process${saved === 1 ? '' : 'es'} ` +
      `but this run has ${ranks.worldSize}; resume with the same number of processes (--nproc-per-node ${saved})`);
  }
  try {
    restoreCheckpoint(parts.method, parts.optimizer, ck, files.json);
  } finally {
    for (const t of ck.tensors.values()) t.dispose();
  }
  const s = ck.state;
  const mine = s.ranks?.[ranks.rank] ?? s;
  // NOTE: the global CPU generator is restored (methods may draw from it:
  // dropout, MAE's masks on CPU), and on CUDA the GPU's default generator
  // (MAE's masks there; a captured step draws from it too).
  torch.scope(() => {
    torch.setRngState(fromBase64(mine.rngState));
    parts.generator.setState(fromBase64(mine.augmentationState));
    if (parts.gpu !== undefined && s.cudaRngState !== undefined) torch.cuda.setRngState(fromBase64(s.cudaRngState), parts.gpu);
  });
  parts.schedulers.lr.loadStateDict({ lastStep: s.schedulers.lr });
  parts.schedulers.wd?.loadStateDict({ lastStep: s.schedulers.wd ?? s.schedulers.lr });
  return { step: s.step, loader: s.loader, elapsed: s.elapsed };
}
