// embedding-map.png by value: the scatter's SVG (each dot where the square
// layout puts it, coloured by class; the legend and its width), UMAP on
// L2-normalised rows with its seed, and the refusals by message.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { renderEmbeddingMap, umap2d, writeEmbeddingMap } from '../../../lib/train/pictures/embedding-map';
import { textPaths, textWidth } from '../../../lib/train/plot';

const dots = (svg: string): string[][] =>
  [...svg.matchAll(/<circle cx="([^"]*)" cy="([^"]*)" r="2.2" fill="([^"]*)" fill-opacity="0.75"\/>/g)].map((m) => [m[1], m[2], m[3]]);

describe('train/pictures: the embedding map by value', () => {
  it('renderEmbeddingMap: the frame, dots in a square layout centred on the data, colours by class, the legend', () => {
    // x from 0 to 4, y from 1 to 3: the span is 4 (the wider), so y's range sits centred in the square.
    const svg = renderEmbeddingMap([[0, 1], [4, 3], [2, 2], [1, 1]], [0, 1, 11, -1], ['cat', 'dog'], 'T & U');
    const legend = Math.ceil(textWidth('dog', 12)) + 40; // the widest name: 'cat' is narrower
    assert.ok(Math.ceil(textWidth('cat', 12)) < Math.ceil(textWidth('dog', 12)));
    const width = 16 + 520 + legend;
    const sx = (x: number) => (16 + 8 + ((x - 2) / 4 + 0.5) * 504).toFixed(1);
    const sy = (y: number) => (40 + 8 + (0.5 - (y - 2) / 4) * 504).toFixed(1);
    assert.deepEqual(svg.split('\n'), [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="576" viewBox="0 0 ${width} 576">`,
      `<rect width="${width}" height="576" fill="white"/>`,
      textPaths('T & U', 276, 24, { size: 15, anchor: 'middle' }),
      '<rect x="16" y="40" width="520" height="520" fill="none" stroke="#ccc"/>',
      `<circle cx="${sx(0)}" cy="${sy(1)}" r="2.2" fill="#1f77b4" fill-opacity="0.75"/>`,
      `<circle cx="${sx(4)}" cy="${sy(3)}" r="2.2" fill="#ff7f0e" fill-opacity="0.75"/>`,
      `<circle cx="${sx(2)}" cy="${sy(2)}" r="2.2" fill="#ff7f0e" fill-opacity="0.75"/>`, // class 11: tab10 again from 1
      `<circle cx="${sx(1)}" cy="${sy(1)}" r="2.2" fill="#999999" fill-opacity="0.75"/>`, // unlabelled
      '<circle cx="552" cy="50" r="4.5" fill="#1f77b4"/>',
      textPaths('cat', 562, 54, { size: 12 }),
      '<circle cx="552" cy="68" r="4.5" fill="#ff7f0e"/>',
      textPaths('dog', 562, 72, { size: 12 }),
      '</svg>',
    ]);
    assert.deepEqual([sx(0), sx(4), sy(3), sy(1)], ['24.0', '528.0', '174.0', '426.0']);
  });

  it('without class names the legend lists the labels seen, sorted (none for unlabelled points); one point is centred', () => {
    const svg = renderEmbeddingMap([[0, 0], [1, 1], [2, 2], [3, 3]], [9, 2, -1, 2], [], 't');
    assert.deepEqual([...svg.matchAll(/<g class="text" aria-label="([^"]*)"/g)].map((m) => m[1]), ['t', '2', '9']);
    assert.deepEqual([...svg.matchAll(/<circle cx="552" cy="([^"]*)" r="4.5" fill="([^"]*)"/g)].map((m) => [m[1], m[2]]),
      [['50', '#1f77b4'], ['68', '#ff7f0e']]); // the legend's colours are by row
    const width = 16 + 520 + Math.ceil(textWidth('9', 12)) + 40;
    assert.match(svg, new RegExp(`^<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="576"`));
    const gray = renderEmbeddingMap([[0, 0], [0, 0], [0, 0]], [-1, -1, -1], [], 't');
    assert.deepEqual(dots(gray), [['276.0', '300.0', '#999999'], ['276.0', '300.0', '#999999'], ['276.0', '300.0', '#999999']]);
    assert.match(gray, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="576" height="576"/); // 16 + 520 + 40
  });

  it('umap2d: seeded (the same map for the same seed), the rows L2-normalised first, nNeighbors and nEpochs reach UMAP', () => {
    const rows = Array.from({ length: 12 }, (_, i) => [Math.cos(i), Math.sin(i), (i % 3) - 1]);
    const a = umap2d(rows, { seed: 3, nEpochs: 20 });
    assert.equal(a.length, 12);
    assert.ok(a.every((p) => p.length === 2));
    assert.deepEqual(umap2d(rows, { seed: 3, nEpochs: 20 }), a);
    assert.notDeepEqual(umap2d(rows, { seed: 4, nEpochs: 20 }), a);
    // Scaling a row (by a power of 2: exact in floating point) does not move it: cosine geometry.
    assert.deepEqual(umap2d(rows.map((r, i) => r.map((v) => v * 2 ** ((i % 4) + 1))), { seed: 3, nEpochs: 20 }), a);
    assert.notDeepEqual(umap2d(rows, { seed: 3, nEpochs: 21 }), a);
    assert.notDeepEqual(umap2d(rows, { seed: 3, nEpochs: 20, nNeighbors: 4 }), a);
    // A zero row stays zero (no division by 0).
    assert.equal(umap2d([...rows, [0, 0, 0]], { seed: 3, nEpochs: 5 }).flat().every(Number.isFinite), true);
  });

  it('writeEmbeddingMap: the PNG at the SVG\'s size, the title option; refusals by message', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-embedding-map-'));
    try {
      const rows = Array.from({ length: 6 }, (_, i) => [i, 6 - i, 1]);
      const file = path.join(dir, 'map.png');
      const size = await writeEmbeddingMap(file, rows, [0, 0, 0, 1, 1, 1], ['a', 'b'], { seed: 1, nEpochs: 5, title: 'x' });
      const legend = Math.ceil(Math.max(textWidth('a', 12), textWidth('b', 12))) + 40;
      assert.deepEqual(size, { width: 16 + 520 + legend, height: 576 });
      const m = await sharp(file).metadata();
      assert.deepEqual([m.format, m.width, m.height], ['png', size.width, size.height]);
      await assert.rejects(writeEmbeddingMap(file, rows.slice(0, 2), [0, 0], []), {
        name: 'RangeError', message: 'Expected at least 3 embeddings with one label each for writeEmbeddingMap but received 2 and 2 labels' });
      await assert.rejects(writeEmbeddingMap(file, rows, [0], []), {
        message: 'Expected at least 3 embeddings with one label each for writeEmbeddingMap but received 6 and 1 labels' });
      await assert.rejects(writeEmbeddingMap(file, rows, [0, 0, 0, 1, 1, 1], [], { title: 5 as never }), {
        name: 'TypeError', message: 'Expected a string for embedding map options.title but received 5' });
      assert.throws(() => umap2d(rows, { nNeighbors: 1 }), /embedding map options\.nNeighbors/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
