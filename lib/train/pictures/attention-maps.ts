// DINO's attention maps: where the [CLS] token of the last block looks, one
// map per head, as facebookresearch/dino visualize_attention.py draws them
// (`attentions[0, :, 0, 1:]`, reshaped to the patch grid, upsampled by the
// patch size).
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { VisionTransformer } from '../../models/vit';
import { VitBlock } from '../../models/vit-block';
import { writeImageGrid, ImageGridInfo } from '../../data/image-grid';

/**
 * The last block's attention of the [CLS] query over the patch tokens:
 * (B, heads, h, w) for images (B, C, H, W) with an (h, w) patch grid; each
 * head's row sums to 1 over the patches and the [CLS] key together.
 *
 * @example const maps = clsAttention(vit, images); // (B, heads, H / p, W / p)
 */
export function clsAttention(vit: VisionTransformer, x: Tensor): Tensor {
  return torch.noGrad(() => torch.scope(() => {
    const [h, w] = vit.patchEmbed.grid(x);
    const patches = vit.patchEmbed.forward(x); // (B, N, D)
    const cls = vit.clsToken.expand([patches.shape[0], -1, -1]); // (B, 1, D)
    let tokens = torch.cat([cls, patches], 1).add(vit.posEmbedFor(h, w)); // (B, 1 + N, D)
    const depth = vit.blocks.length;
    for (let i = 0; i < depth - 1; i++) tokens = (vit.blocks.at(i) as VitBlock).forward(tokens);
    const last = vit.blocks.at(depth - 1) as VitBlock;
    const attn = last.attn;
    const [B, N] = tokens.shape;
    const qkv = attn.qkv.forward(last.norm1.forward(tokens))
      .reshape([B, N, 3, attn.numHeads, attn.headDim]).permute([2, 0, 3, 1, 4]); // (3, B, heads, N, headDim)
    const q = attn.qNorm.forward(qkv.select(0, 0)).narrow(2, 0, 1); // (B, heads, 1, headDim): the [CLS] query
    const k = attn.kNorm.forward(qkv.select(0, 1)); // (B, heads, N, headDim)
    const weights = q.matmul(k.transpose(-2, -1)).mul(attn.headDim ** -0.5).softmax(-1); // (B, heads, 1, N)
    return torch.keep(weights.squeeze(2).narrow(2, 1, N - 1).reshape([B, attn.numHeads, h, w])); // (B, heads, h, w)
  }));
}

/**
 * Writes a PNG grid: per row one image, then one column per head with that
 * head's [CLS] attention upsampled to the image (nearest, by the patch size),
 * each map scaled to its own [0, 1] range as in the DINO figures.
 *
 * @example await writeAttentionMaps('runs/dino/attention.png', vit, testBatch, { mean: ds.mean, std: ds.std });
 */
export async function writeAttentionMaps(file: string, vit: VisionTransformer, images: Tensor,
  o: { mean: readonly number[]; std: readonly number[]; scale?: number }): Promise<ImageGridInfo> {
  const wasTraining = vit.training;
  vit.eval();
  try {
    const columns = torch.scope(() => {
      const [B, C, H, W] = images.shape;
      const maps = clsAttention(vit, images); // (B, heads, h, w)
      const [, heads, h, w] = maps.shape;
      const [ph, pw] = [H / h, W / w]; // the patch size: nearest upsampling repeats each value over its patch
      const up = maps.view([B, heads, h, 1, w, 1]).expand([B, heads, h, ph, w, pw]).reshape([B, heads, H, W]);
      const lo = up.amin([2, 3], true);
      const hi = up.amax([2, 3], true);
      const unit = up.sub(lo).div(hi.sub(lo).clamp(1e-12)); // (B, heads, H, W) in [0, 1]
      const m = torch.tensor([...o.mean]).view([1, C, 1, 1]);
      const s = torch.tensor([...o.std]).view([1, C, 1, 1]);
      const shown = images.to('float32').cpu().mul(s).add(m).clamp(0, 1);
      const perHead = Array.from({ length: heads }, (_, i) => unit.narrow(1, i, 1).cpu());
      return [shown, ...perHead].map((t) => torch.keep(t));
    });
    try {
      return await writeImageGrid(file, columns, { scale: o.scale ?? Math.max(1, Math.ceil(64 / images.shape[2])) });
    } finally {
      columns.forEach((c) => c.dispose());
    }
  } finally {
    vit.train(wasTraining);
  }
}
