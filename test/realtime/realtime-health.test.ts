import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, FakeBinance, until } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';
import { afterPendingIo } from '../../src/feed/live/ws-connection.ts';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';

// Fills at the close: these tests are about the feed's health, and wait on a bar's own fill.
const ONE = { symbols: ['BTCUSDT'], fillModel: 'close' as const };

/** An x:false update makes the feed live: from then on, silence is measured. */
async function goLive(fake: FakeBinance, run: Awaited<ReturnType<typeof startLoop>>): Promise<void> {
  fake.sendKline(bar('BTCUSDT', 0, 100), false);
  await run.sink.waitFor((e) => e.type === 'feed' && e.state === 'live', 'feed live');
}
/** Buys one lot on every bar: each decision tests the gate. */
const buyer: Strategy = { name: 'buyer', warmup: 0, onBar: () => [{ side: 'buy', qty: 1 }] };

test('a stall (socket open, nothing sent) halts trading within --stale-after; fresh data resumes it', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    options: { ...ONE, staleAfterMs: 5_000, staleAlertAfterMs: 10_000 },
    strategy: buyer,
  });
  try {
    const conn = await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('first fill', (r) => r.of('fill').length === 1);
    run.clock.advance(4_900);
    // A staleness verdict due by now is judged once pending I/O is read: wait for that same turn.
    await new Promise<void>((resolve) => afterPendingIo(resolve));
    assert.equal(run.of('halt').length, 0, 'not stale before the threshold');
    run.clock.advance(400);
    await run.waitFor('stale halt', (r) => r.of('halt').length === 1);
    assert.deepEqual(
      run.of('halt').map((h) => [h.reason, h.source]),
      [['feed_stale', 'auto']],
    );
    assert.ok(run.of('feed').some((f) => f.state === 'stale'));
    assert.ok(run.of('alert').some((a) => a.kind === 'trading_state'));
    // A closed bar arriving now is fresh data: the stale halt lifts before it is decided.
    fake.sendKline(bar('BTCUSDT', 1, 101), true, Date.now(), conn);
    await run.waitFor('resume and second fill', (r) => r.of('resume').length === 1 && r.of('fill').length === 2);
    assert.deepEqual(
      run.of('resume').map((e) => [e.reason, e.source]),
      [['feed_stale', 'auto']],
    );
    assert.equal(run.of('reject').length, 0);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('stale past --stale-alert-after: an alert, and the silent connection is replaced', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { ...ONE, staleAfterMs: 5_000, staleAlertAfterMs: 10_000 } });
  try {
    const first = await fake.waitForConnections(1);
    await goLive(fake, run);
    fake.stall(first);
    run.clock.advance(10_100);
    await run.waitFor(
      'stale alert and disconnect',
      (r) => r.of('alert').some((a) => a.kind === 'stale') && r.of('halt').some((h) => h.reason === 'feed_disconnected'),
    );
    run.clock.advance(1_000); // backoff: the first retry comes within 1 s
    const second = await fake.waitForConnections(2);
    fake.sendKline(bar('BTCUSDT', 0, 100), true, Date.now(), second);
    await run.waitFor('both feed halts lifted', (r) => r.of('resume').length === 2);
    assert.deepEqual(
      run
        .of('resume')
        .map((e) => e.reason)
        .sort(),
      ['feed_disconnected', 'feed_stale'],
    );
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a silent drop (no close frame) reconnects and backfills over REST: no missed, no doubled decision', async () => {
  const fake = await FakeBinance.start(['BTCUSDT', 'ETHUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl });
  try {
    const first = await fake.waitForConnections(1);
    for (const m of [0, 1]) {
      fake.sendKline(bar('BTCUSDT', m, 100 + m), true);
      fake.sendKline(bar('ETHUSDT', m, 50 + m), true);
    }
    await run.waitFor('4 decisions', (r) => r.of('decision').length === 4);
    fake.drop(first);
    await run.waitFor(
      'disconnect halt + alert',
      (r) => r.of('halt').some((h) => h.reason === 'feed_disconnected') && r.of('alert').some((a) => a.kind === 'disconnect'),
    );
    assert.ok(run.of('feed').some((f) => f.state === 'disconnected'));
    // Minutes 2 and 3 closed while we were away: only REST has them.
    for (const m of [2, 3]) {
      fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 100 + m));
      fake.restBars.get('ETHUSDT')!.push(bar('ETHUSDT', m, 50 + m));
    }
    run.clock.advance(1_000);
    const second = await fake.waitForConnections(2);
    // The overlap of live and backfilled data: minute 3 also arrives live, then minute 4.
    for (const m of [3, 4]) {
      fake.sendKline(bar('ETHUSDT', m, 50 + m), true, Date.now(), second);
      fake.sendKline(bar('BTCUSDT', m, 100 + m), true, Date.now(), second);
    }
    await run.waitFor('10 decisions', (r) => r.of('decision').length === 10);
    const keys = run.of('decision').map((d) => `${d.symbol}:${(Number(d.openTime) - Date.UTC(2026, 0, 5)) / 60_000}`);
    assert.deepEqual(keys, ['BTCUSDT:0', 'ETHUSDT:0', 'BTCUSDT:1', 'ETHUSDT:1', 'BTCUSDT:2', 'ETHUSDT:2', 'BTCUSDT:3', 'ETHUSDT:3', 'BTCUSDT:4', 'ETHUSDT:4']);
    // Minute 2 only exists in REST; minute 3 came live too, so it is not asked for.
    const sources = run.of('bar').map((b) => `${b.symbol}:${b.source}`);
    assert.deepEqual(
      sources.filter((s) => s.endsWith('rest-backfill')),
      ['BTCUSDT:rest-backfill', 'ETHUSDT:rest-backfill'],
    );
    // Backfill asked exactly for the gap, never up to the local clock.
    const asks = fake.restRequests.filter((u) => u.searchParams.has('startTime'));
    assert.equal(asks.length, 2);
    for (const u of asks) {
      assert.equal(Number(u.searchParams.get('startTime')), Date.UTC(2026, 0, 5) + 2 * 60_000);
      assert.equal(Number(u.searchParams.get('endTime')), Date.UTC(2026, 0, 5) + 3 * 60_000 - 1);
    }
    assert.equal(run.of('skip').length, 0);
    // Backfilled bars are marked and kept out of the latency percentiles.
    const latency = run.of('latency');
    assert.equal(latency.filter((l) => l.source === 'rest-backfill').length, 2);
    await run.sink.waitFor((e) => e.type === 'resume' && e.reason === 'feed_disconnected', 'disconnect halt lifted');
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('an operator halt and FLAG_TRADING_HALTED survive a feed recovery', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { ...ONE, staleAfterMs: 5_000 }, strategy: buyer, tradingHalted: true });
  try {
    await fake.waitForConnections(1);
    await run.session.submit({ kind: 'halt', detail: 'halted by hand', reducing: false });
    await goLive(fake, run);
    run.clock.advance(5_500);
    await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'feed_stale', 'stale halt');
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('feed resumed and a decision', (r) => r.of('resume').length === 1 && r.of('decision').length === 1);
    assert.deepEqual(
      run.of('resume').map((e) => e.reason),
      ['feed_stale'],
    );
    assert.deepEqual(
      run.of('halt').map((h) => h.reason),
      ['flag', 'operator', 'feed_stale'],
    );
    await run.waitFor('the order rejected', (r) => r.of('reject').length === 1);
    assert.equal(run.of('reject')[0]!.reason, 'trading_halted');
    assert.match(String(run.of('reject')[0]!.detail), /HALTED/);
    assert.equal(run.of('fill').length, 0);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('server pings are answered; our own pings detect a dead link (no pong) and reconnect', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    options: { ...ONE, pingIntervalMs: 2_000, staleAfterMs: 60_000, staleAlertAfterMs: 120_000 },
  });
  try {
    const first = await fake.waitForConnections(1);
    const pongs: Buffer[] = [];
    first.ws.on('pong', (data) => pongs.push(data));
    first.ws.ping(Buffer.from('hello'));
    await until(() => pongs.length === 1, 'pong from the client');
    assert.equal(pongs[0]!.toString(), 'hello');
    const pings: number[] = [];
    first.ws.on('ping', () => pings.push(1));
    run.clock.advance(2_000);
    await until(() => pings.length === 1, 'client ping');
    // The client reads frames in order: once it answers this ping it has read the pong to its own
    // ping before it. Without this the pong could reach it after the clock moves on below, and
    // count as the answer to the next ping, whose deadline then never passes (flaky under load).
    first.ws.ping(Buffer.from('sync'));
    await until(() => pongs.length === 2, 'the client to read the pong to its ping');
    fake.stall(first); // no more pongs
    run.clock.advance(2_000); // next ping, then its pong deadline (min(10 s, ping interval) = 2 s)
    run.clock.advance(2_000);
    await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'feed_disconnected', 'disconnect after a missing pong');
    run.clock.advance(1_000);
    await fake.waitForConnections(2);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('serverShutdown and the lifetime cut rotate overlap-first: no halt, no lost or doubled bar', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    options: { ...ONE, staleAfterMs: 60_000, staleAlertAfterMs: 60_000, latencyAlertMs: 600_000 },
    lifetimeMs: 3_000,
  });
  try {
    const first = await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    fake.send(JSON.stringify({ stream: '!serverShutdown', data: { e: 'serverShutdown', E: Date.now() } }), first);
    const second = await fake.waitForConnections(2);
    // Both connections deliver minute 1 during the overlap.
    fake.sendKline(bar('BTCUSDT', 1, 101), true, Date.now(), first);
    fake.sendKline(bar('BTCUSDT', 1, 101), true, Date.now(), second);
    await until(() => first.ws.readyState === first.ws.CLOSED, 'old connection closed');
    run.clock.advance(3_000); // the lifetime cut of the second connection
    const third = await fake.waitForConnections(3);
    fake.sendKline(bar('BTCUSDT', 2, 102), true, Date.now(), third);
    await run.waitFor('3 decisions', (r) => r.of('decision').length === 3);
    await until(() => second.ws.readyState === second.ws.CLOSED, 'second connection closed');
    assert.deepEqual(run.of('halt'), []);
    assert.deepEqual(run.of('alert'), []);
    assert.equal(run.of('skip').filter((s) => s.reason === 'duplicate').length, 1);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a failing backfill halts trading (gap) with an alert, retries with backoff, honours 429 Retry-After, then lifts', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('1 decision', (r) => r.of('decision').length === 1);
    fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', 1, 101));
    fake.failKlines = 1;
    fake.rateLimitKlines = 0;
    fake.sendKline(bar('BTCUSDT', 2, 102), true);
    await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'gap', 'gap halt');
    assert.ok(run.of('alert').some((a) => a.kind === 'backfill'));
    assert.equal(run.of('decision').length, 1, 'the live bar waits for the backfill');
    fake.rateLimitKlines = 1;
    fake.retryAfterSeconds = 7;
    run.clock.advance(30_000); // past any backoff: the retry meets a 429
    await until(() => fake.restRequests.length >= 3, 'retry hit the rate limit');
    // The client reads the 429 a few turns after the server sent it: step time in small slices
    // until the next request, and measure the virtual time it waited.
    let waited = 0;
    while (fake.restRequests.length < 4 && waited < 30_000) {
      run.clock.advance(100);
      waited += 100;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(waited >= 7_000 && waited <= 10_000, `Retry-After (7 s) is honoured: the retry came after ${waited} ms`);
    await run.waitFor('backfilled and live decided', (r) => r.of('decision').length === 3);
    await run.sink.waitFor((e) => e.type === 'resume' && e.reason === 'gap', 'gap lifted');
    assert.deepEqual(
      run.of('bar').map((b) => b.source),
      ['ws', 'rest-backfill', 'ws'],
    );
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('an empty backfill answer (market suspended) is success: no halt, no retry loop', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    fake.sendKline(bar('BTCUSDT', 150, 101), true);
    fake.sendKline(bar('BTCUSDT', 151, 102), true);
    await run.waitFor('3 decisions', (r) => r.of('decision').length === 3);
    assert.equal(fake.restRequests.filter((u) => u.searchParams.has('startTime')).length, 1);
    assert.equal(run.of('halt').length, 0);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a server that accepts the connection and never answers the upgrade: a disconnect alert, once, and the feed halt', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  // Takes TCP connections and says nothing: no HTTP 101, no close.
  const sockets = new Set<Socket>();
  const silent = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const wsUrl = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const run = await startLoop({ wsUrl, restUrl: fake.restUrl, options: { symbols: ['BTCUSDT'], staleAfterMs: 60_000, staleAlertAfterMs: 120_000 } });
  try {
    await until(() => sockets.size >= 1, 'the first attempt');
    run.clock.advance(10_000); // the connect timeout
    await run.sink.waitFor((e) => e.type === 'alert' && e.kind === 'disconnect', 'the alert');
    assert.match(String(run.of('alert').find((a) => a.kind === 'disconnect')!.message), /cannot connect: .*retrying with backoff/);
    run.clock.advance(60_000); // past any backoff
    await until(() => sockets.size >= 2, 'a second attempt');
    run.clock.advance(10_000); // the second attempt times out too
    // A third attempt comes only once the second was closed, where a second alert would have been
    // raised: step the clock past its backoff until it connects.
    await until(() => {
      run.clock.advance(1_000);
      return sockets.size >= 3;
    }, 'a third attempt');
    assert.equal(run.of('alert').filter((a) => a.kind === 'disconnect').length, 1, 'said once, not at every attempt');
  } finally {
    await run.stop();
    for (const s of sockets) s.destroy();
    silent.close();
    await fake.close();
  }
});
