// The four training workloads of the GPU speed comparison (issue "GPU speed"),
// as plain records that both sides read: this project's Node runner and the
// PyTorch reference scripts/bench_gpu.py (sent to it as JSON), so the two can
// only differ in the framework, never in the architecture or the batch.
import { checkOneOf } from '../torch/arguments';

/** The benchmarked methods. */
export type WorkloadName = 'simclr' | 'byol' | 'dino' | 'mae';

/** Every workload name, in the order the tables list them. */
export const WORKLOAD_NAMES: readonly WorkloadName[] = ['simclr', 'byol', 'dino', 'mae'];

/**
 * 'full': the issue's table (the papers' settings, sized for one large GPU).
 * 'small': the same structure shrunk until a CPU step takes well under a
 * second, for tests and for checking the scripts end to end without a GPU.
 */
export type Scale = 'small' | 'full';

/** A ResNet-18 with the CIFAR stem (3x3 stride-1 conv1, no max-pool), as `models.create('resnet18', { smallImages: true })`. */
export interface ResNetEncoderSpec {
  kind: 'resnet18';
  inChannels: number;
}

/** A timm-style ViT with the class token (`VisionTransformer`, qkvBias true, mlpRatio 4). */
export interface VitEncoderSpec {
  kind: 'vit';
  imgSize: number;
  patchSize: number;
  inChannels: number;
  embedDim: number;
  depth: number;
  numHeads: number;
}

/** The encoder of a workload. */
export type EncoderSpec = ResNetEncoderSpec | VitEncoderSpec;

/** The method-specific part of a workload (heads, loss settings). */
export type MethodSpec =
  | { name: 'simclr'; hiddenDim: number; outDim: number; temperature: number }
  | { name: 'byol'; hiddenDim: number; outDim: number; momentumBase: number }
  | { name: 'dino'; outDim: number; hiddenDim: number; bottleneckDim: number; teacherTemp: number; studentTemp: number;
    centerMomentum: number; momentumTeacher: number; localCrops: number; localSize: number }
  | { name: 'mae'; maskRatio: number; decoderDim: number; decoderDepth: number; decoderHeads: number };

/** The optimiser both sides build, from the method's recipe (lr already scaled for the batch). */
export interface OptimizerSpec {
  kind: 'lars' | 'adamw';
  lr: number;
  weightDecay: number;
  /** LARS momentum. */
  momentum?: number;
  /** AdamW betas. */
  betas?: [number, number];
  /** Global gradient-norm clipping (DINO: 3.0). */
  clipGrad?: number;
}

/** One benchmarked training step: what runs, on how many images, with which optimiser. */
export interface Workload {
  name: WorkloadName;
  scale: Scale;
  /** A one-line description for the tables. */
  label: string;
  /** Images per step (the batch size; each image yields all its views). */
  batch: number;
  /** The side of each view, in order (2 views for SimCLR/BYOL, 2 global + local crops for DINO, 1 for MAE). */
  viewSizes: number[];
  encoder: EncoderSpec;
  method: MethodSpec;
  optimizer: OptimizerSpec;
  /** Whether channels-last memory format applies (convolutional encoders). */
  convolutional: boolean;
}

const resnet18 = (): ResNetEncoderSpec => ({ kind: 'resnet18', inChannels: 3 });

/** The workloads. Learning rates follow each recipe's linear scaling (lr * batch / 256). */
function full(name: WorkloadName): Workload {
  if (name === 'simclr') {
    const batch = 512;
    return { name, scale: 'full', batch, viewSizes: [32, 32], encoder: resnet18(), convolutional: true,
      label: 'SimCLR ResNet-18 (CIFAR stem) 32px b512, 2 views, projector 512-2048-128, LARS',
      method: { name, hiddenDim: 2048, outDim: 128, temperature: 0.5 },
      optimizer: { kind: 'lars', lr: (0.3 * batch) / 256, weightDecay: 1e-6, momentum: 0.9 } };
  }
  if (name === 'byol') {
    const batch = 512;
    return { name, scale: 'full', batch, viewSizes: [32, 32], encoder: resnet18(), convolutional: true,
      label: 'BYOL ResNet-18 (CIFAR stem) 32px b512, projector/predictor 4096-256, EMA target, LARS',
      method: { name, hiddenDim: 4096, outDim: 256, momentumBase: 0.996 },
      optimizer: { kind: 'lars', lr: (0.2 * batch) / 256, weightDecay: 1.5e-6, momentum: 0.9 } };
  }
  if (name === 'dino') {
    const batch = 64;
    return { name, scale: 'full', batch, viewSizes: [224, 224, 96, 96, 96, 96, 96, 96], convolutional: false,
      encoder: { kind: 'vit', imgSize: 224, patchSize: 16, inChannels: 3, embedDim: 384, depth: 12, numHeads: 6 },
      label: 'DINO ViT-S/16 2x224+6x96 b64, head 65536, EMA teacher, AdamW, clip 3.0',
      method: { name, outDim: 65536, hiddenDim: 2048, bottleneckDim: 256, teacherTemp: 0.04, studentTemp: 0.1,
        centerMomentum: 0.9, momentumTeacher: 0.996, localCrops: 6, localSize: 96 },
      optimizer: { kind: 'adamw', lr: (0.0005 * batch) / 256, weightDecay: 0.04, betas: [0.9, 0.999], clipGrad: 3.0 } };
  }
  const batch = 128;
  return { name, scale: 'full', batch, viewSizes: [224], convolutional: false,
    encoder: { kind: 'vit', imgSize: 224, patchSize: 16, inChannels: 3, embedDim: 768, depth: 12, numHeads: 12 },
    label: 'MAE ViT-B/16 224px b128, mask 0.75, decoder 8x512, AdamW (0.9, 0.95)',
    method: { name, maskRatio: 0.75, decoderDim: 512, decoderDepth: 8, decoderHeads: 16 },
    optimizer: { kind: 'adamw', lr: (1.5e-4 * batch) / 256, weightDecay: 0.05, betas: [0.9, 0.95] } };
}

