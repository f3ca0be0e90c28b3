/**
 * Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (no
 * browser download), a fresh profile each time, and every request recorded so that a test can
 * assert that nothing left 127.0.0.1. Tests skip visibly when chromium is not installed.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { scratchDir } from './temp-dir.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const NO_CHROMIUM = existsSync(CHROMIUM) ? false : 'chromium not installed: apt-get install -y chromium';

export interface BrowserPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Every URL the page asked for, in order. */
  readonly requests: string[];
  /** Console errors and uncaught page errors. */
  readonly errors: string[];
  /** A folder kept after the test for its screenshots. */
  readonly artifacts: string;
}

/** Whether a URL stays on this machine: 127.0.0.1, a file, or inline data. */
export function isLocal(url: string): boolean {
  if (url.startsWith('file:') || url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return true;
  try {
    return new URL(url).hostname === '127.0.0.1';
  } catch {
    return false;
  }
}

export async function openBrowser(t: TestContext, viewport = { width: 1280, height: 900 }): Promise<BrowserPage> {
  const context = await chromium.launchPersistentContext(scratchDir('tradeloop-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.after(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  const requests: string[] = [];
  const errors: string[] = [];
  // Every request is seen here; one that would leave the machine is refused as well as recorded.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    return isLocal(url) ? route.continue() : route.abort('blockedbyclient');
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const artifacts = scratchDir('tradeloop-screens-');
  return { page, context, requests, errors, artifacts };
}

/** For each chart: its series count (data-series) and how many of its canvas pixels are drawn in a series color. */
export async function chartFacts(page: Page): Promise<Array<{ id: string; series: number; colored: number; painted: number }>> {
  return page.$$eval('.chart', (els) =>
    els.map((el) => {
      const canvas = el.querySelector('canvas')!;
      const ctx = canvas.getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let colored = 0;
      let painted = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 0) painted++;
        const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
        // The first series' blue (#2563eb) or the marks' green and red, give or take antialiasing.
        if (data[i + 3]! > 128 && ((b > 180 && r < 90 && g < 140) || (g > 150 && r < 60 && b < 160) || (r > 200 && g < 100 && b < 100))) colored++;
      }
      return { id: el.id, series: Number(el.getAttribute('data-series')), colored, painted };
    }),
  );
}

/** A chart's legend: each series' label and its marker's colour (rgb(r, g, b)); uPlot's first row, the x axis, left out. */
export async function legendColors(page: Page, chart: string): Promise<Array<{ label: string; color: string }>> {
  return page.$$eval(`${chart} .u-legend .u-series`, (rows) =>
    rows.slice(1).map((row) => {
      const marker = row.querySelector('.u-marker');
      return {
        label: row.querySelector('.u-label')?.textContent ?? '',
        color: marker ? marker.ownerDocument.defaultView!.getComputedStyle(marker).borderColor : '',
      };
    }),
  );
}

/** How many of a chart's canvas pixels are drawn in a colour (rgb(r, g, b)), give or take antialiasing. */
export async function pixelsNear(page: Page, chart: string, color: string): Promise<number> {
  return page.$eval(
    chart,
    (el, rgb) => {
      const want = rgb.match(/\d+/g)!.map(Number);
      const c = el.querySelector('canvas')!;
      const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 200 && Math.abs(data[i]! - want[0]!) < 24 && Math.abs(data[i + 1]! - want[1]!) < 24 && Math.abs(data[i + 2]! - want[2]!) < 24) n++;
      }
      return n;
    },
    color,
  );
}
