/**
 * The NATS feed's own rules beside the live-feed contract: the stream cursor's watermark (what the
 * journal records), where a resumed feed starts when the stream no longer holds what follows its
 * cursor (purged by its limits, or deleted and made again), what a resumed feed's catch-up is
 * measured against (stale_bar), and a server that cannot be reached at all. Against a real
 * nats-server of the test's own; the port records what the feed does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsFeed } from '../../src/feed/nats/nats-feed.ts';
import { StreamCursor } from '../../src/feed/stream-cursor.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import { natsSkip } from '../helpers/nats.ts';
import { RecordingPort } from '../helpers/recording-port.ts';
import { MINUTE, minuteBar, NatsTape } from './nats-tape.ts';

const BASE = Date.UTC(2026, 0, 5);
const A = 'BTCUSDT';
const B = 'ETHUSDT';
const skip = natsSkip();

test('the watermark: every message at or before it decided or not needed, though a later minute sits at a lower sequence', () => {
  const c = new StreamCursor(10);
  assert.equal(c.watermark(), 10, 'nothing read yet: where reading starts after');
  // A publisher per symbol: A's minutes 1 and 2 land before B's minute 1.
  c.handed(A, BASE + MINUTE, 11);
  c.handed(A, BASE + 2 * MINUTE, 12);
  c.passed(13); // another symbol's bar
  c.handed(B, BASE + MINUTE, 14);
  assert.equal(c.watermark(), 10);
  // The slice of minute 1 is decided: A's minute 2 (seq 12) still waits, so 12 must be read again after a crash.
  c.decided(A, BASE + MINUTE);
  c.decided(B, BASE + MINUTE);
  assert.equal(c.watermark(), 11, 'not 14, the last bar decided: 12 waits in the loop');
  assert.equal(c.holding, 1);
  c.decided(A, BASE + 2 * MINUTE);
  assert.equal(c.watermark(), 14, 'nothing waits: the last sequence read');
  c.passed(15);
  assert.equal(c.watermark(), 15);
  assert.equal(c.readThrough, 15);
  c.decided('NOSUCH', BASE);
  assert.equal(c.watermark(), 15, 'a symbol never handed on changes nothing');
  // Memory stays flat over a long session: decided bars leave.
  for (let i = 0; i < 5000; i++) {
    c.handed(A, BASE + (3 + i) * MINUTE, 16 + i);
    c.decided(A, BASE + (3 + i) * MINUTE);
  }
  assert.equal(c.holding, 0);
  assert.equal(c.watermark(), 16 + 4999);
  const fresh = new StreamCursor(null);
  assert.equal(fresh.watermark(), null, 'a cursor that starts at the stream end knows nothing before it reads it');
  fresh.begin(40);
  assert.equal(fresh.watermark(), 40);
});

/** A feed on the tape, resumed after `after`, with A seeded at `seed` (its last decided bar). */
function resumedFeed(tape: NatsTape, after: number, seed: number): { feed: NatsFeed; port: RecordingPort } {
  const port = new RecordingPort(BASE);
  const clock = new VirtualClock(BASE + 60 * MINUTE);
  const feed = new NatsFeed(
    {
      url: tape.url,
      stream: tape.stream,
      symbols: [A],
      interval: '1m',
      clock,
      staleAfterMs: 60_000,
      staleAlertAfterMs: 120_000,
      cursor: new StreamCursor(after, true),
    },
    port,
  );
  feed.seed(A, seed);
  return { feed, port };
}

test('a resumed feed whose stream no longer holds the sequences after its cursor says so and reads from the stream’s first message', { skip }, async (t) => {
  const tape = await NatsTape.start(t, { server: 'own', stream: 'TL_PURGED' });
  for (let m = 0; m < 10; m++) await tape.publish(minuteBar(A, m, 100 + m, BASE));
  const nc = await connect({ servers: tape.url });
  t.after(() => nc.close());
  // Its limits dropped seqs 1..6 while the session was away.
  await (await jetstreamManager(nc)).streams.purge(tape.stream, { seq: 7 });
  const { feed, port } = resumedFeed(tape, 3, BASE + 3 * MINUTE);
  // Stopped before the tape and its server go (after-hooks run first registered, first run).
  feed.start();
  try {
    await port.when('minutes 6 to 9', () => port.minutes(A).length === 4);
    assert.deepEqual(port.minutes(A), [6, 7, 8, 9]);
    const said = port.alerts.find((a) => a.kind === 'backfill');
    assert.ok(said, 'an alert says what was lost');
    assert.match(said.message, /no longer holds seqs 4 to 6 \(its limits dropped them while this session was away\)/);
  } finally {
    await feed.stop();
  }
});

