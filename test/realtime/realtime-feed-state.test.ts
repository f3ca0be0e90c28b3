/**
 * The feed's health is derived from its connections' real state after every transition, so it
 * cannot stick: a refused rotation is tried again, a rotation whose new connection never delivers
 * leaves no halt behind once the old one is kept, and a backfill's end returns the feed to live.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, FakeBinance, until } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';
import type { RealtimeRun } from '../helpers/realtime-harness.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';

// Fills at the close: these tests are about the feed's state, and wait on a bar's own fill.
const ONE = { symbols: ['BTCUSDT'], fillModel: 'close' as const };
const buyer: Strategy = { name: 'buyer', warmup: 0, onBar: () => [{ side: 'buy', qty: 1 }] };

/** Halts raised and not lifted, by reason. */
function heldHalts(run: RealtimeRun): string[] {
  const held = new Map<string, number>();
  for (const e of run.events()) {
    if (e.type === 'halt') held.set(String(e.reason), (held.get(String(e.reason)) ?? 0) + 1);
    if (e.type === 'resume') held.delete(String(e.reason));
  }
  return [...held.keys()];
}

const lastFeedState = (run: RealtimeRun): unknown => run.of('feed').at(-1)?.state;

test('a refused rotation keeps the old connection and is tried again until a new one takes over', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    options: { ...ONE, staleAfterMs: 600_000, staleAlertAfterMs: 600_000, pingIntervalMs: 600_000 },
    lifetimeMs: 60_000,
  });
  try {
    const first = await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('1 decision', (r) => r.of('decision').length === 1);
    fake.refuseUpgrades = 1;
    run.clock.advance(60_000); // the lifetime cut: the replacement is refused (HTTP 503)
    await until(() => fake.upgradeRequests.length === 2, 'the refused attempt');
    fake.sendKline(bar('BTCUSDT', 1, 101), true, Date.now(), first);
    await run.waitFor('the old connection still delivers', (r) => r.of('decision').length === 2);
    run.clock.advance(1_000); // past the rotation's retry backoff (the first is within 1 s)
    const second = await fake.waitForConnections(2);
    fake.sendKline(bar('BTCUSDT', 2, 102), true, Date.now(), second);
    await until(() => first.ws.readyState === first.ws.CLOSED, 'the old connection retired');
    await run.waitFor('3 decisions', (r) => r.of('decision').length === 3);
    assert.deepEqual(run.of('halt'), []);
    assert.equal(lastFeedState(run), 'live');
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a rotation whose new connection never delivers falls back to the old one: no halt is left held while bars flow', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    options: { ...ONE, staleAfterMs: 5_000, staleAlertAfterMs: 10_000, pingIntervalMs: 600_000 },
    strategy: buyer,
  });
  try {
    const first = await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('1 fill', (r) => r.of('fill').length === 1);
    fake.send(JSON.stringify({ stream: '!serverShutdown', data: { e: 'serverShutdown', E: Date.now() } }), first);
    await fake.waitForConnections(2); // opens, and says nothing
    // The old connection keeps delivering, a bar every 2 s, while the new one stays silent.
    for (let m = 1; m <= 7; m++) {
      run.clock.advance(2_000);
      fake.sendKline(bar('BTCUSDT', m, 100 + m), true, Date.now(), first);
      await run.waitFor(`decision ${m + 1}`, (r) => r.of('decision').length === m + 1);
    }
    await until(() => fake.connections[1]!.ws.readyState === fake.connections[1]!.ws.CLOSED, 'the silent replacement dropped');
    fake.sendKline(bar('BTCUSDT', 8, 108), true, Date.now(), first);
    await run.waitFor('decision 9', (r) => r.of('decision').length === 9);
    assert.deepEqual(heldHalts(run), []);
    assert.equal(run.of('reject').length, 0, 'every bar traded: no halt while the old connection delivered');
    assert.equal(lastFeedState(run), 'live');
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('after a backfill, empty or not, the feed state returns to live', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    options: { ...ONE, staleAfterMs: 600_000, staleAlertAfterMs: 600_000, pingIntervalMs: 600_000 },
  });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('1 decision', (r) => r.of('decision').length === 1);
    // A gap with nothing in REST (a suspended market): the backfill is empty.
    fake.sendKline(bar('BTCUSDT', 5, 105), true);
    await run.waitFor('2 decisions', (r) => r.of('decision').length === 2);
    await run.waitFor('live again after the empty backfill', (r) => lastFeedState(r) === 'live');
    assert.ok(run.of('feed').some((f) => f.state === 'backfilling'));
    // A gap that fails once, then fills.
    fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', 6, 106));
    fake.failKlines = 1;
    fake.sendKline(bar('BTCUSDT', 7, 107), true);
    await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'gap', 'gap halt');
    assert.equal(lastFeedState(run), 'backfilling');
    run.clock.advance(30_000);
    await run.waitFor('4 decisions', (r) => r.of('decision').length === 4);
    await run.waitFor('live again after the filled backfill', (r) => lastFeedState(r) === 'live');
    assert.deepEqual(heldHalts(run), []);
  } finally {
    await run.stop();
    await fake.close();
  }
});
