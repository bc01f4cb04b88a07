// The encoder of a run folder, checkpoint or bare safetensors file, built
// with the run's architecture (or the flags') and its weights loaded: what
// `selfsup embed`, `neighbors` and `export` start from.
import * as fs from 'fs';
import { Device } from '../torch';
import { GivenOptions } from '../torch/option-table';
import { create as createModel } from '../models/registry';
import { methodEncoder } from '../ssl/method-encoder';
import { Encoder } from '../models/encoder';
import { encoderOptionsFor, readRunConfig } from './train';
import { RunConfig } from './run-config';
import { loadEncoderWeights, runFolderOf } from './eval';
import { ENCODER_DEVICE_OPTIONS, flagOf } from './option-parsers';

/** Options of `loadEncoder`. */
export interface LoadEncoderOptions extends GivenOptions<typeof ENCODER_DEVICE_OPTIONS.specs> {
  /** Architecture of a bare safetensors file (default: the run's). */
  encoder?: string;
  /** Its options (merged over the run's). */
  encoderOptions?: Record<string, unknown>;
}

/** An encoder ready for inference and where it came from. */
export interface LoadedEncoder {
  encoder: Encoder;
  /** Registry name. */
  name: string;
  /** The options it was built with (numClasses 0). */
  options: Record<string, unknown>;
  /** The run folder's config, when the target is in one written by selfsup train. */
  run?: RunConfig;
  runDir?: string;
}

/**
 * The run config of `target` (a run folder or a file inside one), if selfsup train wrote it.
 * @example runOf('runs/simclr-20261204-101500')?.data // 'fashion-mnist'
 */
export function runOf(target: string): { run?: RunConfig; runDir?: string } {
  if (!fs.existsSync(target)) throw new Error(`No such run folder or file '${target}'`);
  const runDir = fs.statSync(target).isDirectory() ? target : runFolderOf(target);
  if (runDir === undefined) return {};
  try {
    return { run: readRunConfig(runDir), runDir };
  } catch {
    return { runDir };
  }
}

/**
 * Builds the encoder of `target` for images of `shape` (N, C, H, W) and loads
 * its weights (strictly: every key must fit).
 *
 * @example
 * const { encoder } = loadEncoder('runs/simclr-20261204-101500', [1, 1, 28, 28]);
 */
export function loadEncoder(target: string, shape: readonly number[], o: LoadEncoderOptions = {}): LoadedEncoder {
  const { run, runDir } = runOf(target);
  const name = o.encoder ?? run?.encoder;
  if (name === undefined) {
    throw new Error(`'${target}' is not inside a run folder written by selfsup train: name its architecture with ` +
      '--encoder (and --encoder-options)');
  }
  const options = encoderOptionsFor(name, shape, { ...(o.encoder === undefined ? run?.encoderOptions : undefined), ...o.encoderOptions });
  // A run's own architecture is the encoder its method trains (a Lab wrapper for the colour tasks).
  const encoder = o.encoder === undefined && run !== undefined ? methodEncoder(run.method, name, options, undefined, run.methodOptions)
    : createModel(name, options);
  encoder.to(ENCODER_DEVICE_OPTIONS.resolve(o, flagOf).device);
  loadEncoderWeights(encoder, target, name);
  encoder.eval();
  return { encoder, name, options, run, runDir };
}
