// `selfsup train --dashboard`: the page served from a worker thread while the
// run trains in a child process, driven in headless Chromium.
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser } from 'playwright-core';
import { program } from '../../lib/cli/main';
import { repoRoot } from '../helpers/python-reference';
import { launchChromium, pageWithErrors, skipWithoutChromium } from './browser';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('cli: selfsup train --dashboard', function () {
  this.timeout(180000);
  let dir: string;
  let child: ChildProcess | undefined;
  let browser: Browser | undefined;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-train-dashboard-')); });
  after(async () => {
    child?.kill('SIGKILL');
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a port that is not one', async () => {
    await assert.rejects(program().exitOverride().parseAsync(['train', 'simclr', '--data', 'synthetic', '--steps', '1',
      '--out', path.join(dir, 'x'), '--dashboard', 'abc'], { from: 'user' }), /Expected a port in 0\.\.65535 for --dashboard but received abc/);
    assert.equal(fs.existsSync(path.join(dir, 'x')), false);
  });

  it('serves the run on the given port while it trains: the page\'s curves grow, and the server stops with the run', async function () {
    skipWithoutChromium(this);
    const port = await freePort();
    const out = path.join(dir, 'live-run');
    child = spawn(process.execPath, [path.join(repoRoot(), 'bin', 'selfsup.js'), 'train', 'simclr', '--data', 'synthetic',
      '--encoder-options', '{"width":4}', '--steps', '100000', '--batch-size', '32', '--no-eval', '--knn-every', '0',
      '--progress', 'none', '--threads', '1', '--out', out, '--dashboard', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child?.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /selfsup dashboard: (\S+)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child?.once('exit', (code) => reject(new Error(`train exited (${code}) before printing the URL:\n${stderr}`)));
    });
    assert.equal(url, `http://127.0.0.1:${port}/?run=live-run`);
    browser = await launchChromium();
    const { page, errors } = await pageWithErrors(browser);
    await page.goto(url);
    await page.waitForFunction('Number(document.body.dataset.points || 0) >= 2', undefined, { timeout: 60000 });
    const before = Number(await page.getAttribute('body', 'data-points'));
    await page.waitForFunction(`Number(document.body.dataset.points) > ${before}`, undefined, { timeout: 30000 });
    assert.match(await page.locator('#config').innerText(), /"method": "simclr"/);
    const exit = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGINT'); // Ctrl-C: the run stops after its step and the command closes the dashboard
    assert.equal(await exit, 130, stderr);
    child = undefined;
    await assert.rejects(fetch(`http://127.0.0.1:${port}/api/runs`));
    assert.deepEqual(errors.filter((e) => !/ERR_|network|EventSource/i.test(e)), []);
  });
});
