/**
 * Backpressure reaches every connection of a slot: during an overlap-first rotation the old
 * connection still delivers, so a full queue must pause it too, and resuming must resume it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, combined, FakeBinance, until } from '../../helpers/fake-binance.ts';
import { BinanceFeed } from '../../../src/feed/binance/binance-feed.ts';
import { RestClient } from '../../../src/feed/binance/rest-client.ts';
import { VirtualClock } from '../../../src/telemetry/clock.ts';
import type { FeedItem, FeedPort } from '../../../src/engine/feed-port.ts';

test('a full queue during a rotation pauses the old connection as well; resuming reads on', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const clock = new VirtualClock(Date.now());
  const items: FeedItem[] = [];
  let full = false;
  const port: FeedPort = {
    push: (item) => (items.push(item), !full),
    feedState: () => {},
    raiseHalt: () => {},
    liftHalt: () => {},
    alert: () => {},
    quote: () => {},
  };
  const feed = new BinanceFeed(
    {
      symbols: ['BTCUSDT'],
      interval: '1m',
      wsUrl: fake.wsUrl,
      rest: new RestClient(fake.restUrl),
      clock,
      random: () => 0.5,
      staleAfterMs: 600_000,
      staleAlertAfterMs: 600_000,
      pingIntervalMs: 600_000,
    },
    port,
  );
  try {
    feed.start();
    const first = await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true, Date.now(), first);
    await until(() => items.length === 1, 'first bar');
    fake.send(JSON.stringify({ stream: '!serverShutdown', data: { e: 'serverShutdown', E: Date.now() } }), first);
    await fake.waitForConnections(2); // the replacement opens and stays silent: the old one delivers
    full = true;
    fake.sendKline(bar('BTCUSDT', 1, 101), true, Date.now(), first);
    await until(() => items.length === 2, 'the bar that filled the queue');
    await new Promise<void>((resolve, reject) => first.ws.send(combined(bar('BTCUSDT', 2, 102), true, Date.now()), (err) => (err ? reject(err) : resolve())));
    // Bar 2 has left the fake's socket for ours (loopback). A request sent after it, and its answer
    // read by this same event loop, come after this loop had bar 2 to read: an unpaused connection
    // would have handed it over by then. A marker that follows it, not a guess at a delay.
    await (await fetch(`${fake.restUrl}/api/v3/time`)).arrayBuffer();
    assert.equal(items.length, 2, 'the old connection is paused too');
    full = false;
    feed.resumeReading();
    await until(() => items.length === 3, 'read again after resume');
  } finally {
    await feed.stop();
    await fake.close();
  }
});
