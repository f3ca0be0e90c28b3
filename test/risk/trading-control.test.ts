import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLoop, bar, scripted, T } from '../helpers/loop.ts';

const restingBuysAndSells = scripted({
  0: [{ side: 'buy', qty: 10 }],
  1: [
    { side: 'buy', qty: 2, orderType: 'limit', limitPrice: 90 * T }, // grows the long
    { side: 'sell', qty: 4, orderType: 'limit', limitPrice: 110 * T }, // reduces
    { side: 'sell', qty: 8, orderType: 'limit', limitPrice: 111 * T }, // 4 + 8 > 10: would flip
  ],
});

test('every change of state is one trading_state event after the halt, with an alert; a repeat is a no-op', () => {
  const { rec, control, trading } = makeLoop(scripted({}));
  assert.equal(control.raise('operator', 'operator', 'halted', 'by hand'), true);
  assert.deepEqual(rec.types(), ['halt', 'trading_state', 'alert']);
  const [h, s] = [rec.of('halt')[0]!, rec.of('trading_state')[0]!];
  assert.deepEqual([h.state, h.severity], ['HALTED', 'halted']);
  assert.deepEqual([s.from, s.to, s.halts, s.source], ['ACTIVE', 'HALTED', ['operator'], 'operator']);
  assert.equal(rec.of('alert')[0]!.kind, 'trading_state');
  assert.equal(control.raise('operator', 'operator', 'halted', 'by hand'), false, 'the same halt again');
  assert.equal(rec.events.length, 3, 'no new event pair');
  control.raise('feed_stale', 'auto', 'halted', 'silent');
  assert.deepEqual(rec.types().slice(3), ['halt'], 'a second halt in HALTED changes no state');
  control.lift('operator', 'operator');
  assert.deepEqual(rec.types().slice(4), ['resume'], 'still HALTED by the feed');
  assert.equal(rec.of('resume')[0]!.state, 'HALTED');
  control.lift('feed_stale', 'auto');
  assert.deepEqual(rec.types().slice(5), ['resume', 'trading_state', 'alert']);
  assert.equal(trading.state, 'ACTIVE');
});

test('entering HALTED cancels every resting order; entering REDUCING only those that would grow or flip', () => {
  const halted = makeLoop(restingBuysAndSells);
  halted.engine.cycle(bar(0, 100));
  halted.engine.cycle(bar(1, 100));
  assert.equal(halted.broker.restingCount, 3);
  halted.control.raise('operator', 'operator', 'halted', 'x');
  assert.deepEqual(
    halted.rec.of('cancel').map((c) => [c.orderId, c.reason, c.openTime]),
    [
      ['SPY-60000-0', 'trading_halted', 60_000],
      ['SPY-60000-1', 'trading_halted', 60_000],
      ['SPY-60000-2', 'trading_halted', 60_000],
    ],
  );
  assert.equal(halted.broker.restingCount, 0);

  const reducing = makeLoop(restingBuysAndSells);
  reducing.engine.cycle(bar(0, 100));
  reducing.engine.cycle(bar(1, 100));
  reducing.control.raise('operator', 'operator', 'reducing', 'x');
  assert.deepEqual(
    reducing.rec.of('cancel').map((c) => [c.orderId, c.reason]),
    [
      ['SPY-60000-0', 'reducing'],
      ['SPY-60000-2', 'reducing'],
    ],
  );
  assert.deepEqual(
    reducing.broker.restingOrders('SPY').map((o) => o.orderId),
    ['SPY-60000-1'],
    'the reducing sell still rests',
  );
});

test('in REDUCING a new order that would grow or flip is a reduce_only reject; one that shrinks fills', () => {
  const { rec, engine, control } = makeLoop(
    scripted({
      0: [{ side: 'buy', qty: 10 }],
      1: [
        { side: 'buy', qty: 1 },
        { side: 'sell', qty: 11 },
        { side: 'sell', qty: 3 },
      ],
    }),
  );
  engine.cycle(bar(0, 100));
  control.raise('daily_loss', 'auto', 'reducing', 'x');
  engine.cycle(bar(1, 100));
  assert.deepEqual(
    rec.of('reject').map((r) => [r.orderId, r.reason]),
    [
      ['SPY-60000-0', 'reduce_only'],
      ['SPY-60000-1', 'reduce_only'],
    ],
  );
  assert.deepEqual(
    rec.of('fill').map((f) => [f.orderId, f.position]),
    [
      ['SPY-0-0', 10],
      ['SPY-60000-2', 7],
    ],
  );
});

test('a resting order that would grow a position in REDUCING is cancelled when it would fill, not filled', () => {
  // Two sells rest (reducing together); the first fills, the market moves, then REDUCING: the second still fits.
  const { rec, engine, control, broker } = makeLoop(
    scripted({
      0: [{ side: 'buy', qty: 10 }],
      1: [
        { side: 'sell', qty: 6, orderType: 'limit', limitPrice: 101 * T },
        { side: 'sell', qty: 6, orderType: 'limit', limitPrice: 102 * T },
      ],
    }),
  );
  engine.cycle(bar(0, 100));
  engine.cycle(bar(1, 100));
  control.raise('operator', 'operator', 'reducing', 'x');
  assert.equal(broker.restingCount, 1, 'the second sell would flip: cancelled on entering REDUCING');
  engine.cycle(bar(2, 101, 100, 'SPY', 103)); // trades through the first
  assert.deepEqual(
    rec.of('fill').map((f) => f.position),
    [10, 4],
  );
});

test('flatten: cancels resting orders, then closes the position by market even while HALTED; the events say who and at what price', () => {
  const { rec, engine, control, broker } = makeLoop(restingBuysAndSells);
  engine.cycle(bar(0, 100));
  engine.cycle(bar(1, 100));
  control.raise('flag', 'flag', 'halted', 'FLAG_TRADING_HALTED');
  const before = rec.events.length;
  const out = engine.flatten(['SPY'], 1, () => ({ price: 99 * T, source: 'last_update', time: 123 }));
  assert.deepEqual(
    out.map((o) => [o.symbol, o.closed, o.price]),
    [['SPY', '10', '99']],
  );
  const after = rec.events.slice(before);
  assert.deepEqual(
    after.map((e) => e.type),
    ['order', 'fill'],
    'the halt already cancelled the resting orders',
  );
  const order = after[0] as { sentBy?: string; orderId: string };
  const fill = after[1] as { priceSource?: string; priceTime?: number; position: number };
  assert.deepEqual([order.sentBy, order.orderId], ['operator', 'SPY-60000-op1']);
  assert.deepEqual([fill.priceSource, fill.priceTime, fill.position], ['last_update', 123, 0]);
  assert.equal(broker.position('SPY'), 0);
  assert.equal(control.state, 'HALTED', 'flatten does not lift the halt');
});
