// Converters of the nn layers, each written as the standard ONNX ops of its
// eval-mode forward (opset 17).
import { Attention, BatchNorm2d, Conv2d, Dropout, DropPath, GELU, Identity, LayerNorm, Linear, Mlp, ReLU, Sequential } from '../../nn';
import { ones, zeros } from '../../torch/creation';
import { EmitContext, registerConverter } from './emit';

const stem = (ctx: EmitContext, m: Parameters<EmitContext['pathOf']>[0], what: string): string =>
  `${ctx.pathOf(m) || 'root'}.${what}`;

registerConverter(Identity, (_m, x) => x);
// Dropout and DropPath are the identity in eval mode, which the export runs in.
registerConverter(Dropout, (_m, x) => x);
registerConverter(DropPath, (_m, x) => x);
registerConverter(ReLU, (m, x, ctx) => ctx.graph.node('Relu', [x], {}, 1, stem(ctx, m, 'relu')));

registerConverter(Sequential, (m, x, ctx) => {
  let y = x;
  for (let i = 0; i < m.length; i++) y = ctx.emit(m.at(i), y);
  return y;
});

registerConverter(Conv2d, (m, x, ctx) => {
  const [kh, kw] = m.kernelSize;
  const [dh, dw] = m.dilation;
  let pads: number[];
  if (m.padding === 'valid') pads = [0, 0, 0, 0];
  else if (m.padding === 'same') {
    // NOTE: PyTorch's 'same' puts the odd pixel of padding after (bottom/right), as ONNX's pads order allows.
    const th = dh * (kh - 1);
    const tw = dw * (kw - 1);
    pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
  } else pads = [m.padding[0], m.padding[1], m.padding[0], m.padding[1]];
  const inputs = [x, ctx.graph.weight(stem(ctx, m, 'weight'), m.weight)];
  if (m.bias) inputs.push(ctx.graph.weight(stem(ctx, m, 'bias'), m.bias));
  return ctx.graph.node('Conv', inputs, {
    kernel_shape: [kh, kw], strides: [...m.stride], pads, dilations: [dh, dw], group: m.groups,
  }, 1, stem(ctx, m, 'conv'));
});

registerConverter(BatchNorm2d, (m, x, ctx) => {
  if (m.runningMean === null || m.runningVar === null) {
    throw new Error(`ONNX export: ${ctx.pathOf(m)} (BatchNorm2d) has no running statistics (trackRunningStats false): ` +
      'it normalises with batch statistics even in eval mode, which op BatchNormalization does not do');
  }
  const g = ctx.graph;
  const scale = m.weight ?? ones([m.numFeatures]);
  const bias = m.bias ?? zeros([m.numFeatures]);
  return g.node('BatchNormalization', [x, g.weight(stem(ctx, m, 'weight'), scale), g.weight(stem(ctx, m, 'bias'), bias),
    g.weight(stem(ctx, m, 'running_mean'), m.runningMean), g.weight(stem(ctx, m, 'running_var'), m.runningVar)],
  { epsilon: { float: m.eps } }, 1, stem(ctx, m, 'bn'));
});

registerConverter(Linear, (m, x, ctx) => {
  const g = ctx.graph;
  // MatMul against the transposed weight works for inputs of any rank ((B, in) and (B, N, in)).
  const wt = m.weight.t();
  const y = g.node('MatMul', [x, g.weight(stem(ctx, m, 'weight_t'), wt)], {}, 1, stem(ctx, m, 'matmul'));
  wt.dispose();
  return m.bias ? g.node('Add', [y, g.weight(stem(ctx, m, 'bias'), m.bias)], {}, 1, stem(ctx, m, 'out')) : y;
});

