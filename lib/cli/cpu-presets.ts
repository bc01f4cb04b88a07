// The CPU defaults of BYOL, DINO, MAE, SimSiam, Barlow Twins, VICReg, MoCo
// v2/v3, SwAV and DeepCluster v2 for `selfsup train <method>` on
// Fashion-MNIST-sized images (and of the eight pretext tasks, at the end):
// the papers' losses and hyper-parameters with heads, queues and prototype
// counts scaled to a narrow small_cnn and a short run on two cores.
import { MethodName } from '../ssl/method';
import { RunConfig } from './run-config';

/** What a CPU preset sets over `methodDefaults`. */
export type CpuPreset = Pick<RunConfig, 'encoderOptions' | 'methodOptions' | 'epochs' | 'batchSize' | 'optimizer'> &
  Partial<Pick<RunConfig, 'encoder' | 'imageSize'>>;

// Every preset: small_cnn width 16 with its last 7x7 map pooled to a 3x3
// grid (featureDim 576; the main job's encoder, chosen by the sweep in the
// README's "Choosing the main job": +2.5 k-NN@20 and +5.6 linear over global
// pooling for SimCLR at the same cost), batch 128 (468 steps an epoch on Fashion-MNIST), and a warm-up
// of half an epoch instead of the papers' 10 epochs, which would be longer
// than the run.
const ENCODER = { width: 16, pool: 3 };
const WARMUP = { warmupEpochs: 0.5 };
/** The pretext tasks that encode small tiles or patches: global pooling (see their presets). */
const TILE_ENCODER = { width: 16 };
/** Side of the photo crops the colour pretext tasks train on (32 px: the 64 px default is 4x the work per image). */
const PHOTO_SIZE = 32;

/**
 * The presets by method. Epochs are set so a run takes about 10 minutes on 2
 * cores (seconds per step measured on the shared development machine, see
 * docs/ssl.md); heads are 512-1024 wide instead of 2048-8192.
 */
