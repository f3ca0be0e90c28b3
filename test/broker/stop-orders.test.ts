/**
 * Stops, stop-limits and trailing stops against hand-written bars, every fill checked to the tick.
 * The bar path (broker/bar-path.ts): open, the extreme nearer the open (a tie: the high), the
 * other extreme, the close. Each comment walks the path by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PaperBroker, type RestingOutcome } from '../../src/broker/paper-broker.ts';
import { makeInstrument } from '../../src/broker/instrument.ts';
import { oneFeeRate } from '../../src/broker/fees.ts';
import { barPath } from '../../src/broker/bar-path.ts';
import { trailStop } from '../../src/broker/matchers.ts';
import { parseBps } from '../../src/domain/money.ts';
import type { Bar, LimitOrder, RestingOrder, Side, StopLimitOrder, StopOrder, TrailingStopOrder } from '../../src/domain/types.ts';

/** Decimal text → ticks, exactly (test-side, for readable fixtures). */
const P = (x: string): number => {
  const [whole, frac = ''] = x.split('.');
  return Number(whole) * 1e8 + Number(frac.padEnd(8, '0'));
};
const instruments = new Map([['SPY', makeInstrument('SPY', '1')!]]);
const admitAll = () => null;

function broker(slip = '0'): PaperBroker {
  return new PaperBroker({ cash: 100_000n * 100_000_000n, fees: oneFeeRate(['SPY'], 0n), slippageBpsE4: parseBps(slip)!, instruments });
}

let nextTime = 0;
function bar(open: string, high: string, low: string, close: string): Bar {
  const openTime = (nextTime += 60_000);
  return {
    symbol: 'SPY',
    interval: '1m',
    openTime,
    closeTime: openTime + 59_999,
    open: P(open),
    high: P(high),
    low: P(low),
    close: P(close),
    volume: 1,
    source: 'csv',
  };
}

const base = (orderId: string, side: Side, qty: number) => ({ orderId, symbol: 'SPY', side, qty, createdAt: 0 });
const stop = (orderId: string, side: Side, qty: number, stopPrice: string): StopOrder => ({
  ...base(orderId, side, qty),
  orderType: 'stop',
  stopPrice: P(stopPrice),
});
const stopLimit = (orderId: string, side: Side, qty: number, stopPrice: string, limitPrice: string): StopLimitOrder => ({
  ...base(orderId, side, qty),
  orderType: 'stop_limit',
  stopPrice: P(stopPrice),
  limitPrice: P(limitPrice),
});
const limit = (orderId: string, side: Side, qty: number, limitPrice: string): LimitOrder => ({
  ...base(orderId, side, qty),
  orderType: 'limit',
  limitPrice: P(limitPrice),
});

/** [orderId, fill price in ticks, position after] per fill, in the order booked. */
function fills(outcomes: readonly RestingOutcome[]): Array<[string, number, number]> {
  return outcomes.map((o) => ('fill' in o ? [o.fill.orderId, o.fill.price, o.fill.positionAfter] : ['cancelled', 0, 0]));
}

function withLong(b: PaperBroker, qty: number, price: string): void {
  b.mark('SPY', P(price));
  b.execute({ ...base('entry', 'buy', qty), orderType: 'market' }, P(price));
}

test('the bar path: open, the nearer extreme (a tie: the high), the other, the close', () => {
  // open 100: the high is 1 away, the low 3: the high first.
  assert.deepEqual(
    barPath(bar('100', '101', '97', '99')).map((p) => p.price),
    [P('100'), P('101'), P('97'), P('99')],
  );
  // open 100: the low is 0.5 away, the high 3: the low first.
  assert.deepEqual(
    barPath(bar('100', '103', '99.5', '102.5')).map((p) => p.price),
    [P('100'), P('99.5'), P('103'), P('102.5')],
  );
  // 2 away each: the high first.
  assert.deepEqual(
    barPath(bar('105', '107', '103', '103.5')).map((p) => p.price),
    [P('105'), P('107'), P('103'), P('103.5')],
  );
});

test('a sell stop hit intrabar fills at the stop', () => {
  const b = broker();
  withLong(b, 10, '100');
  b.rest(stop('s1', 'sell', 10, '98'));
  // A bar that stays above 98 leaves it resting.
  assert.deepEqual(fills(b.matchResting(bar('100', '101', '98.01', '99'), admitAll)), []);
  assert.equal(b.restingOrders('SPY').length, 1);
  // 100 → 101 → 97 → 99: the leg 101 → 97 passes 98, so it fills at 98.
  assert.deepEqual(fills(b.matchResting(bar('100', '101', '97', '99'), admitAll)), [['s1', P('98'), 0]]);
  assert.equal(b.restingOrders('SPY').length, 0);
});

test('a sell stop the open gapped through fills at the open, not at the stop', () => {
  const b = broker();
  withLong(b, 10, '100');
  b.rest(stop('s1', 'sell', 10, '98'));
  // Opens at 96, already under 98: the first price on the path that reaches the stop is 96.
  assert.deepEqual(fills(b.matchResting(bar('96', '97', '95', '96.5'), admitAll)), [['s1', P('96'), 0]]);
});

