// The encoder a method trains, built fresh from a run's config: the registry
// model itself for most methods, a Lab wrapper around it for the colour tasks.
// `selfsup train` (random-encoder floor), `selfsup eval` and the commands that
// load a run's encoder.safetensors build it here, so the weights fit.
import { Encoder } from '../models/encoder';
import { create as createModel } from '../models/registry';
import { colorizationEncoder } from './colorization';
import { splitBrainEncoder } from './split-brain';

/**
 * An untrained copy of the encoder that `method` trains on top of the
 * registry model `encoder` (built with `encoderOptions`, numClasses 0 as the
 * methods do). Colorization and split-brain train a `LabEncoder` (state-dict
 * keys `net.*` / `l_to_ab.*`, `ab_to_l.*`, `rgb_mean`, `rgb_std`); `normalisation`
 * sets what its input was normalised with (a loaded run's weights carry their own); `methodOptions` are the
 * run's (Colorization's `colourAtEvaluation` sets its backbone's input channels).
 *
 * @example const enc = methodEncoder('colorization', 'small_cnn', { inChannels: 3 }, { mean, std });
 */
export function methodEncoder(method: string, encoder: string, encoderOptions: Record<string, unknown>,
  normalisation?: { mean: readonly number[]; std: readonly number[] }, methodOptions: Record<string, unknown> = {}): Encoder {
  const options = { ...encoderOptions, numClasses: 0 };
  const lab = method === 'colorization' ? colorizationEncoder(encoder, options, methodOptions.colourAtEvaluation === true)
    : method === 'split_brain' ? splitBrainEncoder(encoder, options) : undefined;
  if (lab === undefined) return createModel(encoder, options);
  if (normalisation !== undefined && normalisation.mean.length === 3) lab.setNormalisation(normalisation.mean, normalisation.std);
  return lab;
}
