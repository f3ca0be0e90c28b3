/**
 * Brackets checked by eye against hand-written bars, every fill to the tick: a market or limit
 * entry carrying takeProfit/stopLoss arms its two exits once it fills (ids <entryId>-tp and
 * <entryId>-sl, each an order event linked by parentId/ocoWith); the bar path decides which exit
 * fills, and the other is cancelled `oco` in the same cycle. Next-open fills unless said (the
 * entry at the next bar's open, its exits matched on the rest of that bar's path).
 *
 * The bar path (broker/bar-path.ts): the open, the extreme nearer the open (a tie: the high),
 * the other extreme, the close. Each comment walks it by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLoop, ohlcBar, T, U } from '../helpers/loop.ts';
import type { Bar, FillModel } from '../../src/domain/types.ts';
import type { OrderUpdate, Strategy } from '../../src/strategy/strategy.ts';

function bar(i: number, open: number, high: number, low: number, close: number, symbol = 'SPY'): Bar {
  return ohlcBar(i, open, high, low, close, { symbol });
}

const FLAT = (i: number): Bar => bar(i, 100, 100.5, 99.5, 100);
const BUY_BRACKET = { side: 'buy', qty: 10, takeProfit: 105 * T, stopLoss: 95 * T };

interface Seen {
  readonly minute: number;
  readonly position: number;
  readonly updates: readonly OrderUpdate[];
  readonly open: ReadonlyArray<readonly [string, number]>;
}

/** A scripted strategy (intents by bar minute) that records what it saw at each bar. */
function recording(plan: Record<number, unknown[]>): { strategy: Strategy; seen: Seen[] } {
  const seen: Seen[] = [];
  const strategy: Strategy = {
    name: 'scripted',
    warmup: 0,
    onBar(b, ctx) {
      const minute = b.openTime / 60_000;
      seen.push({ minute, position: ctx.position, updates: ctx.updates, open: ctx.openOrders.map((o) => [o.orderId, o.qty] as const) });
      return (plan[minute] ?? []) as [];
    },
  };
  return { strategy, seen };
}

function loop(plan: Record<number, unknown[]>, o: { fillModel?: FillModel; slippageBpsE4?: bigint } = {}) {
  const { strategy, seen } = recording(plan);
  return { ...makeLoop(strategy, { fillModel: o.fillModel ?? 'next-open', slippageBpsE4: o.slippageBpsE4 ?? 0n }), seen };
}

/** The trading events after the bar events, as [type, orderId, detail…] per line. */
function trail(events: ReadonlyArray<{ type: string }>): unknown[][] {
  const out: unknown[][] = [];
  for (const e of events as Array<Record<string, unknown> & { type: string }>) {
    if (e.type === 'bar') out.push(['bar', (e.openTime as number) / 60_000]);
    if (e.type === 'fill') out.push(['fill', e.orderId, e.price, e.position]);
    if (e.type === 'order') out.push(['order', e.orderId, e.side, e.orderType, e.qty]);
    if (e.type === 'cancel') out.push(['cancel', e.orderId, e.reason, e.detail]);
    if (e.type === 'reject') out.push(['reject', e.reason]);
  }
  return out;
}

