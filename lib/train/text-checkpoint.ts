// Checkpoints of the text loop (`trainSteps`: BERT, ALBERT, CLIP): the method's
// weights and the optimizer's tensors in a safetensors file (`model.<key>`,
// `optimizer.<key>`), and in the JSON beside it everything else a resumed run
// needs to draw the same batches and reach the same losses: the step, the
// global generator (dropout), the data's position and generators, the
// optimizer's numbers and the loss record so far. Same names and layout as
// the image Trainer's (checkpoints/step-XXXXXXXX.{json,safetensors}); the JSON
// is written last, so a checkpoint counts only once both files are complete.
import * as fs from 'fs';
import * as path from 'path';
import * as torch from '../torch';
import { Tensor } from '../torch';
import { loadSafetensors, saveSafetensors } from '../torch/safetensors';
import { writeFileAtomic } from '../torch/atomic-file';
import { OptimizerStateDict } from '../optim/optimizer';
import { checkpointName, CheckpointFiles, fromBase64, toBase64 } from './checkpoint';
import { StepsProgress } from './text-trainer';

/** The JSON half of a text checkpoint. */
export interface TextCheckpointState {
  format: 'selfsup-text-checkpoint';
  version: 1;
  /** 'bert', 'albert', 'clip' */
  method: string;
  /** Optimizer steps completed. */
  step: number;
  /** The global CPU generator's state (base64 of `torch.getRngState()`): dropout draws from it. */
  rngState: string;
  /** The batches' own state (BERT and ALBERT: `PretrainingBatches.state()`; CLIP: the caption batches' `EpochOrderState`). */
  data: unknown;
  /** The optimizer's non-tensor state (its tensors are `optimizer.*` in the safetensors file). */
  optimizer: OptimizerStateDict['json'];
  /** The loop's record so far: every step's loss, the logged windows, the open window, seconds of training. */
  progress: Omit<StepsProgress, 'optimizer'>;
  /** When it was written (ISO 8601). */
  time: string;
}

/** What a module needs for a checkpoint. */
export interface CheckpointWeights {
  stateDict(): Map<string, Tensor>;
  loadStateDict(sd: Map<string, Tensor>, options: { strict?: boolean }): unknown;
}

/**
 * Writes `<dir>/step-XXXXXXXX.safetensors` and `.json` after `progress.step` steps and returns their paths.
 * @example saveTextCheckpoint('runs/bert/checkpoints', 'bert', method, progress, data.state());
 */
export function saveTextCheckpoint(dir: string, method: string, module: CheckpointWeights, progress: StepsProgress, data: unknown): CheckpointFiles {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, checkpointName(progress.step));
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of module.stateDict()) tensors.set(`model.${k}`, v);
  const opt = progress.optimizer.stateDict();
  for (const [k, v] of opt.tensors) tensors.set(`optimizer.${k}`, v);
  saveSafetensors(`${base}.safetensors`, tensors, { format: 'pt', method, step: String(progress.step) });
  const rng = torch.getRngState();
  const { optimizer: _, ...record } = progress;
  const state: TextCheckpointState = {
    format: 'selfsup-text-checkpoint', version: 1, method, step: progress.step, rngState: toBase64(rng), data,
    optimizer: opt.json, progress: record, time: new Date().toISOString(),
  };
  rng.dispose();
  writeFileAtomic(`${base}.json`, `${JSON.stringify(state)}\n`);
  return { json: `${base}.json`, safetensors: `${base}.safetensors`, step: progress.step };
}

/**
 * Reads a text checkpoint, loads its weights into `module` (strictly, by key)
 * and the global generator's state, and returns the state and the optimizer's
 * half for `trainSteps`' `resume`. Another method's or shape's checkpoint is
 * refused, naming the file.
 * @example const { state, optimizer } = restoreTextCheckpoint(findCheckpoint('runs/bert'), 'bert', method);
 */
export function restoreTextCheckpoint(files: CheckpointFiles, method: string, module: CheckpointWeights):
  { state: TextCheckpointState; optimizer: OptimizerStateDict } {
  const state = JSON.parse(fs.readFileSync(files.json, 'utf8')) as TextCheckpointState;
  if (state.format !== 'selfsup-text-checkpoint') {
    throw new Error(`Expected a checkpoint of selfsup train bert|albert|clip in ${files.json} but its format is ${JSON.stringify(state.format)}`);
  }
  if (state.method !== method) {
    throw new Error(`Cannot resume from ${files.json}: it was saved by ${state.method}, but this run trains ${method}`);
  }
  const tensors = loadSafetensors(files.safetensors);
  const model = new Map<string, Tensor>();
  const opt = new Map<string, Tensor>();
  for (const [k, v] of tensors) {
    if (k.startsWith('model.')) model.set(k.slice(6), v);
    else if (k.startsWith('optimizer.')) opt.set(k.slice(10), v);
    else v.dispose();
  }
  try {
    module.loadStateDict(model, { strict: true });
  } catch (err) {
    opt.forEach((t) => t.dispose());
    throw new Error(`Cannot resume from ${files.safetensors}: its weights do not fit the run's ${method}: ${(err as Error).message}`);
  } finally {
    model.forEach((t) => t.dispose());
  }
  const rng = fromBase64(state.rngState);
  torch.setRngState(rng);
  rng.dispose();
  return { state, optimizer: { json: state.optimizer, tensors: opt } };
}
