import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ThreadedNdjsonWriter } from '../../src/sinks/threaded-ndjson-writer.ts';
import { NdjsonWriter } from '../../src/sinks/ndjson-writer.ts';
import { EventBus } from '../../src/events/event-bus.ts';
import { LotSteps } from '../../src/events/lot-steps.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

const lots = new LotSteps(
  new Map([
    ['这是测试币456', 8],
    ['SPY', 0],
    ['BTCUSDT', 5],
  ]),
);

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
      qty: i % 7 ? 0 : 3 + i,
      intents: i % 7 ? 0 : 1,
      position: (i % 4) * 12_345 - 20_000,
      equity: i % 11 ? BigInt(i) * 12_345n : 10n ** 19n + BigInt(i),
    });
    if (i % 13 === 0) out.push({ type: 'alert', kind: 'latency', message: `n=${i} "quoted"` });
    if (i % 17 === 0) {
      out.push({
        type: 'order',
        orderId: `${symbol}-${i}`,
        symbol,
        openTime: i * 60_000,
        side: 'buy',
        orderType: 'limit',
        qty: i + 1,
        limitPrice: 100_000_000 + i,
      });
      out.push({
        type: 'fill',
        orderId: `${symbol}-${i}`,
        symbol,
        openTime: i * 60_000,
        side: 'buy',
        qty: i + 1,
        price: 100_000_000 + i,
        fee: BigInt(i),
        realizedPnl: -BigInt(i) * 3n,
        cash: 10n ** 20n - BigInt(i),
        position: i,
      });
      out.push({ type: 'reject', symbol, openTime: i * 60_000, reason: 'invalid_qty', side: 'sell', qty: i + 0.5, detail: 'not whole' });
    }
  }
  return out;
}

test('the threaded writer writes exactly what the in-thread writer writes, in order', async (t) => {
  const dir = tempDirSync(t, 'tl-tw-');
  const a = new EventBus([new ThreadedNdjsonWriter(join(dir, 'threaded.ndjson'), { lots })]);
  const b = new EventBus([new NdjsonWriter(join(dir, 'plain.ndjson'), { lots })]);
  for (const e of events(30_000)) {
    a.emit(e);
    b.emit(e);
  }
  await a.close();
  await b.close();
  const threaded = readFileSync(join(dir, 'threaded.ndjson'), 'utf8');
  assert.equal(threaded, readFileSync(join(dir, 'plain.ndjson'), 'utf8'));
  assert.equal(threaded.trim().split('\n').length, 30_000 * 2 + Math.ceil(30_000 / 13) + 3 * Math.ceil(30_000 / 17));
});

test('a failure in the writer thread surfaces at close, not silently', { skip: existsSync('/dev/full') ? false : 'no /dev/full (Linux has it)' }, async () => {
  // Less than a batch: nothing reaches the thread before close, whose write fails there (ENOSPC).
  const bus = new EventBus([new ThreadedNdjsonWriter('/dev/full', { lots })]);
  bus.emit({ type: 'alert', kind: 'stale', message: 'x' });
  await assert.rejects(bus.close(), (err: Error & { systemCode?: string }) => err.name === 'EventLogError' && err.systemCode === 'ENOSPC');
});

test('the intern table is bounded: a run through many distinct symbols stays exact', async (t) => {
  const dir = tempDirSync(t, 'tl-tw-');
  // More symbols than the table keeps (4096), each with a lot step of its own.
  const many = new LotSteps(new Map(Array.from({ length: 6_000 }, (_, k) => [`X${k}`, k % 9] as [string, number])));
  const a = new EventBus([new ThreadedNdjsonWriter(join(dir, 'threaded.ndjson'), { lots: many })]);
  const b = new EventBus([new NdjsonWriter(join(dir, 'plain.ndjson'), { lots: many })]);
  for (let i = 0; i < 60_000; i++) {
    const e: TradeEvent = {
      type: 'decision',
      symbol: `X${i % 6_000}`,
      openTime: i,
      action: 'hold',
      qty: 0,
      intents: 0,
      position: i - 30_000,
      equity: BigInt(i),
    };
    a.emit(e);
    b.emit(e);
  }
  await a.close();
  await b.close();
  assert.equal(readFileSync(join(dir, 'threaded.ndjson'), 'utf8'), readFileSync(join(dir, 'plain.ndjson'), 'utf8'));
});
