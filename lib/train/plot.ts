// Line plots of a run's curves (loss, k-NN accuracy) as PNG: drawn as SVG
// here, rasterised by sharp, written atomically so a viewer never sees half a file.
//
// NOTE: labels are drawn as glyph outlines (lib/train/plot-font.ts, DejaVu
// Sans), not as SVG <text>: librsvg lays text out through fontconfig, which
// on a headless server without a fontconfig setup prints "Fontconfig error:
// Cannot load default config file" and may find no font, leaving the plot
// without labels. Paths render the same on every machine.
import sharp from 'sharp';
import { writeFileAtomic } from '../torch/atomic-file';
import { GLYPHS, UNITS_PER_EM } from './plot-font';
import { defineOptions, GivenOptions, is, option, OptionCheck } from '../torch/option-table';

/** One curve. */
export interface Series {
  name: string;
  /** [x, y] pairs in increasing x. */
  points: readonly (readonly [number, number])[];
  /** Draw a marker on every point (for sparse curves such as the online k-NN). */
  markers?: boolean;
}

/** A horizontal dashed line with its label at the right (e.g. a floor the curve is read against). */
export interface Reference {
  name: string;
  y: number;
}

/** What to draw. */
/** A list (an array), given as it is. */
function list<T>(): OptionCheck<readonly T[]> {
  return (v, what) => {
    if (!Array.isArray(v)) throw new TypeError(`Expected an array for ${what} but received ${String(v)}`);
    return v as readonly T[];
  };
}

/** A plot's options with a default: the table. */
export const LINE_PLOT_OPTIONS = defineOptions({
  /** Dashed horizontal lines, always inside the y range. Default none. */
  references: option<readonly Reference[]>([], list<Reference>()),
  /** Values the y axis must show (0 for a loss), without padding beyond them. Default none. */
  yInclude: option<readonly number[]>([], list<number>()),
  /** Pixels (default 640 x 400). */
  width: option(640, is.int(1)),
  height: option(400, is.int(1)),
});

export interface LinePlot extends GivenOptions<typeof LINE_PLOT_OPTIONS.specs> {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
}

/** `textPaths`'s options: defaults and checks. */
export const TEXT_OPTIONS = defineOptions({
  /** Where (x, y) sits on the text. Default 'start'. */
  anchor: option<'start' | 'middle' | 'end'>('start', is.oneOf(['start', 'middle', 'end'])),
  /** Fill colour. Default '#000'. */
  fill: option('#000', (v, what) => {
    if (typeof v !== 'string') throw new TypeError(`Expected a colour for ${what} but received ${String(v)}`);
    return v;
  }),
  /** Degrees of rotation about (x, y). Default 0. */
  rotate: option(0, is.number()),
});

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const REFERENCE_COLOUR = '#666666';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Width in pixels of `text` at `size` px (characters outside printable ASCII count as '?'). */
export function textWidth(text: string, size: number): number {
  let units = 0;
  for (const ch of text) units += (GLYPHS[ch] ?? GLYPHS['?'])[0];
  return (units * size) / UNITS_PER_EM;
}

/**
 * `text` as glyph outlines: a group whose `aria-label` is the text, baseline
 * at (x, y), anchored at its start, middle or end, optionally rotated about (x, y).
 */
export function textPaths(text: string, x: number, y: number,
  options: GivenOptions<typeof TEXT_OPTIONS.specs> & { size: number }): string {
  const o = { ...TEXT_OPTIONS.resolve(options, (k) => `textPaths options.${k}`), size: options.size };
  const s = o.size / UNITS_PER_EM;
  const width = textWidth(text, o.size);
  let pen = o.anchor === 'middle' ? -width / 2 : o.anchor === 'end' ? -width : 0;
  const glyphs: string[] = [];
  for (const ch of text) {
    const [advance, d] = GLYPHS[ch] ?? GLYPHS['?'];
    if (d !== '') glyphs.push(`<path transform="translate(${pen.toFixed(2)} 0) scale(${s.toFixed(5)} ${(-s).toFixed(5)})" d="${d}"/>`);
    pen += advance * s;
  }
  const rotate = o.rotate ? ` rotate(${o.rotate})` : '';
  return `<g class="text" aria-label="${escapeXml(text)}" fill="${o.fill}" ` +
    `transform="translate(${x.toFixed(2)} ${y.toFixed(2)})${rotate}">${glyphs.join('')}</g>`;
}

