/**
 * Stop orders through the whole cycle: the intents a strategy returns, the gate's refusals (each
 * naming its field), the order events, the trailing stop's start at the close of the bar it was
 * decided on, and what REDUCING and HALTED do to a resting protective stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLoop, ohlcBar, scripted, T } from '../helpers/loop.ts';
import type { Bar } from '../../src/domain/types.ts';

const bar = (i: number, open: number, high: number, low: number, close: number): Bar => ohlcBar(i, open, high, low, close);

test('a strategy places each stop type by the README shapes; the order events carry stopPrice and trailBps', () => {
  const { rec, engine, broker } = makeLoop(
    scripted({
      0: [
        { side: 'buy', qty: 10 },
        { side: 'sell', qty: 10, orderType: 'stop', stopPrice: 98 * T },
        { side: 'buy', qty: 1, orderType: 'stop_limit', stopPrice: 102 * T, limitPrice: 103 * T },
        { side: 'sell', qty: 10, orderType: 'trailing_stop', trailBps: 250 },
      ],
    }),
  );
  engine.cycle(bar(0, 100, 101, 99, 100));
  assert.deepEqual(
    rec.of('order').map(({ type: _t, symbol: _s, openTime: _o, ...rest }) => rest),
    [
      { orderId: 'SPY-0-0', side: 'buy', orderType: 'market', qty: 10 },
      { orderId: 'SPY-0-1', side: 'sell', orderType: 'stop', qty: 10, stopPrice: 98 * T },
      { orderId: 'SPY-0-2', side: 'buy', orderType: 'stop_limit', qty: 1, limitPrice: 103 * T, stopPrice: 102 * T },
      { orderId: 'SPY-0-3', side: 'sell', orderType: 'trailing_stop', qty: 10, trailBps: 250 },
    ],
  );
  // The trailing stop starts from the close it was decided on: 100 less 2.5 % is 97.5.
  const trailing = broker.restingOrders('SPY')[2]!;
  assert.deepEqual(trailing.orderType === 'trailing_stop' && [trailing.bestPrice, trailing.stopPrice], [100 * T, 97.5 * T]);
  // Next bar 99 → 99.5 → 96 → 97 (the high, 0.5 away, is nearer than the low, 3): the
  // stop-limit never reaches 102; on 99.5 → 96 the stop (98, placed
  // first) fills at 98, and the trailing stop (97.5) then would sell 10 more: a new short, which
  // the gate looks at again and lets pass (exposure is within the limits).
  engine.cycle(bar(1, 99, 99.5, 96, 97));
  assert.deepEqual(
    rec.of('fill').map((f) => [f.orderId, f.price, f.position]),
    [
      ['SPY-0-0', 100 * T, 10],
      ['SPY-0-1', 98 * T, 0],
      ['SPY-0-3', 97.5 * T, -10],
    ],
  );
});

test('refusals name the stop field that is wrong', () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{ side: 'sell', qty: 1, orderType: 'stop' }, 'invalid_stop_price', /a stop order needs a positive integer stopPrice in ticks, got undefined/],
    [{ side: 'sell', qty: 1, orderType: 'stop', stopPrice: '98' }, 'invalid_stop_price', /stopPrice .*"98" \(a string\)/],
    [{ side: 'sell', qty: 1, orderType: 'stop', stopPrice: 98.5 }, 'invalid_stop_price', /got 98.5/],
    [
      { side: 'buy', qty: 1, orderType: 'stop_limit', stopPrice: 0, limitPrice: 5 },
      'invalid_stop_price',
      /a stop-limit order needs a positive integer stopPrice/,
    ],
    [
      { side: 'buy', qty: 1, orderType: 'stop_limit', stopPrice: 5 },
      'invalid_limit_price',
      /a stop-limit order needs a positive integer limitPrice in ticks, got undefined/,
    ],
    [
      { side: 'sell', qty: 1, orderType: 'trailing_stop', trailBps: 0 },
      'invalid_stop_price',
      /trailBps, a whole number of basis points from 1 to 10000, got 0/,
    ],
    [{ side: 'sell', qty: 1, orderType: 'trailing_stop', trailBps: 10_001 }, 'invalid_stop_price', /got 10001/],
    [{ side: 'sell', qty: 1, orderType: 'trailing_stop', trailBps: 1.5 }, 'invalid_stop_price', /got 1.5/],
    [{ side: 'sell', qty: 1, orderType: 'trailing_stop' }, 'invalid_stop_price', /got undefined/],
    [
      { side: 'sell', qty: 1, orderType: 'stop_market', stopPrice: 1 },
      'invalid_order',
      /orderType market or limit or stop or stop_limit or trailing_stop, got "sell"\/"stop_market"/,
    ],
  ];
  for (const [intent, reason, detail] of cases) {
    const { rec, engine, broker } = makeLoop(scripted({ 0: [intent] }));
    engine.cycle(bar(0, 100, 101, 99, 100));
    const [reject] = rec.of('reject');
    assert.equal(reject?.reason, reason, JSON.stringify(intent));
    assert.match(reject!.detail, detail);
    assert.equal(broker.restingCount, 0);
    assert.equal(rec.of('order').length, 0);
  }
  // The bounds themselves pass: 1 and 10000 bps.
  const { rec, engine } = makeLoop(
    scripted({
      0: [
        { side: 'sell', qty: 1, orderType: 'trailing_stop', trailBps: 1 },
        { side: 'buy', qty: 1, orderType: 'trailing_stop', trailBps: 10_000 },
      ],
    }),
    { limits: { maxPositionNotional: 100_000n * BigInt(T) } },
  );
  engine.cycle(bar(0, 100, 101, 99, 100));
  assert.deepEqual(rec.of('reject'), []);
  assert.equal(rec.of('order').length, 2);
});

test('the gate values a stop at its stop price: cash and the price band read it', () => {
  // 10 000 cash: a buy stop of 60 lots at 150 costs 9 000 at the stop (passes the cash check);
  // at 170 it costs 10 200 (refused), though at the close 100 it would cost 6 000.
  const cashCase = (stopPrice: number) => {
    const { rec, engine } = makeLoop(scripted({ 0: [{ side: 'buy', qty: 60, orderType: 'stop', stopPrice: stopPrice * T }] }), {
      limits: { maxPositionNotional: 1_000_000n * BigInt(T), maxGrossExposure: 1_000_000n * BigInt(T) },
    });
    engine.cycle(bar(0, 100, 101, 99, 100));
    return rec.of('reject').map((r) => r.reason);
  };
  assert.deepEqual(cashCase(150), []);
  assert.deepEqual(cashCase(170), ['insufficient_cash']);
  // A 5 % band around the close 100: a stop at 94 is outside it, 96 inside; a stop-limit's limit too.
  const bandCase = (intent: unknown) => {
    const { rec, engine } = makeLoop(scripted({ 0: [intent] }), { limits: { priceBandPctE4: 50_000n } });
    engine.cycle(bar(0, 100, 101, 99, 100));
    return rec.of('reject').map((r) => [r.reason, r.detail]);
  };
  assert.deepEqual(bandCase({ side: 'buy', qty: 1, orderType: 'stop', stopPrice: 96 * T }), []);
  assert.deepEqual(bandCase({ side: 'buy', qty: 1, orderType: 'stop', stopPrice: 94 * T }), [
    ['price_band', 'stop 94 is 6% from the last close 100 (limit --price-band-pct 5)'],
  ]);
  assert.deepEqual(bandCase({ side: 'buy', qty: 1, orderType: 'stop_limit', stopPrice: 101 * T, limitPrice: 107 * T }), [
    ['price_band', 'limit 107 is 7% from the last close 100 (limit --price-band-pct 5)'],
  ]);
  // A trailing stop names no price: the band does not apply to it.
  assert.deepEqual(bandCase({ side: 'buy', qty: 1, orderType: 'trailing_stop', trailBps: 9000 }), []);
});

test('REDUCING keeps a protective stop that only shrinks the position; HALTED cancels it', () => {
  const { rec, engine, control, broker } = makeLoop(
    scripted({
      0: [
        { side: 'buy', qty: 10 },
        { side: 'buy', qty: 5, orderType: 'stop', stopPrice: 103 * T },
        { side: 'sell', qty: 10, orderType: 'stop', stopPrice: 98 * T },
      ],
    }),
  );
  engine.cycle(bar(0, 100, 101, 99, 100));
  control.raise('operator', 'operator', 'reducing', 'test');
  // The buy stop would grow the long: cancelled; the sell stop only reduces it: kept.
  assert.deepEqual(
    rec.of('cancel').map((c) => [c.orderId, c.reason]),
    [['SPY-0-1', 'reducing']],
  );
  assert.deepEqual(
    broker.restingOrders('SPY').map((o) => o.orderId),
    ['SPY-0-2'],
  );
  // It fills while REDUCING: 100 → 101 → 97 → 97.5, on 101 → 97 at 98.
  engine.cycle(bar(1, 100, 101, 97, 97.5));
  assert.deepEqual(
    rec.of('fill').map((f) => [f.orderId, f.price, f.position]),
    [
      ['SPY-0-0', 100 * T, 10],
      ['SPY-0-2', 98 * T, 0],
    ],
  );

  const halted = makeLoop(
    scripted({
      0: [
        { side: 'buy', qty: 10 },
        { side: 'sell', qty: 10, orderType: 'stop', stopPrice: 98 * T },
      ],
    }),
  );
  halted.engine.cycle(bar(0, 100, 101, 99, 100));
  halted.control.raise('operator', 'operator', 'halted', 'test');
  assert.deepEqual(
    halted.rec.of('cancel').map((c) => [c.orderId, c.reason]),
    [['SPY-0-1', 'trading_halted']],
  );
  assert.equal(halted.broker.restingCount, 0);
});