test('a buy stop triggers at the stop or above and fills as a market order, slippage included', () => {
  const b = broker('10');
  b.mark('SPY', P('100'));
  b.rest(stop('b1', 'buy', 5, '102'));
  // High 101.5 never reaches 102.
  assert.deepEqual(fills(b.matchResting(bar('100', '101.5', '99', '101'), admitAll)), []);
  // 100 → 99.5 → 103 → 102.5 (the low is nearer): the leg 99.5 → 103 passes 102. As a market
  // order it takes liquidity: 102 × (1 + 10 bps) = 102.102.
  assert.deepEqual(fills(b.matchResting(bar('100', '103', '99.5', '102.5'), admitAll)), [['b1', P('102.102'), 5]]);
  // A buy stop touched exactly (high = stop) triggers: at or above.
  const c = broker();
  c.rest(stop('b2', 'buy', 1, '102'));
  assert.deepEqual(fills(c.matchResting(bar('101', '102', '100.5', '101.5'), admitAll)), [['b2', P('102'), 1]]);
});

test('a stop-limit triggered fills its limit later on the same path, without slippage', () => {
  const b = broker('10');
  b.mark('SPY', P('100'));
  b.rest(stopLimit('sl1', 'buy', 3, '102', '101'));
  // 100 → 99.5 → 103 → 100: it triggers at 102 on the way up (102 is not under the limit 101),
  // then the leg 103 → 100 goes under 101: the limit fills at 101, as a limit (no slippage).
  assert.deepEqual(fills(b.matchResting(bar('100', '103', '99.5', '100'), admitAll)), [['sl1', P('101'), 3]]);
  // Triggered at a price already better than the limit: fills there. 100 → 99.5 → 103 → 101: the
  // trigger point 102 is under the limit 102.5.
  const c = broker('10');
  c.rest(stopLimit('sl2', 'buy', 1, '102', '102.5'));
  assert.deepEqual(fills(c.matchResting(bar('100', '103', '99.5', '101'), admitAll)), [['sl2', P('102'), 1]]);
  // Gapped over the stop, the open 102.3 is under the limit 102.5: fills at the open.
  const d = broker();
  d.rest(stopLimit('sl3', 'buy', 1, '102', '102.5'));
  assert.deepEqual(fills(d.matchResting(bar('102.3', '102.4', '102.2', '102.35'), admitAll)), [['sl3', P('102.3'), 1]]);
});

test('a stop-limit triggered whose limit is not reached rests as a limit with the same id, and fills on a later bar', () => {
  const b = broker();
  b.mark('SPY', P('100'));
  b.rest(stopLimit('sl1', 'buy', 2, '102', '101'));
  // 100 → 99.5 → 103 → 102: triggers at 102; what is left (102 → 103 → 102) never goes under 101.
  assert.deepEqual(fills(b.matchResting(bar('100', '103', '99.5', '102'), admitAll)), []);
  assert.deepEqual(b.restingOrders('SPY'), [{ orderId: 'sl1', symbol: 'SPY', side: 'buy', qty: 2, createdAt: 0, orderType: 'limit', limitPrice: P('101') }]);
  assert.ok(Object.isFrozen(b.restingOrders('SPY')[0]));
  // A later bar 101.5 → 102 → 100.5 → 101 (the high is nearer): goes under 101 on 102 → 100.5.
  assert.deepEqual(fills(b.matchResting(bar('101.5', '102', '100.5', '101'), admitAll)), [['sl1', P('101'), 2]]);
});

test('a trailing stop ratchets along three bars, never back, then triggers', () => {
  const b = broker();
  withLong(b, 10, '100');
  // Placed on a bar that closed at 100, 2% behind: the stop starts at 98.
  const placed: TrailingStopOrder = { ...base('t1', 'sell', 10), orderType: 'trailing_stop', trailBps: 200, bestPrice: P('100'), stopPrice: P('98') };
  b.rest(placed);
  const now = (): RestingOrder => b.restingOrders('SPY')[0]!;
  // Bar 1: 101 → 100.5 → 104 → 103 (the low is nearer). The open sets the best to 101 (stop
  // 101 × 0.98 = 98.98); 100.5 stays above it; 104 sets the best to 104 (stop 101.92).
  assert.deepEqual(fills(b.matchResting(bar('101', '104', '100.5', '103'), admitAll)), []);
  assert.deepEqual([(now() as TrailingStopOrder).bestPrice, (now() as TrailingStopOrder).stopPrice], [P('104'), P('101.92')]);
  // Bar 2: 103 → 102.5 → 106 → 105.5: 102.5 > 101.92; 106 makes the stop 103.88.
  assert.deepEqual(fills(b.matchResting(bar('103', '106', '102.5', '105.5'), admitAll)), []);
  assert.equal((now() as TrailingStopOrder).stopPrice, P('103.88'));
  // A bar that stays under the best (105) does not move the stop back: 104 → 104.5 → 104 → 104.2.
  assert.deepEqual(fills(b.matchResting(bar('104', '104.5', '104', '104.2'), admitAll)), []);
  assert.equal((now() as TrailingStopOrder).stopPrice, P('103.88'));
  // Bar 3: 105 → 107 → 103 → 103.5 (a tie: the high first). 107 makes the stop 104.86, then the
  // leg 107 → 103 passes it: fills at 104.86.
  assert.deepEqual(fills(b.matchResting(bar('105', '107', '103', '103.5'), admitAll)), [['t1', P('104.86'), 0]]);
});

