// The losses of the self-supervised methods, one file each.
export { ntXent, NTXentOptions } from './nt-xent';
export { byolLoss } from './byol-loss';
export { DINOLoss, DINOLossOptions } from './dino-loss';
export { patchify, unpatchify, maeLoss, MAELossOptions } from './mae-loss';
