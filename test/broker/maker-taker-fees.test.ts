/**
 * Maker and taker fees checked by hand to the 1e-8 unit: a limit that rested and was filled pays
 * the maker rate (one the open gapped through too: it was on the book before the open); a market
 * order, a stop, a stop-limit filled on the bar that triggered it and an operator's flatten pay
 * the taker rate. Every fill says which (`liquidity`). Fees round up, against the trader.
 *
 * Rates here: maker 2 bp, taker 5 bp (in 1e-4 bps: 20 000 and 50 000); no slippage, so each
 * price below is the path's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLoop, ohlcBar, scripted, T } from '../helpers/loop.ts';
import type { Bar } from '../../src/domain/types.ts';
import type { FeeSchedule } from '../../src/broker/fees.ts';

const FEES: FeeSchedule = { SPY: { makerBpsE4: 20_000n, takerBpsE4: 50_000n } };

const bar = (i: number, open: number, high: number, low: number, close: number): Bar => ohlcBar(i, open, high, low, close);

test('a market order and a stop pay the taker rate, a resting limit the maker rate (a gapped one too), each fill says which', () => {
  // Bar 0 decides: market buy 3 (next open), limit buy 2 at 99, limit buy 1 at 97, stop sell 1 at 98.
  const plan = {
    0: [
      { side: 'buy', qty: 3 },
      { side: 'buy', qty: 2, orderType: 'limit', limitPrice: 99 * T },
      { side: 'buy', qty: 1, orderType: 'limit', limitPrice: 97 * T },
      { side: 'sell', qty: 1, orderType: 'stop', stopPrice: 98 * T },
    ],
  };
  const { rec, engine, broker } = makeLoop(scripted(plan), { fillModel: 'next-open', fees: FEES });
  engine.cycle(bar(0, 100, 100, 100, 100));
  // Bar 1: open 100.12345678, the high (0.38 away) nearer than the low: 100.12 → 100.5 → 97.5 → 99.5.
  // The market buy fills at the open, the limit at 99 on the way down, the stop at 98 after it.
  engine.cycle(bar(1, 100.12345678, 100.5, 97.5, 99.5));
  // Bar 2 opens at 96.5, already under the limit at 97: it fills at the open, as the maker it was.
  engine.cycle(bar(2, 96.5, 97, 96, 96.8));
  const fills = rec.of('fill').map((f) => [f.orderId, f.price, f.fee, f.liquidity]);
  assert.deepEqual(fills, [
    // 3 × 100.12345678 = 300.37037034 (30 037 037 034 units) × 5 bp = 15 018 518.517 → 15 018 519 (rounded up).
    ['SPY-0-0', 10_012_345_678, 15_018_519n, 'taker'],
    // 2 × 99 = 198 × 2 bp = 0.0396.
    ['SPY-0-1', 99 * T, 3_960_000n, 'maker'],
    // 1 × 98 = 98 × 5 bp = 0.049.
    ['SPY-0-3', 98 * T, 4_900_000n, 'taker'],
    // 1 × 96.5 × 2 bp = 0.0193.
    ['SPY-0-2', 96.5 * T, 1_930_000n, 'maker'],
  ]);
  assert.equal(broker.fees, 15_018_519n + 3_960_000n + 4_900_000n + 1_930_000n);
});

test('a stop-limit filled on the bar that triggered it is a taker (without slippage); an operator flatten is a taker', () => {
  // Long 4 from bar 0 (close model: at 100), a sell stop-limit stop 99 limit 98.5 placed with it.
  const plan = {
    0: [
      { side: 'buy', qty: 4 },
      { side: 'sell', qty: 1, orderType: 'stop_limit', stopPrice: 99 * T, limitPrice: 98.5 * T },
    ],
  };
  const { rec, engine } = makeLoop(scripted(plan), { fillModel: 'close', fees: FEES, slippageBpsE4: 10_000n });
  engine.cycle(bar(0, 100, 100, 100, 100));
  // Bar 1 opens at 98.9, under the stop (triggered at the open) and over the limit: it fills there, no slippage.
  engine.cycle(bar(1, 98.9, 99.2, 98.7, 99));
  engine.flatten(['SPY'], 1, () => ({ price: 99 * T, source: 'last_close', time: 60_000 }));
  const fills = rec.of('fill').map((f) => [f.orderId, f.price, f.fee, f.liquidity]);
  assert.deepEqual(fills, [
    // 4 × 100 × (1 + 1 bp slippage) = 4 × 100.01 = 400.04 × 5 bp = 0.20002.
    ['SPY-0-0', 100.01 * T, 20_002_000n, 'taker'],
    // 1 × 98.9 × 5 bp = 0.04945.
    ['SPY-0-1', 98.9 * T, 4_945_000n, 'taker'],
    // The flatten sells 3 at 99 less 1 bp = 98.9901: 296.9703 × 5 bp = 0.148485150 → 14 848 515.
    ['SPY-60000-op1', 98.9901 * T, 14_848_515n, 'taker'],
  ]);
});
