/**
 * Orders and backfilled bars (bars a feed fetched over REST after an outage), checked by eye. An
 * order decided on a backfilled bar was placed when that market had passed: no backfilled bar's
 * path fills it (a market order does not fill at the old close, nor at a backfilled open); the
 * symbol's first live bar matches it like any other, a market order at that bar's open. An order
 * placed on a live bar was at the venue through the outage: the backfilled bars are the market it
 * traded in, and they fill it. No slippage, no fee: every price below is the bar's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLoop, ohlcBar, scripted, T } from '../helpers/loop.ts';
import { bookView, restingTerms } from '../../src/broker/book-view.ts';
import type { Bar, BarOrigin } from '../../src/domain/types.ts';
import type { OrderUpdate, Strategy } from '../../src/strategy/strategy.ts';

function bar(i: number, source: BarOrigin, open: number, high: number, low: number, close: number): Bar {
  return ohlcBar(i, open, high, low, close, { source });
}

test('decided on a backfilled bar: no backfilled bar fills it, the first live bar does (a market order at its open); a live-placed limit fills on a backfilled bar', () => {
  const plan = {
    0: [{ side: 'buy', qty: 1, orderType: 'limit', limitPrice: 95 * T }],
    1: [
      { side: 'buy', qty: 1 },
      { side: 'buy', qty: 1, orderType: 'limit', limitPrice: 93 * T },
    ],
  };
  const updates = new Map<number, readonly OrderUpdate[]>();
  const inner = scripted(plan);
  const strategy: Strategy = { ...inner, onBar: (b, ctx) => (updates.set(b.openTime / 60_000, ctx.updates), inner.onBar(b, ctx)) };
  // --fill-model close: a market order decided on a live bar would fill at that bar's close.
  const { rec, engine, broker } = makeLoop(strategy, { fillModel: 'close' });
  engine.cycle(bar(0, 'ws', 100, 100, 100, 100));
  // Backfilled: its low (94) goes under the live-placed limit at 95, which fills there.
  engine.cycle(bar(1, 'rest-backfill', 96, 96, 94, 95));
  // Backfilled: it opens at 92 and goes down to 91, through the limit at 93; neither order of bar 1 fills.
  engine.cycle(bar(2, 'rest-backfill', 92, 92.5, 91, 92));
  const waiting = bookView(broker, ['SPY'], { entryPrice: false }).restingOrders;
  assert.deepEqual(
    waiting.map((o) => restingTerms(o)),
    ['market, at the first live open', '@ 93, from the first live bar'],
  );
  // Live: it opens at 96 (the market buy fills there), rises to 97, then falls to 92.5 through the limit at 93.
  engine.cycle(bar(3, 'ws', 96, 97, 92.5, 96));
  assert.deepEqual(
    rec.of('fill').map((f) => [f.orderId, f.openTime / 60_000, f.price / T, f.liquidity]),
    [
      ['SPY-0-0', 1, 95, 'maker'],
      ['SPY-60000-0', 3, 96, 'taker'],
      ['SPY-60000-1', 3, 93, 'maker'],
    ],
  );
  assert.deepEqual(
    rec.of('order').map((o) => [o.orderId, o.waitsFor]),
    [
      ['SPY-0-0', undefined],
      ['SPY-60000-0', 'live_open'],
      ['SPY-60000-1', 'live_open'],
    ],
  );
  // The strategy is told on its next bar; the operator at once, the position named.
  assert.deepEqual(
    updates.get(2)!.map((u) => [u.type, u.orderId, u.type === 'waiting' ? u.orderType : null]),
    [
      ['waiting', 'SPY-60000-0', 'market'],
      ['waiting', 'SPY-60000-1', 'limit'],
    ],
  );
  assert.deepEqual(
    rec.of('alert').map((a) => [a.kind, a.message]),
    [
      ['stale_price', 'SPY long 1: buy 1 market decided on the backfilled bar of 1970-01-01T00:01Z waits for the first live open'],
      [
        'stale_price',
        'SPY long 1: buy 1 limit decided on the backfilled bar of 1970-01-01T00:01Z is matched from the first live bar on, never against a backfilled one',
      ],
    ],
  );
  assert.equal(broker.restingCount, 0);
  assert.equal(broker.position('SPY'), 3);
});

test('csv bars are live: nothing waits, nothing is said', () => {
  const { rec, engine } = makeLoop(scripted({ 0: [{ side: 'buy', qty: 1 }] }), { fillModel: 'next-open' });
  engine.cycle(bar(0, 'csv', 100, 100, 100, 100));
  engine.cycle(bar(1, 'csv', 101, 101, 101, 101));
  assert.deepEqual(
    rec.of('fill').map((f) => [f.openTime / 60_000, f.price / T]),
    [[1, 101]],
  );
  assert.equal('waitsFor' in rec.of('order')[0]!, false);
  assert.equal(rec.of('alert').length, 0);
});
