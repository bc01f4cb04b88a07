// The transformer feed-forward block, as timm's `Mlp`.
import { Tensor } from '../../torch';
import { Module } from '../module';
import { Linear } from './linear';
import { Dropout } from './dropout';
import { GELU } from './activation';
import { TensorModule } from './container';
import { positiveInt, probability } from '../../torch/arguments';
import { defineOptions, is, option, OPTIONAL, optionsKey } from '../../torch/option-table';
import { scope } from '../../torch/scope';

/** Options of `Mlp`, as timm's `Mlp` keyword arguments. */
export interface MlpOptions {
  /** Width of the hidden layer. Default inFeatures (ViT passes 4 x dim). */
  hiddenFeatures?: number;
  /** Width of the output. Default inFeatures. */
  outFeatures?: number;
  /** Makes the activation layer. Default `() => new nn.GELU()`. */
  act?: () => TensorModule;
  /** Dropout after the activation and after fc2, in training. Default 0. */
  drop?: number;
  /** Learn biases in fc1 and fc2. Default true. */
  bias?: boolean;
}

// The defaults of MlpOptions, as timm's keyword arguments; the widths have none
// of their own: they are inFeatures.
const MLP_OPTIONS = defineOptions({
  hiddenFeatures: option(OPTIONAL, positiveInt),
  outFeatures: option(OPTIONAL, positiveInt),
  act: option<() => TensorModule>((): TensorModule => new GELU(), (v, what) => {
    if (typeof v === 'function') return v as () => TensorModule;
    throw new TypeError(`Expected a function that makes a layer for ${what} but received ${String(v)}`);
  }),
  drop: option(0, probability),
  bias: option(true, is.boolean),
});

/**
 * `drop(fc2(drop(act(fc1(x)))))` over (*, inFeatures) input, as timm's
 * `layers.Mlp`. Keys: `fc1.weight`, `fc1.bias`, `fc2.weight`, `fc2.bias`.
 *
 * @example
 * const mlp = new nn.Mlp(384, { hiddenFeatures: 1536 });
 * mlp.forward(torch.randn([8, 197, 384])); // (8, 197, 384)
 */
export class Mlp extends Module {
  readonly fc1: Linear;
  readonly act: TensorModule;
  readonly drop1: Dropout;
  readonly fc2: Linear;
  readonly drop2: Dropout;

  constructor(inFeatures: number, options: MlpOptions = {}) {
    super();
    const inF = positiveInt(inFeatures, 'inFeatures');
    const { hiddenFeatures, outFeatures, act, drop, bias } = MLP_OPTIONS.resolve(options, optionsKey);
    const hidden = hiddenFeatures ?? inF;
    const outF = outFeatures ?? inF;
    this.fc1 = this.registerModule('fc1', new Linear(inF, hidden, { bias }));
    this.act = this.registerModule('act', act());
    this.drop1 = this.registerModule('drop1', new Dropout(drop));
    this.fc2 = this.registerModule('fc2', new Linear(hidden, outF, { bias }));
    this.drop2 = this.registerModule('drop2', new Dropout(drop));
  }

  forward(x: Tensor): Tensor {
    // The intermediates' handles go at the return (nn.Sequential's forward says why).
    return scope(() => this.drop2.forward(this.fc2.forward(this.drop1.forward(this.act.forward(this.fc1.forward(x))))));
  }
}
