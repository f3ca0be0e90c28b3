/**
 * Time in force, post-only, reduce-only and partial fills through the whole cycle: the intents a
 * strategy returns, the gate's refusals by name, the order and fill events with their new fields,
 * what the strategy is told (ctx.updates) and what the terminal says. R = 0.1 (a bar of volume V
 * fills at most floor(V / 10) shares), no fee, no slippage unless a test says otherwise; each
 * fill is checked by hand against its bar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLoop, ohlcBar, scripted, T } from '../helpers/loop.ts';
import type { Bar } from '../../src/domain/types.ts';
import type { OrderUpdate, Strategy } from '../../src/strategy/strategy.ts';
import { DEFAULT_PARTICIPATION_E8 } from '../../src/broker/participation.ts';
import { ConsoleLines } from '../../src/sinks/console-lines.ts';
import { LotSteps } from '../../src/events/lot-steps.ts';
import { bookView, restingTerms } from '../../src/broker/book-view.ts';

function bar(i: number, open: number, high: number, low: number, close: number, volume: number): Bar {
  return ohlcBar(i, open, high, low, close, { volume });
}

const capped = { maxParticipationE8: DEFAULT_PARTICIPATION_E8, fillModel: 'next-open' as const };

/** A scripted strategy that also keeps every ctx.updates it was handed, by minute. */
function recording(plan: Record<number, unknown[]>): { strategy: Strategy; seen: Map<number, readonly OrderUpdate[]> } {
  const seen = new Map<number, readonly OrderUpdate[]>();
  const inner = scripted(plan);
  return {
    seen,
    strategy: {
      name: 'recording',
      warmup: 0,
      onBar(b, ctx) {
        if (ctx.updates.length > 0) seen.set(b.openTime / 60_000, ctx.updates);
        return inner.onBar(b, ctx);
      },
    },
  };
}

test('terms that are wrong are refused by name (invalid_order), before any check of the market', () => {
  const bad = [
    { side: 'buy', qty: 1, timeInForce: 'DAY' },
    { side: 'buy', qty: 1, timeInForce: 'GTD' },
    { side: 'buy', qty: 1, timeInForce: 'GTD', expireAfterBars: 0 },
    { side: 'buy', qty: 1, timeInForce: 'IOC', expireAfterBars: 3 },
    { side: 'buy', qty: 1, expireAfterBars: 3 },
    { side: 'buy', qty: 1, postOnly: true },
    { side: 'buy', qty: 1, orderType: 'limit', limitPrice: 90 * T, postOnly: 'yes' },
    { side: 'sell', qty: 1, reduceOnly: 1 },
  ];
  const { rec, engine } = makeLoop(scripted({ 0: bad }), capped);
  engine.cycle(bar(0, 100, 101, 99, 100, 1000));
  const rejects = rec.of('reject');
  assert.deepEqual(
    rejects.map((r) => r.reason),
    bad.map(() => 'invalid_order'),
  );
  const details = rejects.map((r) => r.detail);
  assert.match(details[0]!, /^timeInForce must be GTC, IOC, FOK, GTD \(default GTC\), got "DAY" \(a string\)$/);
  assert.match(details[1]!, /^timeInForce GTD needs expireAfterBars, a positive whole number of SPY bars, got undefined$/);
  assert.match(details[2]!, /got 0$/);
  assert.match(details[3]!, /^expireAfterBars is for timeInForce GTD only, and this order is IOC/);
  assert.match(details[4]!, /and this order is GTC/);
  assert.match(details[5]!, /^postOnly is for limit orders only .*, and this is a market order$/);
  assert.match(details[6]!, /^postOnly must be true or false, got "yes"/);
  assert.match(details[7]!, /^reduceOnly must be true or false, got 1$/);
  assert.equal(rec.of('order').length, 0);
});

