// Seeds and random generators.
import { native, Handle } from './native';
import { Tensor } from './tensor';

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

  /**
   * The whole state as a uint8 tensor (the bytes PyTorch's
   * `Generator.get_state()` returns), for checkpoints that resume exactly.
   * @example const s = g.getState(); g.randn([3]); g.setState(s); // the same draws again
   */
  getState(): Tensor {
    return new Tensor(native.generatorGetState(this._h));
  }

  /** Restores a state from `getState()` (or PyTorch's `get_state()`) and returns this generator. */
  setState(state: Tensor): this {
    native.generatorSetState(this._h, state._h);
    return this;
  }
}

/**
 * The default CPU generator's state (uint8 tensor), as `torch.get_rng_state()`.
 * @example const s = torch.getRngState(); torch.rand([2]); torch.setRngState(s);
 */
export function getRngState(): Tensor {
  return new Tensor(native.generatorGetState(null));
}

/** Restores the default CPU generator's state, as `torch.set_rng_state(state)`. */
export function setRngState(state: Tensor): void {
  native.generatorSetState(null, state._h);
}
