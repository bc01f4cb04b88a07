// nn: neural-network building blocks, as torch.nn. `functional` holds the
// stateless operators, `init` the in-place initialisers, the rest are layers.
export * as functional from './functional';
export * as init from './init';
export { Module, StateDict, LoadResult, ModuleToOptions } from './module';
export { Linear, LinearOptions } from './layers/linear';
export { Conv2d, Conv2dOptions, ConvTranspose2d, ConvTranspose2dOptions } from './layers/conv';
export { BatchNorm, BatchNorm1d, BatchNorm2d, BatchNormOptions } from './layers/batch-norm';
export { LayerNorm, LayerNormOptions } from './layers/layer-norm';
export { GroupNorm, GroupNormOptions } from './layers/group-norm';
export { Dropout, DropPath, dropPath } from './layers/dropout';
export { ReLU, GELU, SiLU, Tanh, Sigmoid, InplaceOption } from './layers/activation';
export { Identity, Sequential, ModuleList, TensorModule } from './layers/container';
export { Embedding, EmbeddingOptions } from './layers/embedding';
export { Attention, AttentionOptions } from './layers/attention';
export { Mlp, MlpOptions } from './layers/mlp';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten } from './layers/pooling';
export { weightNorm, WeightNormed } from './layers/weight-norm';
export * as parallel from './parallel';
