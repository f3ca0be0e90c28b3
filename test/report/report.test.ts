import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { M4 } from '../../src/report/downsample.ts';
import { FULL_DETAIL_BARS, MAX_MARKS, readReport } from '../../src/report/report-data.ts';
import { fileLines, type RunSource } from '../../src/report/run-source.ts';
import { formatDuration, ProgressBar } from '../../src/report/progress.ts';
import { runCli } from '../helpers/run-cli.ts';
import { repoRoot } from '../helpers/shared-data.ts';
import { fixture, tempDir } from '../helpers/temp-dir.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';

const SAMPLE = join(repoRoot, 'data', 'sample');

function io(): { out: string[]; err: string[]; io: { stdout: (t: string) => void; stderr: (t: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) } };
}

test("M4 keeps each bucket's first, lowest, highest and last point: bounded output, extremes kept", () => {
  const m = new M4(100);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < 1_000_000; i++) {
    const v = Math.sin(i / 1000) * 100 + (i === 777_777 ? 500 : 0) - (i === 123_456 ? 400 : 0);
    min = Math.min(min, v);
    max = Math.max(max, v);
    m.add(i * 60_000, v);
  }
  const s = m.series();
  assert.ok(s.t.length <= 400 && s.t.length >= 150, `${s.t.length} points`);
  assert.equal(Math.max(...s.v), max);
  assert.equal(Math.min(...s.v), min);
  assert.ok(s.t.includes(777_777 * 60_000) && s.t.includes(0) && s.t.includes(999_999 * 60_000), 'the spike, the first and the last points are kept');
  assert.deepEqual(
    s.t,
    [...s.t].sort((a, b) => a - b),
  );
});

test('report data stays the same size however long the run: a synthetic run of 120 000 bars', async () => {
  const T0 = Date.UTC(2024, 0, 1);
  async function* lines(): AsyncGenerator<string> {
    yield JSON.stringify({ seq: 1, type: 'run_start', runId: 'syn', mode: 'static', symbols: ['AAA'], strategy: 'x', interval: '1m' });
    for (let i = 0; i < 120_000; i++) {
      yield `{"seq":${i + 2},"type":"bar","symbol":"AAA","interval":"1m","openTime":${T0 + i * 60_000},"open":1,"high":2,"low":1,"close":${100 + (i % 1000) / 10},"volume":1,"source":"csv"}`;
      if (i % 20_000 === 0)
        yield JSON.stringify({
          seq: 0,
          type: 'reject',
          symbol: 'AAA',
          openTime: T0 + i * 60_000,
          reason: 'insufficient_cash',
          side: 'buy',
          qty: 1,
          detail: `needs ${i}`,
        });
    }
  }
  const src: RunSource = { label: 'syn', eventBytes: 0, summary: () => null, eventLines: lines, trades: () => null, equity: () => null };
  const data = await readReport(src);
  assert.equal(data.bars, 120_000);
  assert.equal(data.prices.AAA!.count, 120_000);
  assert.ok(data.prices.AAA!.t.length <= 3200);
  assert.deepEqual(
    data.incidents.map((g) => [g.type, g.reason, g.count, g.first, g.last]),
    [['reject', 'insufficient_cash', 6, T0, T0 + 100_000 * 60_000]],
  );
  assert.ok(JSON.stringify(data).length < 200_000);
});

test('fileLines reads lines longer than a chunk, and a last line without a newline', async (t) => {
  const dir = await tempDir(t);
  const long = 'x'.repeat(3 << 20);
  const path = await fixture(dir, 'f.ndjson', `a\n${long}\n\nb`);
  const got: string[] = [];
  for await (const l of fileLines(path)) got.push(l);
  assert.deepEqual(
    got.map((l) => l.length),
    [1, long.length, 1],
  );
});

