/**
 * Liveness is judged from what the socket did, not from how long the loop was busy: when a pong
 * deadline or a staleness threshold passes while the answer is already waiting in the socket
 * buffer (the loop was blocked, e.g. by a slow strategy turn), the connection is kept. A socket
 * that really went silent (the server stopped reading and answering) is still terminated.
 *
 * The virtual clock is moved past the deadline in the same turn in which the server's answer
 * reaches our socket, before our side had a chance to read it: exactly what a blocked loop sees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, FakeBinance, untilFake } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';
import type { RealtimeRun } from '../helpers/realtime-harness.ts';

const ONE = { symbols: ['BTCUSDT'] };

async function goLive(fake: FakeBinance, run: RealtimeRun): Promise<void> {
  fake.sendKline(bar('BTCUSDT', 0, 100), true);
  await run.waitFor('first decision', (r) => r.of('decision').length === 1);
}

test('a pong already in the socket buffer when its deadline passes keeps the connection', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    options: { ...ONE, pingIntervalMs: 2_000, staleAfterMs: 600_000, staleAlertAfterMs: 600_000 },
  });
  try {
    const conn = await fake.waitForConnections(1);
    await goLive(fake, run);
    const pings = (): number => fake.pingsReceived.get(conn) ?? 0;
    run.clock.advance(2_000); // our ping goes out
    // The server has read the ping and written its pong: it is on its way, not yet read by us.
    await untilFake(fake, () => pings() === 1, 'the server got our ping');
    run.clock.advance(2_001); // the pong deadline passes in the same turn
    fake.sendKline(bar('BTCUSDT', 1, 101), true, Date.now(), conn);
    await run.waitFor('second decision, or a disconnect', (r) => r.of('decision').length === 2 || r.of('halt').length > 0);
    assert.deepEqual(run.of('halt'), []);
    assert.equal(fake.connections.length, 1);
    assert.equal(conn.ws.readyState, conn.ws.OPEN);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('data already in the socket buffer when the stale thresholds pass: no stale halt, no reconnect', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    options: { ...ONE, pingIntervalMs: 600_000, staleAfterMs: 5_000, staleAlertAfterMs: 10_000 },
  });
  try {
    const conn = await fake.waitForConnections(1);
    await goLive(fake, run);
    run.clock.advance(4_000);
    fake.sendKline(bar('BTCUSDT', 1, 101), true, Date.now(), conn); // written to our socket now
    run.clock.advance(7_000); // 11 s since the last message we read: past both thresholds
    await run.waitFor('second decision', (r) => r.of('decision').length === 2);
    assert.deepEqual(run.of('halt'), []);
    // The bar's latency alert is real (the virtual clock jumped); no stale or disconnect alert.
    assert.deepEqual(
      run.of('alert').filter((a) => a.kind !== 'latency'),
      [],
    );
    assert.equal(fake.connections.length, 1);
    assert.equal(conn.ws.readyState, conn.ws.OPEN);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a socket that really went silent (the server stopped reading and answering) is still terminated: by the pong deadline and by staleness', async () => {
  for (const timing of [
    { pingIntervalMs: 2_000, staleAfterMs: 600_000, staleAlertAfterMs: 600_000 },
    { pingIntervalMs: 600_000, staleAfterMs: 5_000, staleAlertAfterMs: 10_000 },
  ]) {
    const fake = await FakeBinance.start(['BTCUSDT']);
    const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { ...ONE, ...timing } });
    try {
      const conn = await fake.waitForConnections(1);
      await goLive(fake, run);
      fake.stall(conn);
      run.clock.advance(2_000);
      run.clock.advance(2_001);
      run.clock.advance(7_000);
      await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'feed_disconnected', 'disconnect', 5_000);
      run.clock.advance(1_000);
      await fake.waitForConnections(2);
    } finally {
      await run.stop();
      await fake.close();
    }
  }
});
