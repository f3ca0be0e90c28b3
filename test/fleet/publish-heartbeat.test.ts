import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHeartbeat, HeartbeatTimer, type PublisherHeartbeatMessage } from '../../src/fleet/publisher-heartbeat.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import { bar, FakeBinance, roundTrip, until } from '../helpers/fake-binance.ts';
import { natsSkip, startNatsServer } from '../helpers/nats.ts';
import { startPublisher, testConnection } from './publish-harness.ts';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const BASE = Date.UTC(2026, 0, 5);

test('a heartbeat a second on tradeloop.heartbeat.<id> while the feed is live; silent while it is connecting or stale', { skip: natsSkip() }, async (t) => {
  const nats = await startNatsServer(t);
  const fake = await FakeBinance.start(SYMBOLS);
  t.after(() => fake.close());
  for (const s of SYMBOLS)
    fake.restBars.set(
      s,
      Array.from({ length: 30 }, (_, m) => bar(s, m, 100 + m)),
    );
  const nc = await testConnection(t, nats.url);
  const beats: PublisherHeartbeatMessage[] = [];
  const sub = nc.subscribe('tradeloop.heartbeat.hb-1');
  void (async () => {
    for await (const m of sub) {
      const d = decodeHeartbeat(m.string());
      assert.ok(d.ok, d.ok ? '' : d.reason);
      beats.push(d.message);
    }
  })();
  await nc.flush();
  const clock = new VirtualClock(Date.now());
  const run = await startPublisher(t, { fake, nats: nats.url, symbols: SYMBOLS, id: 'hb-1', clock });
  const conn = await fake.waitForConnections(1);

  clock.advance(1000);
  assert.equal(run.publisher.progress().heartbeats, 0, 'no heartbeat before the feed delivers');
  // A kline update (not closed) is enough for the feed to be live.
  fake.sendKline(bar('BTCUSDT', 30, 130), false, Date.now(), conn);
  await roundTrip(conn);
  clock.advance(1000);
  const first = clock.now();
  clock.advance(1000);
  await until(() => beats.length === 2, 'two heartbeats on the wire');
  assert.deepEqual(beats[0], {
    publisherId: 'hb-1',
    at: first,
    symbols: SYMBOLS,
    interval: '1m',
    stream: 'TL_TEST_BARS',
    lastOpenTime: { BTCUSDT: BASE + 29 * 60_000, ETHUSDT: BASE + 29 * 60_000 },
    feed: 'live',
  });
  assert.equal(beats[1]!.at, first + 1000, "the publisher's clock, a second apart");

  // The exchange goes silent: past --stale-after (5 s) the feed is stale and the publisher stops vouching.
  fake.stall(conn);
  clock.advance(6000);
  await until(() => run.publisher.feedStatus().halts.includes('feed_stale'), 'the feed stale');
  const whileStale = run.publisher.progress().heartbeats;
  clock.advance(3000);
  assert.equal(run.publisher.progress().heartbeats, whileStale, 'no heartbeat while the feed is stale');

  fake.unstall(conn);
  fake.sendKline(bar('BTCUSDT', 30, 131), false, Date.now(), conn);
  await roundTrip(conn);
  assert.deepEqual(run.publisher.feedStatus(), { state: 'live', halts: [] });
  clock.advance(1000);
  assert.equal(run.publisher.progress().heartbeats, whileStale + 1, 'fresh again: beating again');
  await run.stop();
});

test('HeartbeatTimer: one beat at start, then one per period of the injected clock, none after stop', () => {
  const clock = new VirtualClock();
  let n = 0;
  const hb = new HeartbeatTimer({ clock, beat: () => n++ });
  hb.start();
  assert.equal(n, 1);
  clock.advance(999);
  assert.equal(n, 1);
  clock.advance(1);
  assert.equal(n, 2);
  clock.advance(3000);
  assert.equal(n, 5);
  hb.stop();
  clock.advance(5000);
  assert.equal(n, 5);
  assert.equal(clock.pendingTimers, 0);
});

test('decodeHeartbeat names what is wrong with a message that is not a heartbeat', () => {
  const good = { publisherId: 'a', at: 1, symbols: ['X'], interval: '1m', stream: 'S', lastOpenTime: { X: null }, feed: 'live' };
  assert.ok(decodeHeartbeat(JSON.stringify(good)).ok);
  const cases: Array<[string, string]> = [
    ['{', 'not JSON'],
    ['[]', 'not an object'],
    [JSON.stringify({ ...good, publisherId: '' }), 'publisherId missing'],
    [JSON.stringify({ ...good, at: 'now' }), 'at is not a finite number'],
    [JSON.stringify({ ...good, symbols: [1] }), 'symbols is not a list of names'],
    [JSON.stringify({ ...good, lastOpenTime: { X: 'x' } }), 'lastOpenTime is not a map of symbol to openTime'],
  ];
  for (const [text, reason] of cases) assert.deepEqual(decodeHeartbeat(text), { ok: false, reason });
});
