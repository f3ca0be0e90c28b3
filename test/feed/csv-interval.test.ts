/**
 * A file replayed with an --interval finer than its own is refused with the file's interval named,
 * decided from the spacing of its first rows; minute data with nights, weekends and sparse minutes
 * still passes as 1m.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, isoMinute, tempDir } from '../helpers/temp-dir.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { intervalOfSpacing } from '../../src/domain/interval.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const HEADER = 'timestamp,open,high,low,close,volume';
const rows = (times: readonly number[]): string => [HEADER, ...times.map((t) => `${isoMinute(t)},10,11,9,10.5,100`)].join('\n') + '\n';

/** Weekdays from Monday 2026-03-02, weekends skipped. */
function weekdays(n: number): number[] {
  const out: number[] = [];
  for (let d = 0; out.length < n; d++) {
    const t = Date.UTC(2026, 2, 2) + d * DAY;
    const wd = new Date(t).getUTCDay();
    if (wd !== 0 && wd !== 6) out.push(t);
  }
  return out;
}

test('a daily, hourly, 5-minute, weekly or monthly file under the default --interval 1m is refused naming file:line and its own interval', async (t) => {
  const dir = await tempDir(t);
  const months = Array.from({ length: 14 }, (_, i) => Date.UTC(2025, i, 1));
  const cases: ReadonlyArray<readonly [string, readonly number[], string]> = [
    ['daily.csv', weekdays(30), '1d'],
    [
      'hourly.csv',
      [...Array.from({ length: 7 }, (_, i) => Date.UTC(2026, 2, 2, 14 + i)), ...Array.from({ length: 7 }, (_, i) => Date.UTC(2026, 2, 3, 14 + i))],
      '1h',
    ],
    ['five.csv', Array.from({ length: 40 }, (_, i) => Date.UTC(2026, 2, 2, 14) + i * 5 * MIN), '5m'],
    ['weekly.csv', Array.from({ length: 10 }, (_, i) => Date.UTC(2026, 0, 5) + i * 7 * DAY), '1w'],
    ['monthly.csv', months, '1M'],
  ];
  for (const [name, times, own] of cases) {
    const path = await fixture(dir, name, rows(times));
    const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
    assert.equal(run.code, 1, `${name}: ${run.stderr}`);
    assert.ok(run.stderr.includes(`${name}:2`) && run.stderr.includes(`--interval ${own}`), `${name}: ${run.stderr}`);
    assert.equal(ofType(run, 'bar').length, 0, 'refused before any bar');
    const right = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--interval', own]);
    assert.equal(right.code, 0, `${name} with --interval ${own}: ${right.stderr}`);
    assert.equal(ofType(right, 'bar').length, times.length);
  }
  // An explicit --interval finer than the file is refused the same way.
  const hourly = await fixture(dir, 'h2.csv', rows(Array.from({ length: 5 }, (_, i) => Date.UTC(2026, 2, 2, 14 + i))));
  const explicit = await runCli(t, ['--symbols', 'X', '--file', `X=${hourly}`, '--strategy', 'hold', '--interval', '15m']);
  assert.equal(explicit.code, 1);
  assert.ok(explicit.stderr.includes('--interval 1h'), explicit.stderr);
});

test('minute data with night and weekend gaps, or sparse minutes, passes as 1m; so does a newest-first daily file with --interval 1d', async (t) => {
  const dir = await tempDir(t);
  // Friday's last 3 minutes, then Monday's first 3: one 1m spacing is enough among the first rows.
  const sessions = [
    Date.UTC(2026, 2, 6, 19, 57),
    Date.UTC(2026, 2, 6, 19, 58),
    Date.UTC(2026, 2, 6, 19, 59),
    Date.UTC(2026, 2, 9, 13, 30),
    Date.UTC(2026, 2, 9, 13, 31),
    Date.UTC(2026, 2, 9, 13, 32),
  ];
  // An illiquid market: bars only in minutes with trades, never two in a row, unevenly apart.
  const sparse = [0, 2, 5, 7, 10, 13, 15, 19, 21, 24].map((m) => Date.UTC(2026, 2, 9, 13, 30) + m * MIN);
  for (const [name, times] of [
    ['sessions.csv', sessions],
    ['sparse.csv', sparse],
  ] as const) {
    const path = await fixture(dir, name, rows(times));
    const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
    assert.equal(run.code, 0, `${name}: ${run.stderr}`);
    assert.equal(ofType(run, 'bar').length, times.length);
  }
  const daily = weekdays(20).reverse();
  const path = await fixture(dir, 'desc-daily.csv', rows(daily));
  const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--interval', '1d']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(ofType(run, 'bar').length, 20);
});

test('intervalOfSpacing names exact fixed intervals and calendar months, nothing else', () => {
  assert.equal(intervalOfSpacing(MIN), '1m');
  assert.equal(intervalOfSpacing(DAY), '1d');
  assert.equal(intervalOfSpacing(3 * DAY), '3d');
  assert.equal(intervalOfSpacing(28 * DAY), '1M');
  assert.equal(intervalOfSpacing(31 * DAY), '1M');
  assert.equal(intervalOfSpacing(2 * MIN), null);
  assert.equal(intervalOfSpacing(2 * DAY), null);
});
