import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RiskGate, type NewOrderRequest, type RiskLimits } from '../../src/risk/risk-gate.ts';
import { TradingState } from '../../src/risk/trading-state.ts';
import { PaperBroker } from '../../src/broker/paper-broker.ts';
import { makeInstrument } from '../../src/broker/instrument.ts';
import { oneFeeRate } from '../../src/broker/fees.ts';

const U = 100_000_000n;
const T = 100_000_000;
const spy = makeInstrument('SPY', '1')!;
const qqq = makeInstrument('QQQ', '1')!;

function setup(limits: Partial<RiskLimits> = {}, newest?: (s: string) => number | undefined) {
  const broker = new PaperBroker({
    cash: 10_000n * U,
    fees: oneFeeRate(['SPY', 'QQQ'], 0n),
    slippageBpsE4: 0n,
    instruments: new Map([
      ['SPY', spy],
      ['QQQ', qqq],
    ]),
  });
  const trading = new TradingState();
  const gate = new RiskGate({
    limits: { maxPositionNotional: 5_000n * U, maxGrossExposure: 8_000n * U, maxOrdersPerMinute: null, priceBandPctE4: null, maxBarAge: 2, ...limits },
    trading,
    intervalMs: 60_000,
    ...(newest ? { newestClosed: newest } : {}),
  });
  return { broker, trading, gate };
}

type Extra = { at?: number; sentBy?: 'strategy' | 'operator'; side?: 'buy' | 'sell'; orderType?: 'market' | 'limit'; limitPrice?: unknown };
const req = (side: 'buy' | 'sell', qty: unknown, price = 100, symbol = 'SPY', extra: Extra = {}): NewOrderRequest => {
  const { at = 0, sentBy = 'strategy', ...fields } = extra;
  return {
    draft: { orderId: 'o', symbol, side, orderType: 'market', qty, createdAt: at, ...fields },
    marketPrice: price * T,
    inst: symbol === 'SPY' ? spy : qqq,
    sentBy,
  };
};
const halt = (reason: 'flag' | 'operator', severity: 'halted' | 'reducing') => ({ reason, source: reason, severity, detail: 'x', since: null }) as const;

test('HALTED rejects every new strategy order, reducing ones included; an operator flatten still passes', () => {
  const { broker, trading, gate } = setup();
  broker.mark('SPY', 100 * T);
  broker.execute({ orderId: 'a', symbol: 'SPY', side: 'buy', orderType: 'market', qty: 10, createdAt: 0 }, 100 * T);
  trading.raise(halt('flag', 'halted'));
  assert.equal(gate.admit(req('buy', 1), broker).refusal?.reason, 'trading_halted');
  assert.equal(gate.admit(req('sell', 10), broker).refusal?.reason, 'trading_halted');
  assert.equal(gate.admit(req('sell', 10, 100, 'SPY', { sentBy: 'operator' }), broker).refusal, null, 'the emergency exit is never blocked');
  assert.equal(gate.admit(req('sell', 11, 100, 'SPY', { sentBy: 'operator' }), broker).refusal?.reason, 'reduce_only', 'an operator order may only reduce');
});

test('REDUCING passes only orders that shrink |position| without flipping it, resting orders counted', () => {
  const { broker, trading, gate } = setup();
  broker.mark('SPY', 100 * T);
  broker.execute({ orderId: 'a', symbol: 'SPY', side: 'buy', orderType: 'market', qty: 10, createdAt: 0 }, 100 * T);
  trading.raise(halt('operator', 'reducing'));
  assert.equal(trading.state, 'REDUCING');
  assert.equal(gate.admit(req('sell', 4), broker).refusal, null);
  assert.equal(gate.admit(req('sell', 10), broker).refusal, null, 'to flat is reducing');
  assert.equal(gate.admit(req('sell', 11), broker).refusal?.reason, 'reduce_only', 'a flip is not');
  assert.equal(gate.admit(req('buy', 1), broker).refusal?.reason, 'reduce_only', 'growing is not');
  assert.equal(gate.admit(req('buy', 1, 100, 'QQQ'), broker).refusal?.reason, 'reduce_only', 'opening from flat is not');
  broker.rest({ orderId: 'r', symbol: 'SPY', side: 'sell', orderType: 'limit', qty: 8, limitPrice: 101 * T, createdAt: 0 });
  assert.equal(gate.admit(req('sell', 3), broker).refusal?.reason, 'reduce_only', 'with 8 resting, 3 more would flip');
  assert.equal(gate.admit(req('sell', 2), broker).refusal, null);
});