test('a market bracket whose take-profit fills: exits armed at the entry fill, the stop-loss cancelled oco, the strategy told each step', () => {
  const { rec, engine, broker, seen } = loop({ 0: [BUY_BRACKET] });
  engine.cycle(FLAT(0));
  // Bar 1 opens 100.5: the entry fills there. Path 100.5 → 99 (1.5 away, nearer) → 103 → 102: neither 105 nor 95.
  engine.cycle(bar(1, 100.5, 103, 99, 102));
  // Bar 2: 103 → 102.5 (nearer) → 106 → 105.5: on 102.5 → 106 the path goes over 105: the take-profit fills at 105.
  engine.cycle(bar(2, 103, 106, 102.5, 105.5));
  assert.deepEqual(trail(rec.events), [
    ['bar', 0],
    ['order', 'SPY-0-0', 'buy', 'market', 10],
    ['bar', 1],
    ['fill', 'SPY-0-0', 100.5 * T, 10],
    ['order', 'SPY-0-0-tp', 'sell', 'limit', 10],
    ['order', 'SPY-0-0-sl', 'sell', 'stop', 10],
    ['bar', 2],
    ['fill', 'SPY-0-0-tp', 105 * T, 0],
    ['cancel', 'SPY-0-0-sl', 'oco', 'one-cancels-other: SPY-0-0-tp filled'],
  ]);
  // The order events carry the bracket: the entry its prices, each exit its entry and its sibling.
  const [entry, tp, sl] = rec.of('order').map(({ type: _t, symbol: _s, ...rest }) => rest);
  assert.deepEqual(entry, { orderId: 'SPY-0-0', openTime: 0, side: 'buy', orderType: 'market', qty: 10, takeProfit: 105 * T, stopLoss: 95 * T });
  assert.deepEqual(tp, {
    orderId: 'SPY-0-0-tp',
    openTime: 60_000,
    side: 'sell',
    orderType: 'limit',
    qty: 10,
    limitPrice: 105 * T,
    parentId: 'SPY-0-0',
    ocoWith: 'SPY-0-0-sl',
  });
  assert.deepEqual(sl, {
    orderId: 'SPY-0-0-sl',
    openTime: 60_000,
    side: 'sell',
    orderType: 'stop',
    qty: 10,
    stopPrice: 95 * T,
    parentId: 'SPY-0-0',
    ocoWith: 'SPY-0-0-tp',
  });
  // 10 × (105 − 100.5) = 45 realized, nothing left on the book.
  assert.equal(broker.realized, 45n * U);
  assert.equal(broker.restingCount, 0);
  // What the strategy saw: on bar 1 the entry's fill and its exits (orders it did not place, so it
  // learns their ids here) resting for 10; on bar 2 the take-profit's fill and the oco cancel.
  assert.deepEqual(seen[1]!.open, [
    ['SPY-0-0-tp', 10],
    ['SPY-0-0-sl', 10],
  ]);
  assert.deepEqual(
    seen[1]!.updates.map((u) => [u.type, u.orderId]),
    [
      ['fill', 'SPY-0-0'],
      ['order', 'SPY-0-0-tp'],
      ['order', 'SPY-0-0-sl'],
    ],
  );
  assert.deepEqual(seen[1]!.updates[1], {
    type: 'order',
    orderId: 'SPY-0-0-tp',
    side: 'sell',
    orderType: 'limit',
    qty: 10,
    limitPrice: 105 * T,
    parentId: 'SPY-0-0',
    ocoWith: 'SPY-0-0-sl',
  });
  assert.deepEqual(seen[2]!.updates, [
    { type: 'fill', orderId: 'SPY-0-0-tp', side: 'sell', qty: 10, price: 105 * T, fee: 0n, realizedPnl: 45n * U, position: 0, remaining: 0 },
    { type: 'cancel', orderId: 'SPY-0-0-sl', reason: 'oco', detail: 'one-cancels-other: SPY-0-0-tp filled' },
  ]);
  assert.deepEqual(seen[2]!.open, []);
});

test('a stop-loss the open gaps past fills at the open less slippage; the take-profit is cancelled oco', () => {
  // 10 bps slippage: the entry pays 100 × 1.001 = 100.1; the stop, a market order once triggered, gets 93 × 0.999 = 92.907.
  const { rec, engine, broker } = loop({ 0: [BUY_BRACKET] }, { slippageBpsE4: 100_000n });
  engine.cycle(FLAT(0));
  // Bar 1: 100 → 99.5 → 101 → 100.5: the exits rest.
  engine.cycle(bar(1, 100, 101, 99.5, 100.5));
  // Bar 2 opens at 93, already under the stop 95: it fills at the open, not at 95.
  engine.cycle(bar(2, 93, 94, 92, 93.5));
  assert.deepEqual(trail(rec.events).slice(3), [
    ['fill', 'SPY-0-0', 10_010_000_000, 10],
    ['order', 'SPY-0-0-tp', 'sell', 'limit', 10],
    ['order', 'SPY-0-0-sl', 'sell', 'stop', 10],
    ['bar', 2],
    ['fill', 'SPY-0-0-sl', 9_290_700_000, 0],
    ['cancel', 'SPY-0-0-tp', 'oco', 'one-cancels-other: SPY-0-0-sl filled'],
  ]);
  // 10 × (92.907 − 100.1) = −71.93.
  assert.equal(broker.realized, -7_193_000_000n);
  assert.equal(broker.restingCount, 0);
});

