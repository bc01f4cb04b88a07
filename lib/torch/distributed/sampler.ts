// Which samples each rank takes in an epoch, as
// torch.utils.data.distributed.DistributedSampler (the same indices for the
// same seed and epoch, so Node and Python ranks can even share a dataset).
import { randperm } from '../creation';
import { Generator } from '../random';
import { getRank, getWorldSize, isInitialized } from './process-group';
import { defineOptions, is, option, OPTIONAL } from '../option-table';

export interface DistributedSamplerOptions {
  /** Ranks sharing the data; default the default group's world size. */
  numReplicas?: number;
  /** This rank; default the default group's rank. */
  rank?: number;
  /** A new order each epoch (seed + epoch); default true. */
  shuffle?: boolean;
  /** Same on every rank; default 0. */
  seed?: number;
  /** Drop the tail that does not divide evenly instead of repeating samples to pad it; default false. */
  dropLast?: boolean;
}

function nonNegativeInt(v: unknown, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 0) throw new Error(`Expected a non-negative integer for ${what} but received ${String(v)}`);
  return v as number;
}

// The defaults of DistributedSamplerOptions, as PyTorch's; numReplicas and rank
// have none of their own: they are the default group's (1 and 0 without one).
const SAMPLER_OPTIONS = defineOptions({
  numReplicas: option(OPTIONAL, is.checkedLater<number>()),
  rank: option(OPTIONAL, is.checkedLater<number>()),
  shuffle: option(true, is.boolean),
  seed: option(0, nonNegativeInt),
  dropLast: option(false, is.boolean),
});

/**
 * Splits `length` samples among ranks: every rank gets `numSamples` indices
 * of one seeded permutation (rank r takes positions r, r + n, r + 2n, ...),
 * padded by repeating the first ones unless `dropLast`. Call `setEpoch(e)`
 * before each epoch so the order changes.
 *
 * @example
 * const sampler = new torch.distributed.DistributedSampler(60000, { seed: 0 });
 * sampler.setEpoch(epoch);
 * const mine = sampler.indices(); // this rank's sample indices for the epoch
 */
export class DistributedSampler {
  readonly length: number;
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices per rank per epoch. */
  readonly numSamples: number;
  private epoch = 0;

  constructor(length: number, options: DistributedSamplerOptions = {}) {
    this.length = nonNegativeInt(length, 'length');
    const o = SAMPLER_OPTIONS.resolve(options, (k) => k);
    const dist = isInitialized();
    this.numReplicas = o.numReplicas ?? (dist ? getWorldSize() : 1);
    this.rank = o.rank ?? (dist ? getRank() : 0);
    if (!Number.isInteger(this.numReplicas) || this.numReplicas < 1) throw new Error(`Expected an integer >= 1 for numReplicas but received ${this.numReplicas}`);
    if (!Number.isInteger(this.rank) || this.rank < 0 || this.rank >= this.numReplicas) {
      throw new Error(`Expected rank from 0 to ${this.numReplicas - 1} but received ${this.rank}`);
    }
    this.shuffle = o.shuffle;
    this.seed = o.seed;
    this.dropLast = o.dropLast;
    this.numSamples = this.dropLast && this.length % this.numReplicas !== 0
      ? Math.max(0, Math.ceil((this.length - this.numReplicas) / this.numReplicas)) // never -0
      : Math.ceil(this.length / this.numReplicas);
  }

  /** Selects the epoch's permutation (seed + epoch), as `set_epoch`. @example sampler.setEpoch(3); */
  setEpoch(epoch: number): void {
    this.epoch = nonNegativeInt(epoch, 'epoch');
  }

  /** This rank's indices for the current epoch. @example sampler.indices().length === sampler.numSamples; */
  indices(): number[] {
    let order: number[];
    if (this.shuffle) {
      const g = new Generator().manualSeed(this.seed + this.epoch);
      const perm = randperm(this.length, { generator: g });
      order = Array.from(perm.toTypedArray() as BigInt64Array, Number);
      perm.dispose();
    } else {
      order = Array.from({ length: this.length }, (_, i) => i);
    }
    const total = this.numSamples * this.numReplicas;
    if (this.dropLast) order = order.slice(0, total);
    else while (order.length < total && order.length > 0) order = order.concat(order.slice(0, total - order.length));
    const mine: number[] = [];
    for (let i = this.rank; i < total; i += this.numReplicas) mine.push(order[i]);
    return mine;
  }
}
