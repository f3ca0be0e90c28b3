/**
 * Next-open fills checked by eye (--fill-model next-open, the default): a market order decided on
 * bar N works until its symbol's next bar, whose cycle fills it at the open moved by slippage,
 * before the strategy sees that bar; the gate looks at it again then; a halt cancels it; an
 * order still working when the bars end is listed, never dropped. With close, today's numbers.
 *
 * Slippage is 100 bps (1 %) throughout, so every fill price below is open × 1.01 (buys) or
 * open × 0.99 (sells), no fee.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLoop, ohlcBar, scripted, T, U } from '../helpers/loop.ts';
import { bookView, restingTerms } from '../../src/broker/book-view.ts';
import type { Bar } from '../../src/domain/types.ts';

function bar(i: number, open: number, close: number, symbol = 'SPY'): Bar {
  return ohlcBar(i, open, Math.max(open, close), Math.min(open, close), close, { symbol });
}

const SLIP_100_BPS = 1_000_000n;

/** Bars whose opens differ from the closes before them, so each fill shows which price it took. */
const BARS = [bar(0, 100, 100), bar(1, 100, 102), bar(2, 104, 106), bar(3, 106, 108), bar(4, 110, 109), bar(5, 109, 111)];
/** Buy 10 on bar 1, sell them on bar 3, buy 5 on the last bar (5). */
const PLAN = { 1: [{ side: 'buy', qty: 10 }], 3: [{ side: 'sell', qty: 10 }], 5: [{ side: 'buy', qty: 5 }] };

test('next-open: a buy decided on bar 1 fills at bar 2 open + slippage, a sell on bar 3 at bar 4 open - slippage; the last bar signal is left working and listed', () => {
  const { rec, engine, broker } = makeLoop(scripted(PLAN), { fillModel: 'next-open', slippageBpsE4: SLIP_100_BPS });
  for (const b of BARS) engine.cycle(b);
  engine.finish();
  assert.deepEqual(
    rec.of('order').map((o) => [o.orderId, o.openTime / 60_000, o.side, o.qty]),
    [
      ['SPY-60000-0', 1, 'buy', 10],
      ['SPY-180000-0', 3, 'sell', 10],
      ['SPY-300000-0', 5, 'buy', 5],
    ],
  );
  // Bar 2 opens at 104: the buy pays 104 × 1.01 = 105.04. Bar 4 opens at 110: the sell gets 110 × 0.99 = 108.9.
  assert.deepEqual(
    rec.of('fill').map((f) => [f.orderId, f.openTime / 60_000, f.price, f.position]),
    [
      ['SPY-60000-0', 2, 105.04 * T, 10],
      ['SPY-180000-0', 4, 108.9 * T, 0],
    ],
  );
  // 10 × (108.9 − 105.04) = 38.6 realized; cash 10 000 + 38.6.
  assert.equal(broker.realized, 3_860_000_000n);
  assert.equal(broker.cash, 10_038n * U + 60_000_000n);
  // The buy decided on the last bar never met a next bar: it is still on the book and in the summary's list.
  assert.equal(broker.position('SPY'), 0);
  const { restingOrders } = bookView(broker, ['SPY'], { entryPrice: false });
  assert.deepEqual(restingOrders, [{ orderId: 'SPY-300000-0', symbol: 'SPY', side: 'buy', qty: '5', orderType: 'market' }]);
  assert.equal(restingTerms(restingOrders[0]!), 'market, at the next open');
});

test('close: the same bars and signals fill at the close of the bar that decided them (today: optimistic)', () => {
  const { rec, engine, broker } = makeLoop(scripted(PLAN), { fillModel: 'close', slippageBpsE4: SLIP_100_BPS });
  for (const b of BARS) engine.cycle(b);
  // Bar 1 closes at 102: 102 × 1.01 = 103.02. Bar 3 closes at 108: 108 × 0.99 = 106.92. Bar 5 closes at 111: 112.11.
  assert.deepEqual(
    rec.of('fill').map((f) => [f.orderId, f.openTime / 60_000, f.price, f.position]),
    [
      ['SPY-60000-0', 1, 103.02 * T, 10],
      ['SPY-180000-0', 3, 106.92 * T, 0],
      ['SPY-300000-0', 5, 112.11 * T, 5],
    ],
  );
  assert.equal(broker.realized, 3_900_000_000n);
  assert.equal(broker.restingCount, 0);
});

test("next-open: in bar N+1's cycle the fill comes after the bar and before N+1's decision, which sees the position", () => {
  const seen: number[] = [];
  const { rec, engine } = makeLoop(
    {
      name: 'watcher',
      warmup: 0,
      onBar: (b, ctx) => {
        seen.push(ctx.position);
        return b.openTime === 60_000 ? [{ side: 'buy', qty: 3 }] : [];
      },
    },
    { fillModel: 'next-open' },
  );
  for (const b of BARS.slice(0, 3)) engine.cycle(b);
  const line = rec.events.map((e) => `${e.type}${'openTime' in e && typeof e.openTime === 'number' ? `@${e.openTime / 60_000}` : ''}`);
  assert.deepEqual(line, ['bar@0', 'decision@0', 'bar@1', 'decision@1', 'order@1', 'bar@2', 'fill@2', 'decision@2']);
  assert.deepEqual(seen, [0, 0, 3]);
  // Without slippage the fill is bar 2's open exactly.
  assert.equal(rec.of('fill')[0]!.price, 104 * T);
});

