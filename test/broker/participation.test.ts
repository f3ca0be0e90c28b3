/**
 * The participation cap and partial fills checked by eye, against tiny hand-written bars: R = 0.1
 * throughout, so a bar of volume V fills at most floor(V / 10) lots of a symbol (lot 1 share), in
 * the order its path reaches the orders (placement order on ties), and what it leaves keeps
 * working. No fee, no slippage: every price below is the bar's open, or a limit's price.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PaperBroker, type RestingOutcome } from '../../src/broker/paper-broker.ts';
import { makeInstrument } from '../../src/broker/instrument.ts';
import { oneFeeRate } from '../../src/broker/fees.ts';
import { BarCaps, capLots, parseParticipation, DEFAULT_PARTICIPATION_E8 } from '../../src/broker/participation.ts';
import type { Bar, LimitOrder, MarketOrder, Side, StopLimitOrder, StopOrder, TrailingStopOrder, WorkingMarketOrder } from '../../src/domain/types.ts';

const T = 100_000_000;
const U = 100_000_000n;
const START_CASH = 100_000n * U;
const instruments = new Map([
  ['SPY', makeInstrument('SPY', '1')!],
  ['BTCUSDT', makeInstrument('BTCUSDT', '0.00001')!],
]);
const admitAll = () => null;

function broker(): PaperBroker {
  return new PaperBroker({
    cash: START_CASH,
    fees: oneFeeRate(['SPY', 'BTCUSDT'], 0n),
    slippageBpsE4: 0n,
    instruments,
    maxParticipationE8: DEFAULT_PARTICIPATION_E8,
  });
}

let clock = 0;
/** A bar at whole-number prices: open, high, low, close, volume. */
function bar(open: number, high: number, low: number, close: number, volume: number): Bar {
  const openTime = (clock += 60_000);
  return {
    symbol: 'SPY',
    interval: '1m',
    openTime,
    closeTime: openTime + 59_999,
    open: open * T,
    high: high * T,
    low: low * T,
    close: close * T,
    volume,
    source: 'csv',
  };
}

const base = (orderId: string, side: Side, qty: number) => ({ orderId, symbol: 'SPY', side, qty, createdAt: 0 });
const working = (orderId: string, side: Side, qty: number, extra: Partial<WorkingMarketOrder> = {}): WorkingMarketOrder => ({
  ...base(orderId, side, qty),
  orderType: 'market',
  refPrice: 100 * T,
  ...extra,
});
const limit = (orderId: string, side: Side, qty: number, price: number, extra: Partial<LimitOrder> = {}): LimitOrder => ({
  ...base(orderId, side, qty),
  orderType: 'limit',
  limitPrice: price * T,
  ...extra,
});

/** Each outcome as a short row: [orderId, lots, price, remaining] for a fill, [orderId, reason] for a cancel. */
function rows(outcomes: ReadonlyArray<RestingOutcome>): unknown[][] {
  return outcomes.map((o) => {
    if ('fill' in o) return [o.fill.orderId, o.fill.qty, o.fill.price / T, o.remaining];
    if ('ended' in o) return [o.ended.orderId, o.reason];
    if ('placed' in o) return [o.placed.orderId, 'placed'];
    return [o.cancelled.orderId, o.refusal.reason];
  });
}

test('capLots: floor(R × volume × lots per unit) from the volume as written, never a float product floored', () => {
  const tenth = DEFAULT_PARTICIPATION_E8;
  assert.equal(capLots(40, tenth, 1n), 4);
  assert.equal(capLots(39, tenth, 1n), 3, 'rounded down: against the trader');
  assert.equal(capLots(0, tenth, 1n), 0, 'a bar with no volume fills nothing');
  assert.equal(capLots(9, tenth, 1n), 0);
  // 0.29 × 100 is 28.999999999999996 as doubles: 29 lots here.
  assert.equal(capLots(100, parseParticipation('0.29')!, 1n), 29);
  // 0.1 × 0.7 BTC in lots of 0.00001: 7000 (0.1 * 0.7 * 1e5 floors to 6999 in floats).
  assert.equal(capLots(0.7, tenth, 100_000n), 7000);
  assert.equal(capLots(1e-7, parseParticipation('1')!, 100_000n), 0, 'less than a lot');
  assert.equal(capLots(0.00012, parseParticipation('1')!, 100_000n), 12);
  assert.equal(capLots(1.5e21, parseParticipation('1')!, 1n), Number.MAX_SAFE_INTEGER, 'bounded to what lots can count exactly');
  assert.equal(capLots(Number.NaN, tenth, 1n), 0);
});

