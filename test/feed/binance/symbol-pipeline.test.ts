/**
 * The per-symbol pipeline on its own, with a REST server that fails and then recovers: bars held
 * behind a failing backfill are bounded in memory, and every one is still delivered once, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, FakeBinance, until } from '../../helpers/fake-binance.ts';
import { RestClient } from '../../../src/feed/binance/rest-client.ts';
import { SymbolPipeline } from '../../../src/feed/live/symbol-pipeline.ts';
import { restBackfill } from '../../../src/feed/binance/binance-feed.ts';
import { VirtualClock } from '../../../src/telemetry/clock.ts';
import type { FeedItem, FeedPort } from '../../../src/engine/feed-port.ts';
import { parsePrice } from '../../../src/domain/price.ts';

const BASE = Date.UTC(2026, 0, 5);

function port(items: FeedItem[], halts: string[]): FeedPort {
  return {
    push: (item) => (items.push(item), true),
    feedState: () => {},
    raiseHalt: (r) => halts.push(`+${r}`),
    liftHalt: (r) => halts.push(`-${r}`),
    alert: () => {},
    quote: () => {},
  };
}

test('a long-failing backfill holds at most maxPendingPerSymbol bars; the rest are fetched again: all delivered once, in order', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const clock = new VirtualClock();
  const items: FeedItem[] = [];
  const halts: string[] = [];
  const abort = new AbortController();
  const p = new SymbolPipeline({
    interval: '1m',
    clock,
    backfill: restBackfill(new RestClient(fake.restUrl, 5_000), '1m'),
    output: port(items, halts),
    random: () => 0.5,
    signal: abort.signal,
    onBackfillChange: () => {},
    maxPendingPerSymbol: 3,
  });
  try {
    for (let m = 0; m < 20; m++) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 100 + m));
    const live = (m: number) => {
      const b = bar('BTCUSDT', m, 100 + m);
      const price = parsePrice(b.close);
      return {
        kind: 'bar' as const,
        eventTime: 0,
        recvWall: 0,
        recvMono: 0,
        newestOpenTime: b.openTime,
        bar: {
          symbol: 'BTCUSDT',
          interval: '1m',
          openTime: b.openTime,
          closeTime: b.openTime + 59_999,
          open: price,
          high: parsePrice(b.high),
          low: parsePrice(b.low),
          close: price,
          volume: 1,
          source: 'ws' as const,
        },
      };
    };
    p.seed('BTCUSDT', BASE);
    fake.failKlines = 1_000;
    // Minute 1 is missing: minutes 2..19 arrive live while every backfill attempt fails.
    p.closed(live(2), 'btcusdt@kline_1m');
    // Bars are let go only once the backfill has failed (before that it may yet succeed at once).
    await until(() => p.stats.backfillFailures === 1, 'the first backfill attempt to fail');
    for (let m = 3; m < 20; m++) {
      p.closed(live(m), 'btcusdt@kline_1m');
      assert.ok(p.heldBars <= 3, `${p.heldBars} bars held after minute ${m}`);
      // Past any backoff: the next attempt goes out, and fails too.
      const failures = p.stats.backfillFailures;
      clock.advance(30_000);
      await until(() => p.stats.backfillFailures === failures + 1, `attempt ${failures + 1} to fail`);
    }
    assert.equal(p.undelivered().count, 18, 'held and let go alike are still owed');
    assert.deepEqual(halts, ['+gap']);
    fake.failKlines = 0;
    // Each step runs a due retry; the answers come on the event loop.
    await until(() => {
      clock.advance(30_000);
      return items.length >= 19;
    }, 'every bar delivered');
    const minutes = items.map((i) => (i.kind === 'bar' ? (i.bar.openTime - BASE) / 60_000 : -1));
    assert.deepEqual(
      minutes,
      Array.from({ length: 19 }, (_, i) => i + 1),
    );
    assert.equal(p.undelivered().count, 0);
    assert.deepEqual(halts, ['+gap', '-gap']);
  } finally {
    p.stop();
    abort.abort();
    await fake.close();
  }
});
