// Data: datasets held in memory as uint8 tensors, the batch loader, and the
// batched augmentations (transforms).
export {
  ImageDataset, Split, DatasetParts, makeDataset, channelStats, subset, randomSplit, disposeDataset, checkSplit,
} from './dataset';
export { readIdx, parseIdx, encodeIdx, IdxArray, IdxDType, IdxExpectation } from './idx';
export {
  fashionMnist, FashionMnistOptions, FASHION_MNIST_ROOT, FASHION_MNIST_CLASSES, FASHION_MNIST_MEAN, FASHION_MNIST_STD,
} from './fashion-mnist';
export {
  cifar10, cifar100, Cifar10Options, Cifar100Options, CIFAR10_CLASSES, CIFAR100_FINE_CLASSES, CIFAR100_COARSE_CLASSES,
  CIFAR10_MEAN, CIFAR10_STD, CIFAR100_MEAN, CIFAR100_STD,
} from './cifar';
export { imageFolder, ImageFolderOptions } from './image-folder';
export { synthetic, SyntheticOptions } from './synthetic';
export { Loader, LoaderOptions, LoaderState, Batch, disposeBatch } from './loader';
export * as transforms from './transforms';
export { writeImageGrid, ImageGridOptions, ImageGridInfo } from './image-grid';
export * as text from './text';
export { photoCrops, PhotoCropsOptions, PHOTOS_ROOT, PHOTOS_PACKAGE } from './photo-crops';
export { stl10, Stl10Options, Stl10Split, STL10_CLASSES } from './stl10';
export * as imageText from './image-text';