test('order events carry the terms that are not the default; a plain order is the event it always was', () => {
  const { rec, engine } = makeLoop(
    scripted({
      0: [
        { side: 'buy', qty: 1 },
        { side: 'buy', qty: 1, timeInForce: 'GTC', postOnly: false, reduceOnly: false },
        { side: 'buy', qty: 2, timeInForce: 'IOC' },
        { side: 'buy', qty: 3, orderType: 'limit', limitPrice: 95 * T, timeInForce: 'GTD', expireAfterBars: 4, postOnly: true },
        { side: 'buy', qty: 1, orderType: 'stop', stopPrice: 105 * T, timeInForce: 'FOK' },
      ],
    }),
    capped,
  );
  engine.cycle(bar(0, 100, 101, 99, 100, 1000));
  assert.deepEqual(
    rec.of('order').map(({ type: _t, symbol: _s, openTime: _o, orderId: _i, side: _d, ...rest }) => rest),
    [
      { orderType: 'market', qty: 1 },
      { orderType: 'market', qty: 1 },
      { orderType: 'market', qty: 2, timeInForce: 'IOC' },
      { orderType: 'limit', qty: 3, limitPrice: 95 * T, timeInForce: 'GTD', expireAfterBars: 4, postOnly: true },
      { orderType: 'stop', qty: 1, stopPrice: 105 * T, timeInForce: 'FOK' },
    ],
  );
});

test('a market buy of 10 fills over three bars under the cap (a zero-volume bar between), each fill saying what remains, the strategy and the terminal told', () => {
  const lines: string[] = [];
  const { strategy, seen } = recording({ 0: [{ side: 'buy', qty: 10 }] });
  const { rec, engine, broker } = makeLoop(strategy, {
    ...capped,
    sinks: [new ConsoleLines((l) => lines.push(l), null, new LotSteps(new Map([['SPY', 0]])))],
  });
  engine.cycle(bar(0, 100, 101, 99, 100, 1000));
  engine.cycle(bar(1, 101, 102, 100, 101, 40)); // 4 at the open 101
  engine.cycle(bar(2, 102, 103, 101, 102, 0)); // nothing
  engine.cycle(bar(3, 103, 104, 102, 103, 30)); // 3 at 103
  engine.cycle(bar(4, 104, 105, 103, 104, 1000)); // the last 3 at 104
  assert.deepEqual(
    rec.of('fill').map((f) => [f.openTime / 60_000, f.qty, f.price / T, f.position, f.remaining]),
    [
      [1, 4, 101, 4, 6],
      [3, 3, 103, 7, 3],
      [4, 3, 104, 10, undefined],
    ],
  );
  // 4 × 101 + 3 × 103 + 3 × 104 = 1025 spent.
  assert.equal(broker.cash, 10_000n * 100_000_000n - 1025n * 100_000_000n);
  assert.deepEqual(
    [...seen].map(([m, us]) => [m, us.map((u) => (u.type === 'fill' ? [u.qty, u.remaining] : u.type))]),
    [
      [1, [[4, 6]]],
      [3, [[3, 3]]],
      [4, [[3, 0]]],
    ],
  );
  assert.deepEqual(lines, [
    'tradeloop bar 1970-01-01T00:01Z PARTIAL SPY SPY-0-0 buy 4 at 101: 6 remaining -> position 4\n',
    'tradeloop bar 1970-01-01T00:03Z PARTIAL SPY SPY-0-0 buy 3 at 103: 3 remaining -> position 7\n',
    'tradeloop bar 1970-01-01T00:04Z FILLED  SPY SPY-0-0 buy 3 at 104: the rest of a partly filled order, now complete -> position 10\n',
  ]);
});

test('while it works, the rest is listed with what remains, and the gate holds cash and exposure for the rest only', () => {
  const { engine, broker, gate } = makeLoop(scripted({ 0: [{ side: 'buy', qty: 10 }] }), capped);
  engine.cycle(bar(0, 100, 101, 99, 100, 1000));
  engine.cycle(bar(1, 100, 101, 99, 100, 40));
  const { restingOrders } = bookView(broker, ['SPY'], { entryPrice: false });
  assert.deepEqual(restingOrders, [{ orderId: 'SPY-0-0', symbol: 'SPY', side: 'buy', qty: '10', remaining: '6', orderType: 'market' }]);
  assert.equal(restingTerms(restingOrders[0]!), 'market, at the next open, 6 remaining');
  assert.equal(broker.restingBuyCost(), 600n * 100_000_000n, '6 × 100 held, not 10 × 100');
  assert.equal(gate.state, 'ACTIVE');
});

