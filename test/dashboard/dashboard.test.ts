import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser } from 'playwright-core';
import * as torch from '../../lib/torch';
import { writeImageGrid } from '../../lib/data/image-grid';
import { Dashboard, startDashboard } from '../../lib/dashboard/server';
import { summarizeRun } from '../../lib/dashboard/run-reader';
import { CurveCache } from '../../lib/dashboard/curves';
import { repoRoot } from '../helpers/python-reference';
import { launchChromium, pageWithErrors, skipWithoutChromium } from './browser';

const step = (i: number) => JSON.stringify({ type: 'step', step: i, epoch: 0, loss: 5 - i / 100, lr: 0.001, wd: 0, imgPerSec: 800,
  embStd: 0.1, time: i, eta: 10 });

describe('dashboard: a real headless Chromium on the local page', function () {
  this.timeout(120000);
  let dir: string;
  let dashboard: Dashboard;
  let browser: Browser | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-dashboard-'));
    const a = path.join(dir, 'simclr-a');
    fs.mkdirSync(a);
    fs.writeFileSync(path.join(a, 'config.json'), JSON.stringify({ config: { method: 'simclr', encoder: 'small_cnn' } }));
    fs.writeFileSync(path.join(a, 'metrics.jsonl'), `${Array.from({ length: 50 }, (_, i) => step(i)).join('\n')}\n` +
      `${JSON.stringify({ type: 'knn', step: 49, epoch: 0, top1: { 20: 0.8 }, time: 50 })}\n{"type":"step","st`);
    fs.writeFileSync(path.join(a, 'eval.json'), JSON.stringify({ rows: [{ name: 'trained encoder', knn20: 0.849 }] }));
    await writeImageGrid(path.join(a, 'loss.png'), [torch.rand([2, 3, 8, 8])], { scale: 4 });
    fs.mkdirSync(path.join(dir, 'byol-empty'));
    fs.writeFileSync(path.join(dir, 'byol-empty', 'config.json'), JSON.stringify({ config: { method: 'byol' } }));
    fs.mkdirSync(path.join(dir, 'notes'));
    dashboard = await startDashboard({ root: dir, pollMs: 100 });
  });
  after(async () => {
    await browser?.close();
    await dashboard?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses paths outside the runs folder and names folders that are not runs, over HTTP', async () => {
    for (const q of ['/api/run?run=..', '/api/run?run=..%2F..%2Fetc', '/api/file?run=simclr-a&file=..%2Fconfig.json',
      '/api/file?run=simclr-a&file=config.json', '/api/live?run=%2Fetc']) {
      const r = await fetch(new URL(q, dashboard.url));
      assert.equal(r.status, 403, q);
      assert.match(((await r.json()) as { error: string }).error, /Refused/);
    }
    const notRun = await fetch(new URL('/api/run?run=notes', dashboard.url));
    assert.equal(notRun.status, 404);
    assert.match(((await notRun.json()) as { error: string }).error, /'notes' is not a run folder/);
    const runs = await (await fetch(new URL('/api/runs', dashboard.url))).json() as { runs: { name: string }[] };
    assert.deepEqual(runs.runs.map((r) => r.name), ['byol-empty', 'simclr-a']);
  });

  it('reduces long runs on the server to the page\'s pixel columns, and reads them once', () => {
    const big = path.join(dir, 'big');
    fs.mkdirSync(big);
    fs.writeFileSync(path.join(big, 'metrics.jsonl'), `${Array.from({ length: 100000 }, (_, i) => step(i)).join('\n')}\n`);
    const cache = new CurveCache();
    const t0 = process.hrtime.bigint();
    const s = summarizeRun(dir, 'big', 500, cache);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const t1 = process.hrtime.bigint();
    summarizeRun(dir, 'big', 500, cache);
    const again = Number(process.hrtime.bigint() - t1) / 1e6;
    console.log(`      summary of a run with 10^5 metric lines: ${ms.toFixed(0)} ms (cached: ${again.toFixed(0)} ms), ` +
      `${s.series.loss.length} loss points sent`);
    assert.ok(s.series.loss.length <= 2000);
    assert.equal(s.series.loss[0][0], 0);
    assert.equal(s.series.loss.at(-1)?.[0], 99999);
    assert.equal(s.steps, 100000);
    fs.rmSync(big, { recursive: true });
  });

  it('shows the curves, pictures and config; a line appended to metrics.jsonl appears within 2 s; bad runs show a message', async function () {
    skipWithoutChromium(this);
    browser = await launchChromium();
    const { page, errors } = await pageWithErrors(browser);
    await page.goto(`${dashboard.url}?run=simclr-a`);
    await page.waitForSelector('body[data-points="50"]');
    await page.waitForSelector('body[data-loaded="simclr-a"]');
    console.log(`      first paint of a run with 50 metric lines: ${await page.getAttribute('body', 'data-paint-ms')} ms`);
    assert.equal(await page.locator('#charts .chart canvas').count() >= 3, true);
    // (Browser-side code as strings: the tests compile without the DOM's types.)
    assert.deepEqual(await page.evaluate('Array.from(document.querySelectorAll("#charts .chart")).map((e) => e.dataset.series)'),
      ['loss', 'lr', 'img/s', 'emb std', 'k-NN top-1 (%)']);
    assert.match(await page.locator('#config').innerText(), /"method": "simclr"/);
    assert.match(await page.locator('#eval').innerText(), /trained encoder/);
    await page.waitForFunction('document.images.length === 1 && document.images[0].complete && document.images[0].naturalWidth === 48');

    // The torn line completes and a new one follows, as a training run writes them.
    const t0 = Date.now();
    fs.appendFileSync(path.join(dir, 'simclr-a', 'metrics.jsonl'), `ep":50,"epoch":0,"loss":4.5,"time":51}\n${step(51)}\n`);
    await page.waitForSelector('body[data-points="52"]', { timeout: 2000 });
    console.log(`      appended lines on the page after ${Date.now() - t0} ms`);
    assert.equal(await page.getAttribute('body', 'data-last-step'), '51');
    const shots = path.join(repoRoot(), 'test-artifacts');
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'dashboard.png'), fullPage: true });

    await page.goto(`${dashboard.url}?run=byol-empty`);
    await page.waitForSelector('body[data-loaded="byol-empty"]');
    assert.match(await page.locator('#message').innerText(), /has no metrics yet/);
    await page.goto(`${dashboard.url}?run=notes`);
    await page.waitForSelector('body[data-loaded="notes"]');
    assert.match(await page.locator('#message').innerText(), /'notes' is not a run folder/);
    // The failing request of the last page is the only console error allowed (Chromium logs every 404).
    assert.deepEqual(errors.filter((e) => !/404/.test(e)), []);
  });

  it('first paint of a run with 10^5 metric lines: the page receives the curves reduced to its pixel columns', async function () {
    skipWithoutChromium(this);
    browser ??= await launchChromium();
    const long = path.join(dir, 'long');
    fs.mkdirSync(long);
    const lines = Array.from({ length: 100000 }, (_, i) => step(i));
    fs.writeFileSync(path.join(long, 'metrics.jsonl'), `${lines.join('\n')}\n`);
    const { page, errors } = await pageWithErrors(browser);
    let bytes = 0;
    page.on('response', (r) => { if (r.url().includes('/api/run?')) void r.body().then((b) => { bytes = b.length; }); });
    const paints: number[] = [];
    const sampled: string[] = [];
    let exactMs = 0;
    for (let visit = 0; visit < 2; visit++) { // the first visit samples the file, the second finds it read
      const t0 = Date.now();
      await page.goto(`${dashboard.url}?run=long`);
      await page.waitForSelector('body[data-loaded="long"]', { timeout: 60000 });
      paints.push(Number(await page.getAttribute('body', 'data-paint-ms')));
      sampled.push(await page.getAttribute('body', 'data-sampled') ?? '');
      if (visit === 0) assert.ok(Number(await page.getAttribute('body', 'data-points')) <= 2 * 460 + 1, 'a sample first');
      await page.waitForSelector('body[data-exact="long"]', { timeout: 60000 });
      if (visit === 0) exactMs = Date.now() - t0;
    }
    assert.deepEqual(sampled, ['true', 'false']);
    const shipped = Number(await page.getAttribute('body', 'data-shipped'));
    const points = Number(await page.getAttribute('body', 'data-points'));
    console.log(`      10^5 metric lines: first paint ${paints[0]} ms (a sample of the lines; every line read and reduced ` +
      `after ${exactMs} ms), ${paints[1]} ms once read; ${shipped} points in ${(bytes / 1024).toFixed(0)} KiB (loss: ${points})`);
    assert.equal(await page.getAttribute('body', 'data-steps'), '100000');
    assert.equal(await page.getAttribute('body', 'data-last-step'), '99999');
    // 460 px charts: at most 4 points per pixel column and curve (4 curves), instead of 4 x 10^5.
    assert.ok(points >= 460 && points <= 4 * 460, `${points} loss points`);
    assert.ok(shipped <= 4 * 4 * 460, `${shipped} points shipped`);
    assert.ok(bytes > 0 && bytes < 300 * 1024, `${bytes} bytes`);
    // NOTE: a generous bound (a loaded shared machine); docs/dashboard.md records the measured times.
    assert.ok(paints[0] < 10000, `first paint ${paints[0]} ms`);
    assert.deepEqual(errors, []);
    await page.close();
    fs.rmSync(long, { recursive: true });
  });

  it('draws several runs on one chart: ?compare= and the list\'s checkboxes add and remove runs', async function () {
    skipWithoutChromium(this);
    browser ??= await launchChromium();
    const run = (name: string, from: number, n: number) => {
      fs.mkdirSync(path.join(dir, name));
      fs.writeFileSync(path.join(dir, name, 'metrics.jsonl'), `${Array.from({ length: n }, (_, i) => step(from + i)).join('\n')}\n`);
    };
    run('cmp-a', 0, 20);
    run('cmp-b', 10, 30);
    run('cmp-c', 100, 5);
    const { page, errors } = await pageWithErrors(browser);
    await page.goto(`${dashboard.url}?run=cmp-a&compare=cmp-b`);
    await page.waitForSelector('body[data-loaded="cmp-a"]');
    const loss = page.locator('#compare .chart[data-series="loss"]');
    assert.equal(await page.getAttribute('body', 'data-compared'), '2');
    assert.equal(await loss.getAttribute('data-lines'), '2');
    assert.equal(await loss.getAttribute('data-xs'), '40'); // steps 0..39: the union of both runs' steps
    assert.match(await loss.innerText(), /cmp-a[\s\S]*cmp-b/);
    assert.equal(await page.locator('#charts .chart[data-series="loss"]').getAttribute('data-lines'), '1');
    await page.check('input[data-run="cmp-c"]');
    await page.waitForSelector('#compare .chart[data-series="loss"][data-lines="3"][data-xs="45"]');
    assert.match(page.url(), /compare=cmp-b,cmp-c/);
    await page.uncheck('input[data-run="cmp-b"]');
    await page.waitForSelector('#compare .chart[data-series="loss"][data-lines="2"][data-xs="25"]');
    // A line appended to a compared run reaches its chart live.
    fs.appendFileSync(path.join(dir, 'cmp-c', 'metrics.jsonl'), `${step(200)}\n`);
    await page.waitForSelector('#compare .chart[data-series="loss"][data-xs="26"]', { timeout: 2000 });
    await page.screenshot({ path: path.join(repoRoot(), 'test-artifacts', 'dashboard-compare.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });
});
