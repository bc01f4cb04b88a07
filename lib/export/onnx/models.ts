// Converters of the registry's encoders and their blocks (small_cnn,
// torchvision ResNets, timm ViTs), mirroring each class's forward.
import * as torch from '../../torch';
import { SmallCnn } from '../../models/small-cnn';
import { ResNet } from '../../models/resnet';
import { BasicBlock, Bottleneck } from '../../models/resnet-blocks';
import { PatchEmbed } from '../../models/patch-embed';
import { VitBlock } from '../../models/vit-block';
import { VisionTransformer } from '../../models/vit';
import { EmitContext, registerConverter } from './emit';

const stem = (ctx: EmitContext, m: Parameters<EmitContext['pathOf']>[0], what: string): string =>
  `${ctx.pathOf(m) || 'root'}.${what}`;

/** Global average pooling to (B, C): `adaptiveAvgPool2d(x, 1).flatten(1)`. */
function poolFlatten(ctx: EmitContext, x: string, s: string): string {
  const pooled = ctx.graph.node('GlobalAveragePool', [x], {}, 1, s); // (B, C, 1, 1)
  return ctx.graph.node('Flatten', [pooled], { axis: 1 }, 1, s); // (B, C)
}

/** PyTorch's adaptive pooling cells of `size` into `p`: [floor(i size / p), ceil((i + 1) size / p)). */
const adaptiveCells = (size: number, p: number): [number, number][] =>
  Array.from({ length: p }, (_, i) => [Math.floor((i * size) / p), Math.ceil(((i + 1) * size) / p)]);

/**
 * `adaptiveAvgPool2d(x, p).flatten(1)` of a (B, C, h, w) map whose side is
 * fixed by the example input: one Slice + ReduceMean per cell (the cells may
 * overlap, 7 -> 2 gives rows 0-3 and 3-6, so no single AveragePool fits),
 * concatenated back into (B, C, p, p) and flattened channel-major as PyTorch.
 */
function gridPoolFlatten(ctx: EmitContext, x: string, s: string, p: number, h: number, w: number): string {
  const g = ctx.graph;
  const rows = adaptiveCells(h, p).map(([r0, r1], i) => {
    const cells = adaptiveCells(w, p).map(([c0, c1], j) => {
      const cell = g.node('Slice', [x, g.ints(`${s}.start${i}_${j}`, [r0, c0]), g.ints(`${s}.end${i}_${j}`, [r1, c1]),
        g.ints(`${s}.axes${i}_${j}`, [2, 3])], {}, 1, s); // (B, C, r1 - r0, c1 - c0)
      return g.node('ReduceMean', [cell], { axes: [2, 3], keepdims: 1 }, 1, s); // (B, C, 1, 1)
    });
    return g.node('Concat', cells, { axis: 3 }, 1, s); // (B, C, 1, p)
  });
  return g.node('Flatten', [g.node('Concat', rows, { axis: 2 }, 1, s)], { axis: 1 }, 1, s); // (B, C p p)
}

/**
 * The encoder's pooled features, `adaptiveAvgPool2d(map, pool).flatten(1)`:
 * global pooling for pool 1, else the grid, whose cells depend on the map's
 * side, read from a forward of one zero image of the example input's shape.
 */
function pooledFeatures(ctx: EmitContext, m: SmallCnn | ResNet, map: string): string {
  const s = stem(ctx, m, 'pool');
  if (m.pool === 1) return poolFlatten(ctx, map, s);
  const [, , h, w] = torch.scope(() => torch.noGrad(() => m.forwardFeatures(torch.zeros([1, ...ctx.inputShape.slice(1)])).shape));
  return gridPoolFlatten(ctx, map, s, m.pool, h, w);
}

registerConverter(SmallCnn, (m, x, ctx) => {
  let y = x;
  for (let i = 0; i < m.convs.length; i++) y = ctx.emit(m.relu, ctx.emit(m.norms[i], ctx.emit(m.convs[i], y)));
  return ctx.emit(m.fc, pooledFeatures(ctx, m, y));
});

registerConverter(BasicBlock, (m, x, ctx) => {
  const identity = ctx.emit(m.downsample, x);
  const out = ctx.emit(m.relu, ctx.emit(m.bn1, ctx.emit(m.conv1, x)));
  const sum = ctx.graph.node('Add', [ctx.emit(m.bn2, ctx.emit(m.conv2, out)), identity], {}, 1, stem(ctx, m, 'add'));
  return ctx.emit(m.relu, sum);
});

