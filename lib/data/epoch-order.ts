// The shuffled order of an endless batch stream: every item once per epoch,
// a new permutation from a seeded generator when the epoch runs out, and a
// JSON-able state so that a checkpoint continues with the same batches. The
// permutation is not stored: the generator's state at the epoch's start is,
// and the permutation is drawn again from it on `loadState`.
import * as torch from '../torch';
import { Generator } from '../torch';
import { checkInt } from '../torch/arguments';
import { generatorState, setGeneratorState } from './generator-state';

/** Where an `EpochOrder` stands: the next position in the epoch's order and the generator's state (base64) at the epoch's start and now. */
export interface EpochOrderState {
  cursor: number;
  epochGenerator: string;
  generator: string;
}

/**
 * Batches of indices of `length` items in a seeded random order, each once per epoch
 * (a batch never spans two epochs: the rest of an epoch shorter than a batch is skipped).
 * @example
 * const order = new EpochOrder(60000, 0);
 * const idx = order.take(128); // 128 distinct indices
 * const saved = order.state(); order.take(128); order.loadState(saved); // the same 128 again next
 */
export class EpochOrder {
  /** Draws the permutations; users may draw more from it (captions), and `state()` keeps those draws too. */
  readonly generator: Generator;
  private order: number[] = [];
  private cursor = 0;
  private epochGenerator = '';

  constructor(readonly length: number, seed: number) {
    checkInt(length, 'length', 1);
    this.generator = new torch.Generator().manualSeed(seed);
  }

  /** The next `batchSize` indices (a new epoch's order when this one cannot give them). */
  take(batchSize: number): number[] {
    if (this.cursor + batchSize > this.order.length) this.drawEpoch();
    const idx = this.order.slice(this.cursor, this.cursor + batchSize);
    this.cursor += batchSize;
    return idx;
  }

  /** For a checkpoint. @example const saved = order.state(); */
  state(): EpochOrderState {
    return { cursor: this.cursor, epochGenerator: this.epochGenerator, generator: generatorState(this.generator) };
  }

  /** Continues from `state()` of an order over as many items. @example order.loadState(saved); */
  loadState(state: EpochOrderState): void {
    if (state.epochGenerator !== '') {
      setGeneratorState(this.generator, state.epochGenerator);
      this.drawEpoch();
    } else {
      this.order = [];
      this.epochGenerator = '';
    }
    if (!Number.isInteger(state.cursor) || state.cursor < 0 || state.cursor > this.order.length) {
      throw new RangeError(`Expected state.cursor in [0, ${this.order.length}] (the items of the epoch) but received ` +
        `${state.cursor}: the state comes from other data`);
    }
    this.cursor = state.cursor;
    setGeneratorState(this.generator, state.generator);
  }

  private drawEpoch(): void {
    this.epochGenerator = generatorState(this.generator);
    const perm = torch.randperm(this.length, { generator: this.generator });
    this.order = perm.toArray() as number[];
    perm.dispose();
    this.cursor = 0;
  }
}
