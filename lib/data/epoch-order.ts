// The shuffled order of an endless batch stream: every item once per epoch,
// a new permutation from a seeded generator when the epoch runs out, and a
// JSON-able state so that a checkpoint continues with the same batches. The
// permutation is not stored: the generator's state at the epoch's start is,
// and the permutation is drawn again from it on `loadState`. Used by the CLIP
// caption batches (a fixed set) and BERT/ALBERT's pair batches (new pairs
// each epoch, so a number of items per epoch).
import * as torch from '../torch';
import { Generator } from '../torch';
import { checkInt } from '../torch/arguments';
import { generatorState, setGeneratorState } from './generator-state';

/**
 * Where an `EpochOrder` stands: the epoch (from 0), the next position in its order, and the
 * generator's state (base64) at the epoch's start (it drew the order) and now.
 */
export interface EpochOrderState {
  epoch: number;
  cursor: number;
  epochGenerator: string;
  generator: string;
}

/**
 * Batches of indices in a seeded random order, each index once per epoch (a batch never spans
 * two epochs: the rest of an epoch shorter than a batch is skipped). `items` is the number of
 * items, or a function that prepares epoch `e`'s items and returns how many there are (called
 * once per epoch, in order, and again for the saved epoch on `loadState`).
 * @example
 * const order = new EpochOrder(60000, 0);
 * const idx = order.take(128); // 128 distinct indices
 * const saved = order.state(); order.take(128); order.loadState(saved); // the same 128 again next
 */
export class EpochOrder {
  /** Draws the permutations; users may draw more from it (captions, masks), and `state()` keeps those draws too. */
  readonly generator: Generator;
  private readonly items: (epoch: number) => number;
  private order: number[] = [];
  private cursor = 0;
  private epochIndex = 0;
  private epochGenerator = '';

  constructor(items: number | ((epoch: number) => number), seed: number) {
    this.items = typeof items === 'number' ? () => items : items;
    if (typeof items === 'number') checkInt(items, 'items', 1);
    this.generator = new torch.Generator().manualSeed(seed);
    this.drawEpoch();
  }

  /** The current epoch (from 0). */
  get epoch(): number {
    return this.epochIndex;
  }

  /** Items in the current epoch. */
  get length(): number {
    return this.order.length;
  }

  /** The next `batchSize` indices (a new epoch's order when this one cannot give them). @example const idx = order.take(32); */
  take(batchSize: number): number[] {
    if (this.cursor + batchSize > this.order.length) {
      this.epochIndex++;
      this.drawEpoch();
    }
    const idx = this.order.slice(this.cursor, this.cursor + batchSize);
    this.cursor += batchSize;
    return idx;
  }

  /** For a checkpoint. @example const saved = order.state(); */
  state(): EpochOrderState {
    return { epoch: this.epochIndex, cursor: this.cursor, epochGenerator: this.epochGenerator, generator: generatorState(this.generator) };
  }

  /** Continues from `state()` of an order over the same items. @example order.loadState(saved); */
  loadState(state: EpochOrderState): void {
    this.epochIndex = checkInt(state.epoch, 'state.epoch', 0);
    setGeneratorState(this.generator, state.epochGenerator);
    this.drawEpoch();
    if (!Number.isInteger(state.cursor) || state.cursor < 0 || state.cursor > this.order.length) {
      throw new RangeError(`Expected state.cursor in [0, ${this.order.length}] (the items of epoch ${state.epoch}) but received ` +
        `${state.cursor}: the state comes from other data or options`);
    }
    this.cursor = state.cursor;
    setGeneratorState(this.generator, state.generator);
  }

  private drawEpoch(): void {
    const n = this.items(this.epochIndex);
    this.epochGenerator = generatorState(this.generator);
    const perm = torch.randperm(n, { generator: this.generator });
    this.order = perm.toArray() as number[];
    perm.dispose();
    this.cursor = 0;
  }
}