test('BarCaps.left answers the exact cap wherever it may bind, however near the float estimate comes', () => {
  const bar = (volume: number, openTime = 0): Bar => ({
    symbol: 'X',
    interval: '1m',
    openTime,
    closeTime: openTime + 59_999,
    open: 1,
    high: 1,
    low: 1,
    close: 1,
    volume,
    source: 'csv',
  });
  const shares = makeInstrument('X', '1')!;
  const btc = makeInstrument('BTCUSDT', '0.00001')!;
  // 0.29 × 100 is 28.999999999999996 as doubles: the cap is 29, for an order of 29 or more.
  const caps = new BarCaps(parseParticipation('0.29')!);
  assert.equal(caps.left(bar(100), shares, 29), 29);
  assert.equal(caps.left(bar(100), shares, 40), 29);
  caps.take(bar(100), 20);
  assert.equal(caps.left(bar(100), shares, 9), 9, 'what fills before it counts down the same cap');
  assert.equal(caps.left(bar(100), shares, 10), 9);
  // A new bar: a cap of its own. Far below the cap, the order's own size is the answer.
  assert.equal(caps.left(bar(100, 60_000), shares, 5), 5);
  caps.take(bar(100, 60_000), 5);
  assert.equal(caps.left(bar(100, 60_000), shares, 30), 24);
  // 0.1 × 0.7 BTC in lots of 0.00001: 7000, where the float product floors to 6999.
  const tenth = new BarCaps(DEFAULT_PARTICIPATION_E8);
  assert.equal(tenth.left(bar(0.7), btc, 7000), 7000);
  assert.equal(tenth.left(bar(0.7, 60_000), btc, 7001), 7000);
  assert.equal(tenth.left(bar(0, 120_000), btc, 1), 0, 'a bar with no volume fills nothing');
  assert.equal(new BarCaps(null).left(bar(0), shares, 3), Number.MAX_SAFE_INTEGER, 'no cap');
});

test('parseParticipation: a number above 0 and at most 1, up to 8 decimals', () => {
  assert.equal(parseParticipation('0.1'), 10_000_000n);
  assert.equal(parseParticipation('1'), 100_000_000n);
  assert.equal(parseParticipation('.25'), 25_000_000n);
  assert.equal(parseParticipation(' 0.00000001 '), 1n);
  for (const bad of ['0', '0.0', '1.01', '2', '-0.1', '1e-1', '10%', '', '.', 'abc', '0.000000001', '0x1']) assert.equal(parseParticipation(bad), null, bad);
});

test('a market buy of 10 under the cap fills across three bars at their opens; the zero-volume bar between fills nothing', () => {
  const b = broker();
  b.rest(working('m', 'buy', 10));
  // Volume 40: at most 4 lots. The open is 100.
  assert.deepEqual(rows(b.matchResting(bar(100, 101, 99, 100.5, 40), admitAll)), [['m', 4, 100, 6]]);
  assert.equal(b.position('SPY'), 4);
  assert.equal(b.cash, START_CASH - 400n * U);
  // The rest works on, valued as before, with what already filled.
  assert.deepEqual(
    b.restingOrders('SPY').map((o) => [o.orderId, o.orderType, o.qty, o.filledQty]),
    [['m', 'market', 6, 4]],
  );
  assert.equal(b.restingQty('SPY', 'buy'), 6, 'the gate counts the remaining quantity only');
  assert.equal(b.restingBuyCost(), 600n * U, 'and holds cash for it only: 6 × 100');
  // Volume 0: nothing, and the order is untouched.
  assert.deepEqual(rows(b.matchResting(bar(101, 102, 100, 101, 0), admitAll)), []);
  assert.equal(b.restingOrders('SPY')[0]!.qty, 6);
  // Volume 35: 3 lots at the open 102.
  assert.deepEqual(rows(b.matchResting(bar(102, 103, 101, 102, 35), admitAll)), [['m', 3, 102, 3]]);
  // Volume 500: 50 lots allowed, the last 3 fill at 103 and the order is complete.
  assert.deepEqual(rows(b.matchResting(bar(103, 104, 102, 103, 500), admitAll)), [['m', 3, 103, 0]]);
  assert.equal(b.restingCount, 0);
  assert.equal(b.position('SPY'), 10);
  // 4 × 100 + 3 × 102 + 3 × 103 = 1015.
  assert.equal(b.cash, START_CASH - 1015n * U);
});

