// Debian's Chromium, headless, driven by playwright-core (no browser download):
// shared by the dashboard's browser tests.
import * as fs from 'node:fs';
import { chromium, Browser, Page } from 'playwright-core';

/** The Chromium binary (override with SELFSUP_CHROMIUM). */
export const CHROMIUM = process.env.SELFSUP_CHROMIUM ?? '/usr/bin/chromium';

/** Skips the calling test, saying so, when no Chromium is installed. */
export function skipWithoutChromium(ctx: Mocha.Context): void {
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`      SKIPPED: no Chromium at ${CHROMIUM} (Debian: apt-get install chromium; npm test installs it as root)`);
    ctx.skip();
  }
}

/** Launches headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** A page whose console errors and page errors are collected into the returned list. */
export async function pageWithErrors(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, errors };
}