test('both exits inside one bar: the path order decides which fills, the other is cancelled oco in the same cycle', () => {
  const run = (bar2: Bar) => {
    const { rec, engine, broker } = loop({ 0: [BUY_BRACKET] });
    engine.cycle(FLAT(0));
    engine.cycle(FLAT(1)); // the entry fills at 100
    engine.cycle(bar2);
    return { cycle2: trail(rec.events).slice(6), position: broker.position('SPY'), realized: broker.realized, resting: broker.restingCount };
  };
  // Open 100, high 106 and low 94 both 6 away: a tie takes the high first, 100 → 106 → 94 → 100: the take-profit at 105.
  assert.deepEqual(run(bar(2, 100, 106, 94, 100)), {
    cycle2: [
      ['bar', 2],
      ['fill', 'SPY-0-0-tp', 105 * T, 0],
      ['cancel', 'SPY-0-0-sl', 'oco', 'one-cancels-other: SPY-0-0-tp filled'],
    ],
    position: 0,
    realized: 50n * U,
    resting: 0,
  });
  // Open 99: the low (5 away) is nearer than the high (7), 99 → 94 → 106 → 100: the stop-loss at 95.
  assert.deepEqual(run(bar(2, 99, 106, 94, 100)), {
    cycle2: [
      ['bar', 2],
      ['fill', 'SPY-0-0-sl', 95 * T, 0],
      ['cancel', 'SPY-0-0-tp', 'oco', 'one-cancels-other: SPY-0-0-sl filled'],
    ],
    position: 0,
    realized: -50n * U,
    resting: 0,
  });
});

test('the exits match on the rest of the bar the entry filled in (next-open), and from the next bar with --fill-model close', () => {
  // A market entry at bar 1's open 100; 100 → 100.5 (nearer) → 94 → 96: on 100.5 → 94 the stop-loss fills at 95, the same bar.
  const market = loop({ 0: [BUY_BRACKET] });
  market.engine.cycle(FLAT(0));
  market.engine.cycle(bar(1, 100, 100.5, 94, 96));
  assert.deepEqual(trail(market.rec.events).slice(2), [
    ['bar', 1],
    ['fill', 'SPY-0-0', 100 * T, 10],
    ['order', 'SPY-0-0-tp', 'sell', 'limit', 10],
    ['order', 'SPY-0-0-sl', 'sell', 'stop', 10],
    ['fill', 'SPY-0-0-sl', 95 * T, 0],
    ['cancel', 'SPY-0-0-tp', 'oco', 'one-cancels-other: SPY-0-0-sl filled'],
  ]);

  // A limit entry at 98 (its bracket checked against the limit: 104 > 98 > 95). Bar 1: 100 → 97
  // (nearer) → 105 → 104.5: the path goes under 98 on the way down (the entry fills at 98), then
  // from there, 98 → 97 → 105, over 104: the take-profit fills in the same bar.
  const limit = loop({ 0: [{ side: 'buy', qty: 10, orderType: 'limit', limitPrice: 98 * T, takeProfit: 104 * T, stopLoss: 95 * T }] });
  limit.engine.cycle(FLAT(0));
  limit.engine.cycle(bar(1, 100, 105, 97, 104.5));
  assert.deepEqual(trail(limit.rec.events).slice(2), [
    ['bar', 1],
    ['fill', 'SPY-0-0', 98 * T, 10],
    ['order', 'SPY-0-0-tp', 'sell', 'limit', 10],
    ['order', 'SPY-0-0-sl', 'sell', 'stop', 10],
    ['fill', 'SPY-0-0-tp', 104 * T, 0],
    ['cancel', 'SPY-0-0-sl', 'oco', 'one-cancels-other: SPY-0-0-tp filled'],
  ]);
  assert.equal(limit.broker.realized, 60n * U);

  // Close: the entry fills at bar 0's close in bar 0's cycle, where its exits are armed; bar 0's
  // path is over, so they match from bar 1: 100 → 99 (nearer) → 106 → 105, the take-profit at 105.
  const close = loop({ 0: [BUY_BRACKET] }, { fillModel: 'close' });
  close.engine.cycle(FLAT(0));
  close.engine.cycle(bar(1, 100, 106, 99, 105));
  assert.deepEqual(trail(close.rec.events), [
    ['bar', 0],
    ['order', 'SPY-0-0', 'buy', 'market', 10],
    ['fill', 'SPY-0-0', 100 * T, 10],
    ['order', 'SPY-0-0-tp', 'sell', 'limit', 10],
    ['order', 'SPY-0-0-sl', 'sell', 'stop', 10],
    ['bar', 1],
    ['fill', 'SPY-0-0-tp', 105 * T, 0],
    ['cancel', 'SPY-0-0-sl', 'oco', 'one-cancels-other: SPY-0-0-tp filled'],
  ]);
  assert.equal(close.rec.of('order')[1]!.openTime, 0);
});

