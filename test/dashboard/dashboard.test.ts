import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, Browser } from 'playwright-core';
import * as torch from '../../lib/torch';
import { writeImageGrid } from '../../lib/data/image-grid';
import { Dashboard, startDashboard } from '../../lib/dashboard/server';
import { summarizeRun } from '../../lib/dashboard/run-reader';
import { repoRoot } from '../helpers/python-reference';

const CHROMIUM = process.env.SELFSUP_CHROMIUM ?? '/usr/bin/chromium';
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

  it('downsamples long runs on the server', () => {
    const big = path.join(dir, 'big');
    fs.mkdirSync(big);
    fs.writeFileSync(path.join(big, 'metrics.jsonl'), `${Array.from({ length: 100000 }, (_, i) => step(i)).join('\n')}\n`);
    const t0 = process.hrtime.bigint();
    const s = summarizeRun(dir, 'big', 2000);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`      summary of a run with 10^5 metric lines: ${ms.toFixed(0)} ms, ${s.series.loss.length} loss points sent`);
    assert.ok(s.series.loss.length <= 2001);
    assert.equal(s.series.loss.at(-1)?.[0], 99999);
    assert.equal(s.steps, 100000);
    fs.rmSync(big, { recursive: true });
  });

  it('shows the curves, pictures and config; a line appended to metrics.jsonl appears within 2 s; bad runs show a message', async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log(`      SKIPPED: no Chromium at ${CHROMIUM} (Debian: apt-get install chromium; npm test installs it as root)`);
      this.skip();
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${dashboard.url}?run=simclr-a`);
    await page.waitForSelector('body[data-points="50"]');
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
});