test('two orders share one bar cap in the order placed; the path order wins over placement', () => {
  const b = broker();
  b.rest(working('a', 'buy', 5));
  b.rest(working('b', 'buy', 5));
  // Volume 70: 7 lots for both. a, placed first, takes 5; b the last 2.
  assert.deepEqual(rows(b.matchResting(bar(100, 101, 99, 100, 70), admitAll)), [
    ['a', 5, 100, 0],
    ['b', 2, 100, 3],
  ]);
  assert.deepEqual(rows(b.matchResting(bar(100, 101, 99, 100, 100), admitAll)), [['b', 3, 100, 0]]);

  // A limit placed before a market order: the path reaches the market order first (the open),
  // the limit later. Open 100, high 100.5 (nearer), low 98, close 99.5: 100 → 100.5 → 98 → 99.5.
  const c = broker();
  c.rest(limit('lim', 'buy', 4, 99));
  c.rest(working('mkt', 'buy', 5));
  // Volume 60: 6 lots. The market order at the open takes 5, the limit (reached on 100.5 → 98) the last 1.
  assert.deepEqual(rows(c.matchResting(bar(100, 100.5, 98, 99.5, 60), admitAll)), [
    ['mkt', 5, 100, 0],
    ['lim', 1, 99, 3],
  ]);
  // Its rest keeps resting as the same limit.
  assert.deepEqual(
    c.restingOrders('SPY').map((o) => [o.orderId, o.orderType, o.qty, o.filledQty]),
    [['lim', 'limit', 3, 1]],
  );
});

test('the cap is per symbol: another symbol bar of the same minute has its own', () => {
  const b = broker();
  b.rest(working('spy', 'buy', 5));
  b.rest({ ...working('btc', 'buy', 50_000), symbol: 'BTCUSDT' });
  const spyBar = bar(100, 101, 99, 100, 30);
  // 0.3 BTC traded: 0.03 BTC allowed, 3000 lots of 0.00001.
  const btcBar: Bar = { ...spyBar, symbol: 'BTCUSDT', volume: 0.3 };
  assert.deepEqual(rows(b.matchResting(spyBar, admitAll)), [['spy', 3, 100, 2]]);
  assert.deepEqual(rows(b.matchResting(btcBar, admitAll)), [['btc', 3000, 100, 47_000]]);
});

