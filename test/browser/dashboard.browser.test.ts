import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { startRealtime } from '../helpers/realtime-harness.ts';
import { chartFacts, isLocal, NO_CHROMIUM, openBrowser } from '../helpers/browser.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';

/** Buys one lot of each symbol on its first bar, then holds. */
function buyOnce(): Strategy {
  const bought = new Set<string>();
  return { name: 'buy-once', warmup: 0, onBar: (b) => (bought.has(b.symbol) ? [] : (bought.add(b.symbol), [{ side: 'buy', qty: 100 }])) };
}

test('the dashboard in Chromium: live state, charts and tables; Halt halts the session, Flatten closes positions, a wrong token is refused; offline and narrow', {
  skip: NO_CHROMIUM,
}, async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT', 'ETHUSDT']);
  const run = await startRealtime({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, args: ['--symbols', 'BTCUSDT,ETHUSDT'], strategy: buyOnce() });
  t.after(async () => {
    await run.stop();
    await fake.close();
  });
  await fake.waitForConnections(1);
  for (let m = 0; m < 4; m++) {
    fake.sendKline(bar('BTCUSDT', m, 100 + m), true);
    fake.sendKline(bar('ETHUSDT', m, 50 + m), true);
  }
  await run.waitFor('8 decisions, 2 fills', (r) => r.of('decision').length === 8 && r.of('fill').length === 2);

  // The URL the command prints: the token in the fragment, never in the query.
  let printed = '';
  assert.equal(
    await main(['dashboard', '--state', run.outDir], {
      stdout: (s) => {
        printed += s;
      },
      stderr: () => {},
    }),
    0,
  );
  const url = printed.trim();
  assert.equal(url, `${run.controlUrl}/#token=${run.token}`);
  assert.equal(new URL(url).search, '');

  const b = await openBrowser(t);
  const { page } = b;
  // A wrong token first: refused, and nothing changes.
  await page.goto(`${run.controlUrl}/#token=wrong`);
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(await page.evaluate('location.hash'), '', 'the token is taken off the address bar');
  await page.click('#btn-halt');
  await page.waitForSelector('#control-msg[data-status="done"]');
  assert.match((await page.textContent('#control-msg')) ?? '', /401/);
  assert.equal(run.session.status().state, 'ACTIVE');
  // Chromium logs the refused request itself; that one console error is expected here, and only that one.
  assert.ok(
    b.errors.every((e) => /401/.test(e)),
    JSON.stringify(b.errors),
  );
  b.errors.length = 0;

  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(await page.textContent('#state'), 'ACTIVE');
  assert.equal(await page.textContent('#feed-state'), 'live');
  assert.deepEqual(await page.$$eval('#positions tbody tr td:first-child', (tds) => tds.map((td) => td.textContent)), ['BTCUSDT', 'ETHUSDT']);
  assert.equal(await page.$$eval('#fills tbody tr', (trs) => trs.length), 2);
  // Money for people, and the entry price beside the last one.
  assert.match((await page.textContent('#equity-line')) ?? '', /^equity [\d,]+\.\d\d · cash [\d,]+\.\d\d · gross exposure [\d,]+\.\d\d · start [\d,]+\.\d\d$/);
  const pos = await page.$$eval('#positions tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const want = run.session.status().positions;
  assert.deepEqual(
    pos.map((r) => [r[0], r[2]]),
    want.map((p) => [p.symbol, p.entryPrice]),
    'the entry price column',
  );
  assert.ok(
    pos.every((r) => /^-?[\d,]+\.\d\d$/.test(String(r[4]))),
    JSON.stringify(pos),
  );
  const charts = await chartFacts(page);
  assert.deepEqual(
    charts.map((c) => [c.id, c.series]),
    [
      ['chart-equity', 1],
      ['chart-drawdown', 1],
    ],
  );
  assert.ok(charts[0]!.painted > 1000 && charts[0]!.colored > 20, JSON.stringify(charts[0]));
  run.clock.advance(1000); // a status tick
  await page.waitForSelector('body[data-ticks]');
  assert.equal(await page.$$eval('#latency tbody tr', (trs) => trs.length), 7, 'p50/p99 for every segment');

  await page.click('#btn-halt');
  await page.waitForSelector('#state:text("HALTED")');
  assert.equal(run.session.status().state, 'HALTED');
  const status = (await (await fetch(`${run.controlUrl}/status`)).json()) as { state: string; halts: Array<{ reason: string }> };
  assert.equal(status.state, 'HALTED');
  assert.deepEqual(
    status.halts.map((h) => h.reason),
    ['operator'],
  );
  assert.ok(
    run.of('halt').some((h) => h.reason === 'operator' && h.source === 'operator'),
    'the halt is in events.ndjson',
  );
  assert.ok(await page.$$eval('#alerts tbody tr td:nth-child(2)', (tds) => tds.some((td) => td.textContent === 'halt operator')));

  await page.click('#btn-flatten');
  assert.equal(await page.textContent('#btn-flatten'), 'Confirm flatten');
  await page.click('#btn-flatten');
  await run.waitFor('flatten fills', (r) => r.of('fill').length === 4);
  assert.deepEqual(run.session.status().positions, []);
  assert.ok(run.of('order').filter((o) => o.sentBy === 'operator').length === 2);
  run.clock.advance(1000);
  // A function, not a string: the page's CSP forbids eval, which a string predicate needs.
  await page.waitForFunction(
    () =>
      (globalThis as unknown as { document: { querySelectorAll(q: string): { length: number } } }).document.querySelectorAll('#positions tbody tr').length ===
      0,
  );
  assert.equal(await page.$$eval('#fills tbody tr', (trs) => trs.length), 4);
  // The flatten's fills are marked as the operator's.
  assert.deepEqual(await page.$$eval('#fills tbody tr td:last-child', (tds) => tds.map((td) => td.textContent)), [
    'flatten',
    'flatten',
    'strategy',
    'strategy',
  ]);

  assert.deepEqual(b.errors, []);
  assert.deepEqual(
    b.requests.filter((r) => !isLocal(r)),
    [],
    'no request leaves 127.0.0.1',
  );
  assert.ok(
    b.requests.every((r) => !r.includes(run.token!)),
    'the token is in no request URL',
  );
  const shot = join(b.artifacts, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`dashboard screenshot: ${shot}`);

  // A narrow window: one column, nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  assert.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1'), 'no horizontal scrolling at 390 px');
  assert.equal(await page.textContent('#feed-state'), 'live');
  assert.equal(await page.textContent('#state'), 'HALTED');
  const narrow = join(b.artifacts, 'dashboard-narrow.png');
  await page.screenshot({ path: narrow, fullPage: true });
  t.diagnostic(`narrow dashboard screenshot: ${narrow}`);
});