test('a limit-entry bracket that never fills arms no exits; cancelled, it leaves nothing', () => {
  const { rec, engine, broker, seen } = loop({
    0: [{ side: 'buy', qty: 10, orderType: 'limit', limitPrice: 98 * T, takeProfit: 104 * T, stopLoss: 95 * T }],
    3: [{ cancel: 'SPY-0-0' }],
  });
  engine.cycle(FLAT(0));
  // Lows of 98 touch the limit but never go under it: no fill (a touch is not enough).
  engine.cycle(bar(1, 100, 101, 98, 99));
  engine.cycle(bar(2, 99, 100, 98, 98.5));
  assert.equal(broker.restingQty('SPY', 'sell'), 0);
  engine.cycle(bar(3, 99, 99.5, 98, 99));
  engine.cycle(bar(4, 99, 99.5, 90, 91));
  assert.deepEqual(trail(rec.events), [
    ['bar', 0],
    ['order', 'SPY-0-0', 'buy', 'limit', 10],
    ['bar', 1],
    ['bar', 2],
    ['bar', 3],
    ['cancel', 'SPY-0-0', 'strategy', 'cancelled by the strategy'],
    ['bar', 4],
  ]);
  // While it rested, the strategy saw the entry alone, carrying its bracket.
  assert.deepEqual(seen[2]!.open, [['SPY-0-0', 10]]);
  assert.equal(broker.position('SPY'), 0);
  assert.equal(broker.restingCount, 0);
});

test('a strategy cancelling one exit cancels the other (oco); the position stays, unprotected', () => {
  const { rec, engine, broker } = loop({ 0: [BUY_BRACKET], 1: [{ cancel: 'SPY-0-0-sl' }] });
  engine.cycle(FLAT(0));
  engine.cycle(FLAT(1));
  // Bar 2 goes through both 105 and 95: nothing fills, nothing rests.
  engine.cycle(bar(2, 100, 106, 94, 100));
  assert.deepEqual(trail(rec.events).slice(3), [
    ['fill', 'SPY-0-0', 100 * T, 10],
    ['order', 'SPY-0-0-tp', 'sell', 'limit', 10],
    ['order', 'SPY-0-0-sl', 'sell', 'stop', 10],
    ['cancel', 'SPY-0-0-sl', 'strategy', 'cancelled by the strategy'],
    ['cancel', 'SPY-0-0-tp', 'oco', 'one-cancels-other: SPY-0-0-sl was cancelled'],
    ['bar', 2],
  ]);
  assert.equal(broker.position('SPY'), 10);
  assert.equal(broker.restingCount, 0);
});

test('a position the strategy closes with market orders shrinks its exits, then cancels them: the exits open no position', () => {
  const { rec, engine, broker, seen } = loop({ 0: [BUY_BRACKET], 1: [{ side: 'sell', qty: 4 }], 2: [{ side: 'sell', qty: 6 }] });
  engine.cycle(FLAT(0));
  engine.cycle(FLAT(1)); // the entry fills at 100, the exits rest for 10
  // Bar 2 opens at 101: the sell of 4 fills there (position 6) and the exits follow it down to 6.
  engine.cycle(bar(2, 101, 101.5, 100.5, 101));
  assert.deepEqual(seen[2]!.open, [
    ['SPY-0-0-tp', 6],
    ['SPY-0-0-sl', 6],
  ]);
  // The pair counts once beside the sell of 6 decided on bar 2, working until bar 3's open: 6 + 6.
  assert.equal(broker.restingQty('SPY', 'sell'), 12);
  // Bar 3 opens at 100 and runs through 106 and 94: the sell of 6 fills at the open (flat), the
  // exits leave before the path reaches either, and the position stays flat.
  engine.cycle(bar(3, 100, 106, 94, 100));
  engine.cycle(bar(4, 100, 106, 94, 100));
  assert.deepEqual(trail(rec.events).slice(6), [
    ['order', 'SPY-60000-0', 'sell', 'market', 4],
    ['bar', 2],
    ['fill', 'SPY-60000-0', 101 * T, 6],
    ['order', 'SPY-120000-0', 'sell', 'market', 6],
    ['bar', 3],
    ['fill', 'SPY-120000-0', 100 * T, 0],
    ['cancel', 'SPY-0-0-tp', 'oco', 'the SPY position it protected is closed: an exit never opens one'],
    ['cancel', 'SPY-0-0-sl', 'oco', 'the SPY position it protected is closed: an exit never opens one'],
    ['bar', 4],
  ]);
  assert.equal(broker.position('SPY'), 0);
  assert.deepEqual(
    seen.map((s) => s.position),
    [0, 10, 6, 0, 0],
  );
});