test('a buy trailing stop follows the low; the trail rounds away from the price', () => {
  // 333 ticks less 1%: 329.67 → 329 (a sell's stop rounds down); plus 1%: 336.33 → 337 (a buy's up).
  assert.equal(trailStop('sell', 333, 100), 329);
  assert.equal(trailStop('buy', 333, 100), 337);
  const b = broker();
  b.mark('SPY', P('100'));
  b.rest({ ...base('t2', 'buy', 1), orderType: 'trailing_stop', trailBps: 500, bestPrice: P('100'), stopPrice: P('105') });
  // 98 → 97 → 99 → 98.5: the low 97 makes the stop 97 × 1.05 = 101.85; the high 99 stays under it.
  assert.deepEqual(fills(b.matchResting(bar('98', '99', '97', '98.5'), admitAll)), []);
  assert.equal((b.restingOrders('SPY')[0] as TrailingStopOrder).stopPrice, P('101.85'));
  // Gapped over the stop: fills at the open 102.
  assert.deepEqual(fills(b.matchResting(bar('102', '103', '101.9', '102.5'), admitAll)), [['t2', P('102'), 1]]);
});

test('the order of the extremes decides which of two resting orders fills first, not the order they were placed in', () => {
  // Long 10 with a protective sell stop at 98 (placed first) and a take-profit sell limit at 102.
  const setUp = (): PaperBroker => {
    const b = broker();
    withLong(b, 10, '100');
    b.rest(stop('stop', 'sell', 10, '98'));
    b.rest(limit('take', 'sell', 10, '102'));
    return b;
  };
  // 100 → 102.5 → 97 → 99 (the high, 2.5 away, is nearer than the low, 3): the limit fills at
  // 102 on the way up, flat; then the stop at 98 on the way down, short 10.
  assert.deepEqual(fills(setUp().matchResting(bar('100', '102.5', '97', '99'), admitAll)), [
    ['take', P('102'), 0],
    ['stop', P('98'), -10],
  ]);
  // 100 → 97.5 → 103 → 101 (the low, 2.5 away, is nearer): the stop fills first, then the limit.
  assert.deepEqual(fills(setUp().matchResting(bar('100', '103', '97.5', '101'), admitAll)), [
    ['stop', P('98'), 0],
    ['take', P('102'), -10],
  ]);
});

test('a stop the gate refuses at fill time leaves the book as cancelled, with the reason', () => {
  const b = broker();
  withLong(b, 10, '100');
  b.rest(stop('s1', 'sell', 10, '98'));
  const out = b.matchResting(bar('97', '97.5', '96', '97'), () => ({ reason: 'trading_halted' }));
  assert.deepEqual(
    out.map((o) => ('cancelled' in o ? [o.cancelled.orderId, o.refusal.reason] : ['filled'])),
    [['s1', 'trading_halted']],
  );
  assert.equal(b.restingOrders('SPY').length, 0);
  assert.equal(b.position('SPY'), 10);
});

test('resting buys hold cash at the price each can fill at: a stop at its stop, a stop-limit at its limit', () => {
  const b = broker();
  b.rest(stop('a', 'buy', 2, '102'));
  b.rest(stopLimit('c', 'buy', 1, '102', '103'));
  b.rest({ ...base('t', 'buy', 1), orderType: 'trailing_stop', trailBps: 100, bestPrice: P('100'), stopPrice: P('101') });
  // 2 × 102 + 103 + 101 = 408.
  assert.equal(b.restingBuyCost(), BigInt(P('408')));
});

test("the README's worked example, bar by bar", () => {
  const b = broker();
  withLong(b, 2, '100');
  b.rest(stop('fixed', 'sell', 1, '98'));
  b.rest({ ...base('trail', 'sell', 1), orderType: 'trailing_stop', trailBps: 200, bestPrice: P('100'), stopPrice: P('98') });
  assert.deepEqual(fills(b.matchResting(bar('101', '104', '100.5', '103'), admitAll)), []);
  assert.equal((b.restingOrders('SPY')[1] as TrailingStopOrder).stopPrice, P('101.92'));
  assert.deepEqual(fills(b.matchResting(bar('104.5', '106', '101', '105'), admitAll)), [['trail', P('103.88'), 1]]);
  assert.deepEqual(fills(b.matchResting(bar('96', '97', '95', '96.5'), admitAll)), [['fixed', P('96'), 0]]);
});