test("next-open: each symbol's working order fills on that symbol's next bar, not on another symbol's", () => {
  const plan = (b: Bar) => (b.openTime === 0 ? [{ side: 'buy', qty: 1 }] : []);
  const { rec, engine } = makeLoop({ name: 'both', warmup: 0, onBar: plan as never }, { fillModel: 'next-open', symbols: ['SPY', 'QQQ'] });
  engine.cycle(bar(0, 100, 100, 'SPY'));
  engine.cycle(bar(0, 50, 50, 'QQQ'));
  engine.cycle(bar(1, 101, 101, 'SPY'));
  // QQQ's order is still working after SPY's next bar.
  assert.deepEqual(
    rec.of('fill').map((f) => [f.symbol, f.price]),
    [['SPY', 101 * T]],
  );
  engine.cycle(bar(1, 52, 52, 'QQQ'));
  assert.deepEqual(
    rec.of('fill').map((f) => [f.symbol, f.price]),
    [
      ['SPY', 101 * T],
      ['QQQ', 52 * T],
    ],
  );
});

test('next-open: the gate looks again at the open; a buy the gap makes unaffordable is cancelled with the reason', () => {
  // 10 000 cash: 95 lots at the close 100 cost 9 500 and pass; bar 1 opens at 110, where they cost 10 450.
  const { rec, engine, broker } = makeLoop(scripted({ 0: [{ side: 'buy', qty: 95 }] }), {
    fillModel: 'next-open',
    limits: { maxPositionNotional: 100_000n * U, maxGrossExposure: 100_000n * U },
  });
  engine.cycle(bar(0, 100, 100));
  assert.equal(broker.restingCount, 1);
  engine.cycle(bar(1, 110, 110));
  assert.deepEqual(rec.of('fill'), []);
  const [cancel] = rec.of('cancel');
  assert.equal(cancel?.orderId, 'SPY-0-0');
  assert.equal(cancel?.reason, 'insufficient_cash');
  assert.match(cancel!.detail, /^would fill but: costs 10450 with fees, cash is 10000$/);
  assert.equal(broker.restingCount, 0);
  assert.equal(broker.cash, 10_000n * U);
});

test('next-open: a working buy holds its cash: a second buy in the same cycle is refused for it', () => {
  const { rec, engine } = makeLoop(
    scripted({
      0: [
        { side: 'buy', qty: 60 },
        { side: 'buy', qty: 60 },
      ],
    }),
    { fillModel: 'next-open', limits: { maxPositionNotional: 100_000n * U, maxGrossExposure: 100_000n * U } },
  );
  engine.cycle(bar(0, 100, 100));
  const [reject] = rec.of('reject');
  assert.equal(reject?.reason, 'insufficient_cash');
  assert.match(reject!.detail, /plus 6000 held for resting buys/);
});

test('next-open: HALTED cancels a working market order; REDUCING keeps one that only reduces and cancels one that grows', () => {
  const halted = makeLoop(scripted({ 0: [{ side: 'buy', qty: 5 }] }), { fillModel: 'next-open' });
  halted.engine.cycle(bar(0, 100, 100));
  halted.control.raise('operator', 'operator', 'halted', 'test');
  halted.engine.cycle(bar(1, 101, 101));
  assert.deepEqual(
    halted.rec.of('cancel').map((c) => [c.orderId, c.reason]),
    [['SPY-0-0', 'trading_halted']],
  );
  assert.deepEqual(halted.rec.of('fill'), []);

  const reducing = makeLoop(
    scripted({
      0: [{ side: 'buy', qty: 5 }],
      1: [
        { side: 'buy', qty: 2 },
        { side: 'sell', qty: 5 },
      ],
    }),
    { fillModel: 'next-open' },
  );
  reducing.engine.cycle(bar(0, 100, 100));
  reducing.engine.cycle(bar(1, 101, 101));
  reducing.control.raise('operator', 'operator', 'reducing', 'test');
  assert.deepEqual(
    reducing.rec.of('cancel').map((c) => [c.orderId, c.reason]),
    [['SPY-60000-0', 'reducing']],
  );
  reducing.engine.cycle(bar(2, 99, 99));
  assert.deepEqual(
    reducing.rec.of('fill').map((f) => [f.orderId, f.price, f.position]),
    [
      ['SPY-0-0', 101 * T, 5],
      ['SPY-60000-1', 99 * T, 0],
    ],
  );
});

test('next-open: an operator flatten cancels the working order and closes the position at once, at the price it has', () => {
  const { rec, engine, broker } = makeLoop(scripted({ 0: [{ side: 'buy', qty: 5 }], 1: [{ side: 'buy', qty: 2 }] }), { fillModel: 'next-open' });
  engine.cycle(bar(0, 100, 100));
  engine.cycle(bar(1, 101, 103));
  const [out] = engine.flatten(['SPY'], 1, () => ({ price: 103 * T, source: 'last_close', time: 60_000 }));
  assert.deepEqual(out, { symbol: 'SPY', cancelled: 1, closed: '5', price: '103' });
  assert.deepEqual(
    rec.of('cancel').map((c) => [c.orderId, c.reason]),
    [['SPY-60000-0', 'operator']],
  );
  assert.deepEqual(
    rec.of('fill').map((f) => [f.orderId, f.price, f.position]),
    [
      ['SPY-0-0', 101 * T, 5],
      ['SPY-60000-op1', 103 * T, 0],
    ],
  );
  assert.equal(broker.restingCount, 0);
});
