// Parsers of the commands' flag values: one error format for every command.
import { InvalidArgumentError } from 'commander';
import { Device } from '../torch';
import { checkDevice } from '../torch/arguments';
import { defineOptions, option } from '../torch/option-table';

/** Where the commands that load an encoder (eval, embed, neighbors) run it: the default of their --device. */
export const ENCODER_DEVICE_OPTIONS = defineOptions({
  /** 'cpu' (default), 'cuda' or 'cuda:N'. */
  device: option<Device>('cpu', checkDevice),
});

/**
 * A commander parser for an integer flag >= min.
 * @example .option('--epochs <n>', 'passes', intArg('--epochs'))
 */
export function intArg(name: string, min = 1): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`Expected an integer >= ${min} for ${name} but received ${v}`);
    return n;
  };
}

/**
 * A commander parser for a non-negative (or positive) number flag.
 * @example .option('--lr <x>', 'peak lr', numberArg('--lr', true))
 */
export function numberArg(name: string, positive = false): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || (positive && n === 0)) {
      throw new InvalidArgumentError(`Expected a ${positive ? 'positive' : 'non-negative'} number for ${name} but received ${v}`);
    }
    return n;
  };
}

/**
 * A commander parser for a flag holding a JSON object.
 * @example .option('--encoder-options <json>', 'options', jsonArg('--encoder-options'))
 */
export function jsonArg(name: string): (v: string) => Record<string, unknown> {
  return (v) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw new InvalidArgumentError(`Expected a JSON object for ${name} (as '{"width": 16}') but received ${v}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new InvalidArgumentError(`Expected a JSON object for ${name} but received ${v}`);
    }
    return parsed as Record<string, unknown>;
  };
}

/**
 * The flag of an option key, to name it in messages: camelCase to --kebab-case.
 * @example flagOf('batchSize') // '--batch-size'
 */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
