// DINO's projection head: an MLP to a bottleneck, L2 normalisation, and a
// weight-normalised linear layer to the K prototypes, as DINOHead in
// facebookresearch/dino vision_transformer.py (same keys: mlp.N.*, last_layer.weight_g/_v).
import { Tensor } from '../../torch';
import { Module } from '../../nn/module';
import { Linear } from '../../nn/layers/linear';
import { BatchNorm1d } from '../../nn/layers/batch-norm';
import { GELU } from '../../nn/layers/activation';
import { Sequential, TensorModule } from '../../nn/layers/container';
import { WeightNormed, weightNorm } from '../../nn/layers/weight-norm';
import { normalize } from '../../nn/functional/normalization';
import { checkInt } from '../../torch/arguments';
import { checkOptionKeys, defineOptions, GivenOptions, is, option } from '../../torch/option-table';
import { ones_, truncNormal_, zeros_ } from '../../nn/init';

/** `DINOHead`'s options: defaults (main_dino.py's) and checks. DINO's own options take theirs from here. */
export const DINO_HEAD_OPTIONS = defineOptions({
  /**
   * Prototypes K, the size of the softmax the loss compares. Default 65536:
   * "a large output dimension K = 65536" works best for ViT-S (DINO table 9 /
   * main_dino.py `--out_dim`).
   */
  outDim: option(65536, is.int(1)),
  /** Hidden width of the MLP. Default 2048 (DINO appendix: "a 3-layer MLP with hidden dimension 2048"). */
  hiddenDim: option(2048, is.int(1)),
  /** Width of the bottleneck before the L2 normalisation. Default 256 (DINO: "followed by l2 normalization and a weight normalized fully connected layer"). */
  bottleneckDim: option(256, is.int(1)),
  /**
   * Fix the last layer's magnitude `weight_g` to 1 (not trained), so only the
   * prototypes' directions learn. Default true (main_dino.py `--norm_last_layer`:
   * "Not normalizing leads to better performance but can make the training unstable").
   */
  normLastLayer: option(true, is.boolean),
  /** Linear layers of the MLP (at least 1). Default 3. */
  nlayers: option(3, is.int(1)),
  /** Batch norm after each hidden Linear. Default false ("DINO head without BN", main_dino.py `--use_bn_in_head`). */
  useBn: option(false, is.boolean),
});

/** Options of `DINOHead` (`DINO_HEAD_OPTIONS`). */
export type DINOHeadOptions = GivenOptions<typeof DINO_HEAD_OPTIONS.specs>;

/**
 * DINO's head (Caron et al. 2021): `mlp` = Linear(inDim, 2048) - GELU -
 * Linear(2048, 2048) - GELU - Linear(2048, 256), then L2 normalisation, then
 * `last_layer` = weightNorm(Linear(256, outDim, bias false)) with `weight_g`
 * filled with 1 (and frozen with `normLastLayer`). MLP weights are drawn from
 * a truncated normal (std 0.02) with zero biases; `last_layer` keeps Linear's
 * default draw, as the reference. Keys: `mlp.0.weight`, `mlp.0.bias`,
 * `mlp.2.*`, `mlp.4.*`, `last_layer.weight_g`, `last_layer.weight_v`.
 *
 * @example
 * const head = new DINOHead(384, { outDim: 65536 });
 * head.forward(torch.randn([8, 384])); // (8, 65536) logits, before the temperature
 */
export class DINOHead extends Module {
  readonly inDim: number;
  readonly outDim: number;
  readonly bottleneckDim: number;
  /** The MLP (a Linear when nlayers is 1). */
  readonly mlp: TensorModule;
  readonly lastLayer: WeightNormed<Linear, 'weight'>;

  constructor(inDim: number, options: DINOHeadOptions = {}) {
    super();
    this.inDim = checkInt(inDim, 'inDim', 1);
    checkOptionKeys(options, DINO_HEAD_OPTIONS.keys, 'DINOHead');
    const { outDim, hiddenDim: hidden, bottleneckDim, nlayers, useBn, normLastLayer } =
      DINO_HEAD_OPTIONS.resolve(options, (k) => `options.${k}`);
    this.outDim = outDim;
    this.bottleneckDim = bottleneckDim;

    let mlp: TensorModule;
    if (nlayers === 1) {
      mlp = new Linear(this.inDim, this.bottleneckDim);
    } else {
      const layers: TensorModule[] = [];
      for (let i = 0; i < nlayers - 1; i++) {
        layers.push(new Linear(i === 0 ? this.inDim : hidden, hidden));
        if (useBn) layers.push(new BatchNorm1d(hidden));
        layers.push(new GELU());
      }
      layers.push(new Linear(hidden, this.bottleneckDim));
      mlp = new Sequential(...layers);
    }
    this.mlp = this.registerModule('mlp', mlp);
    for (const m of mlp.modules()) {
      if (!(m instanceof Linear)) continue;
      truncNormal_(m.weight, { std: 0.02 });
      if (m.bias) zeros_(m.bias);
    }
    this.lastLayer = this.registerModule('last_layer',
      weightNorm(new Linear(this.bottleneckDim, this.outDim, { bias: false })));
    ones_(this.lastLayer.weight_g);
    if (normLastLayer) this.lastLayer.weight_g.requiresGrad_(false);
  }

  /**
   * (B, inDim) features -> (B, outDim) prototype scores.
   * @example new DINOHead(192, { outDim: 1024 }).forward(torch.randn([4, 192])); // (4, 1024)
   */
  forward(x: Tensor): Tensor {
    // NOTE: eps 1e-12 as F.normalize's default: the bottleneck is never all-zero in practice.
    const z = normalize(this.mlp.forward(x), { dim: -1, p: 2 }); // (B, bottleneckDim), unit rows
    return this.lastLayer.forward(z); // (B, outDim)
  }

  override extraRepr(): string {
    return `inDim=${this.inDim}, bottleneckDim=${this.bottleneckDim}, outDim=${this.outDim}`;
  }
}
