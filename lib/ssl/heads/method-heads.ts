// The projectors and predictors of SimSiam, Barlow Twins, VICReg, MoCo v2,
// MoCo v3 and SwAV / DeepCluster v2, as the authors' code builds them (the
// same layers, biases and batch norms), on lightly's `layers.N` keys.
import { BatchNorm1d } from '../../nn/layers/batch-norm';
import { ReLU } from '../../nn/layers/activation';
import { ProjectionHead, ProjectionHeadBlock } from './projection-head';

/** Hidden blocks Linear(no bias) -> BN -> ReLU, as the Barlow Twins / SimSiam / MoCo v3 MLPs. */
function hidden(inDim: number, outDim: number, bias = false): ProjectionHeadBlock {
  return { inDim, outDim, batchNorm: true, activation: new ReLU(), bias };
}

/**
 * SimSiam's projector (Chen & He 2021, section 4: "The projection MLP (in f)
 * has BN applied to each fully-connected (fc) layer, including its output fc.
 * Its output fc has no ReLU. The hidden fc is 2048-d. This MLP has 3 layers"):
 * `layers` hidden blocks of Linear(no bias)-BN-ReLU, then Linear(no bias) and
 * BN without affine parameters (the official code freezes that BN's bias).
 * On CIFAR the paper uses 2 layers.
 *
 * @example const projector = simsiamProjectionHead(512, 2048, 2048, 3);
 */
export function simsiamProjectionHead(inDim: number, hiddenDim = 2048, outDim = 2048, layers = 3): ProjectionHead {
  const blocks: ProjectionHeadBlock[] = [];
  for (let i = 0; i < layers - 1; i++) blocks.push(hidden(i === 0 ? inDim : hiddenDim, hiddenDim));
  blocks.push({ inDim: layers === 1 ? inDim : hiddenDim, outDim, batchNorm: new BatchNorm1d(outDim, { affine: false }), bias: false });
  return new ProjectionHead(blocks);
}

/**
 * SimSiam's predictor h (section 4: "The prediction MLP (h) has BN applied to
 * its hidden fc layers. Its output fc does not have BN or ReLU. This MLP has
 * 2 layers. ... the hidden layer's dimension is 512"): a bottleneck.
 *
 * @example const predictor = simsiamPredictionHead(2048, 512, 2048);
 */
export function simsiamPredictionHead(inDim = 2048, hiddenDim = 512, outDim = 2048): ProjectionHead {
  return new ProjectionHead([hidden(inDim, hiddenDim), { inDim: hiddenDim, outDim, bias: true }]);
}

/**
 * The projector of Barlow Twins (Zbontar et al. 2021, section 4: "three linear
 * layers, each with 8192 output units. The first two layers of the projector
 * are followed by a batch normalization layer and rectified linear units"),
 * no biases, as the official code; and of VICReg (Bardes et al. 2022,
 * "expander" 8192-8192-8192), whose hidden layers keep their biases.
 *
 * @example const projector = barlowTwinsProjectionHead(512, 8192, 8192);
 */
export function barlowTwinsProjectionHead(inDim: number, hiddenDim = 8192, outDim = 8192, hiddenBias = false): ProjectionHead {
  return new ProjectionHead([hidden(inDim, hiddenDim, hiddenBias), hidden(hiddenDim, hiddenDim, hiddenBias),
    { inDim: hiddenDim, outDim, bias: false }]);
}

/**
 * MoCo v2's MLP head (Chen et al. 2020, "Improved Baselines with Momentum
 * Contrastive Learning": "a 2-layer MLP head (hidden layer 2048-d, with
 * ReLU)"): Linear -> ReLU -> Linear with biases and no batch norm, the hidden
 * width the encoder's feature size.
 *
 * @example const head = mocoV2ProjectionHead(2048, 2048, 128);
 */
export function mocoV2ProjectionHead(inDim: number, hiddenDim = inDim, outDim = 128): ProjectionHead {
  return new ProjectionHead([{ inDim, outDim: hiddenDim, activation: new ReLU(), bias: true }, { inDim: hiddenDim, outDim, bias: true }]);
}

/**
 * MoCo v3's MLPs (Chen, Xie, He 2021, official `_build_mlp`): `layers` blocks
 * of Linear(no bias)-BN-ReLU, the last Linear(no bias) followed by BN
 * without affine parameters. The projector has 2 layers after a ResNet and 3
 * after a ViT; the predictor 2. Hidden 4096, output 256.
 *
 * @example const projector = mocoV3Head(768, 4096, 256, 3); const predictor = mocoV3Head(256, 4096, 256, 2);
 */
export function mocoV3Head(inDim: number, hiddenDim = 4096, outDim = 256, layers = 2): ProjectionHead {
  const blocks: ProjectionHeadBlock[] = [];
  for (let i = 0; i < layers - 1; i++) blocks.push(hidden(i === 0 ? inDim : hiddenDim, hiddenDim));
  blocks.push({ inDim: layers === 1 ? inDim : hiddenDim, outDim, batchNorm: new BatchNorm1d(outDim, { affine: false }), bias: false });
  return new ProjectionHead(blocks);
}

/**
 * The projection head of SwAV and DeepCluster v2 (official `projection_head`:
 * Linear(featureDim, 2048) -> BN -> ReLU -> Linear(2048, 128)); the
 * embeddings are L2-normalised after it.
 *
 * @example const head = swavProjectionHead(2048, 2048, 128);
 */
export function swavProjectionHead(inDim: number, hiddenDim = 2048, outDim = 128): ProjectionHead {
  return new ProjectionHead([{ inDim, outDim: hiddenDim, batchNorm: true, activation: new ReLU(), bias: true },
    { inDim: hiddenDim, outDim, bias: true }]);
}
