// The CPU defaults of BYOL, DINO, MAE, SimSiam, Barlow Twins, VICReg, MoCo
// v2/v3, SwAV and DeepCluster v2 for `selfsup train <method>` on
// Fashion-MNIST-sized images:
// the papers' losses and hyper-parameters with heads, queues and prototype
// counts scaled to a narrow small_cnn and a short run on two cores.
import { MethodName } from '../ssl/method';
import { RunConfig } from './run-config';

/** What a CPU preset sets over `methodDefaults`. */
export type CpuPreset = Pick<RunConfig, 'encoderOptions' | 'methodOptions' | 'epochs' | 'batchSize' | 'optimizer'> &
  Partial<Pick<RunConfig, 'encoder'>>;

// Every preset: small_cnn width 16 with its last 7x7 map pooled to a 3x3
// grid (featureDim 576; the main job's encoder, chosen by the sweep in the
// README's "Choosing the main job": +2.5 k-NN@20 and +5.6 linear over global
// pooling for SimCLR at the same cost), batch 128 (468 steps an epoch on Fashion-MNIST), and a warm-up
// of half an epoch instead of the papers' 10 epochs, which would be longer
// than the run.
const ENCODER = { width: 16, pool: 3 };
const WARMUP = { warmupEpochs: 0.5 };

/**
 * The presets by method. Epochs are set so a run takes about 10 minutes on 2
 * cores (seconds per step measured on the shared development machine, see
 * docs/ssl.md); heads are 512-1024 wide instead of 2048-8192.
 */
export const CPU_PRESETS: Partial<Record<MethodName, CpuPreset>> = {
  // BYOL: the EMA target moves faster (0.99 instead of 0.996) because a short
  // run has ~4,000 steps instead of the paper's ~300,000 (solo-learn's CIFAR
  // recipe uses 0.99 too).
  byol: { encoderOptions: ENCODER, methodOptions: { hiddenDim: 1024, outDim: 256, momentumBase: 0.99 }, epochs: 8,
    batchSize: 128, optimizer: WARMUP },
  // DINO on the small CNN (the paper trains ResNet-50 too, its table 2), 2
  // global 28 px + 4 local 12 px crops, a 1024-prototype head, teacher at 0.99.
  dino: { encoder: 'small_cnn', encoderOptions: ENCODER, methodOptions: { outDim: 1024, hiddenDim: 512,
    bottleneckDim: 128, localCrops: 4, localSize: 12, momentumTeacher: 0.99 }, epochs: 6, batchSize: 128,
    optimizer: WARMUP },
  // MAE needs a ViT: ViT-Tiny with 4 px patches (49 tokens at 28 px), a
  // 2-block 128-wide decoder, batch 256, and a 1e-3 base rate for a run of 3
  // epochs instead of 1.5e-4 for 800.
  mae: { encoder: 'vit_tiny_patch4_224', encoderOptions: {}, methodOptions: { decoderDim: 128, decoderDepth: 2,
    decoderHeads: 4 }, epochs: 3, batchSize: 256, optimizer: { lr: 1e-3, warmupEpochs: 0.3 } },
  simsiam: { encoderOptions: ENCODER, methodOptions: { hiddenDim: 512, outDim: 512, predHiddenDim: 128, projectorLayers: 2 },
    epochs: 10, batchSize: 128, optimizer: {} },
  barlow_twins: { encoderOptions: ENCODER, methodOptions: { hiddenDim: 1024, outDim: 1024 }, epochs: 3, batchSize: 128,
    optimizer: WARMUP },
  vicreg: { encoderOptions: ENCODER, methodOptions: { hiddenDim: 1024, outDim: 1024 }, epochs: 4, batchSize: 128,
    optimizer: WARMUP },
  mocov2: { encoderOptions: ENCODER, methodOptions: { outDim: 128, queueLength: 4096 }, epochs: 5, batchSize: 128,
    optimizer: {} },
  mocov3: { encoderOptions: ENCODER, methodOptions: { hiddenDim: 512, outDim: 128 }, epochs: 2, batchSize: 128,
    optimizer: WARMUP },
  swav: { encoderOptions: ENCODER, methodOptions: { hiddenDim: 512, outDim: 128, numPrototypes: 300, queueLength: 1280,
    queueStartEpoch: 1, freezePrototypesSteps: 234, localCrops: 4 }, epochs: 3, batchSize: 128, optimizer: {} },
  deepclusterv2: { encoderOptions: ENCODER, methodOptions: { hiddenDim: 512, outDim: 128, numPrototypes: [300, 300, 300],
    localCrops: 4 }, epochs: 2, batchSize: 128, optimizer: WARMUP },
};