test('IOC and FOK against the cap: the IOC fills 4 of 10 and the rest is cancelled; the FOK fills nothing; the strategy sees both', () => {
  const lines: string[] = [];
  const { strategy, seen } = recording({
    0: [
      { side: 'buy', qty: 10, timeInForce: 'IOC' },
      { side: 'buy', qty: 5, timeInForce: 'FOK' },
    ],
  });
  const { rec, engine } = makeLoop(strategy, { ...capped, sinks: [new ConsoleLines((l) => lines.push(l), null, new LotSteps(new Map([['SPY', 0]])))] });
  engine.cycle(bar(0, 100, 101, 99, 100, 1000));
  // Volume 40: 4 lots. The IOC (placed first) takes all 4; the FOK of 5 cannot fill whole.
  engine.cycle(bar(1, 100, 101, 99, 100, 40));
  engine.cycle(bar(2, 100, 101, 99, 100, 1000));
  assert.deepEqual(
    rec.of('fill').map((f) => [f.orderId, f.qty, f.remaining]),
    [['SPY-0-0', 4, 6]],
  );
  assert.deepEqual(
    rec.of('cancel').map((c) => [c.orderId, c.reason]),
    [
      ['SPY-0-0', 'ioc'],
      ['SPY-0-1', 'fok'],
    ],
  );
  assert.match(
    rec.of('cancel')[1]!.detail,
    /^FOK: 0 of 5 could fill on its one chance: the bar's volume 40 allows 4 under --max-participation 0\.1, 4 of them taken by fills before it; none filled$/,
  );
  const updates = seen.get(1)!;
  assert.deepEqual(
    updates.map((u) => [u.type, u.orderId, u.type === 'fill' ? u.remaining : u.type === 'cancel' ? u.reason : null]),
    [
      ['fill', 'SPY-0-0', 6],
      ['cancel', 'SPY-0-0', 'ioc'],
      ['cancel', 'SPY-0-1', 'fok'],
    ],
  );
  assert.equal(seen.has(2), false, 'nothing works after the one chance');
  assert.match(lines[1]!, /CANCEL {2}SPY SPY-0-0, the rest of a partly filled order: ioc: IOC: 6 of 10 unfilled/);
});

test('GTD expires after its bars of the symbol; the strategy is told', () => {
  const { strategy, seen } = recording({ 0: [{ side: 'buy', qty: 2, orderType: 'limit', limitPrice: 90 * T, timeInForce: 'GTD', expireAfterBars: 3 }] });
  const { rec, engine, broker } = makeLoop(strategy, capped);
  for (let i = 0; i < 4; i++) engine.cycle(bar(i, 100, 101, 99, 100, 1000));
  assert.equal(broker.restingCount, 0);
  assert.deepEqual(
    rec.of('cancel').map((c) => [c.openTime / 60_000, c.reason, c.detail]),
    [[3, 'expired', 'GTD: 3 SPY bar(s) passed without completing it; 2 unfilled, cancelled']],
  );
  assert.deepEqual(
    seen.get(3)!.map((u) => [u.type, u.type === 'cancel' ? u.reason : null]),
    [['cancel', 'expired']],
  );
});

test('post-only: refused when it would take liquidity at the close; one that rests fills at its limit as a maker (no slippage)', () => {
  const { rec, engine, broker } = makeLoop(
    scripted({
      0: [
        { side: 'buy', qty: 1, orderType: 'limit', limitPrice: 100 * T, postOnly: true },
        { side: 'buy', qty: 1, orderType: 'limit', limitPrice: 101 * T, postOnly: true },
        { side: 'sell', qty: 1, orderType: 'limit', limitPrice: 99.5 * T, postOnly: true },
        { side: 'buy', qty: 2, orderType: 'limit', limitPrice: 99 * T, postOnly: true },
      ],
    }),
    { ...capped, slippageBpsE4: 1_000_000n },
  );
  // The decision bar closes at 100.
  engine.cycle(bar(0, 100, 101, 99.5, 100, 1000));
  assert.deepEqual(
    rec.of('reject').map((r) => [r.orderId, r.reason]),
    [
      ['SPY-0-0', 'post_only'],
      ['SPY-0-1', 'post_only'],
      ['SPY-0-2', 'post_only'],
    ],
  );
  assert.equal(
    rec.of('reject')[0]!.detail,
    'post-only buy limit 100 would take liquidity: the bar closed at 100, at or under it (place it under 100 to rest as a maker)',
  );
  assert.match(rec.of('reject')[2]!.detail, /^post-only sell limit 99\.5 would take liquidity: the bar closed at 100, at or over it/);
  // The buy at 99 rests; next bar 100 → 100.5 → 98 → 99: it fills at 99 exactly, not moved by the 1 % slippage.
  engine.cycle(bar(1, 100, 100.5, 98, 99, 1000));
  assert.deepEqual(
    rec.of('fill').map((f) => [f.orderId, f.qty, f.price / T]),
    [['SPY-0-3', 2, 99]],
  );
  assert.equal(broker.position('SPY'), 2);
});

