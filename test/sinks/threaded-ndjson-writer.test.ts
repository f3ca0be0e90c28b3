import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ThreadedNdjsonWriter } from '../../src/sinks/threaded-ndjson-writer.ts';
import { NdjsonWriter } from '../../src/sinks/ndjson-writer.ts';
import { EventBus } from '../../src/events/event-bus.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

function events(n: number): TradeEvent[] {
  const out: TradeEvent[] = [];
  for (let i = 0; i < n; i++) {
    const symbol = i % 5 === 0 ? '这是测试币456' : i % 2 ? 'SPY' : 'BTCUSDT';
    out.push({
      type: 'bar',
      symbol,
      interval: '1m',
      openTime: i * 60_000,
      open: 100_000_000 + i,
      high: 200_000_000,
      low: 50_000_000,
      close: 150_000_000,
      volume: i / 3,
      source: 'csv',
    });
    out.push({
      type: 'decision',
      symbol,
      openTime: i * 60_000,
      action: i % 7 ? 'hold' : 'buy',
      qty: i % 7 ? '0' : '3',
      intents: i % 7 ? 0 : 1,
      position: String(i % 4),
      equity: i % 11 ? BigInt(i) * 12_345n : 10n ** 19n + BigInt(i),
    });
    if (i % 13 === 0) out.push({ type: 'alert', kind: 'latency', message: `n=${i} "quoted"` });
  }
  return out;
}

test('the threaded writer writes exactly what the in-thread writer writes, in order', async (t) => {
  const dir = tempDirSync(t, 'tl-tw-');
  const a = new EventBus([new ThreadedNdjsonWriter(join(dir, 'threaded.ndjson'))]);
  const b = new EventBus([new NdjsonWriter(join(dir, 'plain.ndjson'))]);
  for (const e of events(30_000)) {
    a.emit(e);
    b.emit(e);
  }
  await a.close();
  await b.close();
  const threaded = readFileSync(join(dir, 'threaded.ndjson'), 'utf8');
  assert.equal(threaded, readFileSync(join(dir, 'plain.ndjson'), 'utf8'));
  assert.equal(threaded.trim().split('\n').length, 30_000 * 2 + Math.ceil(30_000 / 13));
});

test('a failure in the writer thread surfaces at close, not silently', { skip: existsSync('/dev/full') ? false : 'no /dev/full (Linux has it)' }, async () => {
  // Less than a batch: nothing reaches the thread before close, whose write fails there (ENOSPC).
  const bus = new EventBus([new ThreadedNdjsonWriter('/dev/full')]);
  bus.emit({ type: 'alert', kind: 'stale', message: 'x' });
  await assert.rejects(bus.close(), (err: Error & { code?: string }) => err.name === 'EventLogError' && err.code === 'ENOSPC');
});

test('the intern table is bounded: a run through many distinct positions stays exact', async (t) => {
  const dir = tempDirSync(t, 'tl-tw-');
  const a = new EventBus([new ThreadedNdjsonWriter(join(dir, 'threaded.ndjson'))]);
  const b = new EventBus([new NdjsonWriter(join(dir, 'plain.ndjson'))]);
  for (let i = 0; i < 60_000; i++) {
    const e: TradeEvent = { type: 'decision', symbol: 'X', openTime: i, action: 'hold', qty: '0', intents: 0, position: String(i), equity: BigInt(i) };
    a.emit(e);
    b.emit(e);
  }
  await a.close();
  await b.close();
  assert.equal(readFileSync(join(dir, 'threaded.ndjson'), 'utf8'), readFileSync(join(dir, 'plain.ndjson'), 'utf8'));
});
