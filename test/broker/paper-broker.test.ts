import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PaperBroker } from '../../src/broker/paper-broker.ts';
import { makeInstrument, formatLots, defaultLotStep } from '../../src/broker/instrument.ts';
import { oneFeeRate } from '../../src/broker/fees.ts';
import type { Bar, LimitOrder, MarketOrder } from '../../src/domain/types.ts';
import { parseBps } from '../../src/domain/money.ts';
import { mulberry32 } from '../../scripts/generate-sample.ts';

const P = (x: string): number => Math.round(Number(x) * 1e8); // test-side helper for round prices only
const instruments = new Map([
  ['SPY', makeInstrument('SPY', '1')!],
  ['BTCUSDT', makeInstrument('BTCUSDT', '0.00001')!],
]);

function broker(fee = '0', slip = '0', cash = 100_000n * 100_000_000n): PaperBroker {
  return new PaperBroker({ cash, fees: oneFeeRate(instruments.keys(), parseBps(fee)!), slippageBpsE4: parseBps(slip)!, instruments });
}

function order(symbol: string, side: 'buy' | 'sell', qty: number, extra: Partial<MarketOrder> = {}): MarketOrder {
  return { orderId: `${symbol}-${side}-${qty}`, symbol, side, orderType: 'market', qty, createdAt: 0, ...extra };
}

function limit(symbol: string, side: 'buy' | 'sell', qty: number, orderId: string, limitPrice: number): LimitOrder {
  return { orderId, symbol, side, orderType: 'limit', qty, limitPrice, createdAt: 0 };
}

test('lot steps: whole shares for equities, 1e-5 for crypto pairs', () => {
  assert.equal(defaultLotStep('SPY'), '1');
  assert.equal(defaultLotStep('BTCUSDT'), '0.00001');
  assert.equal(formatLots(123, instruments.get('BTCUSDT')!), '0.00123');
  assert.equal(formatLots(-100_000, instruments.get('BTCUSDT')!), '-1');
  assert.equal(makeInstrument('X', '0.003'), null);
});

test('cash plus position value reconciles exactly after any sequence of fills (seeded random)', () => {
  const rand = mulberry32(7);
  const b = broker('7.5', '3');
  for (let i = 0; i < 5000; i++) {
    const symbol = rand() < 0.5 ? 'SPY' : 'BTCUSDT';
    const price = symbol === 'SPY' ? 40_000_000_000 + Math.floor(rand() * 1e10) : 9_000_000_000_000 + Math.floor(rand() * 1e12) + Math.floor(rand() * 1e8);
    b.mark(symbol, price);
    const side = rand() < 0.5 ? 'buy' : 'sell';
    const qty = 1 + Math.floor(rand() * (symbol === 'SPY' ? 50 : 300_000));
    b.execute(order(symbol, side, qty), b.marketPrice(side, price));
    // equity = start - fees + realized + unrealized, to the last 1e-8
    assert.equal(b.equity(), b.startCash - b.fees + b.realized + b.unrealized(), `after fill ${i}`);
  }
});

test('long, flip to short, cover: realized PnL and fees go against the trader', () => {
  const b = broker('10');
  b.mark('SPY', P('100'));
  let f = b.execute(order('SPY', 'buy', 10), P('100'));
  assert.equal(f.fee, 100_000_000n); // 10 bps of 1000
  assert.equal(f.realized, 0n);
  f = b.execute(order('SPY', 'sell', 15), P('110'));
  assert.equal(f.realized, 100n * 100_000_000n); // 10 shares closed at +10
  assert.equal(b.position('SPY'), -5);
  assert.equal(b.basis('SPY'), -550n * 100_000_000n);
  assert.equal(b.trades, 1);
  f = b.execute(order('SPY', 'buy', 5), P('100'));
  assert.equal(f.realized, 50n * 100_000_000n); // short 5 from 110 covered at 100
  assert.equal(b.position('SPY'), 0);
  assert.equal(b.trades, 2);
  assert.equal(b.equity(), b.startCash - b.fees + 150n * 100_000_000n);
});

