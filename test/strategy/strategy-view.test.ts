/**
 * The strategy's view beyond its bar: what became of its orders (ctx.updates), the position's
 * average entry price and unrealized PnL, and the other symbols' bars of the same slice. One
 * module (fixtures/strategies/view-recorder.ts) writes down what it saw on every bar; it runs as a
 * factory on this thread and as a module on its own worker thread, and both must see the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bar, makeLoop, T, U } from '../helpers/loop.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { isHosted, type Strategy } from '../../src/strategy/strategy.ts';
import { loadStrategy, makeStrategy } from '../../src/strategy/load-strategy.ts';
import { readIntents } from '../../src/engine/intents.ts';
import createViewRecorder from '../fixtures/strategies/view-recorder.ts';

const MODULE = fileURLToPath(new URL('../fixtures/strategies/view-recorder.ts', import.meta.url));

type Where = 'thread' | 'worker';

async function strategyIn(where: Where, params: Record<string, string>): Promise<Strategy> {
  return where === 'thread' ? makeStrategy('view-recorder', createViewRecorder, params) : loadStrategy(MODULE, params);
}

async function dispose(strategy: Strategy): Promise<void> {
  if (isHosted(strategy)) await strategy.dispose();
}

/**
 * SPY closes 100, 103, 104 and QQQ 50, 51, 52 over minutes 0..2, each bar's low 1 below its close
 * (a limit buy at 90 never fills); an operator halts trading between minutes 1 and 2.
 */
async function runView(where: Where, log: string) {
  const strategy = await strategyIn(where, { log });
  // A fee of 10 bps (feeBpsE4 is bps × 1e4), so that the fill's fee is no zero.
  const { engine, control, rec } = makeLoop(strategy, { symbols: ['SPY', 'QQQ'], feeBpsE4: 100_000n });
  try {
    for (const m of [0, 1, 2]) {
      if (m === 2) control.raise('operator', 'operator', 'halted', 'by hand');
      engine.cycle(bar(m, 100 + [0, 3, 4][m]!, 99 + [0, 3, 4][m]!, 'SPY'));
      engine.cycle(bar(m, 50 + m, 49 + m, 'QQQ'));
    }
  } finally {
    await dispose(strategy);
  }
  const seen = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { seen, events: rec.events };
}

test('updates, entry price, unrealized PnL and the slice, the same on the loop thread and on the worker thread', async (t) => {
  const dir = await tempDir(t, 'tl-view-');
  const here = await runView('thread', join(dir, 'thread.ndjson'));
  const there = await runView('worker', join(dir, 'worker.ndjson'));
  const spy = here.seen.filter((s) => s.symbol === 'SPY');
  const qqq = here.seen.filter((s) => s.symbol === 'QQQ');
  assert.equal(here.seen.length, 6);

  // Minute 0: nothing has happened yet, flat.
  assert.deepEqual(spy[0], { symbol: 'SPY', minute: 0, position: 0, entryPrice: null, unrealizedPnl: '0', updates: [], slice: [] });
  // Minute 1: the market buy of 10 filled at the close 100 (fee 10 bps of 1,000 = 1.00), the limit
  // rests (no update), the buy of 1000 (100,000 of notional) was refused. Entry 100; marked at 103
  // the 10 lots are up 10 × 3 = 30.00.
  assert.deepEqual(spy[1], {
    symbol: 'SPY',
    minute: 1,
    position: 10,
    entryPrice: 100 * T,
    unrealizedPnl: String(30n * U),
    updates: [
      { type: 'fill', orderId: 'SPY-0-0', side: 'buy', qty: 10, price: 100 * T, fee: String(1n * U), realizedPnl: '0', position: 10, remaining: 0 },
      {
        type: 'reject',
        orderId: 'SPY-0-2',
        side: 'buy',
        qty: 1000,
        reason: 'max_position_notional',
        detail: (spy[1]!.updates as { detail: string }[])[1]!.detail,
      },
    ],
    slice: [],
  });
  assert.match((spy[1]!.updates as { detail: string }[])[1]!.detail, /5000/, 'the reject says which limit');
  // Minute 2: the halt took the resting limit off the book; marked at 104 the position is up 40.00.
  assert.deepEqual(spy[2], {
    symbol: 'SPY',
    minute: 2,
    position: 10,
    entryPrice: 100 * T,
    unrealizedPnl: String(40n * U),
    updates: [{ type: 'cancel', orderId: 'SPY-0-1', reason: 'trading_halted', detail: 'trading is HALTED' }],
    slice: [],
  });
  // QQQ, decided after SPY in each slice, sees SPY's bar of that minute (frozen) and none of its own orders.
  assert.deepEqual(
    qqq.map((s) => [s.minute, s.position, s.entryPrice, s.unrealizedPnl, s.updates, s.slice]),
    [
      [0, 0, null, '0', [], [['SPY', 0, 100 * T, true]]],
      [1, 0, null, '0', [], [['SPY', 1, 103 * T, true]]],
      [2, 0, null, '0', [], [['SPY', 2, 104 * T, true]]],
    ],
  );

  assert.deepEqual(there.seen, here.seen, 'the module on its own thread saw exactly what the factory saw');
  assert.deepEqual(there.events, here.events, 'and the run is the same');
});

for (const where of ['thread', 'worker'] as const) {
  test(`${where}: onBar returning undefined is refused like any non-array, naming the strategy and saying to return []`, async () => {
    const strategy = await strategyIn(where, { mode: 'undefined' });
    const { engine, rec } = makeLoop(strategy);
    try {
      assert.throws(
        () => engine.cycle(bar(0, 100)),
        (err: Error) =>
          err.name === 'StrategyRuntimeError' &&
          /^strategy view-recorder threw on SPY bar 1970-01-01T00:00:00\.000Z: onBar must return an array of intents \(return \[\] to hold\), got undefined/.test(
            err.message,
          ),
      );
      assert.equal(engine.strategyErrors, 1);
      assert.equal(rec.of('decision').length, 0);
    } finally {
      await dispose(strategy);
    }
  });
}

test('realtime policy: an undefined return halts trading (strategy_error) as a throw does', async () => {
  const strategy = await strategyIn('thread', { mode: 'undefined' });
  const { engine, rec, control } = makeLoop(strategy, { policy: 'halt' });
  engine.cycle(bar(0, 100));
  assert.equal(control.state, 'HALTED');
  assert.match(String(rec.of('alert').find((a) => a.kind === 'strategy_error')?.message), /return \[\] to hold\), got undefined/);
  assert.deepEqual(
    rec.of('decision').map((d) => d.action),
    ['hold'],
  );
});

test('null and other non-arrays are refused by name; an empty array holds', () => {
  assert.throws(() => readIntents(null), /return \[\] to hold\), got null/);
  assert.throws(() => readIntents(5), /got number/);
  assert.throws(() => readIntents(Promise.resolve([])), /must be synchronous/);
  assert.deepEqual(readIntents([]), []);
});
