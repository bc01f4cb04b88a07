// A colour image set that needs no download: the photographs that Debian's
// mate-backgrounds package ships (/usr/share/backgrounds/mate/nature), cut
// into seeded random square crops. Small and low in diversity (12 photos),
// it is meant for tests, demos and the colour pretext tasks (colorization,
// split-brain, context encoder), not for benchmark claims.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import * as torch from '../torch';
import { Tensor } from '../torch';
import { defineOptions, GivenOptions, is, option, OPTIONAL } from '../torch/option-table';
import { checkSplit, ImageDataset, makeDataset, Split } from './dataset';

/** Where Debian's `mate-backgrounds` package puts its photographs. */
export const PHOTOS_ROOT = '/usr/share/backgrounds/mate/nature';
/** The Debian package that holds them. */
export const PHOTOS_PACKAGE = 'mate-backgrounds';

/** `photoCrops`'s options with a default: the table (the split is required). */
export const PHOTO_CROPS_OPTIONS = defineOptions({
  /** A folder of JPEG/PNG/WebP photographs. Default: Debian's `/usr/share/backgrounds/mate/nature`. */
  root: option(PHOTOS_ROOT, (v: unknown, what: string): string => {
    if (typeof v !== 'string' || v === '') throw new TypeError(`Expected a folder path for ${what} but received ${String(v)}`);
    return v;
  }),
  /** Side of the square crops in pixels. Default 64. */
  size: option(64, is.int(1)),
  /** Crops per photograph. Default 512 for 'train', 128 for 'test'. */
  cropsPerPhoto: option(OPTIONAL, is.int(1)),
  /** Each photo is first resized so its shorter side is `scale * size` px. Default 4. */
  scale: option(4, is.number(1)),
  /**
   * The fraction of each photo's width, at its right edge, that only 'test'
   * crops come from (and 'train' crops never touch), so the split is held out
   * by place. Default 0.25.
   */
  heldOut: option(0.25, is.number(0, 1)),
  /** Seed of the crop positions. Default 0. */
  seed: option(0, is.int(0)),
});

export interface PhotoCropsOptions extends GivenOptions<typeof PHOTO_CROPS_OPTIONS.specs> {
  split: Split;
}

/** One photo decoded as uint8 (3, H, W) RGB, resized so its shorter side is `side`. */
async function decode(file: string, side: number): Promise<Tensor> {
  const { data, info } = await sharp(file, { failOn: 'warning' })
    .resize(side, side, { fit: 'outside' }).removeAlpha().toColourspace('srgb').raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`Expected 3 colour channels from ${file} but sharp decoded ${info.channels}`);
  return torch.scope(() => torch.tensor(new Uint8Array(data.buffer, data.byteOffset, data.length),
    { shape: [info.height, info.width, 3] }).permute([2, 0, 1]).contiguous());
}

/**
 * `n` crops of `size` px from `photo` (3, H, W), their left edges in
 * [x0, x1 - size] and top edges in [0, H - size], as (n, 3, size, size): one gather.
 */
function crops(photo: Tensor, n: number, size: number, x0: number, x1: number, generator: torch.Generator): Tensor {
  const [, H, W] = photo.shape;
  return torch.scope(() => {
    const top = torch.randint(0, H - size + 1, [n, 1, 1], { generator });
    const left = torch.randint(x0, x1 - size + 1, [n, 1, 1], { generator });
    const r = torch.arange(size);
    const flat = top.add(r.view([1, size, 1])).mul(W).add(left.add(r.view([1, 1, size]))); // (n, s, s)
    const picked = photo.reshape([3, H * W]).indexSelect(1, flat.reshape([-1])); // (3, n s s)
    return picked.view([3, n, size, size]).transpose(0, 1).contiguous();
  });
}

/**
 * Random square crops of the photographs in `root` (Debian's mate-backgrounds
 * nature photos by default): uint8 (N, 3, size, size), labelled by the photo
 * they come from (classes are the file names), 'train' from the left
 * `1 - heldOut` of each photo and 'test' from the right `heldOut`, so no test
 * pixel is ever seen in training. The crops are the same on every run for the
 * same options.
 *
 * @example
 * const train = await data.photoCrops({ split: 'train' });          // 12 x 512 crops of 64 px
 * const test = await data.photoCrops({ split: 'test', size: 32 });
 */
export async function photoCrops(options: PhotoCropsOptions): Promise<ImageDataset> {
  const split = checkSplit(options?.split, 'photoCrops');
  const o = PHOTO_CROPS_OPTIONS.resolve(options, (k) => `photoCrops options.${k}`);
  const { root, size, scale, heldOut, seed } = o;
  const perPhoto = o.cropsPerPhoto ?? (split === 'train' ? 512 : 128);
  if (!fs.existsSync(root)) {
    throw new Error(`Photo folder ${root} does not exist. Install Debian's package as root ` +
      `(apt-get install ${PHOTOS_PACKAGE}) or pass root: a folder of JPEG/PNG photographs`);
  }
  const files = fs.readdirSync(root).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
  if (files.length === 0) throw new Error(`Photo folder ${root} holds no JPEG, PNG or WebP files`);
  const side = Math.round(size * scale);
  // NOTE: the split seeds differ, so test crops are not the train crops' positions mirrored.
  const generator = new torch.Generator().manualSeed(seed * 2 + (split === 'train' ? 0 : 1));
  const parts: Tensor[] = [];
  // Channel sums over the whole photos (both parts), so both splits share one normalisation.
  const sums = [0, 0, 0];
  const squares = [0, 0, 0];
  let count = 0;
  try {
    for (const file of files) {
      const photo = await decode(path.join(root, file), side);
      try {
        const W = photo.shape[2];
        torch.scope(() => {
          const x = photo.reshape([3, -1]).to('int32');
          const s1 = x.sum([1], false, { dtype: 'int64' }).toTypedArray() as BigInt64Array;
          const s2 = x.mul(x).sum([1], false, { dtype: 'int64' }).toTypedArray() as BigInt64Array;
          for (let c = 0; c < 3; c++) { sums[c] += Number(s1[c]) / 255; squares[c] += Number(s2[c]) / 65025; }
          count += x.shape[1];
        });
        const cut = Math.round(W * (1 - heldOut));
        const [x0, x1] = split === 'train' ? [0, cut] : [cut, W];
        if (x1 - x0 < size) {
          throw new RangeError(`photoCrops: the ${split} part of ${file} is ${x1 - x0} px wide at scale ${scale}, ` +
            `less than the ${size} px crops; use a larger scale or a ${split === 'train' ? 'smaller' : 'larger'} heldOut`);
        }
        parts.push(crops(photo, perPhoto, size, x0, x1, generator));
      } finally {
        photo.dispose();
      }
    }
    const out = torch.scope(() => ({
      images: torch.cat(parts, 0),
      labels: torch.arange(files.length).view([files.length, 1]).expand([files.length, perPhoto]).reshape([-1]),
    }));
    const classes = files.map((f) => path.basename(f, path.extname(f)));
    const mean = sums.map((v) => v / count);
    const std = squares.map((v, c) => Math.sqrt(Math.max(0, v / count - mean[c] * mean[c])));
    return makeDataset({ name: `photos${size}/${split}`, ...out, classes, mean, std });
  } finally {
    for (const p of parts) p.dispose();
  }
}
