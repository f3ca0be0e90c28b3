/**
 * FillCosts by hand: the decision close an order is held to, rounding against the trader on
 * fractional lots, the order forgotten once filled or cancelled, and the run's figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BarStats } from '../../src/stats/bar-stats.ts';
import { FillCosts } from '../../src/stats/fill-costs.ts';
import type { FillEvent, OrderEvent } from '../../src/events/types.ts';

const T = 100_000_000;

function order(orderId: string, openTime: number, qty: number, extra: Partial<OrderEvent> = {}): OrderEvent {
  return { type: 'order', orderId, symbol: 'BTC', openTime, side: 'buy', orderType: 'market', qty, ...extra } as OrderEvent;
}

function fill(orderId: string, side: 'buy' | 'sell', qty: number, price: number, openTime = 120_000): FillEvent {
  return { type: 'fill', orderId, symbol: 'BTC', openTime, side, qty, price, fee: 0n, realizedPnl: 0n, cash: 0n, position: 0 };
}

function setup(): { bars: BarStats; costs: FillCosts } {
  const bars = new BarStats();
  bars.begin(10_000, 1, 60_000, true);
  // BTC trades lots of 0.00001 (5 decimals).
  return {
    bars,
    costs: new FillCosts(
      (s, t) => bars.closeAt(s, t),
      () => 5,
    ),
  };
}

test('an order is held to the close of the bar that decided it, also when it is placed a bar later', () => {
  const { bars, costs } = setup();
  bars.bar('BTC', 0, 100 * T);
  bars.bar('BTC', 60_000, 110 * T);
  // Decided on bar 0 but placed in bar 1's cycle (an exit armed by a fill): bar 0's close.
  costs.order(order('late', 0, 100_000, { side: 'sell', orderType: 'limit', limitPrice: 105 * T } as Partial<OrderEvent>));
  costs.order(order('now', 60_000, 100_000));
  // 100 000 lots = 1 BTC. The sell at 105 against 100 gained 5: −5; the buy at 111 against 110 cost 1.
  assert.deepEqual(costs.fill(fill('late', 'sell', 100_000, 105 * T)), { orderType: 'limit', by: 'strategy', slippage: -5n * BigInt(T) });
  assert.deepEqual(costs.fill(fill('now', 'buy', 100_000, 111 * T)), { orderType: 'market', by: 'strategy', slippage: 1n * BigInt(T) });
  assert.deepEqual(costs.figures(), { cost: '-4', tradedNotional: '216', bps: -185.1852 });
});

test('a fraction of a unit rounds against the trader: a cost up, an improvement toward zero', () => {
  const { bars, costs } = setup();
  bars.bar('BTC', 0, 100 * T);
  for (const id of ['a', 'b', 'c']) costs.order(order(id, 0, 3));
  // 3 lots = 0.00003 BTC, one tick (0.00000001) off the close: 3e-13 of a unit, below the 1e-8 the money has.
  assert.equal(costs.fill(fill('a', 'buy', 3, 100 * T + 1)).slippage, 1n, 'a buy one tick over: rounded up to 0.00000001');
  assert.equal(costs.fill(fill('b', 'buy', 3, 100 * T - 1)).slippage, 0n, 'a buy one tick under: the improvement rounds to 0');
  assert.equal(costs.fill(fill('c', 'sell', 3, 100 * T - 1)).slippage, 1n, 'a sell one tick under: a cost');
});

test('an operator order says so; a filled or cancelled order is forgotten (a fill for it again is unknown)', () => {
  const { bars, costs } = setup();
  bars.bar('BTC', 0, 100 * T);
  costs.order(order('op', 0, 10, { side: 'sell', sentBy: 'operator' } as Partial<OrderEvent>));
  costs.order(order('part', 0, 10));
  costs.order(order('gone', 0, 10));
  assert.equal(costs.fill(fill('op', 'sell', 10, 100 * T)).by, 'operator');
  assert.equal(costs.fill(fill('part', 'buy', 4, 100 * T)).orderType, 'market');
  assert.equal(costs.fill(fill('part', 'buy', 6, 100 * T)).orderType, 'market', 'a partly filled order is kept until filled');
  assert.equal(costs.fill(fill('part', 'buy', 1, 100 * T)).orderType, 'unknown');
  costs.cancel('gone');
  const unknown = costs.fill(fill('gone', 'buy', 10, 101 * T));
  // Against the newest close, as the last resort: 1 × 10 lots of 0.00001.
  assert.deepEqual(unknown, { orderType: 'unknown', by: 'strategy', slippage: 10_000n });
  assert.equal(costs.figures('ETH').bps, null, 'a symbol without fills');
});