test('a resumed feed whose journaled cursor is past the stream’s end (the stream made again) reads it from the start, passing over what was decided', {
  skip,
}, async (t) => {
  const tape = await NatsTape.start(t, { server: 'own', stream: 'TL_REMADE' });
  for (let m = 0; m < 6; m++) await tape.publish(minuteBar(A, m, 100 + m, BASE));
  const { feed, port } = resumedFeed(tape, 500, BASE + 3 * MINUTE);
  // Stopped before the tape and its server go (after-hooks run first registered, first run).
  feed.start();
  try {
    await port.when('minutes 4 and 5', () => port.minutes(A).length === 2);
    assert.deepEqual(port.minutes(A), [4, 5]);
    assert.deepEqual(
      port.skips().map((s) => s.minute),
      [0, 1, 2, 3],
      'bars at or before the last decided are passed over, each said',
    );
    assert.match(port.alerts.find((a) => a.kind === 'backfill')?.message ?? '', /ends at seq 6, before this session's journaled cursor 500/);
  } finally {
    await feed.stop();
  }
});

test('a resumed feed measures the bars it catches up on against the stream’s newest (stale_bar), a fresh one does not', { skip }, async (t) => {
  const tape = await NatsTape.start(t, { server: 'own', stream: 'TL_CATCHUP' });
  for (let m = 0; m < 8; m++) await tape.publish(minuteBar(A, m, 100 + m, BASE));
  const { feed, port } = resumedFeed(tape, 2, BASE + 2 * MINUTE);
  // Stopped before the tape and its server go (after-hooks run first registered, first run).
  feed.start();
  try {
    await port.when('minutes 3 to 7', () => port.minutes(A).length === 5);
    const newest = port.items.flatMap((i) => (i.kind === 'bar' ? [(i.newestOpenTime - BASE) / MINUTE] : []));
    assert.deepEqual(newest, [7, 7, 7, 7, 7], "each caught-up bar says the stream's newest bar at the restart");
    assert.deepEqual(port.skips(), [{ symbol: A, minute: 2, reason: 'duplicate' }], 'the seeded bar, read again, is passed over');
    await tape.publish(minuteBar(A, 8, 108, BASE));
    await port.when('minute 8', () => port.minutes(A).includes(8));
    const last = port.items.at(-1)!;
    assert.equal(last.kind === 'bar' ? (last.newestOpenTime - BASE) / MINUTE : null, 8, 'a bar published after the restart is its own newest');
  } finally {
    await feed.stop();
  }
});

test('a server that cannot be reached: the feed says it once (an alert, the feed state) without a trading halt, keeps trying, and stop() ends it at once', {
  skip,
}, async () => {
  const port = new RecordingPort(BASE);
  const feed = new NatsFeed(
    {
      url: 'nats://127.0.0.1:1',
      stream: 'TL_NONE',
      symbols: [A, B],
      interval: '1m',
      clock: new VirtualClock(BASE),
      staleAfterMs: 5_000,
      staleAlertAfterMs: 10_000,
    },
    port,
  );
  feed.start();
  assert.equal(feed.status().connections[0]!.state, 'connecting');
  await port.when('the disconnect alert', () => port.alerts.some((a) => a.kind === 'disconnect'));
  assert.equal(port.alerts.filter((a) => a.kind === 'disconnect').length, 1);
  assert.equal(port.holds('feed_disconnected'), false, 'no trading halt: nothing can be decided before it is read from the stream');
  assert.match(port.alerts[0]!.message, /cannot connect to nats-server nats:\/\/127\.0\.0\.1:1: .*; retrying/);
  assert.equal(feed.status().state, 'disconnected');
  const started = Date.now();
  await feed.stop();
  assert.ok(Date.now() - started < 2_000, 'stop() does not wait out the retries');
  assert.equal(feed.status().state, 'stopped');
  assert.deepEqual(feed.counters().connects, 0);
});
