// A 2-D map of a run's embeddings: UMAP (umap-js, the JavaScript port of
// McInnes et al.'s umap-learn; docs/export.md says why) on L2-normalised
// features, drawn as a scatter coloured by label.
import sharp from 'sharp';
import { UMAP } from 'umap-js';
import { writeFileAtomic } from '../../torch/atomic-file';
import { textPaths, textWidth } from '../plot';
import { mulberry32 } from '../../torch/host-random';
import { defineOptions, GivenOptions, is, option, OPTIONAL } from '../../torch/option-table';

/** `writeEmbeddingMap`'s (and `umap2d`'s) options: defaults and checks. */
export const EMBEDDING_MAP_OPTIONS = defineOptions({
  /** Seed of UMAP's random choices (the same map for the same features). Default 0. */
  seed: option(0, is.int(0)),
  /** UMAP's neighbourhood size. Default 15 (umap-learn's). */
  nNeighbors: option(15, is.int(2)),
  /** Optimisation epochs. Default: umap-js's choice (500 below 10,000 points). */
  nEpochs: option(OPTIONAL, is.int(1)),
  /** The picture's title. Default 'test embeddings (UMAP)'. */
  title: option('test embeddings (UMAP)', (v, what) => {
    if (typeof v !== 'string') throw new TypeError(`Expected a string for ${what} but received ${String(v)}`);
    return v;
  }),
});

/** Options of `writeEmbeddingMap`. */
export type EmbeddingMapOptions = GivenOptions<typeof EMBEDDING_MAP_OPTIONS.specs>;

/** Names an option in messages. */
const named = (k: string): string => `embedding map options.${k}`;

// Matplotlib's tab10, the colours of the classes.
const TAB10 = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/**
 * 2-D UMAP coordinates of the rows of `features` (N, D), L2-normalised first
 * so that the map follows cosine similarity, as k-NN and the vector index do.
 *
 * @example const xy = umap2d(rows, { seed: 0 }); // number[N][2]
 */
export function umap2d(features: readonly (readonly number[])[], options: EmbeddingMapOptions = {}): number[][] {
  const o = EMBEDDING_MAP_OPTIONS.resolve(options, named);
  const unit = features.map((r) => {
    const norm = Math.hypot(...r) || 1;
    return r.map((v) => v / norm);
  });
  const umap = new UMAP({
    nComponents: 2, nNeighbors: Math.min(o.nNeighbors, Math.max(2, unit.length - 1)), minDist: 0.1,
    random: mulberry32(o.seed), ...(o.nEpochs !== undefined ? { nEpochs: o.nEpochs } : {}),
  });
  return umap.fit(unit);
}

/**
 * The scatter as SVG: one dot per point coloured by label (gray when
 * unlabelled), a legend of class names at the right.
 *
 * @example renderEmbeddingMap([[0, 1], [2, 3]], [0, 1], ['cat', 'dog'], 'SimCLR test embeddings')
 */
export function renderEmbeddingMap(xy: readonly (readonly number[])[], labels: readonly number[], classes: readonly string[],
  title: string): string {
  const size = 520;
  const m = { left: 16, top: 40, bottom: 16 };
  const names = classes.length ? classes : [...new Set(labels.filter((l) => l >= 0))].sort((a, b) => a - b).map(String);
  const legend = Math.ceil(Math.max(0, ...names.map((n) => textWidth(n, 12)))) + 40;
  const width = m.left + size + legend;
  const height = m.top + size + m.bottom;
  const xs = xy.map((p) => p[0]);
  const ys = xy.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.max(x1 - x0, y1 - y0) || 1;
  const sx = (x: number) => m.left + 8 + ((x - (x0 + x1) / 2) / span + 0.5) * (size - 16);
  const sy = (y: number) => m.top + 8 + (0.5 - (y - (y0 + y1) / 2) / span) * (size - 16);
  const colour = (l: number) => (l < 0 ? '#999999' : TAB10[l % TAB10.length]);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    textPaths(title, m.left + size / 2, 24, { size: 15, anchor: 'middle' }),
    `<rect x="${m.left}" y="${m.top}" width="${size}" height="${size}" fill="none" stroke="#ccc"/>`,
  ];
  xy.forEach((p, i) => parts.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="2.2" ` +
    `fill="${colour(labels[i])}" fill-opacity="0.75"/>`));
  names.forEach((name, i) => {
    const y = m.top + 14 + 18 * i;
    parts.push(`<circle cx="${m.left + size + 16}" cy="${y - 4}" r="4.5" fill="${colour(i)}"/>`,
      textPaths(name, m.left + size + 26, y, { size: 12 }));
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Computes the 2-D UMAP map of `features` and writes it as a PNG (atomically).
 *
 * @example await writeEmbeddingMap('runs/a/embedding-map.png', rows, labels, ['T-shirt/top', ...], { seed: 0 });
 */
export async function writeEmbeddingMap(file: string, features: readonly (readonly number[])[], labels: readonly number[],
  classes: readonly string[], o: EmbeddingMapOptions = {}): Promise<{ width: number; height: number }> {
  if (features.length < 3 || labels.length !== features.length) {
    throw new RangeError(`Expected at least 3 embeddings with one label each for writeEmbeddingMap but received ` +
      `${features.length} and ${labels.length} labels`);
  }
  const { title } = EMBEDDING_MAP_OPTIONS.resolve(o, named);
  const xy = umap2d(features, o);
  const png = await sharp(Buffer.from(renderEmbeddingMap(xy, labels, classes, title))).png()
    .toBuffer({ resolveWithObject: true });
  writeFileAtomic(file, png.data);
  return { width: png.info.width, height: png.info.height };
}
