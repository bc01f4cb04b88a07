// Activation layers: ReLU, GELU, SiLU, Tanh and Sigmoid, as torch.nn.
import { Tensor } from '../../torch';
import { Module } from '../module';
import { gelu, relu, silu } from '../functional/activation';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';

/** Options of the activations that can overwrite their input. */
export interface InplaceOption {
  /** Overwrite the input and return it (saves memory; the input must not be needed for autograd). Default false. */
  inplace?: boolean;
}

// The layers' defaults, as torch.nn's keyword arguments, each stated once.
const INPLACE_OPTIONS = defineOptions({ inplace: option(false, is.boolean) });
const GELU_OPTIONS = defineOptions({
  approximate: option<'none' | 'tanh'>('none', (v, what) => {
    if (v === 'none' || v === 'tanh') return v;
    throw new TypeError(`Expected 'none' or 'tanh' for ${what} but received '${String(v)}'`);
  }),
});

/**
 * `max(x, 0)` elementwise, as `torch.nn.ReLU`.
 * @example new nn.ReLU({ inplace: true }).forward(x)
 */
export class ReLU extends Module {
  readonly inplace: boolean;

  constructor(options: InplaceOption = {}) {
    super();
    this.inplace = INPLACE_OPTIONS.resolve(options, optionsKey).inplace;
  }

  forward(x: Tensor): Tensor {
    return relu(x, { inplace: this.inplace });
  }

  override extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

/**
 * The Gaussian error linear unit `x * Phi(x)`, exact (`'none'`) or with the
 * tanh approximation, as `torch.nn.GELU` (the ViT default).
 * @example new nn.GELU().forward(x)
 */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = GELU_OPTIONS.resolve(options, optionsKey).approximate;
  }

  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/**
 * The sigmoid linear unit (swish) `x * sigmoid(x)`, as `torch.nn.SiLU`.
 * @example new nn.SiLU().forward(x)
 */
export class SiLU extends Module {
  readonly inplace: boolean;

  constructor(options: InplaceOption = {}) {
    super();
    this.inplace = INPLACE_OPTIONS.resolve(options, optionsKey).inplace;
  }

  forward(x: Tensor): Tensor {
    return silu(x, { inplace: this.inplace });
  }

  override extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

/**
 * The hyperbolic tangent, as `torch.nn.Tanh`.
 * @example new nn.Tanh().forward(x)
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/**
 * The logistic sigmoid `1 / (1 + exp(-x))`, as `torch.nn.Sigmoid`.
 * @example new nn.Sigmoid().forward(logits)
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}
