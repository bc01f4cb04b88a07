// Builds what one benchmarked step needs from a `Workload` record: the
// method (encoder, heads, teacher, loss), its optimiser, and the fixed random
// views, on a device.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Method } from '../ssl/method';
import { SimCLR } from '../ssl/simclr';
import { BYOL } from '../ssl/byol';
import { DINO } from '../ssl/dino';
import { MAE } from '../ssl/mae';
import { create } from '../models/registry';
import { VisionTransformer } from '../models/vit';
import { Encoder } from '../models/encoder';
import { Optimizer, BaseOptions } from '../optim/optimizer';
import { makeOptimizer } from '../train/optimizer-setup';
import { EncoderSpec, Workload } from './workloads';

/**
 * A factory for the workload's encoder (called twice by BYOL and DINO).
 * @example encoderFactory({ kind: 'resnet18', inChannels: 3 })() // ResNet-18, CIFAR stem, no fc
 */
export function encoderFactory(spec: EncoderSpec): () => Encoder {
  if (spec.kind === 'resnet18') {
    return () => create('resnet18', { smallImages: true, numClasses: 0, inChannels: spec.inChannels });
  }
  return () => new VisionTransformer({ imgSize: spec.imgSize, patchSize: spec.patchSize, inChannels: spec.inChannels,
    embedDim: spec.embedDim, depth: spec.depth, numHeads: spec.numHeads, numClasses: 0 });
}

/**
 * The method of `w`, on the CPU, in train mode. DINO's last layer is not
 * frozen (`freezeLastLayer: 0`): every timed step is a steady-state step, as
 * on the PyTorch side.
 *
 * @example const method = buildMethod(workload('byol', 'small'));
 */
export function buildMethod(w: Workload): Method {
  const encoder = encoderFactory(w.encoder);
  const m = w.method;
  let method: Method;
  if (m.name === 'simclr') {
    method = new SimCLR({ encoder, hiddenDim: m.hiddenDim, outDim: m.outDim, temperature: m.temperature });
  } else if (m.name === 'byol') {
    method = new BYOL({ encoder, hiddenDim: m.hiddenDim, outDim: m.outDim, momentumBase: m.momentumBase });
  } else if (m.name === 'dino') {
    method = new DINO({ encoder, outDim: m.outDim, hiddenDim: m.hiddenDim, bottleneckDim: m.bottleneckDim,
      teacherTemp: m.teacherTemp, warmupTeacherTemp: m.teacherTemp, studentTemp: m.studentTemp,
      centerMomentum: m.centerMomentum, momentumTeacher: m.momentumTeacher, freezeLastLayer: 0,
      localCrops: m.localCrops, localSize: m.localSize });
  } else {
    method = new MAE({ encoder, maskRatio: m.maskRatio, decoderDim: m.decoderDim, decoderDepth: m.decoderDepth,
      decoderHeads: m.decoderHeads });
  }
  method.train();
  return method;
}

/**
 * The workload's optimiser over `method.parameterGroups(weightDecay)` (the
 * method's recipe: LARS for SimCLR/BYOL, AdamW for DINO/MAE), built as the
 * Trainer builds it (`makeOptimizer`: fused kernels on CUDA where libtorch
 * has them, `capturable` for a CUDA-graph step), at a constant learning
 * rate: schedules are host-side work between steps and are left out of the
 * timing on both sides.
 *
 * @example const opt = buildOptimizer(method, workload('mae', 'small'), 'cpu');
 */
export function buildOptimizer(method: Method, w: Workload, device: torch.Device,
  options: { capturable?: boolean } = {}): Optimizer<BaseOptions> {
  const o = w.optimizer;
  const groups = method.parameterGroups(o.weightDecay).filter((g) => g.params.length > 0);
  return makeOptimizer({ optimizer: o.kind, weightDecay: o.weightDecay, momentum: o.momentum, betas: o.betas }, groups,
    { lr: o.lr, capturable: options.capturable, fused: String(device).startsWith('cuda') });
}

/**
 * The workload's views: standard-normal (B, 3, s, s) tensors drawn once on
 * `device` (normalised images have about this distribution), optionally in
 * channels-last layout. Kept: the caller disposes them.
 *
 * @example const views = makeViews(workload('dino', 'small'), 'cpu'); // 2 x 32 px + 2 x 16 px
 */
export function makeViews(w: Workload, device: torch.Device, channelsLast = false): Tensor[] {
  const channels = w.encoder.inChannels;
  return w.viewSizes.map((s) => torch.keep(torch.scope(() => {
    const v = torch.randn([w.batch, channels, s, s], { device });
    return channelsLast ? v.contiguous('channels_last') : v;
  })));
}
