/**
 * The publisher's parts without servers: the stream's limits, what a start publishes, and the
 * outbox's order and retries against a hand-written publish that fails when told to (the real
 * server's failures are in publish.test.ts: a nats-server killed with SIGKILL).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bar } from '../../src/domain/types.ts';
import { barStreamLimits, describeOutcome, filterCovers } from '../../src/fleet/bar-stream.ts';
import { decodeBarMessage } from '../../src/fleet/bar-message.ts';
import { natsConnectOptions } from '../../src/fleet/publisher-connection.ts';
import { BarOutbox, type OutboxOptions, type PublishAck, type SubjectTip } from '../../src/fleet/publisher-outbox.ts';
import { barsToLoad, planStart } from '../../src/fleet/publisher-start.ts';
import { formatPublisherSummary } from '../../src/fleet/publisher-summary.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';

const MIN = 60_000;
const BASE = Date.UTC(2026, 0, 5);
const at = (m: number): number => BASE + m * MIN;

function mkBar(symbol: string, minute: number): Bar {
  return {
    symbol,
    interval: '1m',
    openTime: at(minute),
    closeTime: at(minute) + MIN - 1,
    open: 100,
    high: 101,
    low: 99,
    close: 100,
    volume: 1,
    source: 'rest-backfill',
  };
}
const bars = (from: number, to: number): Bar[] => Array.from({ length: to - from + 1 }, (_, i) => mkBar('X', from + i));
const minutes = (bs: readonly Bar[]): number[] => bs.map((b) => (b.openTime - BASE) / MIN);

test('stream limits: the duplicate window covers the history, retention is bounded per subject and by age', () => {
  assert.deepEqual(barStreamLimits('1m', 1000), { duplicateWindowMs: 1002 * MIN, maxMsgsPerSubject: 10_000, maxAgeMs: 10_000 * MIN });
  assert.deepEqual(
    barStreamLimits('1m', 0),
    { duplicateWindowMs: 2 * MIN, maxMsgsPerSubject: 10_000, maxAgeMs: 10_000 * MIN },
    "never shorter than JetStream's own 2 min",
  );
  assert.deepEqual(barStreamLimits('1h', 8000), { duplicateWindowMs: 8002 * 3_600_000, maxMsgsPerSubject: 16_000, maxAgeMs: 16_000 * 3_600_000 });
  for (const [interval, history] of [
    ['1s', 0],
    ['1m', 100_000],
    ['1d', 1000],
    ['1M', 50],
  ] as const) {
    const l = barStreamLimits(interval, history);
    assert.ok(l.maxAgeMs >= l.duplicateWindowMs, `${interval} ${history}: the server refuses a window longer than max_age`);
    assert.ok(l.maxMsgsPerSubject >= history);
  }
  assert.match(
    describeOutcome('S', { kind: 'created', limits: barStreamLimits('1m', 1000) }),
    /duplicate window 16\.7 h, at most 10000 bars per subject and 6\.9 days of age/,
  );
});

test('subject filters: what a stream subject covers', () => {
  assert.ok(filterCovers('tradeloop.bars.>', 'tradeloop.bars.1m.*'));
  assert.ok(filterCovers('>', 'tradeloop.bars.1m.*'));
  assert.ok(filterCovers('tradeloop.*.1m.*', 'tradeloop.bars.1m.*'));
  assert.ok(!filterCovers('tradeloop.bars.1h.>', 'tradeloop.bars.1m.*'));
  assert.ok(!filterCovers('tradeloop.bars.1m', 'tradeloop.bars.1m.*'));
  assert.ok(!filterCovers('tradeloop.bars.1m.BTCUSDT', 'tradeloop.bars.1m.*'), 'one symbol does not take them all');
  assert.ok(!filterCovers('tradeloop.bars.*.*.>', 'tradeloop.bars.1m.*'));
});

test('start plan: an empty subject gets the history; the feed goes on from its newest bar', () => {
  const p = planStart({
    bars: bars(0, 29),
    lastClosed: at(29),
    ends: { first: null, last: null },
    historyBars: 10,
    interval: '1m',
    maxBackfillBars: 100,
    serverTime: at(30) + 5,
  });
  assert.deepEqual(minutes(p.history), [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
  assert.deepEqual(p.missed, []);
  assert.equal(p.seed, at(29));
  const none = planStart({
    bars: [],
    lastClosed: at(29),
    ends: { first: null, last: null },
    historyBars: 0,
    interval: '1m',
    maxBackfillBars: 100,
    serverTime: at(30),
  });
  assert.deepEqual([none.history.length, none.seed], [0, at(29)], '--history 0: nothing sent, the feed still starts after the newest closed bar');
});

test('start plan: history the stream spans is sent again, bars after its last are the missed ones, history before its first is not sent', () => {
  // The stream holds minutes 15..24; the exchange has closed up to 29; history 20 = minutes 10..29.
  const p = planStart({
    bars: bars(0, 29),
    lastClosed: at(29),
    ends: { first: at(15), last: at(24) },
    historyBars: 20,
    interval: '1m',
    maxBackfillBars: 100,
    serverTime: at(30),
  });
  assert.deepEqual(minutes(p.history), [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  assert.deepEqual(minutes(p.missed), [25, 26, 27, 28, 29]);
  assert.equal(p.olderThanStream, 5, 'minutes 10..14 would land behind 24');
  assert.equal(p.gapBars, 0);
  assert.equal(p.seed, at(29));
});

test('start plan: an outage longer than the history is published whole, up to --max-backfill-bars; a longer one leaves a counted gap', () => {
  const serverTime = at(60);
  assert.equal(
    barsToLoad(
      10,
      [
        { first: at(0), last: at(9) },
        { first: null, last: null },
      ],
      serverTime,
      '1m',
      100,
    ),
    51,
    'enough to reach back to the last bar',
  );
  assert.equal(barsToLoad(10, [{ first: at(0), last: at(9) }], serverTime, '1m', 30), 30, 'capped by --max-backfill-bars');
  const whole = planStart({
    bars: bars(9, 59),
    lastClosed: at(59),
    ends: { first: at(0), last: at(9) },
    historyBars: 10,
    interval: '1m',
    maxBackfillBars: 100,
    serverTime,
  });
  assert.deepEqual(
    minutes(whole.missed),
    Array.from({ length: 50 }, (_, i) => 10 + i),
  );
  assert.deepEqual(whole.history, [], 'the last 10 closed bars are all missed ones, none a repeat');
  assert.equal(whole.gapBars, 0);
  const capped = planStart({
    bars: bars(30, 59),
    lastClosed: at(59),
    ends: { first: at(0), last: at(9) },
    historyBars: 10,
    interval: '1m',
    maxBackfillBars: 30,
    serverTime,
  });
  assert.deepEqual(
    minutes(capped.missed),
    Array.from({ length: 30 }, (_, i) => 30 + i),
  );
  assert.equal(capped.gapBars, 20, 'minutes 10..29 are never published');
  assert.equal(capped.seed, at(59));
});

test('start plan: a stream ahead of the exchange (another publisher) seeds the feed from the stream', () => {
  const p = planStart({
    bars: bars(0, 29),
    lastClosed: at(29),
    ends: { first: at(0), last: at(31) },
    historyBars: 5,
    interval: '1m',
    maxBackfillBars: 100,
    serverTime: at(30),
  });
  assert.deepEqual(minutes(p.history), [25, 26, 27, 28, 29]);
  assert.deepEqual(p.missed, []);
  assert.equal(p.seed, at(31), 'never a bar at or before the stream has');
});

/** A publish the test answers by hand: each call waits until the test resolves or rejects it. */
class HandPublish {
  readonly calls: Array<{ subject: string; id: string; openTime: number; expect: number; answer: (a: PublishAck | 'conflict' | Error) => void }> = [];
  /** What tipOf answers next, per subject (default: an empty subject). */
  readonly tips = new Map<string, SubjectTip | null>();
  readonly tipReads: string[] = [];
  readonly publish = (subject: string, data: string, msgID: string, expect: number): Promise<PublishAck | 'conflict'> =>
    new Promise((resolve, reject) => {
      const d = decodeBarMessage(data);
      assert.ok(d.ok);
      this.calls.push({ subject, id: msgID, openTime: d.message.openTime, expect, answer: (a) => (a instanceof Error ? reject(a) : resolve(a)) });
    });
  readonly tipOf = async (subject: string): Promise<SubjectTip | null> => {
    this.tipReads.push(subject);
    return this.tips.get(subject) ?? null;
  };
  pending(): number[] {
    return this.calls.map((c) => (c.openTime - BASE) / MIN);
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An outbox publishing by hand on a virtual clock; what it says goes to `on`. */
function handOutbox(hand: HandPublish, clock: VirtualClock, maxHeld: number, on: Partial<Pick<OutboxOptions, 'onRoom' | 'onDown' | 'onUp'>> = {}): BarOutbox {
  return new BarOutbox({
    interval: '1m',
    publish: hand.publish,
    tipOf: hand.tipOf,
    clock,
    random: () => 0.5,
    maxHeld,
    onRoom: on.onRoom ?? (() => {}),
    onDown: on.onDown ?? (() => {}),
    onUp: on.onUp ?? (() => {}),
  });
}

test('outbox: one publish in flight per symbol; a failed one is retried before the next, until acked; counts and the down/up story', async () => {
  const clock = new VirtualClock();
  const hand = new HandPublish();
  const said: string[] = [];
  const outbox = handOutbox(hand, clock, 100, {
    onRoom: () => said.push('room'),
    onDown: (reason, held) => said.push(`down ${reason} ${held}`),
    onUp: (_ms, held, retries) => said.push(`up ${held} ${retries}`),
  });
  for (let m = 0; m < 3; m++) outbox.add(mkBar('X', m), at(m) + MIN - 1, 'feed');
  outbox.add(mkBar('Y', 0), at(0) + MIN - 1, 'history');
  await tick();
  assert.deepEqual(
    hand.calls.map((c) => c.id),
    ['X:1m:1767571200000', 'Y:1m:1767571200000'],
    'one in flight per symbol',
  );
  assert.equal(hand.calls[0]!.subject, 'tradeloop.bars.1m.X');
  hand.calls[0]!.answer(new Error('TIMEOUT'));
  hand.calls[1]!.answer({ duplicate: true, seq: 1 });
  await tick();
  assert.deepEqual(said, ['down TIMEOUT 4']);
  assert.equal(hand.calls.length, 2, 'X waits for its backoff before trying minute 0 again, and does not skip to minute 1');
  clock.advance(5_000);
  await tick();
  assert.deepEqual(hand.pending(), [0, 0, 0], 'minute 0 again');
  hand.calls[2]!.answer({ duplicate: false, seq: 2 });
  await tick();
  assert.deepEqual(said, ['down TIMEOUT 4', 'up 2 1'], 'an ack for a publish sent after the failure: back');
  hand.calls[3]!.answer({ duplicate: false, seq: 3 });
  await tick();
  hand.calls[4]!.answer({ duplicate: true, seq: 4 });
  await tick();
  await outbox.idle();
  assert.deepEqual(hand.pending(), [0, 0, 0, 1, 2]);
  assert.equal(outbox.retries, 1);
  assert.equal(outbox.losses, 1);
  assert.deepEqual(outbox.counts, {
    history: { published: 0, duplicates: 1, behind: 0 },
    missed: { published: 0, duplicates: 0, behind: 0 },
    feed: { published: 2, duplicates: 1, behind: 0 },
  });
  assert.deepEqual(
    hand.calls.map((c) => c.expect),
    [0, 0, 0, 2, 3],
    "each publish expects the subject's last sequence as the lane knows it (0: empty)",
  );
  assert.equal(outbox.lastOpenTime.get('X'), at(2));
  assert.equal(outbox.held, 0);
});

test('outbox: another publisher got ahead: the expectation is refused, the subject read again, the bar decided anew (published after the newest, or counted behind it)', async () => {
  const clock = new VirtualClock();
  const hand = new HandPublish();
  const outbox = handOutbox(hand, clock, 100);
  const subject = 'tradeloop.bars.1m.X';
  hand.tips.set(subject, { seq: 7, openTime: at(1) });
  for (const m of [0, 3, 4]) outbox.add(mkBar('X', m), 0, 'history');
  await tick();
  assert.deepEqual(
    [hand.calls[0]!.openTime, hand.calls[0]!.expect],
    [at(0), 0],
    'behind the newest: expecting an empty subject, so that only a duplicate is acked',
  );
  hand.calls[0]!.answer('conflict');
  await tick();
  assert.deepEqual([hand.calls[1]!.openTime, hand.calls[1]!.expect], [at(3), 7]);
  // Meanwhile the other publisher stored minute 3 and 4 (seq 8, 9): refused; the subject is read again.
  hand.tips.set(subject, { seq: 9, openTime: at(4) });
  hand.calls[1]!.answer('conflict');
  await tick();
  await tick();
  assert.deepEqual(hand.tipReads, [subject, subject], 'read again after the refusal');
  assert.deepEqual([hand.calls[2]!.openTime, hand.calls[2]!.expect], [at(3), 0], 'minute 3 now at or behind the newest: a duplicate, or behind');
  hand.calls[2]!.answer({ duplicate: true, seq: 8 });
  await tick();
  hand.calls[3]!.answer({ duplicate: true, seq: 9 });
  await outbox.idle();
  assert.deepEqual(outbox.counts.history, { published: 0, duplicates: 2, behind: 1 });
  assert.equal(outbox.retries, 0, 'a refused expectation is no failure of the server');
  assert.equal(outbox.lastOpenTime.get('X'), at(4));
});

test('outbox: full at maxHeld (the feed stops reading), room again at half; nothing is dropped; stop() ends the retries', async () => {
  const clock = new VirtualClock();
  const hand = new HandPublish();
  let room = 0;
  const outbox = handOutbox(hand, clock, 4, { onRoom: () => room++ });
  const answers = [0, 1, 2, 3, 4, 5].map((m) => outbox.add(mkBar('X', m), 0, 'feed'));
  assert.deepEqual(answers, [true, true, true, false, false, false]);
  assert.equal(outbox.held, 6, 'taken all the same');
  await tick();
  for (let i = 0; i < 3; i++) {
    hand.calls[i]!.answer({ duplicate: false, seq: i + 1 });
    await tick();
  }
  assert.equal(room, 0, 'three left: more than half of 4');
  hand.calls[3]!.answer({ duplicate: false, seq: 4 });
  await tick();
  assert.equal(room, 1, 'two left: room');
  hand.calls[4]!.answer(new Error('no responders'));
  await tick();
  outbox.stop();
  clock.advance(60_000);
  await tick();
  assert.equal(hand.calls.length, 5, 'no retry after stop');
  assert.equal(outbox.held, 2, 'what was not acked stays counted');
  assert.equal(clock.pendingTimers, 0);
});

test('the summary says what was not published, and how it will be made good', () => {
  const base = {
    publisherId: 'p',
    stream: 'S',
    symbols: ['X'],
    interval: '1m',
    published: 3,
    duplicates: 1,
    behind: 0,
    retries: 2,
    serverLosses: 1,
    history: { published: 1, duplicates: 1, notSent: 0 },
    missed: { published: 0, duplicates: 0 },
    live: { published: 2, duplicates: 0 },
    backfills: 0,
    backfilledBars: 0,
    gapSkippedBars: 0,
    feedSkips: { duplicate: 2 },
    feedPauses: 0,
    heartbeats: 4,
    lastOpenTime: { X: at(3) },
  };
  assert.doesNotMatch(formatPublisherSummary({ ...base, unpublished: 0 }), /NOT PUBLISHED/);
  assert.match(formatPublisherSummary({ ...base, unpublished: 2 }), /NOT PUBLISHED: 2 accepted bars/);
});

test('--nats URL to the client: credentials become user/password or a token, tls:// asks for TLS', () => {
  assert.deepEqual(natsConnectOptions('nats://127.0.0.1:4222'), { servers: '127.0.0.1:4222' });
  assert.deepEqual(natsConnectOptions('nats://alice:s%40cret@nats.example:4333'), { servers: 'nats.example:4333', user: 'alice', pass: 's@cret' });
  assert.deepEqual(natsConnectOptions('nats://T0KEN@host'), { servers: 'host:4222', token: 'T0KEN' });
  assert.deepEqual(natsConnectOptions('tls://[::1]:4222'), { servers: '[::1]:4222', tls: {} });
});
