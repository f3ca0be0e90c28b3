/** A resting order as the summary and the status show it: a limit's bytes as before, a stop with its type and stop price. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PaperBroker } from '../../src/broker/paper-broker.ts';
import { makeInstrument } from '../../src/broker/instrument.ts';
import { oneFeeRate } from '../../src/broker/fees.ts';
import { bookView, restingTerms } from '../../src/broker/book-view.ts';

test('resting orders of every type as views and as the lines print them', () => {
  const b = new PaperBroker({
    cash: 100_000n * 100_000_000n,
    fees: oneFeeRate(['SPY'], 0n),
    slippageBpsE4: 0n,
    instruments: new Map([['SPY', makeInstrument('SPY', '1')!]]),
  });
  const base = { symbol: 'SPY', qty: 2, createdAt: 0 } as const;
  b.rest({ ...base, orderId: 'l', side: 'buy', orderType: 'limit', limitPrice: 9_550_000_000 });
  b.rest({ ...base, orderId: 's', side: 'sell', orderType: 'stop', stopPrice: 9_800_000_000 });
  b.rest({ ...base, orderId: 'sl', side: 'sell', orderType: 'stop_limit', stopPrice: 9_800_000_000, limitPrice: 9_750_000_000 });
  b.rest({ ...base, orderId: 't', side: 'sell', orderType: 'trailing_stop', trailBps: 150, bestPrice: 10_000_000_000, stopPrice: 9_850_000_000 });
  const { restingOrders } = bookView(b, ['SPY'], { entryPrice: false });
  assert.deepEqual(restingOrders, [
    { orderId: 'l', symbol: 'SPY', side: 'buy', qty: '2', limitPrice: '95.5' },
    { orderId: 's', symbol: 'SPY', side: 'sell', qty: '2', orderType: 'stop', stopPrice: '98' },
    { orderId: 'sl', symbol: 'SPY', side: 'sell', qty: '2', orderType: 'stop_limit', stopPrice: '98', limitPrice: '97.5' },
    { orderId: 't', symbol: 'SPY', side: 'sell', qty: '2', orderType: 'trailing_stop', stopPrice: '98.5', trailBps: 150 },
  ]);
  assert.deepEqual(restingOrders.map(restingTerms), ['@ 95.5', 'stop 98', 'stop 98 limit 97.5', 'trailing 150 bps, stop 98.5']);
});

test("a bracket's exits as views name their one-cancels-other sibling", () => {
  const b = new PaperBroker({
    cash: 100_000n * 100_000_000n,
    fees: oneFeeRate(['SPY'], 0n),
    slippageBpsE4: 0n,
    instruments: new Map([['SPY', makeInstrument('SPY', '1')!]]),
  });
  const base = { symbol: 'SPY', side: 'sell', qty: 2, createdAt: 0, parentId: 'E' } as const;
  b.rest({ ...base, orderId: 'E-tp', orderType: 'limit', limitPrice: 10_500_000_000, ocoWith: 'E-sl' });
  b.rest({ ...base, orderId: 'E-sl', orderType: 'stop', stopPrice: 9_500_000_000, ocoWith: 'E-tp' });
  const { restingOrders } = bookView(b, ['SPY'], { entryPrice: false });
  assert.deepEqual(restingOrders, [
    { orderId: 'E-tp', symbol: 'SPY', side: 'sell', qty: '2', limitPrice: '105', ocoWith: 'E-sl' },
    { orderId: 'E-sl', symbol: 'SPY', side: 'sell', qty: '2', orderType: 'stop', stopPrice: '95', ocoWith: 'E-tp' },
  ]);
  assert.deepEqual(restingOrders.map(restingTerms), ['@ 105, one-cancels-other with E-sl', 'stop 95, one-cancels-other with E-tp']);
  // Bracketed entries not filled yet show the exits they will arm.
  const entries = new PaperBroker({
    cash: 100_000n * 100_000_000n,
    fees: oneFeeRate(['SPY'], 0n),
    slippageBpsE4: 0n,
    instruments: new Map([['SPY', makeInstrument('SPY', '1')!]]),
  });
  const head = { symbol: 'SPY', side: 'buy', qty: 2, createdAt: 0, takeProfit: 10_400_000_000, stopLoss: 9_500_000_000 } as const;
  entries.rest({ ...head, orderId: 'L', orderType: 'limit', limitPrice: 9_800_000_000 });
  entries.rest({ ...head, orderId: 'M', orderType: 'market', refPrice: 10_000_000_000 });
  const views = bookView(entries, ['SPY'], { entryPrice: false }).restingOrders;
  assert.deepEqual(views, [
    { orderId: 'L', symbol: 'SPY', side: 'buy', qty: '2', limitPrice: '98', takeProfit: '104', stopLoss: '95' },
    { orderId: 'M', symbol: 'SPY', side: 'buy', qty: '2', orderType: 'market', takeProfit: '104', stopLoss: '95' },
  ]);
  assert.deepEqual(views.map(restingTerms), ['@ 98, bracket take-profit 104 stop-loss 95', 'market, at the next open, bracket take-profit 104 stop-loss 95']);
});