test('position, gross exposure and cash limits; reducing orders always pass', () => {
  const { broker, gate } = setup();
  assert.equal(gate.admit(req('buy', 50), broker).refusal, null);
  assert.equal(gate.admit(req('buy', 51), broker).refusal?.reason, 'max_position_notional');
  assert.equal(gate.admit(req('sell', 51), broker).refusal?.reason, 'max_position_notional', 'shorts count too');
  broker.mark('SPY', 100 * T);
  broker.execute({ orderId: 'a', symbol: 'SPY', side: 'buy', orderType: 'market', qty: 50, createdAt: 0 }, 100 * T);
  broker.mark('QQQ', 100 * T);
  assert.equal(gate.admit(req('buy', 31, 100, 'QQQ'), broker).refusal?.reason, 'max_gross_exposure');
  assert.equal(gate.admit(req('buy', 30, 100, 'QQQ'), broker).refusal, null);
  assert.equal(gate.admit(req('sell', 50), broker).refusal, null, 'closing passes');
  assert.equal(gate.admit(req('buy', 0), broker).refusal?.reason, 'invalid_qty');
  assert.equal(gate.admit(req('buy', 1.5), broker).refusal?.reason, 'invalid_qty');
  assert.equal(gate.admit(req('buy', 1, 100, 'SPY', { orderType: 'limit' }), broker).refusal?.reason, 'invalid_limit_price');
  // 5000 spent of 10000 cash: a 6000 buy of QQQ fails on cash before gross (raise the gross limit)
  const rich = setup({ maxPositionNotional: 100_000n * U, maxGrossExposure: 100_000n * U });
  rich.broker.mark('SPY', 100 * T);
  rich.broker.execute({ orderId: 'a', symbol: 'SPY', side: 'buy', orderType: 'market', qty: 50, createdAt: 0 }, 100 * T);
  assert.equal(rich.gate.admit(req('buy', 60, 100, 'QQQ'), rich.broker).refusal?.reason, 'insufficient_cash');
});

test('a buy that flips a short into a long pays for the whole order, not only its long leg', () => {
  const { broker, gate } = setup({ maxPositionNotional: 100_000n * U, maxGrossExposure: 100_000n * U });
  broker.mark('SPY', 100 * T);
  // Short 90 at 100: cash 10000 + 9000 = 19000. Buying 180 costs 18000 (fits); 200 costs 20000 (does not).
  broker.execute({ orderId: 's', symbol: 'SPY', side: 'sell', orderType: 'market', qty: 90, createdAt: 0 }, 100 * T);
  assert.equal(broker.cash, 19_000n * U);
  assert.equal(gate.admit(req('buy', 180), broker).refusal, null);
  const refusal = gate.admit(req('buy', 200), broker).refusal;
  assert.equal(refusal?.reason, 'insufficient_cash', 'the long leg alone (110 = 11000) would have fitted the cash');
});

test('a quantity that would take a position past 2^53 lots is refused, not silently rounded', () => {
  const { broker, gate } = setup({ maxPositionNotional: 10n ** 30n, maxGrossExposure: 10n ** 30n });
  broker.rest({ orderId: 'r', symbol: 'SPY', side: 'buy', orderType: 'limit', qty: Number.MAX_SAFE_INTEGER - 5, limitPrice: 1, createdAt: 0 });
  assert.equal(gate.admit(req('buy', 10, 0.00000001), broker).refusal?.reason, 'invalid_qty');
});