registerConverter(Bottleneck, (m, x, ctx) => {
  const identity = ctx.emit(m.downsample, x);
  let out = ctx.emit(m.relu, ctx.emit(m.bn1, ctx.emit(m.conv1, x)));
  out = ctx.emit(m.relu, ctx.emit(m.bn2, ctx.emit(m.conv2, out)));
  const sum = ctx.graph.node('Add', [ctx.emit(m.bn3, ctx.emit(m.conv3, out)), identity], {}, 1, stem(ctx, m, 'add'));
  return ctx.emit(m.relu, sum);
});

registerConverter(ResNet, (m, x, ctx) => {
  let y = ctx.emit(m.relu, ctx.emit(m.bn1, ctx.emit(m.conv1, x)));
  if (!m.smallImages) {
    y = ctx.graph.node('MaxPool', [y], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 1, stem(ctx, m, 'maxpool'));
  }
  for (const layer of [m.layer1, m.layer2, m.layer3, m.layer4]) y = ctx.emit(layer, y);
  return ctx.emit(m.fc, pooledFeatures(ctx, m, y));
});

registerConverter(PatchEmbed, (m, x, ctx) => {
  const g = ctx.graph;
  const s = stem(ctx, m, 'tokens');
  const maps = ctx.emit(m.proj, x); // (B, D, h, w)
  const flat = g.node('Reshape', [maps, g.ints(`${s}.shape`, [0, 0, -1])], {}, 1, s); // (B, D, N)
  return g.node('Transpose', [flat], { perm: [0, 2, 1] }, 1, s); // (B, N, D)
});

registerConverter(VitBlock, (m, x, ctx) => {
  const g = ctx.graph;
  const y = g.node('Add', [x, ctx.emit(m.dropPath1, ctx.emit(m.attn, ctx.emit(m.norm1, x)))], {}, 1, stem(ctx, m, 'res1'));
  return g.node('Add', [y, ctx.emit(m.dropPath2, ctx.emit(m.mlp, ctx.emit(m.norm2, y)))], {}, 1, stem(ctx, m, 'res2'));
});

registerConverter(VisionTransformer, (m, x, ctx) => {
  const g = ctx.graph;
  const s = stem(ctx, m, 'vit');
  const [, , H, W] = ctx.inputShape;
  const p = m.patchEmbed.patchSize;
  if (H % p !== 0 || W % p !== 0) {
    throw new RangeError(`ONNX export: the example input's ${H}x${W} pixels are not a multiple of ${ctx.pathOf(m) || 'the ViT'}'s patch size ${p}`);
  }
  // NOTE: the position embedding is resampled here for the example input's
  // grid and stored as a constant: the exported model has a dynamic batch
  // axis but the image size of the example input.
  const pos = m.posEmbedFor(H / p, W / p); // (1, 1 + N, D)
  const patches = ctx.emit(m.patchEmbed, x); // (B, N, D)
  const batch = g.node('Shape', [x], { start: 0, end: 1 }, 1, s); // (1): B
  const clsShape = g.node('Concat', [batch, g.ints(`${s}.cls_dims`, [1, m.embedDim])], { axis: 0 }, 1, s); // [B, 1, D]
  const cls = g.node('Expand', [g.weight(`${stem(ctx, m, 'cls_token')}`, m.clsToken), clsShape], {}, 1, s); // (B, 1, D)
  const tokens = g.node('Concat', [cls, patches], { axis: 1 }, 1, s); // (B, 1 + N, D)
  const withPos = g.node('Add', [tokens, g.weight(`${stem(ctx, m, 'pos_embed')}`, pos)], {}, 1, s);
  if (pos !== m.posEmbed) pos.dispose();
  const normed = ctx.emit(m.norm, ctx.emit(m.blocks, withPos)); // (B, 1 + N, D)
  let pooled: string;
  if (m.globalPool === 'token') {
    pooled = g.node('Gather', [normed, g.ints(`${s}.cls_index`, [0], true)], { axis: 1 }, 1, s); // (B, D)
  } else {
    const patchTokens = g.node('Slice', [normed, g.ints(`${s}.start`, [m.numPrefixTokens]), g.ints(`${s}.end`, [2 ** 62]),
      g.ints(`${s}.axes`, [1])], {}, 1, s); // (B, N, D)
    if (m.globalPool === 'avg') {
      pooled = g.node('ReduceMean', [patchTokens], { axes: [1], keepdims: 0 }, 1, s); // (B, D)
    } else {
      const channels = g.node('Transpose', [patchTokens], { perm: [0, 2, 1] }, 1, s); // (B, D, N)
      const map = g.node('Reshape', [channels, g.ints(`${s}.grid_shape`, [0, m.embedDim, H / p, W / p])], {}, 1, s); // (B, D, h, w)
      pooled = gridPoolFlatten(ctx, map, `${s}.grid`, m.poolGrid, H / p, W / p); // (B, D * poolGrid^2)
    }
  }
  return ctx.emit(m.head, ctx.emit(m.fcNorm, pooled));
});
