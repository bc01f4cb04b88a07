// The run plots: what knn.png and loss.png show, and that their labels render
// on a machine without fonts or a fontconfig setup.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { renderSvg, LinePlot } from '../../lib/train/plot';

const knnPlot: LinePlot = {
  title: 'simclr online k-NN top-1 (%)', xLabel: 'epoch', yLabel: 'top-1 (%)',
  series: [{ name: 'k=20', markers: true, points: [[2, 80.0], [4, 81.7], [6, 81.2]] }],
  references: [{ name: 'raw pixels', y: 82.5 }, { name: 'random encoder', y: 74.1 }],
};

/** The numbers after `attr="` in every element of `cls`. */
function attrs(svg: string, cls: string, attr: string): string[] {
  return [...svg.matchAll(new RegExp(`<[a-z]+ class="${cls}"[^>]*? ${attr}="([^"]*)"`, 'g'))].map((m) => m[1]);
}

describe('train/plot', () => {
  it('knn.png: a marker per point, the floors as labelled dashed lines inside the y axis', () => {
    const svg = renderSvg(knnPlot);
    assert.equal((svg.match(/class="marker"/g) ?? []).length, 3);
    assert.deepEqual(attrs(svg, 'reference', 'data-name'), ['raw pixels', 'random encoder']);
    assert.equal((svg.match(/class="reference"[^>]*stroke-dasharray/g) ?? []).length, 2);
    assert.match(svg, /aria-label="raw pixels 82\.5"/);
    assert.match(svg, /aria-label="random encoder 74\.1"/);
    // The y ticks span both floors, so a 2-point change reads against a 8-point gap.
    const yTicks = attrs(svg, 'y-tick', 'data-value').map(Number);
    assert.ok(Math.min(...yTicks) <= 74.1 + 2 && Math.max(...yTicks) >= 82.5 - 2, yTicks.join(', '));
  });

  it('puts the legend above the frame, never over a curve', () => {
    const svg = renderSvg(knnPlot);
    const frameTop = Number(/<rect x="\d+" y="(\d+)"[^>]*fill="none"/.exec(svg)![1]);
    const legendY = Number(/aria-label="k=20"[^>]*transform="translate\([\d.]+ ([\d.]+)\)/.exec(svg)![1]);
    assert.ok(legendY < frameTop - 4, `legend baseline ${legendY}, frame top ${frameTop}`);
  });

  it('loss.png: the y axis from 0 with a tick there', () => {
    const svg = renderSvg({ title: 'loss', xLabel: 'step', yLabel: 'loss', yInclude: [0],
      series: [{ name: 'loss', points: [[0, 4.2], [100, 2.1], [200, 1.3]] }] });
    const yTicks = attrs(svg, 'y-tick', 'data-value').map(Number);
    assert.equal(Math.min(...yTicks), 0);
    assert.match(svg, /aria-label="0"/);
  });

  it('draws text as paths: no <text> elements, so no font or fontconfig is needed', () => {
    const svg = renderSvg(knnPlot);
    assert.doesNotMatch(svg, /<text/);
    assert.match(svg, /<g class="text" aria-label="simclr online k-NN top-1 \(%\)"[^>]*><path /);
  });

  it('renders its labels with FONTCONFIG_FILE pointing nowhere, printing nothing', async function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-plot-'));
    try {
      const plotModule = path.join(__dirname, '..', '..', 'lib', 'train', 'plot.js');
      const code = `const { writePlot } = require(${JSON.stringify(plotModule)});
        const plot = ${JSON.stringify(knnPlot)};
        Promise.all([writePlot(process.argv[1], plot), writePlot(process.argv[2], { ...plot, title: '' })]);`;
      const env = { ...process.env, FONTCONFIG_FILE: path.join(dir, 'no', 'fonts.conf'), FONTCONFIG_PATH: path.join(dir, 'no') };
      const r = spawnSync(process.execPath, ['-e', code, path.join(dir, 'a.png'), path.join(dir, 'b.png')],
        { env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '', 'nothing on stderr (no "Fontconfig error")');
      // The title's pixels: dark where the title is drawn, white without it.
      const region = { left: 150, top: 8, width: 340, height: 20 };
      const dark = async (file: string): Promise<number> => {
        const { data } = await sharp(file).extract(region).greyscale().raw().toBuffer({ resolveWithObject: true });
        return data.filter((v) => v < 128).length;
      };
      assert.ok(await dark(path.join(dir, 'a.png')) > 100, 'the title is drawn');
      assert.equal(await dark(path.join(dir, 'b.png')), 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
