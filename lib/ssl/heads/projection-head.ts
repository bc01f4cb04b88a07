// The MLP heads that sit on an encoder's features: SimCLR's projector, BYOL's
// projector and predictor, as lightly's ProjectionHead (same layout, same keys).
import { Tensor } from '../../torch';
import { Module } from '../../nn/module';
import { Linear } from '../../nn/layers/linear';
import { BatchNorm1d } from '../../nn/layers/batch-norm';
import { ReLU } from '../../nn/layers/activation';
import { Sequential, TensorModule } from '../../nn/layers/container';
import { checkBoolean, checkInt, describe } from '../../torch/arguments';

/** One block of a `ProjectionHead`: Linear(inDim, outDim), then optional batch norm, then optional activation. */
export interface ProjectionHeadBlock {
  inDim: number;
  outDim: number;
  /** `true` for `BatchNorm1d(outDim)`, or a norm module of your own. Default: none. */
  batchNorm?: boolean | TensorModule;
  /** An activation module (`new nn.ReLU()`). Default: none. */
  activation?: TensorModule | null;
  /**
   * Whether the Linear has a bias. Default: only when there is no batch norm
   * (a bias before batch norm is cancelled by its mean subtraction), as lightly.
   */
  bias?: boolean;
}

/**
 * An MLP of blocks, each `Linear -> [BatchNorm] -> [activation]`, held in a
 * `Sequential` called `layers`, so the keys are lightly's:
 * `layers.0.weight`, `layers.1.running_mean`, ... (one index per module).
 *
 * @example
 * const head = new ProjectionHead([
 *   { inDim: 512, outDim: 2048, batchNorm: true, activation: new nn.ReLU() },
 *   { inDim: 2048, outDim: 128 },
 * ]);
 * head.forward(torch.randn([8, 512])); // (8, 128)
 */
export class ProjectionHead extends Module {
  readonly layers: Sequential;
  /** Input and output sizes of the whole head. */
  readonly inDim: number;
  readonly outDim: number;

  constructor(blocks: readonly ProjectionHeadBlock[]) {
    super();
    if (!Array.isArray(blocks) || blocks.length === 0) {
      throw new TypeError(`Expected a non-empty array of blocks for ProjectionHead but received ${describe(blocks)}`);
    }
    const modules: TensorModule[] = [];
    blocks.forEach((b, i) => {
      const inDim = checkInt(b.inDim, `blocks[${i}].inDim`, 1);
      const outDim = checkInt(b.outDim, `blocks[${i}].outDim`, 1);
      if (i > 0 && inDim !== blocks[i - 1].outDim) {
        throw new RangeError(`Expected blocks[${i}].inDim to equal blocks[${i - 1}].outDim (${blocks[i - 1].outDim}) ` +
          `but received ${inDim}`);
      }
      const norm = b.batchNorm === undefined || b.batchNorm === false ? null
        : b.batchNorm === true ? new BatchNorm1d(outDim)
          : checkModule(b.batchNorm, `blocks[${i}].batchNorm`);
      const bias = checkBoolean(b.bias ?? norm === null, `blocks[${i}].bias`);
      modules.push(new Linear(inDim, outDim, { bias }));
      if (norm !== null) modules.push(norm);
      if (b.activation !== undefined && b.activation !== null) modules.push(checkModule(b.activation, `blocks[${i}].activation`));
    });
    this.inDim = blocks[0].inDim;
    this.outDim = blocks[blocks.length - 1].outDim;
    this.layers = this.registerModule('layers', new Sequential(...modules));
  }

  /**
   * (B, inDim) -> (B, outDim). With batch norm in training mode B must be at least 2.
   * @example simclrProjectionHead(512).forward(torch.randn([8, 512])); // (8, 128)
   */
  forward(x: Tensor): Tensor {
    return this.layers.forward(x);
  }

  override extraRepr(): string {
    return `inDim=${this.inDim}, outDim=${this.outDim}`;
  }
}

function checkModule(value: unknown, what: string): TensorModule {
  if (value instanceof Module && typeof (value as unknown as { forward?: unknown }).forward === 'function') {
    return value as TensorModule;
  }
  throw new TypeError(`Expected a Module with forward for ${what} but received ${describe(value)}`);
}

/** The two-layer head of SimCLR and BYOL: Linear -> BatchNorm1d -> ReLU -> Linear. */
function twoLayer(inDim: number, hiddenDim: number, outDim: number): ProjectionHead {
  return new ProjectionHead([
    { inDim, outDim: hiddenDim, batchNorm: true, activation: new ReLU() },
    { inDim: hiddenDim, outDim },
  ]);
}

/**
 * SimCLR's projection head g(.) (Chen et al. 2020, section 2.1: "a MLP with
 * one hidden layer"; lightly's SimCLRProjectionHead, version 1):
 * Linear(inDim, hiddenDim) -> BatchNorm1d -> ReLU -> Linear(hiddenDim, outDim).
 * SimCLR uses hiddenDim = the feature size (2048 for ResNet-50) and
 * "a 2-layer MLP projection head to project the representation to a
 * 128-dimensional latent space" (section 2.3): outDim 128.
 *
 * @example const head = simclrProjectionHead(encoder.featureDim, 2048, 128);
 */
export function simclrProjectionHead(inDim: number, hiddenDim = 2048, outDim = 128): ProjectionHead {
  return twoLayer(inDim, hiddenDim, outDim);
}

/**
 * BYOL's projector (Grill et al. 2020, section 3.3: "a linear layer with
 * output size 4096 followed by batch normalization, rectified linear units
 * (ReLU), and a final linear layer with output dimension 256").
 *
 * @example const projector = byolProjectionHead(encoder.featureDim); // featureDim -> 4096 -> 256
 */
export function byolProjectionHead(inDim: number, hiddenDim = 4096, outDim = 256): ProjectionHead {
  return twoLayer(inDim, hiddenDim, outDim);
}

/**
 * BYOL's predictor q (Grill et al. 2020, section 3.3: "uses the same
 * architecture as g", the projector): 256 -> 4096 -> 256.
 *
 * @example const predictor = byolPredictionHead(); // 256 -> 4096 -> 256
 */
export function byolPredictionHead(inDim = 256, hiddenDim = 4096, outDim = 256): ProjectionHead {
  return twoLayer(inDim, hiddenDim, outDim);
}
