import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, ConnectBudget } from '../../../src/feed/live/backoff.ts';
import { combinedUrl, MAX_URL_STREAM_CHARS, planConnections, streamName } from '../../../src/feed/binance/stream-names.ts';
import { SliceAssembler } from '../../../src/engine/slice-assembler.ts';
import { BarQueue } from '../../../src/engine/bar-queue.ts';
import { VirtualClock } from '../../../src/telemetry/clock.ts';
import type { ReceivedBar } from '../../../src/engine/feed-port.ts';

test('backoff: full jitter under an exponential ceiling, first retry within 1 s, capped at 30 s, reset', () => {
  const seen: number[] = [];
  const b = new Backoff({ baseMs: 1000, capMs: 30_000, random: () => 0.999 });
  for (let i = 0; i < 8; i++) seen.push(b.next());
  assert.deepEqual(seen, [999, 1998, 3996, 7992, 15984, 29970, 29970, 29970]);
  b.reset();
  assert.equal(b.next(), 999);
  const low = new Backoff({ baseMs: 1000, capMs: 30_000, random: () => 0 });
  assert.equal(low.next(), 0, 'full jitter reaches down to zero');
});

test('connect budget: 300 attempts per 5 minutes, then wait for the oldest to leave the window', () => {
  const budget = new ConnectBudget(300, 300_000);
  for (let i = 0; i < 300; i++) {
    assert.equal(budget.waitBefore(i * 10), 0);
    budget.record(i * 10);
  }
  assert.equal(budget.waitBefore(3000), 300_000 - 3000);
  assert.equal(budget.waitBefore(300_000), 0);
});

test('streams: 1024 per connection; the URL carries at most ~8 KB of names, the rest is SUBSCRIBEd in batches', () => {
  const names = Array.from({ length: 2500 }, (_, i) => streamName(`SYM${i}USDT`, '1m'));
  const plans = planConnections(names);
  assert.equal(plans.length, 3);
  let total = 0;
  for (const p of plans) {
    const inUrl = p.urlStreams.join('/').length;
    assert.ok(inUrl <= MAX_URL_STREAM_CHARS, `${inUrl} chars in the URL`);
    const batched = p.subscribeBatches.flat().length;
    assert.ok(p.subscribeBatches.every((b) => b.length <= 200));
    assert.ok(p.urlStreams.length + batched <= 1024);
    total += p.urlStreams.length + batched;
  }
  assert.equal(total, 2500);
  assert.deepEqual(
    plans.flatMap((p) => [...p.urlStreams, ...p.subscribeBatches.flat()]),
    names,
  );
  assert.equal(combinedUrl('wss://x:9443', ['a@kline_1m', 'b@kline_1m']), 'wss://x:9443/stream?streams=a@kline_1m/b@kline_1m');
  assert.equal(streamName('BTCUSDT', '1M'), 'btcusdt@kline_1M', 'the interval keeps its case: 1M is a month');
});

const fb = (symbol: string, minute: number): ReceivedBar => ({
  kind: 'bar',
  eventTime: 0,
  recvWall: 0,
  recvMono: 0,
  newestOpenTime: minute * 60_000,
  bar: { symbol, interval: '1m', openTime: minute * 60_000, closeTime: minute * 60_000 + 59_999, open: 1, high: 1, low: 1, close: 1, volume: 0, source: 'ws' },
});

test('slices: released in --symbols order once every symbol delivered, or after the grace; late bars alone', () => {
  const clock = new VirtualClock();
  const out: string[] = [];
  const backfilling = new Set<string>();
  const a = new SliceAssembler({
    symbols: ['A', 'B', 'C'],
    graceMs: 1000,
    clock,
    isBackfilling: (s) => backfilling.has(s),
    release: (i) => out.push(`${i.bar.symbol}${i.bar.openTime / 60_000}`),
  });
  a.add(fb('C', 0));
  a.add(fb('A', 0));
  assert.deepEqual(out, []);
  a.add(fb('B', 0));
  assert.deepEqual(out, ['A0', 'B0', 'C0']);
  // B skips minute 1 (a gap in its market): its minute 2 completes slice 1 without it.
  a.add(fb('A', 1));
  a.add(fb('C', 1));
  a.add(fb('B', 2));
  assert.deepEqual(out.slice(3), ['A1', 'C1']);
  // C is silent: slice 2 leaves after the grace.
  a.add(fb('A', 2));
  clock.advance(999);
  assert.equal(out.length, 5);
  clock.advance(1);
  assert.deepEqual(out.slice(5), ['A2', 'B2']);
  a.add(fb('C', 2)); // late: decided on its own, counted
  assert.deepEqual(out.slice(7), ['C2']);
  assert.equal(a.lateBars, 1);
  // While a missing symbol is being backfilled, the grace is extended.
  backfilling.add('B');
  a.add(fb('A', 3));
  a.add(fb('C', 3));
  clock.advance(5000);
  assert.equal(out.length, 8);
  backfilling.delete('B');
  a.add(fb('B', 3));
  assert.deepEqual(out.slice(8), ['A3', 'B3', 'C3']);
});

test('the bar queue never drops: push past capacity keeps the item and says stop', () => {
  const q = new BarQueue<number>(3);
  assert.equal(q.push(1), true);
  assert.equal(q.push(2), true);
  assert.equal(q.push(3), false);
  assert.equal(q.push(4), false);
  assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift(), q.shift()], [1, 2, 3, 4, undefined]);
  for (let i = 0; i < 5000; i++) q.push(i);
  let n = 0;
  while (q.shift() !== undefined) n++;
  assert.equal(n, 5000);
});
