// Line plots of a run's curves (loss, k-NN accuracy) as PNG: drawn as SVG
// here, rasterised by sharp, written atomically so a viewer never sees half a file.
import sharp from 'sharp';
import { writeFileAtomic } from '../torch/atomic-file';

/** One curve. */
export interface Series {
  name: string;
  /** [x, y] pairs in increasing x. */
  points: readonly (readonly [number, number])[];
}

/** What to draw. */
export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Pixels (default 640 x 400). */
  width?: number;
  height?: number;
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** About `count` round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/**
 * The plot as an SVG document.
 * @example renderSvg({ title: 'loss', xLabel: 'step', yLabel: 'loss', series: [{ name: 'train', points: [[0, 5], [1, 4]] }] })
 */
export function renderSvg(plot: LinePlot): string {
  const width = plot.width ?? 640;
  const height = plot.height ?? 400;
  const m = { left: 64, right: 16, top: 36, bottom: 48 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const all = plot.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  let [x0, x1] = all.length ? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))] : [0, 1];
  let [y0, y1] = all.length ? [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))] : [0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  if (y1 === y0) [y0, y1] = [y0 - 0.5 * (Math.abs(y0) || 1), y1 + 0.5 * (Math.abs(y1) || 1)];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * w;
  const sy = (y: number): number => m.top + h - ((y - y0) / (y1 - y0)) * h;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" font-family="sans-serif" font-size="15" text-anchor="middle">${escapeXml(plot.title)}</text>`,
  ];
  for (const t of ticks(y0, y1, 5)) {
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${sy(t) + 4}" font-family="sans-serif" font-size="11" text-anchor="end">${tickLabel(t)}</text>`);
  }
  for (const t of ticks(x0, x1, 6)) {
    parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.top + h}" y2="${m.top + h + 4}" stroke="#333"/>`,
      `<text x="${sx(t)}" y="${m.top + h + 17}" font-family="sans-serif" font-size="11" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + w / 2}" y="${height - 8}" font-family="sans-serif" font-size="12" text-anchor="middle">${escapeXml(plot.xLabel)}</text>`,
    `<text transform="translate(14 ${m.top + h / 2}) rotate(-90)" font-family="sans-serif" font-size="12" text-anchor="middle">${escapeXml(plot.yLabel)}</text>`);
  plot.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 1) {
      parts.push(`<circle cx="${sx(pts[0][0])}" cy="${sy(pts[0][1])}" r="3" fill="${colour}"/>`);
    } else if (pts.length > 1) {
      const d = pts.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    }
    parts.push(`<text x="${m.left + w - 8}" y="${m.top + 16 + 15 * i}" font-family="sans-serif" font-size="12" ` +
      `text-anchor="end" fill="${colour}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Renders the plot to a PNG file (replaced atomically).
 * @example await writePlot('runs/a/loss.png', { title: 'loss', xLabel: 'step', yLabel: 'loss', series });
 */
export async function writePlot(file: string, plot: LinePlot): Promise<void> {
  const png = await sharp(Buffer.from(renderSvg(plot))).png().toBuffer();
  writeFileAtomic(file, png);
}
