// The `--data` argument of the commands: a dataset name with an optional
// folder, `fashion-mnist`, `cifar10:<dir>`, `cifar100:<dir>`, `folder:<dir>`.
import { arange } from '../torch/creation';
import { disposeDataset, ImageDataset, subset } from '../data/dataset';
import { fashionMnist } from '../data/fashion-mnist';
import { cifar10, cifar100 } from '../data/cifar';
import { imageFolder } from '../data/image-folder';
import { synthetic } from '../data/synthetic';
import { photoCrops } from '../data/photo-crops';
import { stl10 } from '../data/stl10';

/** The dataset kinds `--data` knows. */
export const DATA_KINDS = ['fashion-mnist', 'cifar10', 'cifar100', 'folder', 'synthetic', 'photos', 'stl10'] as const;

/** A parsed `--data` value. */
export interface DataSpec {
  kind: (typeof DATA_KINDS)[number];
  /** The folder after the colon (Debian's Fashion-MNIST folder when omitted for fashion-mnist). */
  root?: string;
}

/**
 * Parses `name[:folder]`; `root` (the older `--root` option) supplies the folder when the value has none.
 * @example parseDataSpec('cifar10:/data/cifar'); // { kind: 'cifar10', root: '/data/cifar' }
 */
export function parseDataSpec(value: string, root?: string): DataSpec {
  const colon = value.indexOf(':');
  const kind = colon < 0 ? value : value.slice(0, colon);
  const folder = colon < 0 ? root : value.slice(colon + 1);
  if (!(DATA_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`Unknown dataset '${value}' for --data; expected fashion-mnist, cifar10:<dir>, cifar100:<dir>, ` +
      'folder:<dir>, synthetic, photos[:<dir>] or stl10:<dir>');
  }
  if (folder === '') throw new Error(`Expected a folder after '${kind}:' in --data ${value}`);
  if ((kind === 'cifar10' || kind === 'cifar100' || kind === 'folder' || kind === 'stl10') && folder === undefined) {
    throw new Error(`--data ${kind} needs its folder: --data ${kind}:<dir>`);
  }
  return folder === undefined ? { kind: kind as DataSpec['kind'] } : { kind: kind as DataSpec['kind'], root: folder };
}

/** The spec back as the `--data` string. */
export function formatDataSpec(spec: DataSpec): string {
  return spec.root === undefined ? spec.kind : `${spec.kind}:${spec.root}`;
}

/**
 * Reads one split. Image folders have no splits: 'train' is the whole folder
 * (decoded to `imageSize` px) and 'test' is undefined.
 *
 * @example const train = await loadDataSplit(parseDataSpec('fashion-mnist'), 'train');
 */
export async function loadDataSplit(spec: DataSpec, split: 'train' | 'test', imageSize = 64): Promise<ImageDataset | undefined> {
  switch (spec.kind) {
    case 'fashion-mnist': return fashionMnist({ split, root: spec.root });
    case 'cifar10': return cifar10({ split, root: spec.root as string });
    case 'cifar100': return cifar100({ split, root: spec.root as string });
    case 'folder': return split === 'train' ? imageFolder({ root: spec.root as string, size: imageSize }) : undefined;
    // Crops of `imageSize` px (default 64) from the photos; 'test' from the held-out right quarter of each photo.
    case 'photos': return photoCrops({ split, root: spec.root, size: imageSize });
    case 'stl10': return stl10({ split, root: spec.root as string });
    case 'synthetic': {
      // One draw split in two, so that both splits share the classes' patterns.
      const all = synthetic({ n: 768, channels: 1, size: 16 });
      const part = split === 'train' ? arange(0, 512) : arange(512, 768);
      const out = subset(all, part, `synthetic[${split}]`);
      part.dispose();
      disposeDataset(all);
      return out;
    }
  }
}
