// The run plots' SVG by value: every element's coordinates, colours and labels
// for a plot small enough to work out by hand, the text outlines glyph by
// glyph, the tick and range rules, and the option refusals by message.
import * as assert from 'node:assert/strict';
import { renderSvg, textPaths, textWidth } from '../../lib/train/plot';
import { GLYPHS } from '../../lib/train/plot-font';

/** The SVG with each glyph outline's `d` checked against the font (the glyphs of its group's label) and shortened to `d=…`. */
function outlinesChecked(svg: string): string[] {
  return svg.split('\n').map((line) => {
    const group = /^<g class="text" aria-label="([^"]*)"/.exec(line);
    if (group === null) return line;
    const text = group[1].replace(/&quot;/g, '"').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&');
    const want = [...text].map((ch) => (GLYPHS[ch] ?? GLYPHS['?'])[1]).filter((d) => d !== '');
    const got = [...line.matchAll(/ d="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(got, want, `the outlines of '${text}'`);
    return line.replace(/ d="[^"]*"/g, ' d=…');
  });
}

describe('train/plot: the SVG by value', () => {
  it('a 400 x 300 plot: frame, ticks, labels, reference, curves, markers and legend at their computed places', () => {
    const svg = renderSvg({
      title: 'T', xLabel: 'x', yLabel: 'y', width: 400, height: 300, yInclude: [0, 10],
      series: [{ name: 'a', points: [[0, 2], [2, 6], [4, 10]] }, { name: 'b', markers: true, points: [[1, 4], [3, NaN], [3, 8]] }],
      references: [{ name: 'f', y: 5 }, { name: 'inf', y: Infinity }],
    });
    // Margins: left 64, top 52, bottom 48, right = ceil(width of 'f 5' at 11 px: 14.37) + 14 = 29 (the
    // infinite reference is dropped). Frame 307 x 200: x = 64 + 307 * x / 4 (x from 0 to 4, the finite points),
    // y = 252 - 20 * y (y from 0 to 10: both included, so not padded).
    assert.deepEqual(outlinesChecked(svg), [
      '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300">',
      '<rect width="400" height="300" fill="white"/>',
      '<g class="text" aria-label="T" fill="#000" transform="translate(217.50 22.00)"><path transform="translate(-4.58 0) scale(0.00732 -0.00732)" d=…/></g>',
      '<line class="y-tick" data-value="0" x1="64" x2="371" y1="252" y2="252" stroke="#e5e5e5"/>',
      '<g class="text" aria-label="0" fill="#000" transform="translate(58.00 256.00)"><path transform="translate(-7.00 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<line class="y-tick" data-value="2" x1="64" x2="371" y1="212" y2="212" stroke="#e5e5e5"/>',
      '<g class="text" aria-label="2" fill="#000" transform="translate(58.00 216.00)"><path transform="translate(-7.00 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<line class="y-tick" data-value="4" x1="64" x2="371" y1="172" y2="172" stroke="#e5e5e5"/>',
      '<g class="text" aria-label="4" fill="#000" transform="translate(58.00 176.00)"><path transform="translate(-7.00 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<line class="y-tick" data-value="6" x1="64" x2="371" y1="132" y2="132" stroke="#e5e5e5"/>',
      '<g class="text" aria-label="6" fill="#000" transform="translate(58.00 136.00)"><path transform="translate(-7.00 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<line class="y-tick" data-value="8" x1="64" x2="371" y1="92" y2="92" stroke="#e5e5e5"/>',
      '<g class="text" aria-label="8" fill="#000" transform="translate(58.00 96.00)"><path transform="translate(-7.00 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<line class="y-tick" data-value="10" x1="64" x2="371" y1="52" y2="52" stroke="#e5e5e5"/>',
      '<g class="text" aria-label="10" fill="#000" transform="translate(58.00 56.00)"><path transform="translate(-14.00 0) scale(0.00537 -0.00537)" d=…/><path transform="translate(-7.00 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<line x1="64" x2="64" y1="252" y2="256" stroke="#333"/>',
      '<g class="text" aria-label="0" fill="#000" transform="translate(64.00 269.00)"><path transform="translate(-3.50 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<line x1="140.75" x2="140.75" y1="252" y2="256" stroke="#333"/>',
      '<g class="text" aria-label="1" fill="#000" transform="translate(140.75 269.00)"><path transform="translate(-3.50 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<line x1="217.5" x2="217.5" y1="252" y2="256" stroke="#333"/>',
      '<g class="text" aria-label="2" fill="#000" transform="translate(217.50 269.00)"><path transform="translate(-3.50 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<line x1="294.25" x2="294.25" y1="252" y2="256" stroke="#333"/>',
      '<g class="text" aria-label="3" fill="#000" transform="translate(294.25 269.00)"><path transform="translate(-3.50 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<line x1="371" x2="371" y1="252" y2="256" stroke="#333"/>',
      '<g class="text" aria-label="4" fill="#000" transform="translate(371.00 269.00)"><path transform="translate(-3.50 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<rect x="64" y="52" width="307" height="200" fill="none" stroke="#333"/>',
      '<g class="text" aria-label="x" fill="#000" transform="translate(217.50 292.00)"><path transform="translate(-3.55 0) scale(0.00586 -0.00586)" d=…/></g>',
      '<g class="text" aria-label="y" fill="#000" transform="translate(18.00 152.00) rotate(-90)"><path transform="translate(-3.55 0) scale(0.00586 -0.00586)" d=…/></g>',
      '<line class="reference" data-name="f" data-value="5" x1="64" x2="371" y1="152" y2="152" stroke="#666666" stroke-width="1.2" stroke-dasharray="6 4"/>',
      '<g class="text" aria-label="f 5" fill="#666666" transform="translate(377.00 156.00)"><path transform="translate(0.00 0) scale(0.00537 -0.00537)" d=…/><path transform="translate(7.37 0) scale(0.00537 -0.00537)" d=…/></g>',
      '<path class="series" d="M64.0,212.0L217.5,132.0L371.0,52.0" fill="none" stroke="#1f77b4" stroke-width="1.5"/>',
      '<g class="text" aria-label="a" fill="#1f77b4" transform="translate(371.00 42.00)"><path transform="translate(-7.35 0) scale(0.00586 -0.00586)" d=…/></g>',
      '<line x1="339.646484375" x2="357.646484375" y1="38" y2="38" stroke="#1f77b4" stroke-width="1.5"/>',
      '<circle class="marker" cx="140.8" cy="172.0" r="3.5" fill="#ff7f0e"/>',
      '<circle class="marker" cx="294.3" cy="92.0" r="3.5" fill="#ff7f0e"/>',
      '<path class="series" d="M140.8,172.0L294.3,92.0" fill="none" stroke="#ff7f0e" stroke-width="1.5"/>',
      '<g class="text" aria-label="b" fill="#ff7f0e" transform="translate(323.65 42.00)"><path transform="translate(-7.62 0) scale(0.00586 -0.00586)" d=…/></g>',
      '<line x1="292.029296875" x2="310.029296875" y1="38" y2="38" stroke="#ff7f0e" stroke-width="1.5"/>',
      '</svg>',
    ]);
  });

  it('textWidth: the glyphs\' advances at size / 2048 per unit, "?" for a character outside the font', () => {
    assert.equal(GLYPHS.a[0] + GLYPHS[' '][0] + GLYPHS['?'][0], 1255 + 651 + 1087);
    assert.equal(textWidth('a ?é', 2048), 1255 + 651 + 1087 + 1087);
    assert.equal(textWidth('a', 1024), 627.5);
    assert.equal(textWidth('', 12), 0);
  });

  it('textPaths: anchors, pen advance (a space draws nothing), rotation, fill and the escaped label', () => {
    const at = (text: string, o: Parameters<typeof textPaths>[3]): string[] =>
      [...textPaths(text, 10, 20, o).matchAll(/<path transform="translate\(([-\d.]+) 0\)/g)].map((m) => m[1]);
    // At 2048 px a font unit is a pixel: 'a' 1255, ' ' 651, '?' 1087, 'é' drawn as '?'.
    assert.deepEqual(at('a ?é', { size: 2048 }), ['0.00', '1906.00', '2993.00']);
    assert.deepEqual(at('a ?é', { size: 2048, anchor: 'middle' }), ['-2040.00', '-134.00', '953.00']);
    assert.deepEqual(at('a ?é', { size: 2048, anchor: 'end' }), ['-4080.00', '-2174.00', '-1087.00']);
    const g = textPaths('a&<>"', 1.234, 5.678, { size: 2048, fill: 'red', rotate: 30 });
    assert.equal(g.replace(/ d="[^"]*"/g, ''), '<g class="text" aria-label="a&amp;&lt;&gt;&quot;" fill="red" ' +
      'transform="translate(1.23 5.68) rotate(30)">' +
      `<path transform="translate(0.00 0) scale(1.00000 -1.00000)"/><path transform="translate(${(1255).toFixed(2)} 0) scale(1.00000 -1.00000)"/>` +
      `<path transform="translate(${(1255 + GLYPHS['&'][0]).toFixed(2)} 0) scale(1.00000 -1.00000)"/>` +
      `<path transform="translate(${(1255 + GLYPHS['&'][0] + GLYPHS['<'][0]).toFixed(2)} 0) scale(1.00000 -1.00000)"/>` +
      `<path transform="translate(${(1255 + GLYPHS['&'][0] + GLYPHS['<'][0] + GLYPHS['>'][0]).toFixed(2)} 0) scale(1.00000 -1.00000)"/></g>`);
    // No rotation: no rotate(); the default fill is black.
    assert.match(textPaths('a', 0, 0, { size: 10 }), /^<g class="text" aria-label="a" fill="#000" transform="translate\(0\.00 0\.00\)"><path /);
    assert.equal(textPaths(' ', 0, 0, { size: 10 }), '<g class="text" aria-label=" " fill="#000" transform="translate(0.00 0.00)"></g>');
  });

  it('refuses options by name', () => {
    const base = { title: 't', xLabel: 'x', yLabel: 'y', series: [] };
    assert.throws(() => renderSvg({ ...base, references: 5 as never }), { name: 'TypeError', message: 'Expected an array for plot.references but received 5' });
    assert.throws(() => renderSvg({ ...base, yInclude: 'x' as never }), { name: 'TypeError', message: 'Expected an array for plot.yInclude but received x' });
    assert.throws(() => textPaths('a', 0, 0, { size: 10, fill: 3 as never }), { name: 'TypeError', message: 'Expected a colour for textPaths options.fill but received 3' });
    assert.throws(() => textPaths('a', 0, 0, { size: 10, anchor: 'left' as never }), /textPaths options\.anchor/);
    assert.throws(() => renderSvg({ ...base, width: 0 }), /plot\.width/);
  });

  /** The values of the y ticks, the x ticks' positions and the frame, for `series` on the default 640 x 400. */
  function axes(plot: Partial<Parameters<typeof renderSvg>[0]>): { y: string[]; yLabels: string[]; xLabels: string[] } {
    const svg = renderSvg({ title: '', xLabel: '', yLabel: '', series: [], ...plot });
    const lines = svg.split('\n');
    const y = [...svg.matchAll(/class="y-tick" data-value="([^"]*)"/g)].map((m) => m[1]);
    const labelAfter = (pattern: RegExp): string[] => lines.flatMap((l, i) => (pattern.test(l) ? [/aria-label="([^"]*)"/.exec(lines[i + 1])![1]] : []));
    return { y, yLabels: labelAfter(/class="y-tick"/), xLabels: labelAfter(/^<line x1="[^"]*" x2="[^"]*" y1="[^"]*" y2="[^"]*" stroke="#333"\/>$/) };
  }

  it('ticks and ranges: 5% padding unless included, a flat or empty range, round steps, exponent labels', () => {
    // Empty: [0, 1] on both axes, steps 0.2 and 0.2 (1/6 rounds up to 0.2).
    assert.deepEqual(axes({}), { y: ['0', '0.2', '0.4', '0.6', '0.8', '1'], yLabels: ['0', '0.2', '0.4', '0.6', '0.8', '1'],
      xLabels: ['0', '0.2', '0.4', '0.6', '0.8', '1'] });
    // One point at (3, 2): x from 2.5 to 3.5, y from 1 to 3 (half of |2| each way).
    assert.deepEqual(axes({ series: [{ name: 's', points: [[3, 2]] }] }), { y: ['1', '1.5', '2', '2.5', '3'],
      yLabels: ['1', '1.5', '2', '2.5', '3'], xLabels: ['2.6', '2.8', '3', '3.2', '3.4'] });
    // A flat curve at 0: y from -0.5 to 0.5 (half of 1 each way), ticks by 0.2.
    assert.deepEqual(axes({ series: [{ name: 's', points: [[0, 0], [1, 0]] }] }).y, ['-0.4', '-0.2', '0', '0.2', '0.4']);
    // 10 to 30 padded by 1 each way (9 to 31), ticks 10..30 by 5; an included end is not padded. The frame is
    // y 52 to 352 (640 x 400): the tick at 10 sits on its bottom only when 10 is included, 30 on its top when 30 is.
    const tickY = (plot: Partial<Parameters<typeof renderSvg>[0]>): Record<string, number> => Object.fromEntries(
      [...renderSvg({ title: '', xLabel: '', yLabel: '', series: [], ...plot }).matchAll(/class="y-tick" data-value="([^"]*)"[^>]* y1="([^"]*)"/g)]
        .map((m) => [m[1], Number(m[2])]));
    const tens = [{ name: 's', points: [[0, 10], [1, 30]] as [number, number][] }];
    const on = (lo: number, hi: number): Record<string, number> =>
      Object.fromEntries([10, 15, 20, 25, 30].map((v) => [v, 52 + 300 - ((v - lo) / (hi - lo)) * 300]));
    assert.deepEqual(tickY({ series: tens }), on(9, 31));
    assert.deepEqual(tickY({ series: tens, yInclude: [10] }), on(10, 31));
    assert.deepEqual(tickY({ series: tens, yInclude: [30] }), on(9, 30));
    assert.equal(on(10, 31)[10], 352);
    assert.equal(on(9, 30)[30], 52);
    // A reference widens the range; its label rounds to one decimal.
    const withRef = renderSvg({ title: '', xLabel: '', yLabel: '', series: [{ name: 's', points: [[0, 1], [1, 2]] }],
      references: [{ name: 'floor', y: 4.04 }] });
    assert.match(withRef, /aria-label="floor 4"/);
    assert.deepEqual([...withRef.matchAll(/class="y-tick" data-value="([^"]*)"/g)].map((m) => m[1]), ['1', '2', '3', '4']); // 0.85 to 4.19 (without the reference 0.95 to 2.05)
    // Large and small values print as exponents; 4 significant digits otherwise.
    assert.deepEqual(axes({ series: [{ name: 's', points: [[0, 100000], [1, 300000]] }], yInclude: [100000, 300000] }).yLabels,
      ['1.0e+5', '1.5e+5', '2.0e+5', '2.5e+5', '3.0e+5']);
    assert.deepEqual(axes({ series: [{ name: 's', points: [[0, 0.0001], [1, 0.0003]] }], yInclude: [0.0001, 0.0003] }).yLabels,
      ['1.0e-4', '1.5e-4', '2.0e-4', '2.5e-4', '3.0e-4']);
    assert.deepEqual(axes({ series: [{ name: 's', points: [[0, 0.001], [1, 0.003]] }], yInclude: [0.001, 0.003] }).yLabels,
      ['0.001', '0.0015', '0.002', '0.0025', '0.003']);
  });

  it('x from its smallest to its largest value; the right margin fits the widest reference label', () => {
    const svg = renderSvg({ title: '', xLabel: '', yLabel: '', width: 400, height: 300, yInclude: [0, 10],
      series: [{ name: 's', markers: true, points: [[2, 0], [4, 5], [6, 10]] }],
      references: [{ name: 'a', y: 1 }, { name: 'a much longer floor', y: 2 }] });
    const right = Math.ceil(textWidth('a much longer floor 2', 11)) + 14;
    const w = 400 - 64 - right;
    assert.match(svg, new RegExp(`<rect x="64" y="52" width="${w}" height="200" fill="none"`));
    const x = (v: number): string => (64 + ((v - 2) / 4) * w).toFixed(1);
    assert.deepEqual([...svg.matchAll(/<circle class="marker" cx="([^"]*)" cy="([^"]*)"/g)].map((m) => [m[1], m[2]]),
      [[x(2), '252.0'], [x(4), '152.0'], [x(6), '52.0']]);
  });

  it('markers: on a lone point always, on a curve only when asked; colours cycle after six series', () => {
    const series = Array.from({ length: 7 }, (_, i) => ({ name: `s${i}`, points: [[0, i], [1, i + 1]] as [number, number][] }));
    const svg = renderSvg({ title: '', xLabel: '', yLabel: '', series: [...series, { name: 'one', points: [[0.5, 3]] }] });
    assert.deepEqual([...svg.matchAll(/<path class="series"[^>]* stroke="([^"]*)"/g)].map((m) => m[1]),
      ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#1f77b4']);
    assert.deepEqual([...svg.matchAll(/<circle class="marker"[^>]* fill="([^"]*)"/g)].map((m) => m[1]), ['#ff7f0e']); // series 8: colour 2
    assert.equal((svg.match(/<path class="series"/g) ?? []).length, 7);
  });
});
