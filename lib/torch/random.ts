// Seeds and random generators.
import { native, Handle } from './native';

/**
 * Seeds the global CPU generator and every CUDA generator, as `torch.manual_seed`.
 * @example torch.manualSeed(0); torch.rand([2]) // the same values on every run
 */
export function manualSeed(seed: number | bigint): void {
  native.manualSeed(seed);
}

/**
 * A random number generator with its own state, as `torch.Generator`
 * (CPU only; on CUDA the default generators are seeded by manualSeed).
 *
 * @example
 * const g = new torch.Generator().manualSeed(42);
 * torch.randn([3], { generator: g });
 */
export class Generator {
  /** @internal */
  readonly _h: Handle;

  constructor(device: 'cpu' = 'cpu') {
    this._h = native.newGenerator(undefined, device);
  }

  /** Re-seeds this generator and returns it. */
  manualSeed(seed: number | bigint): this {
    native.generatorSeed(this._h, seed);
    return this;
  }

  /** The seed this generator was last seeded with. */
  initialSeed(): bigint {
    return native.generatorInitialSeed(this._h);
  }
}
