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
import { checkBoolean, checkInt } from '../../torch/arguments';
import { ones_, truncNormal_, zeros_ } from '../../nn/init';

/** Options of `DINOHead`; defaults are main_dino.py's. */
export interface DINOHeadOptions {
  /**
   * Prototypes K, the size of the softmax the loss compares. Default 65536:
   * "a large output dimension K = 65536" works best for ViT-S (DINO table 9 /
   * main_dino.py `--out_dim`).
   */
  outDim?: number;
  /** Hidden width of the MLP. Default 2048 (DINO appendix: "a 3-layer MLP with hidden dimension 2048"). */
  hiddenDim?: number;
  /** Width of the bottleneck before the L2 normalisation. Default 256 (DINO: "followed by l2 normalization and a weight normalized fully connected layer"). */
  bottleneckDim?: number;
  /** Linear layers of the MLP (at least 1). Default 3. */
  nlayers?: number;
  /** Batch norm after each hidden Linear. Default false ("DINO head without BN", main_dino.py `--use_bn_in_head`). */
  useBn?: boolean;
  /**
   * Fix the last layer's magnitude `weight_g` to 1 (not trained), so only the
   * prototypes' directions learn. Default true (main_dino.py `--norm_last_layer`:
   * "Not normalizing leads to better performance but can make the training unstable").
   */
  normLastLayer?: boolean;
}

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
    this.outDim = checkInt(options.outDim ?? 65536, 'options.outDim', 1);
    const hidden = checkInt(options.hiddenDim ?? 2048, 'options.hiddenDim', 1);
    this.bottleneckDim = checkInt(options.bottleneckDim ?? 256, 'options.bottleneckDim', 1);
    const nlayers = checkInt(options.nlayers ?? 3, 'options.nlayers', 1);
    const useBn = checkBoolean(options.useBn ?? false, 'options.useBn');
    const normLastLayer = checkBoolean(options.normLastLayer ?? true, 'options.normLastLayer');

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
