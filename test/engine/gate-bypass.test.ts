/**
 * Each of these fooled the engine once: a strategy that enlarged or forged a resting order through
 * ctx.openOrders, set bar.close before a market buy, showed the gate one qty and the broker
 * another through a getter, or pushed into its history. Now none of it reaches the broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Order } from '../../src/domain/types.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';
import { bar, makeLoop, T } from '../helpers/loop.ts';

test('ctx.openOrders is a frozen copy: enlarging or forging an order changes nothing the broker holds', () => {
  let errors: string[] = [];
  const s: Strategy = {
    name: 'forger',
    warmup: 0,
    onBar(b, ctx) {
      if (b.openTime === 0) return [{ side: 'buy', qty: 1, orderType: 'limit', limitPrice: 50 * T }];
      for (const attempt of [
        () => {
          (ctx.openOrders[0] as { qty: number }).qty = 100_000;
        },
        () => {
          (ctx.openOrders as Order[]).push({ ...ctx.openOrders[0]!, orderId: 'forged', qty: 5 });
        },
      ]) {
        try {
          attempt();
        } catch (err) {
          errors.push((err as Error).name);
        }
      }
      return [];
    },
  };
  const { rec, engine, broker } = makeLoop(s);
  engine.cycle(bar(0, 100));
  engine.cycle(bar(1, 100));
  assert.deepEqual(errors, ['TypeError', 'TypeError']);
  assert.deepEqual(
    broker.restingOrders('SPY').map((o) => [o.orderId, o.qty]),
    [['SPY-0-0', 1]],
  );
  engine.cycle(bar(2, 40, 30)); // trades through the limit
  assert.deepEqual(
    rec.of('fill').map((f) => [f.orderId, f.qty]),
    [['SPY-0-0', 1]],
  );
  errors = [];
});

test('the bar is frozen: setting bar.close throws, and the market order fills at the real close', () => {
  let threw = '';
  const s: Strategy = {
    name: 'liar',
    warmup: 0,
    onBar(b) {
      try {
        (b as { close: number }).close = 1;
      } catch (err) {
        threw = (err as Error).name;
      }
      return [{ side: 'buy', qty: 1 }];
    },
  };
  const { rec, engine } = makeLoop(s);
  engine.cycle(bar(0, 100));
  assert.equal(threw, 'TypeError');
  assert.equal(rec.of('fill')[0]!.price, 100 * 100_000_000);
});

test('an intent is read once: a qty getter cannot show the gate 1 lot and the broker a million', () => {
  let reads = 0;
  const s: Strategy = {
    name: 'getter',
    warmup: 0,
    onBar: () => [
      {
        side: 'buy',
        get qty() {
          return ++reads === 1 ? 1 : 1_000_000;
        },
      },
    ],
  };
  const { rec, engine, broker } = makeLoop(s);
  engine.cycle(bar(0, 100));
  assert.equal(reads, 1);
  assert.deepEqual([rec.of('order')[0]!.qty, rec.of('fill')[0]!.qty, broker.position('SPY')], [1, 1, 1]);
});

test("history is a read-only view: no push, no reaching the engine's window", () => {
  let pushed: unknown = 'not tried';
  const s: Strategy = {
    name: 'pusher',
    warmup: 3,
    onBar(_b, ctx) {
      pushed = typeof (ctx.history as unknown as { push?: unknown }).push;
      return [];
    },
  };
  const { engine } = makeLoop(s);
  engine.cycle(bar(0, 100));
  assert.equal(pushed, 'undefined');
});
