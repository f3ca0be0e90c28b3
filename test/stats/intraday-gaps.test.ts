/**
 * A 24/7 market has no nights: Binance's maintenance halts (150 and 284 minutes in April 2021)
 * are gaps in the data and are reported as such; an equity's nights and weekends are not. And a
 * CAGR computed from a few days says that it is extrapolated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.ts';
import { fixture, isoMinute, tempDir } from '../helpers/temp-dir.ts';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

async function runOn(
  t: import('node:test').TestContext,
  symbol: string,
  holeMinutes: number,
): Promise<{ stdout: string; summary: { stats: { gaps: { count: number; largestDays: number | null } } } }> {
  const dir = await tempDir(t, 'tl-gaps-');
  const start = Date.UTC(2021, 3, 20, 0, 0);
  const rows = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < 400; i++) {
    if (i >= 120 && i < 120 + holeMinutes) continue;
    const p = (100 + (i % 7)).toFixed(2);
    rows.push(`${isoMinute(start + i * 60_000)},${p},${p},${p},${p},5`);
  }
  await fixture(dir, `${symbol}.csv`, rows.join('\n') + '\n');
  let stdout = '';
  const out = join(dir, 'out');
  const code = await main(['run', '--symbols', symbol, '--data', dir, '--out', out], { stdout: (x) => (stdout += x), stderr: () => {} }, {});
  assert.equal(code, 0);
  return { stdout, summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) };
}

test("a crypto pair's 150-minute hole is a data gap, said in minutes; the same hole in an equity file is a night", async (t) => {
  const crypto = await runOn(t, 'BTCUSDT', 150);
  assert.equal(crypto.summary.stats.gaps.count, 1);
  assert.match(crypto.stdout, /data gaps +1 \(largest 150 minutes, /);
  const equity = await runOn(t, 'SPY', 150);
  assert.equal(equity.summary.stats.gaps.count, 0);
});

test('a CAGR from under 90 days of data is said to be extrapolated (the bundled sample: a few days)', async (t) => {
  const dir = await tempDir(t, 'tl-cagr-');
  let stdout = '';
  const code = await main(
    ['run', '--data', join(import.meta.dirname, '..', '..', 'data', 'sample'), '--out', join(dir, 'out')],
    { stdout: (x) => (stdout += x), stderr: () => {} },
    {},
  );
  assert.equal(code, 0);
  assert.match(stdout, /CAGR [\d.-]+%/);
  assert.match(stdout, /CAGR, Sharpe and Sortino are annualised from [\d.]+ day\(s\) of data/);
  assert.match(stdout, /data\/sample is synthetic .*: its results say nothing about a market/);
});

test('a US-session file read without --tz (days of 09:30-16:00 "UTC") gets a hint to pass --tz; with --tz, none', async (t) => {
  const dir = await tempDir(t, 'tl-us-');
  const rows = ['timestamp,open,high,low,close,volume'];
  for (const day of [5, 6]) {
    for (let m = 570; m <= 959; m++) rows.push(`${isoMinute(Date.UTC(2026, 0, day) + m * 60_000)},10,10,10,10,5`);
  }
  await fixture(dir, 'SPY.csv', rows.join('\n') + '\n');
  const runOnce = async (extra: string[]): Promise<string> => {
    let stdout = '';
    const code = await main(
      ['run', '--symbols', 'SPY', '--data', dir, '--out', join(dir, `out-${extra.length}`), ...extra],
      { stdout: (x) => (stdout += x), stderr: () => {} },
      {},
    );
    assert.equal(code, 0);
    return stdout;
  };
  assert.match(await runOnce([]), /the bars run 09:30-16:00 UTC on 2 of 2 day\(s\): a US-session file in New York time\? .*--tz America\/New_York/);
  assert.doesNotMatch(await runOnce(['--tz', 'America/New_York']), /US-session file/);
});
