/**
 * --from and --minutes: bars before --from only warm up history (no bar event; counted in
 * summary.warmupBars); --minutes N keeps bars with openTime in [from, from + N min), where from is
 * --from or else the first bar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../helpers/collect-source.ts';
import { fixture, isoMinute, tempDir } from '../helpers/temp-dir.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { dataFile, skipUnlessData } from '../helpers/shared-data.ts';

const T0 = Date.UTC(2025, 0, 1, 0, 0);
const MIN = 60_000;
const HEADER = 'timestamp,open,high,low,close,volume';

/** Minutes [from, to) of one symbol, skipping the listed ones (gaps). */
function file(from: number, to: number, gaps: readonly number[] = []): string {
  const lines = [HEADER];
  for (let i = from; i < to; i++) if (!gaps.includes(i)) lines.push(`${isoMinute(T0 + i * MIN)},${10 + i},${11 + i},${9 + i},${10 + i},1`);
  return lines.join('\n') + '\n';
}

async function twoSymbols(dir: string): Promise<string[]> {
  // A: minutes 0..59; B: minutes 5..59 without 20..24.
  return [
    '--symbols',
    'A,B',
    '--file',
    `A=${await fixture(dir, 'A.csv', file(0, 60))}`,
    '--file',
    `B=${await fixture(dir, 'B.csv', file(5, 60, [20, 21, 22, 23, 24]))}`,
    '--strategy',
    'hold',
  ];
}

const minuteOf = (e: Record<string, unknown>): string => `${e.symbol}${((e.openTime as number) - T0) / MIN}`;

test('--from: earlier bars warm up (no bar event, no decision), counted per symbol in summary.warmupBars', async (t) => {
  const dir = await tempDir(t);
  const run = await runCli(t, [...(await twoSymbols(dir)), '--from', '2025-01-01T00:10:00Z']);
  assert.equal(run.code, 0, run.stderr);
  const bars = ofType(run, 'bar');
  assert.ok(
    bars.every((b) => (b.openTime as number) >= T0 + 10 * MIN),
    'no bar event before --from',
  );
  assert.deepEqual(bars.slice(0, 2).map(minuteOf), ['A10', 'B10']);
  assert.deepEqual(run.summary!.warmupBars, { A: 10, B: 5 });
  assert.deepEqual(run.summary!.barsBySymbol, { A: 50, B: 45 });
  assert.equal(ofType(run, 'decision').length, 95);
  assert.equal(run.summary!.bars, 95);
});

test('--from between bars, or inside a gap, starts at the next bar', async (t) => {
  const dir = await tempDir(t);
  const b = await fixture(dir, 'B.csv', file(5, 60, [20, 21, 22, 23, 24]));
  const run = await runCli(t, ['--symbols', 'B', '--file', `B=${b}`, '--strategy', 'hold', '--from', '2025-01-01T00:21:30Z']);
  // B lacks 20..24: the first bar at or after 00:21:30 is B25; 5..19 warm up.
  assert.equal(run.code, 0, run.stderr);
  assert.equal(minuteOf(ofType(run, 'bar')[0]!), 'B25');
  assert.deepEqual(run.summary!.warmupBars, { B: 15 });
});

test('--minutes N with --from keeps openTime in [from, from + N min), per symbol and across a gap', async (t) => {
  const dir = await tempDir(t);
  const run = await runCli(t, [...(await twoSymbols(dir)), '--from', '2025-01-01T00:18:00Z', '--minutes', '5']);
  assert.equal(run.code, 0, run.stderr);
  // Window 00:18..00:22: A has all five, B only 18 and 19 (20..24 missing) — a window is time, not a bar count.
  assert.deepEqual(ofType(run, 'bar').map(minuteOf), ['A18', 'B18', 'A19', 'B19', 'A20', 'A21', 'A22']);
  assert.deepEqual(run.summary!.warmupBars, { A: 18, B: 13 });
});

test('--minutes N without --from starts at the first bar of any symbol', async (t) => {
  const dir = await tempDir(t);
  const run = await runCli(t, [...(await twoSymbols(dir)), '--minutes', '7']);
  assert.equal(run.code, 0, run.stderr);
  // A starts at 00:00, so the window is [00:00, 00:07); B's first bar (00:05) falls inside.
  assert.deepEqual(ofType(run, 'bar').map(minuteOf), ['A0', 'A1', 'A2', 'A3', 'A4', 'A5', 'B5', 'A6', 'B6']);
  assert.deepEqual(run.summary!.warmupBars, { A: 0, B: 0 });
});

test('--from after the last bar: everything warms up, no bar event, and the empty window is an error', async (t) => {
  const dir = await tempDir(t);
  const run = await runCli(t, [...(await twoSymbols(dir)), '--from', '2025-01-02T00:00:00Z']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /no bar in the run window \(from 2025-01-02T00:00:00Z\)/);
  assert.equal(ofType(run, 'bar').length, 0);
  assert.equal(run.summary!.status, 'error');
  assert.deepEqual(run.summary!.warmupBars, { A: 60, B: 50 });
});

