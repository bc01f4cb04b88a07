// The losses of the self-supervised methods, one file each.
export { ntXent, NTXentOptions } from './nt-xent';
export { byolLoss } from './byol-loss';
export { DINOLoss, DINOLossOptions, DINO_LOSS_OPTIONS } from './dino-loss';
export { patchify, unpatchify, maeLoss, MAELossOptions } from './mae-loss';
export { infoNceWithQueue, mocoV3Loss } from './moco-loss';
export { barlowTwinsLoss, BarlowTwinsLossOptions, batchStandardize } from './barlow-twins-loss';
export { vicregLoss, vicregTerms, VICRegLossOptions, VICRegTerms } from './vicreg-loss';
export { simsiamLoss } from './simsiam-loss';
export { sinkhornKnopp, SinkhornOptions, swavLoss } from './swav-loss';
export { sphericalKMeans, KMeansOptions, deepClusterV2Loss } from './deepcluster-v2';
export { mlmLoss, MlmLossOutput, pairLoss } from './mlm-loss';
export { clipLoss } from './clip-loss';
