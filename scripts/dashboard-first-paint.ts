// The dashboard's first paint for a run with 10^5 metric lines (issue 18: under
// 1 s on an idle machine), measured as the dashboard tests do: `selfsup
// dashboard`'s server (startDashboard) in this process, Debian's Chromium
// headless through playwright-core (test/dashboard/browser.ts), and the time
// the page itself records in `data-paint-ms` (performance.now() at the first
// animation frame after the charts are drawn, from the navigation's start).
// Every load is cold: a new server (nothing read or cached yet) and a new
// browser context (no HTTP cache). After each cold load the page is loaded
// once more on the same server, which has read the file by then: that time
// is the "from the server's cache" figure. Prints the median and every value,
// with the load average before and after. Not a test.
//
//   node dist/scripts/dashboard-first-paint.js [loads=7] [lines=100000]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Page } from 'playwright-core';
import { startDashboard } from '../lib/dashboard/server';
import { CHROMIUM, launchChromium } from '../test/dashboard/browser';

const loads = Number(process.argv[2] ?? 7);
const lines = Number(process.argv[3] ?? 100000);

/** The metrics.jsonl line of step i (the dashboard tests' line: loss, lr, wd, img/s, emb std). */
const step = (i: number): string => JSON.stringify({ type: 'step', step: i, epoch: 0, loss: 5 - i / 100, lr: 0.001, wd: 0,
  imgPerSec: 800, embStd: 0.1, time: i, eta: 10 });

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Opens the run's page and returns the first paint it recorded (ms from navigation start). */
async function paint(page: Page, url: string): Promise<number> {
  await page.goto(`${url}?run=long`);
  await page.waitForSelector('body[data-loaded="long"]', { timeout: 120000 });
  const ms = Number(await page.getAttribute('body', 'data-paint-ms'));
  const message = (await page.locator('#message').innerText()).trim();
  if (!Number.isFinite(ms) || message !== '') throw new Error(`the page did not draw the run: ${message || 'no data-paint-ms'}`);
  return ms;
}

async function main(): Promise<void> {
  if (!Number.isInteger(loads) || loads < 1 || !Number.isInteger(lines) || lines < 1) {
    throw new Error('Usage: node dist/scripts/dashboard-first-paint.js [loads >= 1] [lines >= 1]');
  }
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set SELFSUP_CHROMIUM)`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-first-paint-'));
  const loadBefore = os.loadavg();
  const browser = await launchChromium();
  const cold: number[] = [];
  const cached: number[] = [];
  let bytes = 0;
  try {
    fs.mkdirSync(path.join(root, 'long'));
    fs.writeFileSync(path.join(root, 'long', 'config.json'), JSON.stringify({ config: { method: 'simclr', encoder: 'small_cnn' } }));
    fs.writeFileSync(path.join(root, 'long', 'metrics.jsonl'), `${Array.from({ length: lines }, (_, i) => step(i)).join('\n')}\n`);
    bytes = fs.statSync(path.join(root, 'long', 'metrics.jsonl')).size;
    for (let i = 0; i < loads; i++) {
      const dashboard = await startDashboard({ root });
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      try {
        const page = await context.newPage();
        cold.push(await paint(page, dashboard.url));
        // Wait until the exact curves replaced the sample: the server has read the whole file.
        await page.waitForSelector('body[data-exact="long"]', { timeout: 120000 });
        cached.push(await paint(page, dashboard.url));
      } finally {
        await context.close();
        await dashboard.close();
      }
    }
  } finally {
    await browser.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`Dashboard first paint, a run of ${lines.toLocaleString('en-US')} metric lines (${(bytes / 1e6).toFixed(1)} MB), ` +
    `${os.cpus().length} CPUs ${os.cpus()[0]?.model ?? ''}, load average before ${load(loadBefore)}, after ${load(os.loadavg())}`);
  console.log(`first paint (new server, new browser context): median ${median(cold)} ms over ${loads} loads ` +
    `[${cold.join(', ')}]`);
  console.log(`reload once the server has read the file: median ${median(cached)} ms [${cached.join(', ')}]`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