test('the gate counts an OCO pair once: its cash hold is the dearer leg, not both', () => {
  // Close fills, 10 000 cash. SPY sells 10 short at 100 (cash 11 000) with a bracket: a buy limit
  // at 90 (holds 900) and a buy stop at 110 (holds 1 100). QQQ then asks for 95 at 100 (9 500):
  // 9 500 + 1 100 = 10 600 fits in 11 000; 9 500 + 2 000 would not.
  const limits = { maxPositionNotional: 20_000n * U, maxGrossExposure: 100_000n * U };
  const qqqBuy = { side: 'buy', qty: 95, orderType: 'limit', limitPrice: 100 * T };
  const run = (spy: unknown[]) => {
    const plan: Strategy = {
      name: 'scripted',
      warmup: 0,
      onBar: (b) => (b.symbol === 'SPY' ? spy : [qqqBuy]) as [],
    };
    const l = makeLoop(plan, { fillModel: 'close', symbols: ['SPY', 'QQQ'], limits });
    l.engine.cycle(FLAT(0));
    l.engine.cycle({ ...FLAT(0), symbol: 'QQQ' });
    return l;
  };
  const bracket = run([{ side: 'sell', qty: 10, takeProfit: 90 * T, stopLoss: 110 * T }]);
  assert.equal(bracket.broker.cash, 11_000n * U);
  assert.equal(bracket.broker.restingQty('SPY', 'buy'), 10);
  assert.deepEqual(bracket.rec.of('reject'), []);
  assert.deepEqual(
    bracket.rec.of('order').map((o) => o.orderId),
    ['SPY-0-0', 'SPY-0-0-tp', 'SPY-0-0-sl', 'QQQ-0-0'],
  );
  // The same two buys as plain orders (no link) both count: the QQQ order no longer fits.
  const plain = run([
    { side: 'sell', qty: 10 },
    { side: 'buy', qty: 10, orderType: 'limit', limitPrice: 90 * T },
    { side: 'buy', qty: 10, orderType: 'stop', stopPrice: 110 * T },
  ]);
  assert.equal(plain.broker.restingQty('SPY', 'buy'), 20);
  assert.deepEqual(
    plain.rec.of('reject').map((r) => [r.orderId, r.reason, r.detail]),
    [['QQQ-0-0', 'insufficient_cash', 'costs 9500 with fees plus 2000 held for resting buys, cash is 11000']],
  );
});

test('REDUCING from a loss limit keeps a bracket’s exits (the stop-loss then fills); HALTED keeps them too and cancels a plain stop', () => {
  // Drawdown limit 0.5 %, severity reducing. Long 10 at 100; bar 2 closes at 94.5: equity 9 945,
  // 0.55 % down: REDUCING. Neither exit would grow the position, so both stay.
  const reducing = makeLoop(recording({ 0: [{ side: 'buy', qty: 10, takeProfit: 110 * T, stopLoss: 85 * T }] }).strategy, {
    fillModel: 'next-open',
    loss: { maxDrawdownPctE4: 5_000n },
    lossSeverity: 'reducing',
  });
  reducing.engine.cycle(FLAT(0));
  reducing.engine.cycle(FLAT(1));
  reducing.engine.cycle(bar(2, 99, 99.5, 94, 94.5));
  assert.equal(reducing.control.state, 'REDUCING');
  assert.deepEqual(reducing.rec.of('cancel'), []);
  // Bar 3: 94 → 94.5 (nearer) → 84 → 85: the stop-loss fills at 85 while REDUCING; the take-profit leaves oco.
  reducing.engine.cycle(bar(3, 94, 94.5, 84, 85));
  assert.deepEqual(trail(reducing.rec.events).slice(-2), [
    ['fill', 'SPY-0-0-sl', 85 * T, 0],
    ['cancel', 'SPY-0-0-tp', 'oco', 'one-cancels-other: SPY-0-0-sl filled'],
  ]);

  // HALTED: the plain stop goes (as before), the exits stay and the stop-loss fills through the halt.
  const halted = loop({ 0: [BUY_BRACKET, { side: 'sell', qty: 5, orderType: 'stop', stopPrice: 90 * T }] });
  halted.engine.cycle(FLAT(0));
  halted.engine.cycle(FLAT(1));
  halted.control.raise('operator', 'operator', 'halted', 'test');
  assert.deepEqual(
    halted.rec.of('cancel').map((c) => [c.orderId, c.reason]),
    [['SPY-0-1', 'trading_halted']],
  );
  assert.deepEqual(
    halted.broker.restingOrders('SPY').map((o) => o.orderId),
    ['SPY-0-0-tp', 'SPY-0-0-sl'],
  );
  // Bar 2: 96 → 96.5 (nearer) → 94 → 94.5: the stop-loss fills at 95 though trading is HALTED.
  halted.engine.cycle(bar(2, 96, 96.5, 94, 94.5));
  assert.equal(halted.control.state, 'HALTED');
  assert.deepEqual(trail(halted.rec.events).slice(-2), [
    ['fill', 'SPY-0-0-sl', 95 * T, 0],
    ['cancel', 'SPY-0-0-tp', 'oco', 'one-cancels-other: SPY-0-0-sl filled'],
  ]);
});

