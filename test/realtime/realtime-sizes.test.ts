/**
 * Sizes from the network are bounded: a message far larger than a kline is skipped unparsed, and
 * a frame past the WebSocket payload cap ends that connection (never buffered whole, whatever its
 * size); the feed reconnects and backfills as for any drop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';
import { MAX_PAYLOAD_BYTES } from '../../src/feed/live/ws-connection.ts';

const ONE = { symbols: ['BTCUSDT'] };

test('a 200 KB message is a malformed skip; the connection stays', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE });
  try {
    const conn = await fake.waitForConnections(1);
    fake.send(JSON.stringify({ stream: 'btcusdt@kline_1m', data: { e: 'x'.repeat(200_000) } }));
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('a skip and a decision', (r) => r.of('skip').length === 1 && r.of('decision').length === 1);
    assert.equal(run.of('skip')[0]!.reason, 'malformed');
    assert.ok(String(run.of('skip')[0]!.message).length < 200);
    assert.equal(conn.ws.readyState, conn.ws.OPEN);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a frame past the payload cap closes that connection (1009); the feed reconnects and goes on', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE });
  try {
    const first = await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('1 decision', (r) => r.of('decision').length === 1);
    const closed = new Promise<number>((resolve) => first.ws.on('close', (code) => resolve(code)));
    fake.send('x'.repeat(MAX_PAYLOAD_BYTES + 1), first);
    assert.equal(await closed, 1009);
    await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'feed_disconnected', 'disconnect');
    run.clock.advance(1_000);
    const second = await fake.waitForConnections(2);
    fake.sendKline(bar('BTCUSDT', 1, 101), true, Date.now(), second);
    await run.waitFor('2 decisions', (r) => r.of('decision').length === 2);
    await run.sink.waitFor((e) => e.type === 'resume' && e.reason === 'feed_disconnected', 'resumed');
  } finally {
    await run.stop();
    await fake.close();
  }
});