export const CPU_PRESETS: Partial<Record<MethodName, CpuPreset>> = {
  // BYOL: the EMA target moves faster (0.99 instead of 0.996) because a short
  // run has ~4,000 steps instead of the paper's ~300,000 (solo-learn's CIFAR
  // recipe uses 0.99 too). 6 epochs: the 8-epoch recording took 12:10 of CPU over 2 cores (~80 CPU s an epoch,
  // the evaluation ~100 s), over the 10-minute budget, and its online k-NN was 78.65 after epoch 6 and 78.9 after 8.
  // Recorded (docs/runs/byol): 83.8 / 79.6 / 86.3 (8 epochs: 83.9 / 79.9 / 86.7), 7:54 CPU over 2 cores, 1.3 GB.
  byol: { encoderOptions: ENCODER, methodOptions: { hiddenDim: 1024, outDim: 256, momentumBase: 0.99 }, epochs: 6,
    batchSize: 128, optimizer: WARMUP },
  // DINO on the small CNN (the paper trains ResNet-50 too, its table 2), 2
  // global 28 px + 4 local 12 px crops, a 1024-prototype head, teacher at 0.99.
  dino: { encoder: 'small_cnn', encoderOptions: ENCODER, methodOptions: { outDim: 1024, hiddenDim: 512,
    bottleneckDim: 128, localCrops: 4, localSize: 12, momentumTeacher: 0.99 }, epochs: 4, batchSize: 128,
    optimizer: WARMUP },
  // MAE needs a ViT. ViT-Tiny/4 (12 blocks of 192 over 49 tokens, the first preset) took 36 CPU minutes over 2
  // cores for 3 epochs and its evaluation, 4.3 GB, and stayed below raw pixels (docs/runs/mae before issue 22's
  // fix). Here a 4-block 128-wide ViT on 7 px patches (16 tokens at 28 px; vit_custom), the paper's 75% masking
  // (4 patches seen), normalised-pixel loss and a 2-block 128-wide decoder; batch 128, base rate 1.5e-3 (x 128 /
  // 256) with 0.3 epochs of warm-up. Read out for the evaluation (and its random-encoder floor, built with the
  // same options) as the normed patch tokens pooled to a 2x2 grid (globalPool 'grid', 512-d), the ViT
  // counterpart of small_cnn's pool 3: on a 10,000 / 2,000 subset after 300 steps the class token gave k-NN@20
  // 75.9 / linear 78.8, the 2x2 grid 78.4 / 84.5 (random encoder 79.1 / 80.5), all 16 tokens 80.9 / 84.2
  // (random 83.5 / 82.2) (docs/ssl.md, "MAE's CPU preset"). 0.24 CPU s a step: ~110 CPU s an epoch. Recorded
  // (docs/runs/mae): k-NN@20 83.7 / k-NN@200 80.0 / linear 86.6 vs random ViT 82.0 / 77.8 / 82.6 and raw pixels
  // 84.6 / 79.1 / 84.1 (below raw pixels on k-NN@20 only), 5:26 CPU over 2 cores, 1.28 GB peak.
  mae: { encoder: 'vit_custom', encoderOptions: { patchSize: 7, embedDim: 128, depth: 4, numHeads: 4, globalPool: 'grid',
    poolGrid: 2 }, methodOptions: { decoderDim: 128, decoderDepth: 2, decoderHeads: 4 }, epochs: 4, batchSize: 128,
  optimizer: { lr: 1.5e-3, warmupEpochs: 0.3 } },
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
  // The pretext tasks (docs/pretext.md, "CPU presets"), small_cnn width 16. The gray-capable ones on Fashion-MNIST
  // (28 px), the colour ones on 32 px photo crops (lib/cli/method-data.ts: 6,144 training crops, the 12 photos as
  // classes). The tile tasks: jigsaw and relative position encode 6-7 px tiles seen upsampled 2x (inputScale 2) and
  // pool to the 3x3 grid like the others; the damaged jigsaw's 9-10 px tiles (3x3 last maps) are pooled globally
  // (pool 1). The papers' recipes otherwise. Epochs from
  // the CPU seconds of training steps 3-6 (one short run each, nice 19, on the shared machine at load 11-16)
  // divided by 1.47, the main job's CPU seconds per wall second on the idle machine; the evaluation adds ~120 s
  // on Fashion-MNIST (the main job's 98 s + pictures + the task metric), an estimated ~30 s on the photo crops.
  // rotation: 0.43 CPU s/step x 469 steps: ~136 s an epoch idle; 3 epochs ~ 410 s + 120 s.
  rotation: { encoderOptions: ENCODER, methodOptions: {}, epochs: 3, batchSize: 128, optimizer: {} },
  // jigsaw: 7 px tiles (gap 2, jitter 1: the paper's gaps and random placement against edge matching) seen upsampled 2x
  // (inputScale 2: 14 px tiles, 4 x 4 last maps instead of 2 x 2 of padding; whole items at 56 px in the evaluation) by
  // the 3x3-pooled encoder. At 28 px with global pooling (the preset before) the learned puzzle made the encoder worse
  // than random (docs/pretext.md, "why 8 px tiles transfer badly"). Recorded with SGD 0.1 per 256, 2 epochs: 83.4 /
  // 79.4 / 88.5 vs random 82.3 / 77.9 / 87.2 and raw pixels 84.6 / 79.1 / 84.1 (below on k-NN@20), 11:59 CPU. Measured
  // since (docs/pretext.md, "Jigsaw: rate and whole-image statistics"; full-set k-NN@20 after 1 epoch): 0.4 per 256
  // 84.4 (1000 permutations at 0.1: 81.7). imageNormStats keeps the batch-norm statistics of whole images, not of the
  // standardised tiles: re-estimated on whole images after training they moved 0.4 per 256 from 84.4 to 84.7 (the
  // random encoder from 82.3 to 83.2, the 1000-permutation one from 81.7 to 83.6). 0.8 per 256 with imageNormStats:
  // online k-NN 77.45 against 0.4's 79.75 (raw pixels 78.2 there). 1 epoch: ~145 CPU s of training (~195 with it).
  // Recorded at 1 epoch (0.4 per 256, imageNormStats): 84.3 / 81.0 / 88.6 (0.3 below raw pixels on k-NN@20), 2:46 CPU
  // over 2 cores (the evaluation in batches of 64 and main's GC fix): 2 epochs, as the budget now allows. Recorded
  // (docs/runs/jigsaw): 86.0 / 82.4 / 89.2 vs random 82.3 / 77.9 / 87.2 and raw pixels 84.6 / 79.1 / 84.0 (above
  // both on all three), 4:10 CPU over 2 cores (486 s user + 13 s system) at load 6-9, 1.43 GB.
  jigsaw: { encoderOptions: { width: 16, pool: 3, inputScale: 2 }, methodOptions: { tileSize: 7, imageNormStats: true },
    epochs: 2, batchSize: 128, optimizer: { lr: 0.4 } },
  // relative_position: small_cnn upsamples its input 2x (inputScale 2: 6 px patches seen at 12 px, whole images
  // at 56 px) and pools its last map to the 3x3 grid like the other presets (docs/pretext.md, "why 8 px tiles
  // transfer badly"): the 28 px, globally pooled preset stayed below raw pixels (77.6 / 79.2 vs 84.6 / 84.1). A
  // 20-epoch probe of this encoder reached k-NN@20 89.5 / linear 90.7 (random encoder 82.3 / 87.2), 20:32 CPU over
  // 2 cores; its online k-NN was 83.9 after 6 epochs and 86.1 after 20. ~43 CPU s an epoch (2 cores), and the
  // evaluation at 56 px ~380 s. Recorded at 5 epochs: 87.1 / 83.4 / 89.6 (random 82.3 / 77.9 / 87.2), 11:01 CPU over
  // 2 cores at load 13 (the two 56 px evaluations 1,031 of its 1,561 s of wall): 4 epochs to fit the budget,
  // recorded (docs/runs/relative_position): 86.4 / 82.5 / 89.4, 10:03 CPU over 2 cores at load 10-13, 1.4 GB, of which
  // 476 s system time, most of it the evaluation's 512-image batches at 56 px (page faults): evaluated in batches of 64
  // since (lib/eval/features.ts), 1.18 -> ~0.63 CPU s per 1,000 images, the margin this preset's 4 epochs now have.
  relative_position: { encoderOptions: { width: 16, pool: 3, inputScale: 2 }, methodOptions: {}, epochs: 4,
    batchSize: 128, optimizer: {} },
  // context_encoder: 0.34 CPU s/step (with the adversary): ~107 s an epoch; 2 epochs ~ 215 s + 120 s. Random regions
  // (section 3.3; the paper's features generalise better with them than with the central square): measured k-NN@20
  // 83.5 / linear 87.4 vs its random encoder's 81.5 / 84.9, where the central square's 4 epochs ended below it
  // (80.0 / 84.5; docs/pretext.md, "Against the floors"). 5 epochs since 2026-12-05 (its online k-NN rose 78.25 ->
  // 79.4 over the 2 recorded ones, and the budget had room): 84.1 / 80.2 / 87.8 against 83.5 / 79.7 / 87.4 after 2,
  // random encoder 81.6 / 76.7 / 84.9, raw pixels 84.6 / 79.1 / 84.0: still 0.5 below raw pixels on k-NN@20. 5:11 CPU
  // over 2 cores, 1.5 GB (docs/runs/context_encoder); the online k-NN peaked after epoch 3 (80.4, then 79.45, 80.2).
  // Since (docs/pretext.md, "Context encoder: whole-image statistics, rate and scale"; 1-epoch runs, full-set k-NN@20
  // / @200, imageNormStats on): 2e-3 82.7 / 78.7, 4e-3 83.2 / 79.5, 8e-3 83.4 / 79.6 (3 epochs: 84.0 / 80.2);
  // inputScale 2 (as the tile tasks: 14 x 14 last maps, one up-convolution in the decoder) at 2e-3 83.5 / 79.7, at
  // 8e-3 83.8 / 79.9, ~285 CPU s an epoch (scale 1 ~130). imageNormStats keeps the batch-norm statistics of whole
  // images, not of the masked ones (re-estimated after the 5-epoch run: 84.13 -> 84.45). 3 epochs fill the budget.
  // Recorded (docs/runs/context_encoder): 84.2 / 80.1 / 88.3 against random 82.3 / 77.9 / 87.2 and raw pixels 84.6 /
  // 79.1 / 84.0: still 0.4 below raw pixels on k-NN@20. 8:06 CPU over 2 cores (867 s user + 106 s system), 1.5 GB.
  // The read-out since (issue 16, sixth pass): the 14 x 14 last map pooled to 5 x 5 (1,600 features) instead of 3 x 3
  // (576). The same 1-epoch checkpoint, evaluated only (full-set k-NN@20 / @200): pool 3 83.5 / 79.7, 4 84.4 / 80.7,
  // 5 85.4 / 81.5 (linear 88.6; its random encoder 83.9 / 79.4 / 87.9), 7 86.7 / 83.2 (2.1 GB for the k-NN alone).
  // Recorded (docs/runs/context_encoder, docs/pretext.md "Context encoder: the read-out"): 86.2 / 81.7 / 89.1 against
  // random 83.9 / 79.4 / 87.9 and raw pixels 84.6 / 79.1 / 84.0: above both on all three. 8:21 CPU over 2 cores (987 s
  // user + 15 s system, load 12), but 2.35 GB peak (pool 3: 1.49): the linear probe's copies of 1,600-wide features.
  // Recorded again after the probe's in-place standardisation and the 128 MiB malloc threshold (a956f7b): the same
  // 86.2 / 81.7 / 89.1, 1.84 GB peak, 8:01 CPU over 2 cores (926 s user + 36 s system, load 1.3-3.5).
  context_encoder: { encoderOptions: { width: 16, pool: 5, inputScale: 2 }, methodOptions: { mask: 'region', imageNormStats: true },
    epochs: 3, batchSize: 128, optimizer: { lr: 8e-3 } },
  // damaged_jigsaw: ~0.45 CPU s/step (the per-pixel colour head 64 wide, applied in two parts; it was 1.81 s at 256
  // wide on a concatenation) x 48 steps: ~22 s an epoch; 4 epochs ~ 90 s + 30 s. AdamW at 1e-3 (batch 128) instead
  // of Jigsaw's SGD at 5e-3: in 150 steps it took the missing tile's error from the mean's (1.0 in normalised pixels)
  // to 0.6, where the SGD run of 384 steps ended at the mean's error (docs/pretext.md, "Damaged jigsaw"). 4 epochs:
  // the online k-NN was highest after the first epoch in every run (64.4 -> 62.3 after 2 in this recipe's first try).
  // Its permutation stays at chance on the photo crops, damage or not: a photo tile does not say where it was cut
  // (12.6% vs chance 11.1% from one tile; Fashion-MNIST's 49.3%), and the relations between tiles are not learned in
  // a CPU budget, not even with colour, no tile removed, no standardisation and touching tiles (docs/pretext.md, "Why
  // the damaged jigsaw's permutation stays at chance").
  damaged_jigsaw: { encoderOptions: TILE_ENCODER, methodOptions: { hiddenDim: 256 }, epochs: 4, batchSize: 128,
    optimizer: { optimizer: 'adamw', lr: 2e-3, betas: [0.9, 0.999] }, imageSize: PHOTO_SIZE },
  // colorization: 0.19 CPU s/step x 96 steps: ~12 s an epoch. 10 epochs, measured (docs/pretext.md, "Against the
  // floors"): k-NN@20 39.1 / linear 46.0 vs its random encoder's 36.7 / 42.6 with the 3x3-pooled L encoder; the
  // 35-epoch run before it (global pooling) ended below its floor and its online k-NN fell after epoch 1.
  // colourAtEvaluation (docs/pretext.md, "Colorization"): the backbone takes Lab, the task gives it L with ab = 0, the
  // frozen-encoder report the whole image (as DeOldify's encoder, which reached 65.3 / 68.0 where the L-only encoder
  // stayed below raw pixels' 50.5 / 54.8). 3 epochs: the L-only run's online k-NN was highest after the first.
  // Recorded with 3x3 pooling: k-NN@20 53.9 / linear 65.3 vs raw pixels 50.5 / 54.8 (above) and its random Lab encoder
  // 48.2 / 67.5 (BELOW on linear: the 576 features let the probe fit the training crops exactly, 100%, as split-brain's).
  // Pooled globally (64 features), the same weights give 60.4 / 67.3 vs the random encoder's 51.1 / 67.0: above on
  // k-NN, level on linear (docs/pretext.md, "Colorization and split-brain below their random encoders").
  // Read out at conv3 on a 2x2 grid (`readoutLayer: 3, pool: 2`, 32 x 4 = 128 features; the head still reads conv5's
  // map, the random floor is read out alike): conv5's colour path is untrained (the first layer's ab weights get no
  // gradient, bn1's variance is L's) and the global conv5 read-out only tied its floor. Measured on the same weights
  // (docs/pretext.md, "Colorization: the conv3 read-out"): k-NN@20 54.2 / k-NN@200 52.5 / linear 70.1 vs its random
  // encoder's 51.0 / 45.8 / 64.5 (conv5 global: 60.4 / 52.0 / 67.3 vs 51.1 / 43.5 / 67.0).
  colorization: { encoderOptions: { width: 16, pool: 2, readoutLayer: 3 },
    methodOptions: { hiddenDim: 64, colourAtEvaluation: true }, epochs: 3, batchSize: 64, optimizer: {}, imageSize: PHOTO_SIZE },
  // split_brain: halves of each layer (section 3.2), two width-8 halves for the width-16 budget, each pooled globally
  // (32 + 32 features) and 2 epochs (~0.15 CPU s/step: ~30 CPU s of training). Measured (docs/pretext.md, "Split-brain
  // below its random encoder"): the 3x3-pooled read-out (288 + 288 features for 6,144 training crops) let the linear
  // probe fit the training set exactly (100%) with the L half's features, which carry little about the photo (L half
  // alone 42% vs ab half 77%); the concatenation fell below the ab half alone and below its random encoder after epoch
  // 1 (76.9 -> 68.7 over the old 22 epochs). Pooled globally, the halves beat their random encoder on both measures,
  // most after about one epoch's worth of learning rate (69.1 / 75.0 vs 59.9 / 67.2; 62.4 / 70.2 after 4 epochs).
  // This preset, run: k-NN@20 68.6 / linear 74.0 vs its random encoder 59.9 / 67.2, 94 CPU s over 2 cores.
  split_brain: { encoderOptions: { width: 8, pool: 1 }, methodOptions: { hiddenDim: 64 }, epochs: 2, batchSize: 64,
    optimizer: {}, imageSize: PHOTO_SIZE },
  // deoldify: 0.42 CPU s/step (generator phase): ~27 s an epoch; 16 epochs ~ 430 s + 30 s.
  deoldify: { encoderOptions: ENCODER, methodOptions: {}, epochs: 16, batchSize: 64, optimizer: {}, imageSize: PHOTO_SIZE },
};
