import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HaltSet } from '../../src/risk/halt-set.ts';
import { RiskGate } from '../../src/risk/risk-gate.ts';
import { PaperBroker } from '../../src/broker/paper-broker.ts';
import { makeInstrument } from '../../src/broker/instrument.ts';

const U = 100_000_000n;
const inst = makeInstrument('SPY', '1')!;
const qqq = makeInstrument('QQQ', '1')!;
const setup = () => {
  const broker = new PaperBroker({ cash: 10_000n * U, feeBpsE4: 0n, slippageBpsE4: 0n, instruments: new Map([['SPY', inst], ['QQQ', qqq]]) });
  const halts = new HaltSet();
  const gate = new RiskGate({ maxPositionNotional: 5_000n * U, maxGrossExposure: 8_000n * U }, halts);
  return { broker, halts, gate };
};
const req = (side: 'buy' | 'sell', qty: number, price = 100, symbol = 'SPY') =>
  ({ symbol, side, orderType: 'market' as const, qty, limitPrice: undefined, refPrice: price * 100_000_000 });

test('halts are held as a set; each is lifted only by the source that raised it', () => {
  const h = new HaltSet();
  assert.equal(h.raise('feed_stale', 'auto', 'x'), true);
  assert.equal(h.raise('feed_stale', 'auto', 'again'), false);
  assert.equal(h.raise('operator', 'operator', 'by hand'), true);
  assert.equal(h.lift('operator', 'auto'), false, 'the feed cannot lift an operator halt');
  assert.equal(h.lift('feed_stale', 'auto'), true);
  assert.equal(h.halted, true);
  assert.equal(h.lift('operator', 'operator'), true);
  assert.equal(h.halted, false);
});

test('a halted gate rejects every new order, reducing ones included', () => {
  const { broker, halts, gate } = setup();
  halts.raise('flag', 'flag', 'FLAG_TRADING_HALTED');
  assert.equal(gate.check(req('buy', 1), broker, inst)?.reason, 'trading_halted');
  assert.equal(gate.check(req('sell', 1), broker, inst)?.reason, 'trading_halted');
});

test('position, gross exposure and cash limits; reducing orders always pass', () => {
  const { broker, gate } = setup();
  assert.equal(gate.check(req('buy', 50), broker, inst), null);
  assert.equal(gate.check(req('buy', 51), broker, inst)?.reason, 'max_position_notional');
  assert.equal(gate.check(req('sell', 51), broker, inst)?.reason, 'max_position_notional', 'shorts count too');
  broker.mark('SPY', 100 * 100_000_000);
  broker.execute({ orderId: 'a', symbol: 'SPY', side: 'buy', orderType: 'market', qty: 50, createdAt: 0 }, 100 * 100_000_000);
  broker.mark('QQQ', 100 * 100_000_000);
  assert.equal(gate.check(req('buy', 31, 100, 'QQQ'), broker, qqq)?.reason, 'max_gross_exposure');
  assert.equal(gate.check(req('buy', 30, 100, 'QQQ'), broker, qqq), null);
  assert.equal(gate.check(req('sell', 50), broker, inst), null, 'closing passes');
  assert.equal(gate.check(req('buy', 0), broker, inst)?.reason, 'invalid_qty');
  assert.equal(gate.check(req('buy', 1.5), broker, inst)?.reason, 'invalid_qty');
  assert.equal(gate.check({ ...req('buy', 1), orderType: 'limit' }, broker, inst)?.reason, 'invalid_limit_price');
  // 5000 spent of 10000 cash: a 6000 buy of QQQ fails on cash before gross (raise the gross limit)
  const rich = new RiskGate({ maxPositionNotional: 100_000n * U, maxGrossExposure: 100_000n * U }, new HaltSet());
  assert.equal(rich.check(req('buy', 60, 100, 'QQQ'), broker, qqq)?.reason, 'insufficient_cash');
});
