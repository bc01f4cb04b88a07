// The public `torch` namespace: lib/torch plus `torch.nn`, an alias as in
// PyTorch where torch.nn is part of torch. It is assembled here, above both
// layers, because lib/torch must import nothing from lib/nn (nn is built on
// torch; a re-export the other way made an import cycle through every layer).
export * from './torch';
export * as nn from './nn';