registerConverter(LayerNorm, (m, x, ctx) => {
  const g = ctx.graph;
  const shape = m.normalizedShape;
  const scale = m.weight ?? ones(shape);
  const inputs = [x, g.weight(stem(ctx, m, 'weight'), scale)];
  if (m.bias) inputs.push(g.weight(stem(ctx, m, 'bias'), m.bias));
  return g.node('LayerNormalization', inputs, { axis: -shape.length, epsilon: { float: m.eps } }, 1, stem(ctx, m, 'ln'));
});

registerConverter(GELU, (m, x, ctx) => {
  const g = ctx.graph;
  const s = stem(ctx, m, 'gelu');
  const half = g.node('Mul', [x, g.scalar(`${s}.half`, 0.5)], {}, 1, s);
  if (m.approximate === 'tanh') {
    // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
    const cube = g.node('Mul', [g.node('Mul', [x, x], {}, 1, s), x], {}, 1, s);
    const inner = g.node('Add', [x, g.node('Mul', [cube, g.scalar(`${s}.c`, 0.044715)], {}, 1, s)], {}, 1, s);
    const t = g.node('Tanh', [g.node('Mul', [inner, g.scalar(`${s}.k`, Math.sqrt(2 / Math.PI))], {}, 1, s)], {}, 1, s);
    return g.node('Mul', [half, g.node('Add', [t, g.scalar(`${s}.one`, 1)], {}, 1, s)], {}, 1, s);
  }
  // Exact GELU: 0.5 x (1 + erf(x / sqrt(2))); ONNX has no Gelu op before opset 20.
  const erf = g.node('Erf', [g.node('Div', [x, g.scalar(`${s}.sqrt2`, Math.SQRT2)], {}, 1, s)], {}, 1, s);
  return g.node('Mul', [half, g.node('Add', [erf, g.scalar(`${s}.one`, 1)], {}, 1, s)], {}, 1, s);
});

registerConverter(Mlp, (m, x, ctx) => ctx.emit(m.drop2, ctx.emit(m.fc2, ctx.emit(m.drop1, ctx.emit(m.act, ctx.emit(m.fc1, x))))));

registerConverter(Attention, (m, x, ctx) => {
  const g = ctx.graph;
  const s = stem(ctx, m, 'attn');
  const qkv = ctx.emit(m.qkv, x); // (B, N, 3 dim)
  const split = g.node('Reshape', [qkv, g.ints(`${s}.qkv_shape`, [0, 0, 3, m.numHeads, m.headDim])], {}, 1, s); // (B, N, 3, heads, hd)
  const perm = g.node('Transpose', [split], { perm: [2, 0, 3, 1, 4] }, 1, s); // (3, B, heads, N, hd)
  const pick = (i: number) => g.node('Gather', [perm, g.ints(`${s}.i${i}`, [i], true)], { axis: 0 }, 1, s); // (B, heads, N, hd)
  const q = ctx.emit(m.qNorm, pick(0));
  const k = ctx.emit(m.kNorm, pick(1));
  const v = pick(2);
  const kt = g.node('Transpose', [k], { perm: [0, 1, 3, 2] }, 1, s); // (B, heads, hd, N)
  // Scaled dot-product attention written out (scale 1 / sqrt(headDim)); the attention dropout is off in eval.
  const scores = g.node('Mul', [g.node('MatMul', [q, kt], {}, 1, s), g.scalar(`${s}.scale`, 1 / Math.sqrt(m.headDim))], {}, 1, s);
  const weights = g.node('Softmax', [scores], { axis: -1 }, 1, s); // (B, heads, N, N)
  const heads = g.node('MatMul', [weights, v], {}, 1, s); // (B, heads, N, hd)
  const tokens = g.node('Transpose', [heads], { perm: [0, 2, 1, 3] }, 1, s); // (B, N, heads, hd)
  const merged = g.node('Reshape', [tokens, g.ints(`${s}.merge_shape`, [0, 0, m.dim])], {}, 1, s); // (B, N, dim)
  return ctx.emit(m.projDrop, ctx.emit(m.proj, merged));
});