test('reduce-only: refused when it would grow or flip the position (or there is none); two exits of one position both rest, the second shrunk to nothing', () => {
  const { strategy, seen } = recording({
    0: [{ side: 'sell', qty: 1, reduceOnly: true }],
    1: [{ side: 'buy', qty: 5 }],
    3: [
      { side: 'buy', qty: 1, reduceOnly: true },
      { side: 'sell', qty: 6, reduceOnly: true },
      { side: 'sell', qty: 5, orderType: 'limit', limitPrice: 103 * T, reduceOnly: true },
      { side: 'sell', qty: 3, orderType: 'stop', stopPrice: 97 * T, reduceOnly: true },
    ],
  });
  const { rec, engine, broker } = makeLoop(strategy, capped);
  for (let i = 0; i < 4; i++) engine.cycle(bar(i, 100, 101, 99, 100, 1000));
  assert.equal(broker.position('SPY'), 5);
  assert.deepEqual(
    rec.of('reject').map((r) => [r.orderId, r.reason, r.detail]),
    [
      ['SPY-0-0', 'reduce_only', 'reduce-only sell: there is no SPY position to reduce'],
      ['SPY-180000-0', 'reduce_only', 'reduce-only buy would grow the SPY position of 5'],
      ['SPY-180000-1', 'reduce_only', 'reduce-only sell of 6 would flip the SPY position of 5 (at most 5 reduces it)'],
    ],
  );
  // The limit (5) and the stop (3) both rest. Next bar: the high 104 and the low 96 are both 4 from
  // the open, a tie, so the high first: 100 → 104 → 96 → 100. The limit at 103 sells 5 on the way
  // up: flat. The stop at 97, reached on the way down, has nothing left to reduce: cancelled.
  engine.cycle(bar(4, 100, 104, 96, 100, 1000));
  assert.deepEqual(
    rec
      .of('fill')
      .map((f) => [f.orderId, f.qty, f.price / T, f.position])
      .slice(1),
    [['SPY-180000-2', 5, 103, 0]],
  );
  assert.deepEqual(
    rec.of('cancel').map((c) => [c.orderId, c.reason]),
    [['SPY-180000-3', 'reduce_only']],
  );
  assert.equal(broker.position('SPY'), 0, 'never flipped');
  // The strategy hears, with bar 4: its two refused intents of bar 3, then the exit's fill and the stop's cancel.
  assert.deepEqual(
    seen.get(4)!.map((u) => [u.type, u.orderId]),
    [
      ['reject', 'SPY-180000-0'],
      ['reject', 'SPY-180000-1'],
      ['fill', 'SPY-180000-2'],
      ['cancel', 'SPY-180000-3'],
    ],
  );
});

test('--fill-model close: a market order at its bar close fills what that bar allows, the rest at the next open', () => {
  const { rec, engine } = makeLoop(scripted({ 0: [{ side: 'buy', qty: 10 }] }), { maxParticipationE8: DEFAULT_PARTICIPATION_E8, fillModel: 'close' });
  engine.cycle(bar(0, 100, 101, 99, 100.5, 30)); // 3 at the close 100.5
  engine.cycle(bar(1, 102, 103, 101, 102, 1000)); // the last 7 at the open 102
  assert.deepEqual(
    rec.of('fill').map((f) => [f.openTime / 60_000, f.qty, f.price / T, f.remaining]),
    [
      [0, 3, 100.5, 7],
      [1, 7, 102, undefined],
    ],
  );
});
