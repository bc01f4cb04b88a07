// Batched augmentations on the device: every transform takes float images
// (B, C, H, W) in [0, 1] and per-sample random parameters from a seeded generator.
export { Transform } from './transform';
export { uniform, bernoulli, permutation } from './random-params';
export { RandomResizedCrop, RandomResizedCropOptions, randomResizedCropParams, resizedCrop } from './random-resized-crop';
export { RandomHorizontalFlip, hflip } from './flip';
export { ColorJitter, ColorJitterOptions, adjustBrightness, adjustContrast, adjustSaturation } from './color-jitter';
export { adjustHue, rgbToHsv, hsvToRgb } from './hue';
export { RandomGrayscale, rgbToGrayscale } from './grayscale';
export { GaussianBlur, GaussianBlurOptions, gaussianBlur, simclrKernelSize } from './gaussian-blur';
export { RandomSolarize, solarize } from './solarize';
export { GaussianNoise } from './gaussian-noise';
export { RandomErasing, randomErasingParams, erase } from './random-erasing';
export { Sobel, sobel } from './sobel';
export { rotate90, randomRotation90 } from './rotation';
export { Normalize, normalize, toFloatImages } from './normalize';
export { Compose } from './compose';
export { MultiView, ViewGroup, CropGroupOptions, views, multiCrop } from './multi-crop';
export * as recipes from './recipes';
export { rgbToLab, labToRgb, withoutColour, D65_WHITE } from './lab';
