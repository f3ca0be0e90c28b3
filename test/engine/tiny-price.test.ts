/**
 * A market sell at a close of one tick, less slippage, once filled at price 0: no notional limit
 * bound it, and the position it opened was worth nothing on paper until the price moved. Now a fill
 * is never priced below one tick, and an order is valued for the limits at its fill price and
 * never below the close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, makeLoop, U } from '../helpers/loop.ts';
import type { Bar } from '../../src/domain/types.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';

/** A bar whose every price is one tick (1e-8). */
const oneTick: Bar = { symbol: 'SPY', interval: '1m', openTime: 0, closeTime: 59_999, open: 1, high: 1, low: 1, close: 1, volume: 1, source: 'csv' };

test('a market sell at a 1-tick close with slippage fills at 1 tick, never 0', () => {
  const s: Strategy = { name: 'short-seller', warmup: 0, onBar: () => [{ side: 'sell', qty: 1000 }] };
  const { rec, engine } = makeLoop(s, { slippageBpsE4: 10_000n, limits: { maxPositionNotional: 1_000n * U, maxGrossExposure: 1_000n * U } });
  engine.cycle({ ...oneTick });
  assert.equal(rec.of('fill')[0]!.price, 1, 'one tick');
});

test('the notional limit binds at a 1-tick price: a sell whose position would pass it is refused', () => {
  // 2e11 lots at 1e-8 is 2,000 of notional: past a 1,000 limit whatever the slippage says.
  const s: Strategy = { name: 'short-seller', warmup: 0, onBar: () => [{ side: 'sell', qty: 200_000_000_000 }] };
  const { rec, engine } = makeLoop(s, {
    slippageBpsE4: 10_000n,
    cash: 1_000_000n * U,
    limits: { maxPositionNotional: 1_000n * U, maxGrossExposure: 10_000n * U },
  });
  engine.cycle({ ...oneTick });
  assert.equal(rec.of('fill').length, 0);
  assert.equal(rec.of('reject')[0]!.reason, 'max_position_notional');
});

test('a sell limit far below the market is valued at the close, not at its limit', () => {
  // A sell limit at 1 tick rests (and would fill at the open of a later bar, which is the market's price).
  const s: Strategy = { name: 'low-limit', warmup: 0, onBar: () => [{ side: 'sell', qty: 20, orderType: 'limit', limitPrice: 1 }] };
  const { rec, engine } = makeLoop(s, { limits: { maxPositionNotional: 1_000n * U, maxGrossExposure: 10_000n * U } });
  engine.cycle(bar(0, 100));
  assert.equal(rec.of('order').length, 0, 'a 20-lot short at 100 is 2,000 of notional: past the 1,000 limit');
  assert.equal(rec.of('reject')[0]!.reason, 'max_position_notional');
});