/**
 * The CPU-sized versions: the same structure (ResNet-18 with the CIFAR stem;
 * a timm ViT with class token; the same heads, losses, EMA and optimisers),
 * smaller inputs, batch and widths:
 * - SimCLR/BYOL: ResNet-18 (full width) on 16 px views, batch 8, heads 512-512-128;
 * - DINO: ViT 96-d, depth 4, 3 heads, patch 8, 2x32 px + 2x16 px crops, batch 8, head 256-64-1024;
 * - MAE: the same ViT on 32 px, batch 8, decoder 2 x 64 (4 heads).
 */
function small(name: WorkloadName): Workload {
  const w = full(name);
  const vit = (imgSize: number): VitEncoderSpec =>
    ({ kind: 'vit', imgSize, patchSize: 8, inChannels: 3, embedDim: 96, depth: 4, numHeads: 3 });
  const batch = 8;
  const lr = (w.optimizer.lr / w.batch) * batch;
  const optimizer = { ...w.optimizer, lr };
  if (w.method.name === 'simclr' || w.method.name === 'byol') {
    return { ...w, scale: 'small', batch, viewSizes: [16, 16], optimizer,
      label: `${w.method.name === 'simclr' ? 'SimCLR' : 'BYOL'} ResNet-18 (CIFAR stem) 16px b8, heads 512-512-128 (small)`,
      method: { ...w.method, hiddenDim: 512, outDim: 128 } };
  }
  if (w.method.name === 'dino') {
    return { ...w, scale: 'small', batch, viewSizes: [32, 32, 16, 16], encoder: vit(32), optimizer,
      label: 'DINO ViT 96-d depth 4 /8, 2x32+2x16 b8, head 1024 (small)',
      method: { ...w.method, outDim: 1024, hiddenDim: 256, bottleneckDim: 64, localCrops: 2, localSize: 16 } };
  }
  const method = w.method;
  return { ...w, scale: 'small', batch, encoder: vit(32), viewSizes: [32], optimizer,
    label: 'MAE ViT 96-d depth 4 /8 32px b8, decoder 2x64 (small)',
    method: { ...method, decoderDim: 64, decoderDepth: 2, decoderHeads: 4 } };
}

/**
 * The workload `name` at `scale`.
 *
 * @example
 * const w = workload('simclr', 'small'); // ResNet-18, 2 x 16 px views, batch 8
 */
export function workload(name: WorkloadName, scale: Scale): Workload {
  checkOneOf(name, WORKLOAD_NAMES, 'workload');
  checkOneOf(scale, ['small', 'full'] as const, 'scale');
  return scale === 'full' ? full(name) : small(name);
}

/**
 * Parses a comma-separated list of workload names ('all' for every one), in
 * table order, throwing on an unknown name.
 *
 * @example
 * parseWorkloads('mae,simclr') // ['simclr', 'mae']
 */
export function parseWorkloads(list: string): WorkloadName[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'all') return [...WORKLOAD_NAMES];
  const bad = names.filter((n) => !(WORKLOAD_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || bad.length > 0) {
    throw new RangeError(`Expected workloads among ${WORKLOAD_NAMES.join(', ')} (comma-separated) or 'all' ` +
      `but received '${list}'`);
  }
  return WORKLOAD_NAMES.filter((n) => names.includes(n));
}
