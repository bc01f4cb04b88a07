// models: encoders with torchvision/timm names and weights layout, and the registry that builds them by name.
export { Encoder } from './encoder';
export { ResNet, ResNetOptions, RESNET_OPTIONS, resnet18, resnet34, resnet50, resnet101 } from './resnet';
export { BasicBlock, Bottleneck, BlockType, ResidualBlock, basicBlock, bottleneck, downsample } from './resnet-blocks';
export { VisionTransformer, VitOptions, VIT_OPTIONS } from './vit';
export { VitBlock, VitBlockOptions } from './vit-block';
export { PatchEmbed } from './patch-embed';
export { interpolatePosEmbed, InterpolatePosEmbedOptions } from './pos-embed';
export * from './vit-variants';
export { SmallCnn, SmallCnnOptions, SMALL_CNN_OPTIONS } from './small-cnn';
export { create, list, ModelName, ModelOptions, ModelOf, ResNetName, VitName } from './registry';
export * from './bert-config';
export {
  BertModel, BertForPreTraining, BertLayer, BertAttention, BertPooler, MlmHead, TextEmbeddings, TextInputs,
  TextEncoderOutput,
} from './bert';
export { AlbertModel, AlbertForPreTraining, AlbertLayer, AlbertLayerGroup, AlbertAttention } from './albert';
