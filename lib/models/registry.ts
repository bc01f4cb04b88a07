// The model registry: build encoders by their torchvision/timm names.
import { MemoryFormat } from '../torch';
import { Encoder } from './encoder';
import { RESNET_OPTIONS, ResNet, ResNetOptions, resnet18, resnet34, resnet50, resnet101 } from './resnet';
import { SMALL_CNN_OPTIONS, SmallCnn, SmallCnnOptions } from './small-cnn';
import { VIT_OPTIONS, VisionTransformer, VitOptions } from './vit';
import { VIT_VARIANTS, VIT_VARIANT_OPTION_KEYS, VitPatchSize, VitSize, VitVariantOptions, vit } from './vit-variants';

/** Names of the ResNets (torchvision's). */
export type ResNetName = 'resnet18' | 'resnet34' | 'resnet50' | 'resnet101';
/** Names of the ViTs: timm's `vit_<size>_patch<p>_224` pattern for every size and patch size. */
export type VitName = `vit_${VitSize}_patch${VitPatchSize}_224`;
/** Every registered name ('vit_custom': a ViT whose size and patch come from its options). */
export type ModelName = ResNetName | VitName | 'vit_custom' | 'small_cnn';

/** Options every registered model takes. */
export interface CommonModelOptions {
  /**
   * 'channels_last' stores the 4-d weights (convolutions) in NHWC, as
   * `model.to(memory_format=torch.channels_last)`: faster cuDNN kernels on
   * tensor-core GPUs (feed `x.contiguous('channels_last')` too). Default: contiguous.
   */
  memoryFormat?: MemoryFormat;
}

/** The options a registered name takes. */
export type ModelOptions<N extends string> = CommonModelOptions & (
  N extends ResNetName ? ResNetOptions : N extends VitName ? VitVariantOptions : N extends 'vit_custom' ? VitOptions
    : N extends 'small_cnn' ? SmallCnnOptions : Record<string, unknown>);
/** The class a registered name builds. */
export type ModelOf<N extends string> =
  N extends ResNetName ? ResNet : N extends VitName | 'vit_custom' ? VisionTransformer : N extends 'small_cnn' ? SmallCnn
    : Encoder;

interface Entry {
  build: (options: object) => Encoder;
  options: readonly string[];
}

// The option names of each entry come from the classes' option tables.
const entries = new Map<string, Entry>([
  ['resnet18', { build: (o) => resnet18(o as ResNetOptions), options: RESNET_OPTIONS.keys }],
  ['resnet34', { build: (o) => resnet34(o as ResNetOptions), options: RESNET_OPTIONS.keys }],
  ['resnet50', { build: (o) => resnet50(o as ResNetOptions), options: RESNET_OPTIONS.keys }],
  ['resnet101', { build: (o) => resnet101(o as ResNetOptions), options: RESNET_OPTIONS.keys }],
  ...VIT_VARIANTS.map((v): [string, Entry] => [v.registryName,
    { build: (o) => vit(v.size, v.patchSize, o as VitVariantOptions), options: VIT_VARIANT_OPTION_KEYS }]),
  // NOTE: every ViT option (embedDim, depth, numHeads, patchSize too), for sizes timm has no name for, such as
  // MAE's CPU preset (4 blocks of 128 on 7 px patches: 16 tokens at 28 px); its defaults are ViT-B/16's.
  ['vit_custom', { build: (o) => new VisionTransformer(o as VitOptions), options: VIT_OPTIONS.keys }],
  ['small_cnn', { build: (o) => new SmallCnn(o as SmallCnnOptions), options: SMALL_CNN_OPTIONS.keys }],
]);

/**
 * Builds a registered encoder by name with its options. ResNets take
 * torchvision's names, ViTs timm's `vit_<tiny|small|base|large|huge>_patch<4|8|14|16>_224`
 * (imgSize may still be overridden) or 'vit_custom' (any embedDim, depth,
 * numHeads and patchSize), and 'small_cnn' the small CPU encoder.
 * An unknown name or option throws, listing the close names or the valid options.
 *
 * @example
 * const enc = models.create('resnet18', { smallImages: true, numClasses: 0 });
 * const vit = models.create('vit_tiny_patch4_224', { imgSize: 32, numClasses: 0 });
 * const mini = models.create('vit_custom', { imgSize: 28, patchSize: 7, embedDim: 128, depth: 4, numHeads: 4, numClasses: 0 });
 * const fast = models.create('resnet18', { smallImages: true, memoryFormat: 'channels_last' });
 */
export function create<N extends ModelName>(name: N, options?: ModelOptions<N>): ModelOf<N>;
export function create(name: string, options?: Record<string, unknown>): Encoder;
export function create(name: string, options: object = {}): Encoder {
  const entry = entries.get(name);
  if (!entry) {
    const close = closeNames(String(name));
    throw new RangeError(`Unknown model '${String(name)}'. ` + (close.length
      ? `Did you mean ${close.map((n) => `'${n}'`).join(', ')}? `
      : '') + 'models.list() gives every name.');
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected an options object for model '${name}' but received ${String(options)}`);
  }
  const { memoryFormat, ...rest } = options as CommonModelOptions & Record<string, unknown>;
  const unknown = Object.keys(rest).filter((k) => !entry.options.includes(k));
  if (unknown.length) {
    throw new TypeError(`Unknown option(s) ${unknown.map((k) => `'${k}'`).join(', ')} for model '${name}'; ` +
      `expected some of ${entry.options.join(', ')}, memoryFormat`);
  }
  if (memoryFormat !== undefined && memoryFormat !== 'channels_last' && memoryFormat !== 'contiguous_format') {
    throw new TypeError(`Expected 'channels_last' or 'contiguous_format' for memoryFormat of model '${name}' but received ` +
      JSON.stringify(memoryFormat));
  }
  const model = entry.build(rest);
  if (memoryFormat !== undefined) model.to({ memoryFormat });
  return model;
}

/**
 * Every registered model name, sorted.
 * @example models.list().filter((n) => n.startsWith('vit_small')) // the four ViT-S variants
 */
export function list(): ModelName[] {
  return [...entries.keys()].sort() as ModelName[];
}

// Levenshtein distance, for the suggestions of an unknown name.
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** Up to five registered names within a few edits of `name`, or containing it. */
function closeNames(name: string): string[] {
  const query = name.toLowerCase();
  return [...entries.keys()]
    .map((n) => ({ n, d: n.includes(query) && query.length >= 3 ? 0 : distance(query, n) }))
    .filter(({ n, d }) => d <= Math.max(2, Math.floor(n.length / 4)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
    .slice(0, 5)
    .map(({ n }) => n);
}
