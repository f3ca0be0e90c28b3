/**
 * Limits are looked at every bar, not only when an order is placed: a short taken inside every
 * limit and then squeezed 3 % a minute is carried past its notional and gross limits by the market
 * (an alert each, once), then to the margin floor (REDUCING, halt `margin`), and the run's verdict
 * says `breached`, never `ok`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { fixture, isoMinute, tempDir } from '../helpers/temp-dir.ts';

const SCRIPTED = resolve(import.meta.dirname, '..', 'fixtures', 'strategies', 'scripted-trader.ts');
const START = Date.UTC(2026, 0, 5, 14, 30);

async function squeeze(t: import('node:test').TestContext): Promise<string> {
  const dir = await tempDir(t, 'tl-squeeze-');
  const rows = ['timestamp,open,high,low,close,volume'];
  let price = 100;
  for (let i = 0; i < 90; i++) {
    const p = price.toFixed(4);
    rows.push(`${isoMinute(START + i * 60_000)},${p},${p},${p},${p},1000`);
    price *= 1.03;
  }
  await fixture(dir, 'SQZ.csv', rows.join('\n') + '\n');
  return dir;
}

/** 900 shares short at 100 (90,000 of notional), inside 100,000 limits when placed. */
const shortOf900 = (data: string): string[] => [
  ...['--symbols', 'SQZ', '--data', data, '--strategy', SCRIPTED, '--param', 'mode=short', '--param', 'qty=900'],
  ...['--cash', '100000', '--max-position-notional', '100000', '--max-gross-exposure', '100000', '--quiet'],
  // About limits, not liquidity: the whole short fills on its bar of 1000 shares.
  ...['--max-participation', '1'],
];

test('a short squeezed past its limits: limit_breach alerts once each, a margin halt (REDUCING), verdict breached', async (t) => {
  const data = await squeeze(t);
  // 900 shares short at 100 is 90,000 of notional: inside a 100,000 limit when placed.
  const run = await runCli(t, [...shortOf900(data)]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(ofType(run, 'fill').length, 1);
  const breaches = ofType(run, 'alert').filter((a) => a.kind === 'limit_breach');
  assert.deepEqual(
    breaches.map((a) => /--max-[a-z-]+/.exec(String(a.message))![0]),
    ['--max-position-notional', '--max-gross-exposure'],
    'each limit once, not every bar',
  );
  const margin = ofType(run, 'halt').find((h) => h.reason === 'margin');
  assert.ok(margin, 'the margin halt');
  assert.equal(margin.state, 'REDUCING');
  const s = run.summary as { status: string; verdict: string; halts: { limitsPassedByMarket?: { count: number } } };
  assert.equal(s.status, 'breached');
  assert.match(s.verdict, /^breached: the market took the SQZ position to [\d,.]+ of notional, past the 100000 limit/);
  assert.equal(s.halts.limitsPassedByMarket!.count, 2);
  assert.match(run.stderr, /ALERT +limit_breach/);
});

test('--margin-floor-pct 0 leaves only equity at or below 0 as a margin breach; the limit alerts stay', async (t) => {
  const data = await squeeze(t);
  const run = await runCli(t, [...shortOf900(data), '--margin-floor-pct', '0']);
  assert.equal(run.code, 0, run.stderr);
  const margin = ofType(run, 'halt').find((h) => h.reason === 'margin');
  assert.ok(margin, 'equity went below 0 in this squeeze');
  assert.match(String(margin.detail), /equity -[\d.]+ against/);
});

test('a price wobbling across a limit is one episode (one alert), not one per crossing', async (t) => {
  const dir = await tempDir(t, 'tl-wobble-');
  const rows = ['timestamp,open,high,low,close,volume'];
  // 900 shares at 100 is 90,000: the wobble between 110 and 112 takes it across 100,000 and back, 40 times.
  for (let i = 0; i < 82; i++) {
    const p = (i === 0 ? 100 : i % 2 === 0 ? 110 : 112).toFixed(2);
    rows.push(`${isoMinute(START + i * 60_000)},${p},${p},${p},${p},1000`);
  }
  await fixture(dir, 'WOB.csv', rows.join('\n') + '\n');
  const run = await runCli(t, [
    '--symbols',
    'WOB',
    '--data',
    dir,
    '--strategy',
    SCRIPTED,
    '--param',
    'mode=hold-long',
    '--param',
    'qty=900',
    '--cash',
    '200000',
    '--max-position-notional',
    '100000',
    '--max-gross-exposure',
    '200000',
    // About the market carrying the position across the limit: the buy fills at the first close (100), under it.
    '--fill-model',
    'close',
    // And the whole 900 on a bar of 1000 shares.
    '--max-participation',
    '1',
    '--quiet',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(ofType(run, 'alert').filter((a) => a.kind === 'limit_breach').length, 1);
  assert.equal((run.summary as { halts: { limitsPassedByMarket?: { count: number } } }).halts.limitsPassedByMarket!.count, 1);
});