test('IOC against the cap: fills what the bar allows, the rest is cancelled; an IOC limit the path misses is cancelled whole', () => {
  const b = broker();
  b.rest(working('ioc', 'buy', 10, { timeInForce: 'IOC' }));
  const out = b.matchResting(bar(100, 101, 99, 100, 40), admitAll);
  assert.deepEqual(rows(out), [
    ['ioc', 4, 100, 6],
    ['ioc', 'ioc'],
  ]);
  assert.match(
    (out[1] as { detail: string }).detail,
    /^IOC: 6 of 10 unfilled after its one chance \(the bar's volume 40 allows 4 under --max-participation 0\.1\), cancelled$/,
  );
  assert.equal(b.restingCount, 0);

  // An IOC limit's one chance is the next bar: the low 99.5 does not go under 99.
  b.rest(limit('miss', 'buy', 2, 99, { timeInForce: 'IOC' }));
  const missed = b.matchResting(bar(100, 101, 99.5, 100, 1000), admitAll);
  assert.deepEqual(rows(missed), [['miss', 'ioc']]);
  assert.match((missed[0] as { detail: string }).detail, /did not trade through its limit 99; 2 unfilled/);

  // On a bar with no volume an IOC market order gets nothing and is gone.
  b.rest(working('dry', 'buy', 3, { timeInForce: 'IOC' }));
  assert.deepEqual(rows(b.matchResting(bar(100, 101, 99, 100, 0), admitAll)), [['dry', 'ioc']]);
  assert.equal(b.position('SPY'), 4);
});

test('FOK against the cap: whole on its one chance or nothing, and nothing taken from the cap', () => {
  const b = broker();
  b.rest(working('big', 'buy', 10, { timeInForce: 'FOK' }));
  b.rest(working('small', 'buy', 4, { timeInForce: 'FOK' }));
  // Volume 40: 4 lots. big cannot fill whole: cancelled, and small (4) still gets all 4.
  const out = b.matchResting(bar(100, 101, 99, 100, 40), admitAll);
  assert.deepEqual(rows(out), [
    ['big', 'fok'],
    ['small', 4, 100, 0],
  ]);
  assert.match(
    (out[0] as { detail: string }).detail,
    /^FOK: 4 of 10 could fill on its one chance: the bar's volume 40 allows 4 under --max-participation 0\.1; none filled$/,
  );
  // A FOK limit whose price the bar does not reach: cancelled, fok, saying the price.
  b.rest(limit('far', 'sell', 1, 110, { timeInForce: 'FOK' }));
  const far = b.matchResting(bar(100, 105, 99, 100, 1000), admitAll);
  assert.deepEqual(rows(far), [['far', 'fok']]);
  assert.match((far[0] as { detail: string }).detail, /^FOK: the bar did not trade through its limit 110/);
});

test('GTD: cancelled, expired, after its bars without completing; a partial fill counts as a bar', () => {
  const b = broker();
  b.rest(limit('gtd', 'buy', 5, 95, { timeInForce: 'GTD', expireAfterBars: 2, barsLeft: 2 }));
  // Bar 1: the low 98 does not reach 95: one bar left.
  assert.deepEqual(rows(b.matchResting(bar(100, 101, 98, 100, 1000), admitAll)), []);
  assert.equal(b.restingOrders('SPY')[0]!.barsLeft, 1);
  // Bar 2: the low 94 goes through 95 (fill at 95), but volume 20 allows 2: 3 left, and its bars have run out.
  const out = b.matchResting(bar(100, 101, 94, 96, 20), admitAll);
  assert.deepEqual(rows(out), [
    ['gtd', 2, 95, 3],
    ['gtd', 'expired'],
  ]);
  assert.match((out[1] as { detail: string }).detail, /^GTD: 2 SPY bar\(s\) passed without completing it; 3 unfilled, cancelled$/);
  assert.equal(b.restingCount, 0);
});

test('reduce-only at fill time: shrunk to the position (the rest cancelled), cancelled whole when flat', () => {
  const b = broker();
  b.execute({ ...base('entry', 'buy', 6), orderType: 'market' }, 100 * T);
  // A reduce-only sell of 10 (the position shrank after it was placed): 6 fill, the 4 left are cancelled.
  b.rest(working('exit', 'sell', 10, { reduceOnly: true }));
  b.rest(working('exit2', 'sell', 3, { reduceOnly: true }));
  const out = b.matchResting(bar(100, 101, 99, 100, 1000), admitAll);
  assert.deepEqual(rows(out), [
    ['exit', 6, 100, 4],
    ['exit', 'reduce_only'],
    ['exit2', 'reduce_only'],
  ]);
  assert.match((out[1] as { detail: string }).detail, /position is closed, 4 left to fill had nothing to reduce/);
  assert.match((out[2] as { detail: string }).detail, /^reduce-only: the SPY position is flat, nothing to reduce \(3 unfilled\)$/);
  assert.equal(b.position('SPY'), 0, 'never flipped short');
  assert.equal(b.restingCount, 0);
});

test('a stop triggered on a capped bar: its rest is a market order from the next open, not a stop waiting again', () => {
  const b = broker();
  b.execute({ ...base('entry', 'buy', 10), orderType: 'market' }, 100 * T);
  const stop: StopOrder = { ...base('stop', 'sell', 10), orderType: 'stop', stopPrice: 98 * T };
  b.rest(stop);
  // Open 99, high 99.5 (nearer than the low 97), then down to 97: the stop triggers at 98 on the way down. Volume 30: 3 lots.
  assert.deepEqual(rows(b.matchResting(bar(99, 99.5, 97, 97.5, 30), admitAll)), [['stop', 3, 98, 7]]);
  const rest = b.restingOrders('SPY')[0]!;
  assert.deepEqual([rest.orderType, rest.qty, rest.filledQty], ['market', 7, 3]);
  // The next bar opens at 99, back above the stop: the rest fills at the open anyway (capped: volume 50, 5 lots).
  assert.deepEqual(rows(b.matchResting(bar(99, 100, 98.5, 99, 50), admitAll)), [['stop', 5, 99, 2]]);

  // A triggered stop-limit's rest is its limit.
  const c = broker();
  const sl: StopLimitOrder = { ...base('sl', 'buy', 6), orderType: 'stop_limit', stopPrice: 101 * T, limitPrice: 102 * T };
  c.rest(sl);
  // Open 100, low 99.5 (nearer), then up to 103: triggers at 101 and fills there (under the limit 102); volume 20: 2.
  assert.deepEqual(rows(c.matchResting(bar(100, 103, 99.5, 100, 20), admitAll)), [['sl', 2, 101, 4]]);
  assert.deepEqual(
    c.restingOrders('SPY').map((o) => [o.orderType, o.qty, o.orderType === 'limit' ? o.limitPrice / T : null]),
    [['limit', 4, 102]],
  );
});

test('--fill-model close: a market order at its own bar close fills what that bar allows, and its rest works from the next open', () => {
  const b = broker();
  const order: MarketOrder = { ...base('close', 'buy', 10), orderType: 'market' };
  const decided = bar(100, 101, 99, 100.5, 30);
  // Volume 30: 3 lots at the close price given (100.5).
  assert.deepEqual(rows(b.fillAtClose(order, 100.5 * T, decided)), [['close', 3, 100.5, 7]]);
  assert.deepEqual(
    b.restingOrders('SPY').map((o) => [o.orderType, o.qty, o.filledQty, o.orderType === 'market' ? o.refPrice / T : null]),
    [['market', 7, 3, 100.5]],
  );
  // A second order on the same bar finds the cap used up: it works whole from the next open.
  assert.deepEqual(rows(b.fillAtClose({ ...order, orderId: 'close2', qty: 2 }, 100.5 * T, decided)), []);
  assert.equal(b.restingQty('SPY', 'buy'), 9);
  // Next bar, volume 100: 10 lots; placement order: close takes 7, close2 its 2.
  assert.deepEqual(rows(b.matchResting(bar(101, 102, 100, 101, 100), admitAll)), [
    ['close', 7, 101, 0],
    ['close2', 2, 101, 0],
  ]);
  // IOC at the close: the rest is cancelled at once, nothing rests.
  const c = broker();
  assert.deepEqual(rows(c.fillAtClose({ ...order, orderId: 'ioc', timeInForce: 'IOC' }, 100 * T, bar(100, 100, 100, 100, 50))), [
    ['ioc', 5, 100, 5],
    ['ioc', 'ioc'],
  ]);
  assert.equal(c.restingCount, 0);
});

test('the gate is asked about the piece about to fill, and a refusal cancels the order', () => {
  const b = broker();
  b.rest(working('m', 'buy', 10));
  const asked: number[] = [];
  const out = b.matchResting(bar(100, 101, 99, 100, 40), (o) => {
    asked.push(o.qty);
    return { reason: 'insufficient_cash', detail: 'costs too much' };
  });
  assert.deepEqual(asked, [4], 'the 4 lots the cap allows, not the 10 ordered');
  assert.deepEqual(rows(out), [['m', 'insufficient_cash']]);
  assert.equal(b.restingCount, 0);
});

test('without a cap (the broker of unit tests about other things) a bar fills whole orders whatever its volume', () => {
  const b = new PaperBroker({ cash: START_CASH, fees: oneFeeRate(['SPY', 'BTCUSDT'], 0n), slippageBpsE4: 0n, instruments });
  b.rest(working('m', 'buy', 10));
  assert.deepEqual(rows(b.matchResting(bar(100, 101, 99, 100, 0), admitAll)), [['m', 10, 100, 0]]);
});

test('IOC and FOK on stops: the stop rests until it triggers; the order it triggers gets the one chance, on its trigger bar', () => {
  const b = broker();
  b.execute({ ...base('entry', 'buy', 10), orderType: 'market' }, 100 * T);
  const ioc: StopOrder = { ...base('ioc', 'sell', 6), orderType: 'stop', stopPrice: 98 * T, timeInForce: 'IOC' };
  const fok: StopOrder = { ...base('fok', 'sell', 4), orderType: 'stop', stopPrice: 97 * T, timeInForce: 'FOK' };
  b.rest(ioc);
  b.rest(fok);
  // A bar that does not reach 98: both stops rest on, untouched (no chance spent).
  assert.deepEqual(rows(b.matchResting(bar(100, 101, 99, 100, 1000), admitAll)), []);
  assert.equal(b.restingCount, 2);
  // 99 → 99.5 → 96 → 96.5, volume 50 (5 lots): the IOC stop triggers at 98 and fills 5, its last lot
  // cancelled; the FOK stop triggers at 97 and finds no lot left of the cap: cancelled whole.
  const out = b.matchResting(bar(99, 99.5, 96, 96.5, 50), admitAll);
  assert.deepEqual(rows(out), [
    ['ioc', 5, 98, 1],
    ['ioc', 'ioc'],
    ['fok', 'fok'],
  ]);
  assert.equal(b.restingCount, 0);

  // An IOC stop-limit that triggers but whose limit the rest of the bar does not reach: cancelled, not left resting as a limit.
  const c = broker();
  const sl: StopLimitOrder = { ...base('sl', 'buy', 2), orderType: 'stop_limit', stopPrice: 101 * T, limitPrice: 100.5 * T, timeInForce: 'IOC' };
  c.rest(sl);
  // 100 → 99.8 → 102 → 101.5: triggers at 101 on the way up; after it the path never goes under 100.5.
  const missed = c.matchResting(bar(100, 102, 99.8, 101.5, 1000), admitAll);
  assert.deepEqual(rows(missed), [['sl', 'ioc']]);
  assert.match((missed[0] as { detail: string }).detail, /did not trade through its limit 100\.5/);
  assert.equal(c.restingCount, 0);
});

test('a trailing stop triggered on a capped bar: its rest is a market order valued at the fill price, the trail gone', () => {
  const b = broker();
  b.execute({ ...base('entry', 'buy', 10), orderType: 'market' }, 100 * T);
  // A sell trailing 200 bps behind a best of 100: its stop is 98.
  const trailing: TrailingStopOrder = { ...base('trail', 'sell', 10), orderType: 'trailing_stop', trailBps: 200, bestPrice: 100 * T, stopPrice: 98 * T };
  b.rest(trailing);
  // 99 → 99.5 → 96 → 96.5: no new best (99.5 < 100), then down through 98. Volume 40: 4 lots at 98.
  assert.deepEqual(rows(b.matchResting(bar(99, 99.5, 96, 96.5, 40), admitAll)), [['trail', 4, 98, 6]]);
  const rest = b.restingOrders('SPY')[0]!;
  assert.deepEqual(
    [rest.orderType, rest.qty, rest.filledQty, rest.orderType === 'market' ? rest.refPrice / T : null, 'trailBps' in rest, 'stopPrice' in rest],
    ['market', 6, 4, 98, false, false],
  );
});

test("a bracket's stop-loss triggered on a capped bar: its rest is a reduce-only market order, never opening a position", () => {
  const b = broker();
  b.execute({ ...base('entry', 'buy', 10), orderType: 'market' }, 100 * T);
  const sl: StopOrder = { ...base('entry-sl', 'sell', 10), orderType: 'stop', stopPrice: 98 * T, parentId: 'entry', ocoWith: 'entry-tp' };
  b.rest(sl);
  // 99 → 99.5 → 96 → 96.5, volume 30: 3 lots at 98, 7 left.
  assert.deepEqual(rows(b.matchResting(bar(99, 99.5, 96, 96.5, 30), admitAll)), [['entry-sl', 3, 98, 7]]);
  const rest = b.restingOrders('SPY')[0]!;
  assert.deepEqual([rest.orderType, rest.qty, rest.reduceOnly], ['market', 7, true]);
  // The position is closed some other way meanwhile (a sell of the 7 left): the rest finds nothing to reduce.
  b.execute({ ...base('other', 'sell', 7), orderType: 'market' }, 97 * T);
  assert.deepEqual(rows(b.matchResting(bar(97, 98, 96, 97, 1000), admitAll)), [['entry-sl', 'reduce_only']]);
  assert.equal(b.position('SPY'), 0);
});

test('an order waiting for the first live bar spends neither its IOC chance nor a GTD bar on a backfilled bar', () => {
  const b = broker();
  b.rest(limit('ioc', 'buy', 2, 99, { timeInForce: 'IOC', waitsForLive: true }));
  b.rest(limit('gtd', 'buy', 2, 90, { timeInForce: 'GTD', expireAfterBars: 1, barsLeft: 1, waitsForLive: true }));
  const backfilled: Bar = { ...bar(100, 101, 98, 100, 1000), source: 'rest-backfill' };
  assert.deepEqual(rows(b.matchResting(backfilled, admitAll)), [], 'the low 98 went through 99, but that market was gone');
  assert.deepEqual(
    b.restingOrders('SPY').map((o) => [o.orderId, o.barsLeft]),
    [
      ['ioc', undefined],
      ['gtd', 1],
    ],
  );
  // The first live bar: the IOC's chance (its limit reached: it fills), the GTD's one bar (not reached: expired).
  assert.deepEqual(rows(b.matchResting(bar(100, 101, 98, 100, 1000), admitAll)), [
    ['ioc', 2, 99, 0],
    ['gtd', 'expired'],
  ]);
});
