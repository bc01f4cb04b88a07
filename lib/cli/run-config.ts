// What `selfsup train` runs, as one JSON-able record: the command-line flags,
// a --config file and the main job's preset all resolve to this, and a run's
// config.json keeps it (under "config") so --resume and `selfsup eval` can
// rebuild the method, the encoder and the data.
import * as fs from 'fs';
import { Device } from '../torch';
import { isDevice } from '../torch/dtype';
import { checkInt, checkNumber } from '../torch/arguments';
import { MethodName, OptimizerRecipe } from '../ssl/method';
import { list as listMethods } from '../ssl/registry';
import { list as listModels } from '../models/registry';
import { parseDataSpec } from './data-spec';

/** A resolved `selfsup train` run. */
export interface RunConfig {
  method: MethodName;
  /** `--data`: fashion-mnist, cifar10:<dir>, cifar100:<dir>, folder:<dir>. */
  data: string;
  /** Side of image-folder images after decoding (other datasets keep theirs). */
  imageSize: number;
  /** Registry name of the encoder. */
  encoder: string;
  /** Options of `models.create(encoder, ...)`; numClasses is always 0. */
  encoderOptions: Record<string, unknown>;
  /** Options of the method's constructor besides the encoder (temperature, outDim, ...). */
  methodOptions: Record<string, unknown>;
  epochs?: number;
  steps?: number;
  batchSize: number;
  /** Absolute peak learning rate (else the recipe's, scaled by the batch size). */
  lr?: number;
  /** Overrides of the method's optimisation recipe. */
  optimizer: Partial<OptimizerRecipe>;
  device: Device;
  seed: number;
  precision: 'auto' | 'float32' | 'bfloat16';
  clipGrad?: number;
  /** Capture the training step into a CUDA graph: auto (on CUDA, default), on, off. */
  cudaGraph?: 'auto' | 'on' | 'off';
  /** Channels-last weights and views: auto (convolutional encoders on CUDA, default), on, off. */
  channelsLast?: 'auto' | 'on' | 'off';
  checkpointEvery?: number;
  /** Online k-NN every this many epochs (0: off; needs a labelled test split). */
  knnEvery: number;
  /** Evaluate at the end: k-NN and linear probe next to the raw-pixel and random-encoder floors. */
  eval: boolean;
  /** Training images used for the final evaluation's k-NN bank and probe (all when omitted). */
  evalTrainSubset?: number;
  /** Run folder. */
  out: string;
}

/**
 * What a run uses where neither the method's CPU preset, the --config file
 * nor a flag says otherwise (the method and its encoder have no default: they
 * follow from the command line).
 */
export const RUN_DEFAULTS = Object.freeze({
  data: 'fashion-mnist', imageSize: 64, epochs: 10, batchSize: 256, device: 'cpu', seed: 0, precision: 'auto',
  knnEvery: 1, eval: true,
} as const satisfies Partial<RunConfig>);

/**
 * Every field of RunConfig, once: the compiler rejects a field missing here
 * or one RunConfig lacks, so the keys a --config file may hold follow the interface.
 */
const FIELDS: { readonly [K in keyof RunConfig]-?: true } = {
  method: true, data: true, imageSize: true, encoder: true, encoderOptions: true, methodOptions: true, epochs: true,
  steps: true, batchSize: true, lr: true, optimizer: true, device: true, seed: true, precision: true, clipGrad: true,
  cudaGraph: true, channelsLast: true, checkpointEvery: true, knnEvery: true, eval: true, evalTrainSubset: true, out: true,
};

/** Keys a --config file may hold. */
const KEYS = Object.freeze(Object.keys(FIELDS) as (keyof RunConfig)[]);

/**
 * Reads a --config JSON file: an object with some of RunConfig's keys.
 * @example readConfigFile('simclr.json'); // { method: 'simclr', epochs: 5 }
 */
export function readConfigFile(file: string): Partial<RunConfig> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read --config ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`--config ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`--config ${file} must hold a JSON object of options such as {"method": "simclr", "epochs": 5}`);
  }
  const unknown = Object.keys(value).filter((k) => !(KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new Error(`--config ${file}: unknown key(s) ${unknown.map((k) => `'${k}'`).join(', ')}; expected some of ` +
      KEYS.join(', '));
  }
  return value as Partial<RunConfig>;
}

/**
 * Checks a complete RunConfig before any work starts: names, numbers and
 * combinations that contradict each other (MAE needs a ViT).
 *
 * @example checkRunConfig(config); // throws 'Unknown method ...' for method 'simclrr'
 */
export function checkRunConfig(c: RunConfig): void {
  if (!(listMethods() as string[]).includes(c.method)) {
    throw new Error(`Unknown method '${String(c.method)}'; expected one of ${listMethods().join(', ')}`);
  }
  parseDataSpec(c.data);
  if (!(listModels() as string[]).includes(c.encoder)) {
    const close = listModels().filter((n) => n.startsWith(String(c.encoder).split('_')[0]));
    throw new Error(`Unknown encoder '${String(c.encoder)}'; expected a registry name such as ` +
      `${(close.length > 0 ? close : ['small_cnn', 'resnet18', 'vit_small_patch16_224']).slice(0, 6).join(', ')} ` +
      '(selfsup info lists them)');
  }
  if (c.method === 'mae' && !c.encoder.startsWith('vit_')) {
    throw new Error(`MAE masks patches of a Vision Transformer: --encoder must be a vit_* model, not '${c.encoder}'`);
  }
  if (c.epochs !== undefined && c.steps !== undefined) throw new Error('Give --epochs or --steps, not both');
  if (c.epochs !== undefined) checkInt(c.epochs, 'epochs', 1);
  if (c.steps !== undefined) checkInt(c.steps, 'steps', 1);
  checkInt(c.batchSize, 'batch size', 1);
  checkInt(c.imageSize, 'image size', 8);
  checkInt(c.seed, 'seed', 0);
  checkInt(c.knnEvery, 'knnEvery', 0);
  if (c.lr !== undefined) checkNumber(c.lr, 'lr', Number.MIN_VALUE);
  if (c.clipGrad !== undefined) checkNumber(c.clipGrad, 'clipGrad', 0);
  if (c.checkpointEvery !== undefined) checkInt(c.checkpointEvery, 'checkpointEvery', 1);
  if (c.evalTrainSubset !== undefined) checkInt(c.evalTrainSubset, 'evalTrainSubset', 1);
  if (!isDevice(c.device)) throw new Error(`Expected cpu, cuda or cuda:N for --device but received ${String(c.device)}`);
  if (!['auto', 'float32', 'bfloat16'].includes(c.precision)) {
    throw new Error(`Expected auto, float32 or bfloat16 for --precision but received ${String(c.precision)}`);
  }
  for (const key of ['cudaGraph', 'channelsLast'] as const) {
    const v = c[key];
    const flag = key === 'cudaGraph' ? '--cuda-graph' : '--channels-last';
    if (v !== undefined && !['auto', 'on', 'off'].includes(v)) throw new Error(`Expected auto, on or off for ${flag} but received ${String(v)}`);
  }
  if (c.cudaGraph === 'on' && !c.device.startsWith('cuda')) {
    throw new Error(`--cuda-graph on needs --device cuda (the device is ${c.device})`);
  }
  for (const key of ['encoderOptions', 'methodOptions', 'optimizer'] as const) {
    const v = c[key];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`Expected a JSON object for ${key}`);
  }
}