test('order rate: at most N accepted orders per 60 s of bar time; operators are not counted', () => {
  const { broker, gate } = setup({ maxOrdersPerMinute: 2, maxPositionNotional: 10n ** 20n, maxGrossExposure: 10n ** 20n });
  for (const at of [0, 30_000]) {
    const admitted = gate.admit(req('buy', 1, 1, 'SPY', { at }), broker);
    assert.equal(admitted.refusal, null);
    gate.accepted(admitted.req!);
  }
  assert.equal(gate.admit(req('buy', 1, 1, 'SPY', { at: 59_999 }), broker).refusal?.reason, 'order_rate');
  assert.equal(gate.admit(req('buy', 1, 1, 'SPY', { at: 59_999, sentBy: 'operator', side: 'sell' }), broker).refusal?.reason, 'reduce_only', 'not order_rate');
  assert.equal(gate.admit(req('buy', 1, 1, 'SPY', { at: 60_000 }), broker).refusal, null, 'the order at 0 has left the window');
});

test('price band: a limit more than P % from the last close is refused', () => {
  const { broker, gate } = setup({ priceBandPctE4: 50_000n }); // 5 %
  broker.mark('SPY', 100 * T);
  const limit = (p: number) => req('buy', 1, p, 'SPY', { orderType: 'limit', limitPrice: p * T });
  assert.equal(gate.admit(limit(95), broker).refusal, null, 'exactly 5 % is inside');
  assert.equal(gate.admit(limit(94.99), broker).refusal?.reason, 'price_band');
  assert.equal(gate.admit(limit(105.01), broker).refusal?.reason, 'price_band');
  assert.equal(gate.admit(req('buy', 1, 200), broker).refusal, null, 'market orders are not banded');
});

test('stale bar: orders from a bar older than --max-bar-age intervals behind the newest the feed delivered are refused', () => {
  const newest = new Map([['SPY', 10 * 60_000]]);
  const { broker, gate } = setup({}, (s) => newest.get(s));
  assert.equal(gate.admit(req('buy', 1, 100, 'SPY', { at: 8 * 60_000 }), broker).refusal, null, 'two intervals behind is still fresh');
  assert.equal(gate.admit(req('buy', 1, 100, 'SPY', { at: 7 * 60_000 }), broker).refusal?.reason, 'stale_bar');
  assert.equal(gate.admit(req('buy', 1, 100, 'QQQ', { at: 0 }), broker).refusal, null, 'no feed for this symbol (csv): unaffected');
});

test('a new order is read into an order of its type after the trading state; the first bad field names the refusal', () => {
  const { broker, trading, gate } = setup();
  broker.mark('SPY', 100 * T);
  const badLimit = req('buy', 1, 100, 'SPY', { orderType: 'limit', limitPrice: '99' });
  assert.deepEqual(gate.admit(badLimit, broker).refusal, {
    reason: 'invalid_limit_price',
    detail: 'a limit order needs a positive integer limitPrice in ticks, got "99" (a string)',
  });
  assert.equal(
    gate.admit(req('buy', 1.5, 100, 'SPY', { orderType: 'limit', limitPrice: 0 }), broker).refusal?.reason,
    'invalid_qty',
    'the quantity is read first',
  );
  const admitted = gate.admit(req('buy', 2, 100, 'SPY', { orderType: 'limit', limitPrice: 99 * T }), broker);
  assert.deepEqual(admitted.req?.order, { orderId: 'o', symbol: 'SPY', side: 'buy', orderType: 'limit', qty: 2, limitPrice: 99 * T, createdAt: 0 });
  assert.equal(admitted.req?.refPrice, 99 * T, 'a limit is valued at its limit, not at the market');
  const market = gate.admit(req('buy', 2, 101, 'SPY', { limitPrice: 99 * T }), broker);
  assert.deepEqual(
    market.req?.order,
    { orderId: 'o', symbol: 'SPY', side: 'buy', orderType: 'market', qty: 2, createdAt: 0 },
    'a market order carries no limit',
  );
  assert.equal(market.req?.refPrice, 101 * T);
  trading.raise(halt('flag', 'halted'));
  assert.equal(gate.admit(badLimit, broker).refusal?.reason, 'trading_halted', 'a halted session names the halt whatever the order looks like');
});