test('tradeloop report RUN_DIR writes one self-contained report.html holding the trades of trades.csv; refusals name what is wrong', async (t) => {
  const run = await runCli(t, ['--symbols', 'SPY,QQQ', '--data', SAMPLE]);
  assert.equal(run.code, 0);
  const a = io();
  assert.equal(await main(['report', run.out], a.io), 0, a.err.join(''));
  assert.match(a.out.join(''), /round trips/);
  const html = readFileSync(join(run.out, 'report.html'), 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|url\(http/i, 'nothing is loaded from anywhere');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  const data = JSON.parse(html.match(/<script type="application\/json" id="report-data">(.*?)<\/script>/s)![1]!);
  const csv = readFileSync(join(run.out, 'trades.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  assert.deepEqual(data.trades.rows, csv);
  const other = join(await tempDir(t), 'r.html');
  assert.equal(await main(['report', run.out, '--out', other], io().io), 0);
  assert.ok(existsSync(other));

  const none = io();
  assert.equal(await main(['report'], none.io), 2);
  assert.match(none.err.join(''), /RUN_DIR/);
  const empty = await tempDir(t);
  const e = io();
  assert.equal(await main(['report', empty], e.io), 2);
  assert.match(e.err.join(''), /events\.ndjson/);
});

test('the progress bar: bars, bars/s and the time left from the rows taken; drawn at most every 250 ms; erased at the end', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'a.csv', 'timestamp,close\n' + '2026-01-01T00:00:00Z,1\n'.repeat(1000));
  const clock = new VirtualClock();
  let rows = 0;
  const out: string[] = [];
  const bar = new ProgressBar([path], { rows: () => rows, bars: () => rows }, (s) => out.push(s), clock);
  clock.advance(1000);
  rows = 250;
  bar.update();
  bar.update(); // within 250 ms: not redrawn
  assert.equal(out.length, 1);
  assert.match(out[0]!, /25\.0%/);
  assert.match(out[0]!, /250 bars/);
  assert.match(out[0]!, /250 bars\/s/);
  assert.match(out[0]!, /ETA 0:03/); // a quarter in 1 s: 3 s to go
  bar.finish();
  assert.equal(out.at(-1), '\r\x1b[K');
  assert.equal(formatDuration(3_725_000), '1:02:05');
});

test('a static run draws its progress on stderr only when stderr is a terminal', async (t) => {
  const runs: string[] = [];
  for (const tty of [true, false]) {
    const out = join(await tempDir(t), 'run');
    let err = '';
    const code = await main(
      ['run', '--source', 'csv', '--symbols', 'SPY', '--data', SAMPLE, '--out', out, '--quiet'],
      {
        stdout: () => {},
        stderr: (x) => {
          err += x;
        },
        stderrTTY: tty,
      },
      {},
    );
    assert.equal(code, 0);
    runs.push(err);
  }
  assert.match(runs[0]!, /\r {2}\[[#-]+\] +[\d.]+% {2}[\d,]+ bars {2}[\d,]+ bars\/s {2}ETA /);
  assert.ok(runs[0]!.endsWith('\r\x1b[K'), 'erased before the summary');
  assert.equal(runs[1], '', 'nothing extra when stderr is not a terminal');
});

test("a realtime run's latency events become distributions per segment (live bars only); halts and alerts keep their wall times", async () => {
  const lat = (i: number, source: string, totalMs: number) =>
    JSON.stringify({
      seq: i,
      type: 'latency',
      symbol: 'BTCUSDT',
      openTime: 0,
      source,
      eventTime: 0,
      closeTime: 0,
      recvTime: 0,
      modelTime: 0,
      brokerTime: 0,
      networkMs: 12,
      clockOffsetMs: 0,
      queueMs: 0.02,
      sliceMs: 0,
      modelMs: 0.05,
      brokerMs: 0.01,
      totalMs,
    });
  async function* lines(): AsyncGenerator<string> {
    yield JSON.stringify({ seq: 1, type: 'run_start', runId: 'rt', mode: 'realtime', symbols: ['BTCUSDT'], strategy: 'x', interval: '1m' });
    yield lat(2, 'ws', 15);
    yield lat(3, 'ws', 150);
    yield lat(4, 'rest-backfill', 60_000);
    yield JSON.stringify({
      seq: 5,
      type: 'halt',
      reason: 'feed_stale',
      source: 'auto',
      severity: 'halted',
      detail: 'no message for 5 s',
      state: 'HALTED',
      at: 1_700_000_000_000,
    });
  }
  const data = await readReport({ label: 'rt', eventBytes: 0, summary: () => null, eventLines: lines, trades: () => null, equity: () => null });
  assert.equal(data.mode, 'realtime');
  assert.equal(data.latency!.total, 2, 'backfilled bars are not latency');
  const edges = data.latency!.edgesMs;
  const bucketOf = (ms: number): number => edges.findIndex((e) => ms <= e);
  assert.equal(data.latency!.counts.total![bucketOf(15)], 1);
  assert.equal(data.latency!.counts.total![bucketOf(150)], 1);
  assert.equal(data.latency!.counts.network![bucketOf(12)], 2);
  assert.deepEqual(
    data.incidents.map((g) => [g.type, g.reason, g.first]),
    [['halt', 'feed_stale', 1_700_000_000_000]],
  );
});

test("past MAX_MARKS fills a symbol's marks are evenly chosen and the data says of how many; past FULL_DETAIL_BARS the line is M4", async () => {
  const n = MAX_MARKS * 2 + 1000;
  const bars = FULL_DETAIL_BARS + 10;
  const t0 = Date.UTC(2024, 0, 1);
  const src: RunSource = {
    label: 'synthetic',
    eventBytes: 0,
    summary: () => null,
    async *eventLines() {
      for (let i = 0; i < bars; i++) {
        const openTime = t0 + i * 60_000;
        yield `{"seq":${i + 1},"type":"bar","symbol":"AAA","interval":"1m","openTime":${openTime},"open":1,"high":1,"low":1,"close":${1 + (i % 9)},"volume":1,"source":"csv"}`;
        if (i >= n) continue;
        yield `{"seq":0,"type":"order","orderId":"AAA-${i}","symbol":"AAA","openTime":${openTime},"side":"buy","orderType":"market","qty":1}`;
        yield `{"seq":0,"type":"fill","orderId":"AAA-${i}","symbol":"AAA","openTime":${openTime},"side":"buy","qty":1,"price":${i},"fee":0,"realizedPnl":0,"cash":0,"position":1}`;
      }
    },
    trades: () => null,
    equity: () => null,
  };
  const data = await readReport(src);
  const m = data.marks.AAA!;
  assert.equal(m.total, n);
  assert.ok(m.drawn <= MAX_MARKS && m.drawn > MAX_MARKS / 2, `${m.drawn} drawn`);
  // Evenly: every 4th fill (the stride doubled twice past the cap), from the first one on.
  const prices = m.series[0]!.v;
  assert.equal(m.series.length, 1);
  assert.equal(prices.length, m.drawn);
  assert.deepEqual(prices.slice(0, 3), [0, 4, 8]);
  assert.ok(prices.every((p, i) => p === i * 4));
  assert.equal(data.prices.AAA!.detail, 'downsampled');
  assert.ok(data.prices.AAA!.t.length < bars);
});

test('fill marks by order type and side: an operator flatten its own kind, a partly filled order kept, a cancelled one forgotten', async () => {
  const line = (o: Record<string, unknown>): string => JSON.stringify({ seq: 0, ...o });
  const order = (orderId: string, orderType: string, qty: number, extra: Record<string, unknown> = {}) =>
    line({ type: 'order', orderId, symbol: 'AAA', openTime: 0, side: 'buy', orderType, qty, ...extra });
  const fill = (orderId: string, side: string, qty: number, price: number, openTime: number) =>
    line({ type: 'fill', orderId, symbol: 'AAA', openTime, side, qty, price, fee: 0, realizedPnl: 0, cash: 0, position: 0 });
  async function* lines(): AsyncGenerator<string> {
    yield line({ type: 'run_start', runId: 'k', mode: 'static', symbols: ['AAA'], strategy: 'x', interval: '1m' });
    yield order('m', 'market', 2);
    yield order('l', 'limit', 0.003, { side: 'sell', limitPrice: 11 });
    yield order('s', 'stop', 1, { side: 'sell', stopPrice: 9 });
    yield order('sl', 'stop_limit', 1, { side: 'sell', stopPrice: 9, limitPrice: 8 });
    yield order('tr', 'trailing_stop', 1, { side: 'sell', trailBps: 10 });
    yield fill('m', 'buy', 2, 10, 60_000);
    yield fill('l', 'sell', 0.001, 11, 120_000);
    yield fill('l', 'sell', 0.002, 11.5, 180_000);
    yield fill('s', 'sell', 1, 9, 240_000);
    yield fill('sl', 'sell', 1, 8.5, 300_000);
    yield line({ type: 'cancel', orderId: 'tr', symbol: 'AAA', openTime: 300_000, reason: 'strategy', detail: 'x' });
    yield fill('tr', 'sell', 1, 7, 360_000);
    yield order('AAA-0-op1', 'market', 1, { side: 'sell', sentBy: 'operator' });
    yield fill('AAA-0-op1', 'sell', 1, 9.5, 420_000);
  }
  const data = await readReport({ label: 'k', eventBytes: 0, summary: () => null, eventLines: lines, trades: () => null, equity: () => null });
  assert.deepEqual(
    data.marks.AAA!.series.map((s) => [s.kind, s.side, s.t.map((t) => t / 60_000), s.v]),
    [
      ['market', 'buy', [1], [10]],
      ['limit', 'sell', [2, 3], [11, 11.5]],
      ['stop', 'sell', [4], [9]],
      ['stop_limit', 'sell', [5], [8.5]],
      ['flatten', 'sell', [7], [9.5]],
      ['unknown', 'sell', [6], [7]],
    ],
  );
  assert.deepEqual([data.marks.AAA!.total, data.marks.AAA!.drawn], [7, 7]);
});