/** About `count` round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** The y range: data, references and included values, padded by 5% except at an included value. */
function yRange(values: readonly number[], include: readonly number[]): [number, number] {
  const all = [...values, ...include];
  if (all.length === 0) return [0, 1];
  let [lo, hi] = [Math.min(...all), Math.max(...all)];
  if (hi === lo) return [lo - 0.5 * (Math.abs(lo) || 1), hi + 0.5 * (Math.abs(hi) || 1)];
  const pad = (hi - lo) * 0.05;
  if (!include.includes(lo)) lo -= pad;
  if (!include.includes(hi)) hi += pad;
  return [lo, hi];
}

/**
 * The plot as an SVG document (text drawn as paths; each label is a group with its text as `aria-label`).
 * @example renderSvg({ title: 'loss', xLabel: 'step', yLabel: 'loss', series: [{ name: 'train', points: [[0, 5], [1, 4]] }], yInclude: [0] })
 */
export function renderSvg(plot: LinePlot): string {
  const { width, height, yInclude, ...o } = LINE_PLOT_OPTIONS.resolve(plot, (k) => `plot.${k}`);
  const references = o.references.filter((r) => Number.isFinite(r.y));
  const refLabels = references.map((r) => `${r.name} ${tickLabel(Number(r.y.toFixed(1)))}`);
  // Reference labels sit right of the frame, never over the curves.
  const right = references.length ? Math.ceil(Math.max(...refLabels.map((t) => textWidth(t, 11)))) + 14 : 16;
  const m = { left: 64, right, top: 52, bottom: 48 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const finite = plot.series.map((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const all = finite.flat();
  let [x0, x1] = all.length ? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))] : [0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  const [y0, y1] = yRange([...all.map((p) => p[1]), ...references.map((r) => r.y)], yInclude);
  const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * w;
  const sy = (y: number): number => m.top + h - ((y - y0) / (y1 - y0)) * h;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    textPaths(plot.title, m.left + w / 2, 22, { size: 15, anchor: 'middle' }),
  ];
  for (const t of ticks(y0, y1, 5)) {
    parts.push(`<line class="y-tick" data-value="${t}" x1="${m.left}" x2="${m.left + w}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`,
      textPaths(tickLabel(t), m.left - 6, sy(t) + 4, { size: 11, anchor: 'end' }));
  }
  for (const t of ticks(x0, x1, 6)) {
    parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.top + h}" y2="${m.top + h + 4}" stroke="#333"/>`,
      textPaths(tickLabel(t), sx(t), m.top + h + 17, { size: 11, anchor: 'middle' }));
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`,
    textPaths(plot.xLabel, m.left + w / 2, height - 8, { size: 12, anchor: 'middle' }),
    textPaths(plot.yLabel, 18, m.top + h / 2, { size: 12, anchor: 'middle', rotate: -90 }));
  references.forEach((r, i) => {
    parts.push(`<line class="reference" data-name="${escapeXml(r.name)}" data-value="${r.y}" x1="${m.left}" ` +
      `x2="${m.left + w}" y1="${sy(r.y)}" y2="${sy(r.y)}" stroke="${REFERENCE_COLOUR}" stroke-width="1.2" stroke-dasharray="6 4"/>`,
    textPaths(refLabels[i], m.left + w + 6, sy(r.y) + 4, { size: 11, fill: REFERENCE_COLOUR }));
  });
  // The legend: one row in the top margin, right-aligned, a line sample before each name.
  let legendRight = m.left + w;
  plot.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = finite[i];
    if (pts.length === 1 || (pts.length > 1 && s.markers)) {
      for (const [x, y] of pts) parts.push(`<circle class="marker" cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${colour}"/>`);
    }
    if (pts.length > 1) {
      const d = pts.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      parts.push(`<path class="series" d="${d}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    }
    const labelWidth = textWidth(s.name, 12);
    parts.push(textPaths(s.name, legendRight, 42, { size: 12, anchor: 'end', fill: colour }),
      `<line x1="${legendRight - labelWidth - 24}" x2="${legendRight - labelWidth - 6}" y1="38" y2="38" stroke="${colour}" stroke-width="1.5"/>`);
    legendRight -= labelWidth + 40;
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Renders the plot to a PNG file (replaced atomically).
 * @example await writePlot('runs/a/loss.png', { title: 'loss', xLabel: 'step', yLabel: 'loss', series, yInclude: [0] });
 */
export async function writePlot(file: string, plot: LinePlot): Promise<void> {
  const png = await sharp(Buffer.from(renderSvg(plot))).png().toBuffer();
  writeFileAtomic(file, png);
}