test('fractional lots: notional rounds up when paying and down when receiving', () => {
  const b = broker('0');
  // 0.00001 BTC at 12345.67890123: notional 0.1234567890123 → pays 0.12345679, receives 0.12345678
  const buy = b.execute(order('BTCUSDT', 'buy', 1), 1_234_567_890_123);
  assert.equal(buy.cashFlow, -12_345_679n);
  const sell = b.execute(order('BTCUSDT', 'sell', 1), 1_234_567_890_123);
  assert.equal(sell.cashFlow, 12_345_678n);
  assert.equal(b.realized, -1n);
});

test('market orders fill at the close moved against the order by the slippage', () => {
  const b = broker('0', '10');
  assert.equal(b.marketPrice('buy', P('100')), P('100.1'));
  assert.equal(b.marketPrice('sell', P('100')), P('99.9'));
  assert.equal(b.marketPrice('buy', 3), 4); // rounds up for buys
  assert.equal(b.marketPrice('sell', 3), 2); // and down for sells
});

test('limit orders rest and fill when a later bar trades through: strictly, at min(limit, open)', () => {
  const b = broker();
  const bar = (o: string, h: string, l: string, c: string): Bar => ({
    symbol: 'SPY',
    interval: '1m',
    openTime: 0,
    closeTime: 59_999,
    open: P(o),
    high: P(h),
    low: P(l),
    close: P(c),
    volume: 1,
    source: 'csv',
  });
  b.rest(limit('SPY', 'buy', 2, 'b1', P('99')));
  b.rest(limit('SPY', 'sell', 1, 's1', P('103')));
  const admitAll = () => null;
  const fills = (outcomes: ReturnType<PaperBroker['matchResting']>) =>
    outcomes.map((o) =>
      'fill' in o
        ? [o.fill.orderId, o.fill.price]
        : 'cancelled' in o
          ? ['cancelled', o.cancelled.orderId]
          : 'ended' in o
            ? ['ended', o.ended.orderId]
            : ['placed', o.placed.orderId],
    );
  assert.deepEqual(b.matchResting(bar('100', '101', '99', '100'), admitAll), [], 'a low equal to the limit does not fill');
  assert.deepEqual(fills(b.matchResting(bar('98.5', '101', '98', '100'), admitAll)), [['b1', P('98.5')]], 'gapped through: fills at the open');
  assert.equal(b.restingQty('SPY', 'sell'), 1);
  // The gate may refuse a fill whose cash or exposure no longer fits: the order is cancelled, not filled.
  assert.deepEqual(fills(b.matchResting(bar('102', '104', '101', '103'), () => ({ reason: 'max_position_notional' }))), [['cancelled', 's1']]);
  assert.equal(b.restingOrders('SPY').length, 0);
  assert.equal(b.position('SPY'), 2);
});

test('partly covering a short rounds the realized PnL against the trader, as for a long', () => {
  const b = broker();
  b.mark('SPY', P('100'));
  b.execute(order('SPY', 'sell', 1, { orderId: 's1' }), P('100'));
  b.execute(order('SPY', 'sell', 1, { orderId: 's2' }), P('100') + 1); // average 100.000000005
  const before = b.realized;
  b.execute(order('SPY', 'buy', 1, { orderId: 'b1' }), P('100'));
  // The true gain is half a tick: booked as 0, never as 1.
  assert.equal(b.realized - before, 0n);
  assert.equal(b.equity(), b.startCash - b.fees + b.realized + b.unrealized());
  // And the long side, for symmetry: average 100.000000005, sell one at 100 loses half a tick: booked as 1.
  const l = broker();
  l.mark('SPY', P('100'));
  l.execute(order('SPY', 'buy', 1, { orderId: 'l1' }), P('100'));
  l.execute(order('SPY', 'buy', 1, { orderId: 'l2' }), P('100') + 1);
  l.execute(order('SPY', 'sell', 1, { orderId: 'l3' }), P('100'));
  assert.equal(l.realized, -1n);
});