test('bracket refusals name the field and the prices', () => {
  const cases: Array<[unknown, string, string]> = [
    [{ side: 'buy', qty: 1, takeProfit: 105 * T }, 'invalid_order', 'a bracket needs both takeProfit and stopLoss: got takeProfit 10500000000 and no stopLoss'],
    [{ side: 'buy', qty: 1, stopLoss: 95 * T }, 'invalid_order', 'a bracket needs both takeProfit and stopLoss: got stopLoss 9500000000 and no takeProfit'],
    [
      { side: 'sell', qty: 1, orderType: 'stop', stopPrice: 95 * T, takeProfit: 90 * T, stopLoss: 97 * T },
      'invalid_order',
      'takeProfit and stopLoss make a bracket on a market or limit entry, not on a stop order',
    ],
    [
      { side: 'buy', qty: 1, takeProfit: '105', stopLoss: 95 * T },
      'invalid_limit_price',
      `a bracket's takeProfit must be a positive integer price in ticks, got "105" (a string)`,
    ],
    [
      { side: 'buy', qty: 1, takeProfit: 105 * T, stopLoss: 95.5 },
      'invalid_stop_price',
      `a bracket's stopLoss must be a positive integer price in ticks, got 95.5`,
    ],
    [
      { side: 'buy', qty: 1, takeProfit: 99 * T, stopLoss: 95 * T },
      'invalid_order',
      'a buy bracket needs takeProfit above the close 100 and stopLoss below it, got takeProfit 99 and stopLoss 95',
    ],
    [
      { side: 'buy', qty: 1, takeProfit: 105 * T, stopLoss: 100 * T },
      'invalid_order',
      'a buy bracket needs takeProfit above the close 100 and stopLoss below it, got takeProfit 105 and stopLoss 100',
    ],
    [
      { side: 'sell', qty: 1, takeProfit: 105 * T, stopLoss: 95 * T },
      'invalid_order',
      'a sell bracket needs stopLoss above the close 100 and takeProfit below it, got takeProfit 105 and stopLoss 95',
    ],
    [
      { side: 'buy', qty: 1, orderType: 'limit', limitPrice: 98 * T, takeProfit: 104 * T, stopLoss: 99 * T },
      'invalid_order',
      'a buy bracket needs takeProfit above the limit 98 and stopLoss below it, got takeProfit 104 and stopLoss 99',
    ],
  ];
  for (const [intent, reason, detail] of cases) {
    const { rec, engine, broker } = loop({ 0: [intent] });
    engine.cycle(FLAT(0));
    assert.deepEqual(
      rec.of('reject').map((r) => [r.reason, r.detail]),
      [[reason, detail]],
      JSON.stringify(intent),
    );
    assert.equal(broker.restingCount, 0);
  }
  // The price band holds the exit prices too: 5 % around the close 100.
  const band = makeLoop(recording({ 0: [{ side: 'buy', qty: 1, takeProfit: 106 * T, stopLoss: 96 * T }] }).strategy, {
    limits: { priceBandPctE4: 50_000n },
  });
  band.engine.cycle(FLAT(0));
  assert.deepEqual(
    band.rec.of('reject').map((r) => [r.reason, r.detail]),
    [['price_band', 'takeProfit 106 is 6% from the last close 100 (limit --price-band-pct 5)']],
  );
});
