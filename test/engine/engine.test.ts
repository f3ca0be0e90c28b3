import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrategyRuntimeError } from '../../src/engine/engine.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';
import type { OrderIntent } from '../../src/domain/types.ts';
import { createSmaCross } from '../../src/strategy/sma-cross.ts';
import { bar, makeLoop, T } from '../helpers/loop.ts';

function setup(strategy: Strategy, policy: 'throw' | 'halt' = 'throw') {
  return makeLoop(strategy, { policy });
}
const scripted = (plan: Record<number, OrderIntent[]>): Strategy => ({ name: 'scripted', warmup: 0, onBar: (b) => plan[b.openTime / 60_000] ?? [] });

test('one cycle, in order: limits matched, equity marked, strategy, gate, market fill; one decision per bar', () => {
  const { rec, engine, broker } = setup(
    scripted({
      0: [
        { side: 'buy', qty: 10 },
        { side: 'buy', qty: 5, orderType: 'limit', limitPrice: 98 * T },
      ],
      1: [],
    }),
  );
  engine.cycle(bar(0, 100));
  engine.cycle(bar(1, 100, 97));
  assert.deepEqual(rec.types(), ['bar', 'decision', 'order', 'fill', 'order', 'bar', 'fill', 'decision']);
  const ids = rec.events.filter((e) => e.type === 'order').map((e) => (e as { orderId: string }).orderId);
  assert.deepEqual(ids, ['SPY-0-0', 'SPY-0-1'], 'ids come from symbol, openTime and intent index');
  assert.equal(broker.position('SPY'), 15);
  const d = rec.events.filter((e) => e.type === 'decision');
  assert.deepEqual(
    d.map((x) => [x.action, x.qty, x.intents, x.position]),
    [
      ['buy', 15, 2, 0],
      ['hold', 0, 0, 15],
    ],
    'quantities in lots, as the broker holds them',
  );
});

test('refusals are typed events, never exceptions', () => {
  const { rec, engine } = setup(
    scripted({
      0: [
        { side: 'buy', qty: 100 },
        { side: 'hodl' as 'buy', qty: 1 },
        { side: 'buy', qty: -1 },
      ],
    }),
  );
  engine.cycle(bar(0, 100));
  const rejects = rec.events.filter((e) => e.type === 'reject') as Array<{ reason: string; orderId: string }>;
  assert.deepEqual(
    rejects.map((r) => r.reason),
    ['max_position_notional', 'invalid_order', 'invalid_qty'],
  );
  assert.deepEqual(
    rejects.map((r) => r.orderId),
    ['SPY-0-0', 'SPY-0-1', 'SPY-0-2'],
  );
});

test('a throwing strategy ends a static run naming it; in realtime it halts (strategy_error) and the loop goes on', () => {
  const boom: Strategy = {
    name: 'boom',
    warmup: 0,
    onBar: () => {
      throw new Error('kaput');
    },
  };
  const s = setup(boom, 'throw');
  assert.throws(
    () => s.engine.cycle(bar(0, 100)),
    (e: unknown) => e instanceof StrategyRuntimeError && /strategy boom threw/.test(e.message) && /kaput/.test(e.message),
  );
  const r = setup(boom, 'halt');
  r.engine.cycle(bar(0, 100));
  r.engine.cycle(bar(1, 100));
  assert.deepEqual(r.rec.types(), ['bar', 'halt', 'trading_state', 'alert', 'alert', 'decision', 'bar', 'decision']);
  assert.deepEqual(
    r.rec.of('alert').map((a) => a.kind),
    ['trading_state', 'strategy_error'],
  );
  assert.equal(r.trading.has('strategy_error'), true);
  assert.equal(r.trading.state, 'HALTED');
});

test('warm-up bars feed history only: no event, but the first decision can trade', () => {
  const { rec, engine } = setup(createSmaCross({ fast: '2', slow: '3' }));
  const closes = [10, 10, 10, 9, 12];
  for (const [i, c] of closes.slice(0, 4).entries()) engine.warmup(bar(i, c));
  assert.equal(rec.events.length, 0);
  engine.cycle(bar(4, closes[4]!));
  assert.deepEqual(rec.types(), ['bar', 'decision', 'order', 'fill']);
});

test('sma-cross refuses bad parameters by name', () => {
  assert.throws(() => createSmaCross({ fast: '20', slow: '5' }), /fast=20 must be less than slow=5/);
  assert.throws(() => createSmaCross({ fast: 'x' }), /--param fast=x/);
  assert.throws(() => createSmaCross({ fsat: '3' }), /--param fsat: sma-cross has no such parameter/);
});

test('resting limits count against limits and cash: a strategy stacking limit orders cannot overspend', () => {
  // Every bar, while flat, another buy limit below the close: the reviewer's mean-reversion case.
  const stacker: Strategy = {
    name: 'stacker',
    warmup: 0,
    onBar: (b, ctx) => (ctx.position === 0 ? [{ side: 'buy', qty: 10, orderType: 'limit', limitPrice: b.close - T }] : []),
  };
  const { rec, engine, broker } = setup(stacker);
  for (let i = 0; i < 30; i++) engine.cycle(bar(i, 100));
  const crash = bar(30, 100, 90); // trades through every resting limit at once
  engine.cycle(crash);
  const rejects = rec.events.filter((e) => e.type === 'reject') as Array<{ reason: string }>;
  assert.ok(rejects.length > 0, 'later limits are refused while earlier ones rest');
  assert.ok(rejects.every((r) => r.reason === 'max_position_notional' || r.reason === 'insufficient_cash'));
  assert.ok(broker.position('SPY') * 100 <= 5_000, `position ${broker.position('SPY')} within the 5000 limit`);
  assert.ok(broker.cash >= 0n, 'cash never goes negative');
});

test('several fills in one bar each carry their own cash and position; strategies see and cancel open orders', () => {
  let seen = -1;
  const plan: Strategy = {
    name: 'plan',
    warmup: 0,
    onBar: (b, ctx) => {
      const m = b.openTime / 60_000;
      if (m === 0) return [1, 2, 3].map((k) => ({ side: 'buy' as const, qty: 5, orderType: 'limit' as const, limitPrice: (100 - k) * T }));
      if (m === 1) {
        seen = ctx.openOrders.length;
        return [{ cancel: ctx.openOrders[2]!.orderId }, { cancel: 'nope' }];
      }
      return [];
    },
  };
  const { rec, engine } = setup(plan);
  engine.cycle(bar(0, 100));
  engine.cycle(bar(1, 100, 99.5));
  engine.cycle(bar(2, 100, 90));
  assert.equal(seen, 3);
  const fills = rec.events.filter((e) => e.type === 'fill');
  assert.deepEqual(
    fills.map((f) => [f.orderId, f.position]),
    [
      ['SPY-0-0', 5],
      ['SPY-0-1', 10],
    ],
  );
  assert.notEqual(fills[0]!.cash, fills[1]!.cash);
  const cancels = rec.events.filter((e) => e.type === 'cancel') as Array<{ orderId: string; reason: string }>;
  assert.deepEqual(
    cancels.map((c) => [c.orderId, c.reason]),
    [['SPY-0-2', 'strategy']],
  );
  const reject = rec.events.find((e) => e.type === 'reject') as { reason: string; detail: string };
  assert.equal(reject.reason, 'invalid_order');
  assert.match(reject.detail, /no resting SPY order "nope"/);
  const decision = rec.events.filter((e) => e.type === 'decision')[1] as { action: string; intents: number };
  assert.deepEqual([decision.action, decision.intents], ['hold', 2]);
});
