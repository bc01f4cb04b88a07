// Self-supervised methods, their losses, heads and EMA teachers.
export { Method, MethodName, TrainProgress, StepOutput, ImageSpec, OptimizerRecipe } from './method';
export { MethodOptions, CommonMethodOptions } from './method-options';
export { initTeacher, emaUpdate_, momentumSchedule } from './ema';
export * as losses from './losses';
export { makeEncoder, encoderConfig, EncoderSpec, EncoderFactory, MakeEncoderContext } from './encoder-spec';
export {
  ProjectionHead, ProjectionHeadBlock, simclrProjectionHead, byolProjectionHead, byolPredictionHead,
} from './heads/projection-head';
export { DINOHead, DINOHeadOptions, DINO_HEAD_OPTIONS } from './heads/dino-head';
export { SimCLR, SimCLROptions, SIMCLR_OPTIONS, SIMCLR_RECIPE } from './simclr';
export { BYOL, BYOLOptions, BYOL_OPTIONS, BYOL_RECIPE } from './byol';
export { DINO, DINOOptions, DINO_OPTIONS, DINO_RECIPE } from './dino';
export { MAE, MAEOptions, MAE_OPTIONS, MAE_RECIPE, randomMasking, RandomMasking, numKept, initMaeEncoder, Reconstruction } from './mae';
export { MAEDecoder, MAEDecoderOptions, MAE_DECODER_OPTIONS, get2dSincosPosEmbed } from './mae-decoder';
export { writeReconstruction, ReconstructionOptions } from './mae-reconstruction';
export { SimSiam, SimSiamOptions, SIMSIAM_OPTIONS, SIMSIAM_RECIPE } from './simsiam';
export { BarlowTwins, BarlowTwinsOptions, BARLOW_TWINS_OPTIONS, BARLOW_TWINS_RECIPE } from './barlow-twins';
export { VICReg, VICRegOptions, VICREG_OPTIONS, VICREG_RECIPE } from './vicreg';
export { MoCoV2, MoCoV2Options, MOCO_V2_OPTIONS, MOCO_V2_RECIPE } from './moco-v2';
export { MoCoV3, MoCoV3Options, MOCO_V3_OPTIONS, MOCO_V3_RECIPE, MOCO_V3_VIT_RECIPE } from './moco-v3';
export { SwAV, SwAVOptions, SWAV_OPTIONS, SWAV_RECIPE } from './swav';
export { DeepClusterV2, DeepClusterV2Options, DEEPCLUSTER_V2_OPTIONS, DEEPCLUSTER_V2_RECIPE } from './deepcluster-v2';
export { EmbeddingQueue } from './queue';
export { Prototypes } from './heads/prototypes';
export * from './heads/method-heads';
export { effectiveRank } from './collapse';
export { create, list, MethodOptionsOf } from './registry';
export { TextPretraining, TextBatch, TextStepOutput } from './text-pretraining';
export { BertPretraining, BertPretrainingOptions, BERT_RECIPE } from './bert-pretraining';
export { AlbertPretraining, AlbertPretrainingOptions, ALBERT_RECIPE } from './albert-pretraining';
export { CLIP, CLIPOptions, CLIP_OPTIONS, CLIP_RECIPE, ImageTextBatch, MAX_LOGIT_SCALE } from './clip';
export { Rotation, RotationOptions, ROTATION_OPTIONS, ROTATION_RECIPE } from './rotation';
export { Jigsaw, JigsawOptions, JIGSAW_OPTIONS, JigsawTask, JIGSAW_RECIPE, jigsawGeometry } from './jigsaw';
export {
  RelativePosition, RelativePositionOptions, RELATIVE_POSITION_OPTIONS, RelativePositionTask, RELATIVE_POSITION_RECIPE, ChromaticGuard,
} from './relative-position';
export { jigsawPermutations, PermutationSet } from './pretext/permutations';
export { gridPatches, gridOrigins, patchesAt, gridExtent, GridGeometry, GridPatches } from './pretext/grid-patches';
export {
  abBins, abBinCentres, softEncode, nearestBin, abPrior, rebalanceWeights, annealedMean, NUM_AB_BINS, AB_GRID,
} from './pretext/ab-bins';
export { binCounts, smoothPrior } from './pretext/ab-bins';
export { Colorization, ColorizationOptions, COLORIZATION_OPTIONS, ColorizationLoss, ColourTaskExamples, COLORIZATION_RECIPE } from './colorization';
export { SplitBrain, SplitBrainOptions, SPLIT_BRAIN_OPTIONS, SplitBrainLoss, SPLIT_BRAIN_RECIPE } from './split-brain';
export {
  DeOldify, DeOldifyOptions, DEOLDIFY_OPTIONS, DEOLDIFY_RECIPE, NoGanPhase, FEATURE_LOSS_WEIGHTS, GAN_GENERATOR_WEIGHTS,
} from './deoldify';
export { UnetDecoder, PatchCritic, encoderStages, stageChannels } from './pretext/unet-generator';
export { LabEncoder, LabBranch, LabChannels, MapEncoder, labInput } from './pretext/lab-encoder';
export { methodEncoder } from './method-encoder';
export { colorizationEncoder } from './colorization';
export { splitBrainEncoder } from './split-brain';
export { createText, listText, TextMethodOptionsOf, TextMethodOf } from './text-registry';
export {
  ContextEncoder, ContextEncoderOptions, CONTEXT_ENCODER_OPTIONS, ContextEncoderLoss, InpaintingTask, CONTEXT_ENCODER_RECIPE,
} from './context-encoder';
export { DamagedJigsaw, DamagedJigsawOptions, DAMAGED_JIGSAW_OPTIONS, DamagedJigsawTask, DamagedJigsawLoss, DAMAGED_JIGSAW_RECIPE } from './damaged-jigsaw';
export { standardizeTiles } from './jigsaw';
export {
  MaskKind, MASK_KINDS, centerHole, blockHoles, regionHoles, drawHoles, reconstructionWeights,
} from './pretext/inpainting-masks';
export { ChannelWiseLinear } from './pretext/channel-wise-linear';
export { Discriminator } from './pretext/discriminator';
export { defineOptions, option, is, OPTIONAL, DERIVED, REQUIRED, OptionTable, OptionValues, TableValues, GivenOptions } from '../torch/option-table';
export { evaluateTask, formatTaskReport, TaskReport, TaskMetric, TaskEvalOptions } from './pretext/task-metrics';