test('a zone-less --from is read in --tz (default UTC)', async (t) => {
  const dir = await tempDir(t);
  const a = await fixture(dir, 'A.csv', file(0, 60));
  const utcRun = await runCli(t, ['--symbols', 'A', '--file', `A=${a}`, '--strategy', 'hold', '--from', '2025-01-01 00:30:00']);
  assert.equal(utcRun.code, 0, utcRun.stderr);
  assert.equal(minuteOf(ofType(utcRun, 'bar')[0]!), 'A30');
  // 2024-12-31 19:40 in New York is 2025-01-01 00:40Z; the file's zone-less times are read in New York too,
  // so write a file whose local times line up with that.
  const ny = await fixture(
    dir,
    'ny.csv',
    [HEADER, '2024-12-31 19:39:00,1,1,1,1,1', '2024-12-31 19:40:00,1,1,1,1,1', '2024-12-31 19:41:00,1,1,1,1,1'].join('\n') + '\n',
  );
  const nyRun = await runCli(t, ['--symbols', 'A', '--file', `A=${ny}`, '--tz', 'America/New_York', '--from', '2024-12-31 19:40:00', '--strategy', 'hold']);
  assert.deepEqual(
    ofType(nyRun, 'bar').map((b) => b.openTime),
    [T0 + 40 * MIN, T0 + 41 * MIN],
  );
  assert.deepEqual(nyRun.summary!.warmupBars, { A: 1 });
});

test('CsvBarSource: warm-up bars go to sink.warmup in time order, and the result counts them', async (t) => {
  const dir = await tempDir(t);
  const a = await fixture(dir, 'A.csv', file(0, 30));
  const b = await fixture(dir, 'B.csv', file(0, 30));
  const got = await collect({
    symbols: ['A', 'B'],
    files: new Map([
      ['A', [a]],
      ['B', [b]],
    ]),
    from: T0 + 3 * MIN,
    windowMs: 2 * MIN,
  });
  assert.equal(got.error, null);
  assert.deepEqual(
    got.delivered.map((d) => (d.kind === 'skip' ? 'skip' : `${d.kind}:${d.bar.symbol}${(d.bar.openTime - T0) / MIN}`)),
    ['warmup:A0', 'warmup:B0', 'warmup:A1', 'warmup:B1', 'warmup:A2', 'warmup:B2', 'bar:A3', 'bar:B3', 'bar:A4', 'bar:B4'],
  );
  assert.deepEqual(got.warmupBars, { A: 3, B: 3 });
});

test('a bad row after the --minutes window does not stop the run; one inside it does', async (t) => {
  const dir = await tempDir(t);
  const lines = file(0, 30).trimEnd().split('\n');
  lines[21] = `${isoMinute(T0 + 20 * MIN)},x,1,1,1,1`; // line 22: minute 20
  const path = await fixture(dir, 'late-bad.csv', lines.join('\n') + '\n');
  const inside = await runCli(t, ['--symbols', 'A', '--file', `A=${path}`, '--strategy', 'hold', '--minutes', '25']);
  assert.equal(inside.code, 1);
  assert.match(String(inside.summary!.error), /late-bad\.csv:22/);
  assert.equal(ofType(inside, 'bar').length, 20);
  const before = await runCli(t, ['--symbols', 'A', '--file', `A=${path}`, '--strategy', 'hold', '--minutes', '10']);
  assert.equal(before.code, 0, before.stderr);
  assert.equal(ofType(before, 'bar').length, 10);
});

const BTC_2021 = dataFile('binance', 'BTCUSDT_1m_2021-03-26_2021-04-30.csv');

test('real data: a --minutes window across the 2021-04-20 maintenance gap counts minutes, not bars', { skip: skipUnlessData(BTC_2021) }, async (t) => {
  const run = await runCli(t, [
    '--symbols',
    'BTCUSDT',
    '--file',
    `BTCUSDT=${BTC_2021}`,
    '--strategy',
    'hold',
    '--from',
    '2021-04-20T01:50:00Z',
    '--minutes',
    '180',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const times = ofType(run, 'bar').map((b) => b.openTime as number);
  // [01:50, 04:50): 01:50..01:59 (10 bars), nothing 02:00..04:29, then 04:30..04:49 (20 bars).
  assert.equal(times.length, 30);
  assert.equal(times[0], Date.UTC(2021, 3, 20, 1, 50));
  assert.equal(times[9], Date.UTC(2021, 3, 20, 1, 59));
  assert.equal(times[10], Date.UTC(2021, 3, 20, 4, 30));
  assert.equal(times.at(-1), Date.UTC(2021, 3, 20, 4, 49));
  assert.equal(ofType(run, 'skip').length, 0);
  // From 2021-03-26 03:00 to 2021-04-20 01:50 is 24 days 22 h 50 min of contiguous bars.
  assert.deepEqual(run.summary!.warmupBars, { BTCUSDT: 24 * 1440 + 22 * 60 + 50 });
});

test('warmupBars survives a data error after --from', async (t) => {
  const dir = await tempDir(t);
  const lines = file(0, 30).trimEnd().split('\n');
  lines[21] = `${isoMinute(T0 + 20 * MIN)},x,1,1,1,1`;
  const path = await fixture(dir, 'bad.csv', lines.join('\n') + '\n');
  const run = await runCli(t, ['--symbols', 'A', '--file', `A=${path}`, '--strategy', 'hold', '--from', '2025-01-01T00:05:00Z']);
  assert.equal(run.code, 1);
  assert.equal(ofType(run, 'bar').length, 15);
  assert.deepEqual(run.summary!.warmupBars, { A: 5 });
});
