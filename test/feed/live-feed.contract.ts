/**
 * The live-feed contract, written once (trading-signals' testIndicatorContract): what every
 * source behind src/feed/live-feed.ts must do, whatever carries its bars. A source's test file
 * calls liveFeedContract() with a subject that makes the feed and drives a real upstream on
 * 127.0.0.1 (for Binance, test/helpers/fake-binance.ts). Time is the feed's injected virtual
 * clock; every wait is on an event (a call on the port, the upstream seeing a connection), and
 * every "nothing happened" is checked after settle(), a round trip that gave the feed its chance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FeedPort } from '../../src/engine/feed-port.ts';
import type { LiveFeed } from '../../src/feed/live-feed.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import { RecordingPort, within } from '../helpers/recording-port.ts';

export const MINUTE = 60_000;
/** Minute 0 of every bar the contract publishes (1m bars). */
export const BASE = Date.UTC(2026, 0, 5);
const A = 'BTCUSDT';
const B = 'ETHUSDT';

/** The feed's side of the wire, driven by the contract. Bars are 1m, `minute` after BASE, close 100 + minute. */
export interface Upstream {
  /** Closed bars a backfill can fetch. */
  store(symbol: string, minutes: readonly number[]): void;
  /** Sends one closed bar live, as the upstream delivers them. */
  publish(symbol: string, minute: number): void;
  /** Sends one message that is not a bar at all. */
  publishMalformed(): void;
  /** Resolves once the feed has connected `count` times in all, as the upstream saw it. */
  connected(count: number): Promise<void>;
  /** Ends the feed's current connection abruptly, without a goodbye. */
  cut(): void;
  /** Backfill requests wait, unanswered, until release(); `arrived` resolves at the first one. */
  holdBackfills(): { readonly arrived: Promise<void>; release(): void };
  /** Resolves once everything sent so far has had its chance to reach the feed (a round trip after it). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface ContractSetup {
  readonly symbols: readonly string[];
  readonly clock: VirtualClock;
  readonly port: FeedPort;
  /** Jitter source: fixed, so the backoff's delays are the same every run. */
  readonly random: () => number;
  /** No message for this long: stale. Being stale for much longer (replacing the connection) is not tested here. */
  readonly staleAfterMs: number;
  /** The first reconnect waits at most this long; later ones, without a healthy period between, longer. */
  readonly backoffBaseMs: number;
}

export interface LiveFeedSubject {
  readonly name: string;
  /**
   * What the source does with a gap in a symbol's bars: `backfill` fetches the missing bars
   * (Binance, over REST) and holds the live ones meanwhile; `pass` reads a tape that already holds
   * whatever exists (the fleet's stream, which its publisher backfilled), so the next bar goes
   * straight through and the missing ones are counted. Its Upstream's store() puts bars on the
   * tape before the feed starts reading, and holdBackfills() is never called.
   */
  readonly gaps: 'backfill' | 'pass';
  /**
   * Who paces reconnects: the feed, with a backoff on its injected clock (`feed`), or the
   * upstream's client library, on its own timers (`client`: the contract then checks that it
   * reconnects and that nothing is lost, not how long it waited).
   */
  readonly reconnects: 'feed' | 'client';
  /**
   * What a lost connection does to trading: `halt` (feed_disconnected, lifted when it is back: an
   * exchange socket's bars of the outage come late or not at all), or `say` (an alert and the
   * feed state only: a durable tape misses nothing meanwhile and nothing is decided before it is
   * read, so a halt would guard nothing and cancel the resting orders a csv run keeps).
   */
  readonly lostConnection: 'halt' | 'say';
  open(setup: ContractSetup): Promise<{ readonly feed: LiveFeed; readonly upstream: Upstream }>;
}

interface Rig {
  readonly feed: LiveFeed;
  readonly upstream: Upstream;
  readonly port: RecordingPort;
  readonly clock: VirtualClock;
}

const STALE_AFTER_MS = 5_000;
const BACKOFF_BASE_MS = 1_000;

async function withFeed(subject: LiveFeedSubject, symbols: readonly string[], body: (rig: Rig) => Promise<void>): Promise<void> {
  const port = new RecordingPort(BASE);
  // The virtual wall clock is an hour past the bars: they are history, none from the future.
  const clock = new VirtualClock(BASE + 60 * MINUTE);
  const { feed, upstream } = await subject.open({ symbols, clock, port, random: () => 0.5, staleAfterMs: STALE_AFTER_MS, backoffBaseMs: BACKOFF_BASE_MS });
  try {
    await body({ feed, upstream, port, clock });
  } finally {
    await feed.stop();
    await upstream.close();
  }
}

/** Starts the feed and waits until the upstream sees its connection. */
async function started(rig: Rig): Promise<void> {
  rig.feed.start();
  await within('the first connection', rig.upstream.connected(1));
}

/** Steps the virtual clock by 10 ms until the feed has connected `count` times; how long that took. */
function stepUntilConnects(rig: Rig, count: number, limitMs: number): number {
  let waited = 0;
  while (rig.feed.counters().connects < count) {
    assert.ok(waited < limitMs, `no reconnect within ${limitMs} ms of the virtual clock`);
    rig.clock.advance(10);
    waited += 10;
  }
  return waited;
}

export function liveFeedContract(subject: LiveFeedSubject): void {
  const name = (what: string): string => `live feed contract (${subject.name}): ${what}`;

  test(name('closed bars reach the port once per symbol, in order, with the newest quote; status and counters say so'), async () => {
    await withFeed(subject, [A, B], async (rig) => {
      const { feed, upstream, port } = rig;
      assert.equal(feed.status().state, null, 'no state before start()');
      await started(rig);
      for (const [s, m] of [
        [A, 1],
        [B, 1],
        [A, 2],
        [B, 2],
        [A, 3],
      ] as const)
        upstream.publish(s, m);
      await port.when('3 bars of A and 2 of B', () => port.minutes(A).length === 3 && port.minutes(B).length === 2);
      assert.deepEqual(port.minutes(A), [1, 2, 3]);
      assert.deepEqual(port.minutes(B), [1, 2]);
      for (const item of port.items) {
        assert.equal(item.kind, 'bar');
        if (item.kind !== 'bar') continue;
        assert.equal(item.bar.closeTime, item.bar.openTime + MINUTE - 1);
        assert.ok(item.bar.low <= item.bar.close && item.bar.close <= item.bar.high);
        assert.equal(item.newestOpenTime, item.bar.openTime, "a bar that went straight through is its symbol's newest");
      }
      const lastA = port.items.findLast((i) => i.kind === 'bar' && i.bar.symbol === A);
      assert.equal(port.quotes.get(A)?.price, lastA?.kind === 'bar' ? lastA.bar.close : NaN, "the quote is the newest bar's close");
      const c = feed.counters();
      assert.equal(c.messages, 5);
      assert.equal(c.closedBars, 5);
      assert.deepEqual([c.duplicates, c.outOfOrder, c.malformed, c.backfills, c.disconnects, c.pauses], [0, 0, 0, 0, 0, 0]);
      assert.ok(c.connects >= 1);
      await port.when('live', () => port.state === 'live');
      const status = feed.status();
      assert.equal(status.state, 'live');
      assert.equal(status.connections.length, feed.connections);
      for (const conn of status.connections) assert.equal(conn.stale, false);
      assert.deepEqual(port.halts, []);
    });
  });

  test(name('a repeated closed bar is a duplicate, an older one out of order: skipped and counted, never delivered'), async () => {
    await withFeed(subject, [A], async (rig) => {
      const { feed, upstream, port } = rig;
      await started(rig);
      for (const m of [1, 2, 2, 1, 3]) upstream.publish(A, m);
      await port.when('bar 3', () => port.minutes(A).includes(3));
      assert.deepEqual(port.minutes(A), [1, 2, 3]);
      assert.deepEqual(port.skips(), [
        { symbol: A, minute: 2, reason: 'duplicate' },
        { symbol: A, minute: 1, reason: 'out_of_order' },
      ]);
      assert.deepEqual(
        port.items.map((i) => i.kind),
        ['bar', 'bar', 'skip', 'skip', 'bar'],
        'each in the order it came',
      );
      const c = feed.counters();
      assert.deepEqual([c.closedBars, c.duplicates, c.outOfOrder], [3, 1, 1]);
    });
  });

  if (subject.gaps === 'pass')
    test(name('a gap on the tape is passed over: the next bar goes straight through, nothing held, nothing asked for'), async () => {
      await withFeed(subject, [A, B], async (rig) => {
        const { feed, upstream, port } = rig;
        await started(rig);
        upstream.publish(A, 1);
        upstream.publish(A, 4);
        upstream.publish(B, 1);
        await port.when('A 1 and 4, B 1', () => port.minutes(A).length === 2 && port.minutes(B).length === 1);
        assert.deepEqual(port.minutes(A), [1, 4]);
        assert.equal(feed.isBackfilling(A), false);
        assert.equal(feed.undelivered().count, 0);
        assert.deepEqual(port.skips(), [], 'a gap is no skip: the bars were never on the tape');
        const c = feed.counters();
        assert.deepEqual([c.closedBars, c.backfills, c.backfilledBars], [3, 0, 0]);
        assert.equal(feed.status().stream?.gapBars, 2, 'the two missing bars are counted');
        assert.deepEqual(port.halts, []);
      });
    });

  if (subject.gaps === 'backfill')
    test(name('a gap is backfilled: the missing bars first, then the live one; held meanwhile, counted'), async () => {
      await withFeed(subject, [A, B], async (rig) => {
        const { feed, upstream, port } = rig;
        feed.seed(A, BASE);
        upstream.store(A, [0, 1, 2, 3]);
        const hold = upstream.holdBackfills();
        await started(rig);
        upstream.publish(A, 4);
        await port.when('backfilling', () => port.state === 'backfilling');
        await within('the backfill request', hold.arrived);
        assert.equal(feed.isBackfilling(A), true);
        assert.equal(feed.isBackfilling(B), false);
        assert.deepEqual(port.minutes(A), [], 'the live bar waits for the gap before it');
        assert.deepEqual(feed.undelivered().bySymbol, { [A]: 1 }, 'accepted, not yet decided');
        hold.release();
        await port.when('bars 1..4', () => port.minutes(A).length === 4);
        assert.deepEqual(port.minutes(A), [1, 2, 3, 4]);
        const newest = BASE + 4 * MINUTE;
        for (const item of port.items) if (item.kind === 'bar') assert.equal(item.newestOpenTime, newest, 'each says the newest bar accepted when it went out');
        await port.when('live again', () => port.state === 'live');
        assert.equal(feed.isBackfilling(A), false);
        assert.equal(feed.undelivered().count, 0);
        const c = feed.counters();
        assert.deepEqual([c.closedBars, c.backfills, c.backfilledBars, c.backfillFailures], [1, 1, 3, 0]);
        assert.deepEqual(port.halts, [], 'a backfill that succeeds halts nothing');
      });
    });

  test(name('seed(): the feed goes on from the bar after the seed, never delivering it or an older one'), async () => {
    await withFeed(subject, [A], async (rig) => {
      const { feed, upstream, port } = rig;
      feed.seed(A, BASE + 5 * MINUTE);
      upstream.store(A, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await started(rig);
      upstream.publish(A, 5);
      upstream.publish(A, 4);
      upstream.publish(A, 8);
      await port.when('bar 8', () => port.minutes(A).includes(8));
      // A backfilling source fetches 6 and 7; on a tape that lacks them they are passed over.
      assert.deepEqual(port.minutes(A), subject.gaps === 'backfill' ? [6, 7, 8] : [8]);
      assert.deepEqual(
        port.skips(),
        [
          { symbol: A, minute: 5, reason: 'duplicate' },
          { symbol: A, minute: 4, reason: 'out_of_order' },
        ],
        'the seeded bar counts as already decided, and so does an older one',
      );
      assert.equal(feed.counters().backfilledBars, subject.gaps === 'backfill' ? 2 : 0);
    });
  });

  if (subject.gaps === 'pass')
    test(name('stop() resolves; nothing reaches the port after it; nothing was held, so nothing is undelivered'), async () => {
      await withFeed(subject, [A], async (rig) => {
        const { feed, upstream, port } = rig;
        await started(rig);
        upstream.publish(A, 1);
        await port.when('bar 1', () => port.minutes(A).length === 1);
        await feed.stop();
        const after = port.items.length;
        const calls = port.states.length + port.halts.length + port.alerts.length;
        assert.equal(feed.status().state, 'stopped');
        assert.equal(port.state, 'stopped');
        upstream.publish(A, 2);
        await upstream.settle();
        assert.equal(port.items.length, after, 'nothing pushed after stop()');
        assert.equal(port.states.length + port.halts.length + port.alerts.length, calls, 'no state, halt or alert after stop()');
        assert.deepEqual(feed.undelivered(), { count: 0, bySymbol: {}, reasons: [] });
        await feed.stop(); // a second stop() is harmless
      });
    });

  if (subject.gaps === 'backfill')
    test(name('stop() resolves with a backfill in flight; nothing reaches the port after it; undelivered() says what waited'), async () => {
      await withFeed(subject, [A], async (rig) => {
        const { feed, upstream, port } = rig;
        feed.seed(A, BASE);
        upstream.store(A, [1]);
        const hold = upstream.holdBackfills();
        await started(rig);
        upstream.publish(A, 2);
        await within('the backfill request', hold.arrived);
        await feed.stop();
        const after = port.items.length;
        const calls = port.states.length + port.halts.length + port.alerts.length;
        assert.equal(feed.status().state, 'stopped');
        assert.equal(port.state, 'stopped');
        hold.release();
        upstream.publish(A, 3);
        await upstream.settle();
        assert.equal(port.items.length, after, 'nothing pushed after stop()');
        assert.equal(port.states.length + port.halts.length + port.alerts.length, calls, 'no state, halt or alert after stop()');
        assert.deepEqual(port.minutes(A), []);
        const owed = feed.undelivered();
        assert.equal(owed.count, 1);
        assert.deepEqual(owed.bySymbol, { [A]: 1 });
        assert.equal(owed.reasons.length, 1);
        assert.ok(owed.reasons[0]!.startsWith(`${A} 1 `), owed.reasons[0]);
        await feed.stop(); // a second stop() is harmless
      });
    });

  test(name('a full queue pauses reading; resumeReading() reads on, nothing lost'), async () => {
    await withFeed(subject, [A], async (rig) => {
      const { feed, upstream, port } = rig;
      await started(rig);
      port.full = true;
      upstream.publish(A, 1);
      await port.when('queue_full alert', () => port.alerts.some((a) => a.kind === 'queue_full'));
      assert.equal(feed.counters().pauses, 1);
      upstream.publish(A, 2);
      upstream.publish(A, 3);
      await upstream.settle();
      assert.deepEqual(port.minutes(A), [1], 'paused: nothing more was read');
      port.full = false;
      feed.resumeReading();
      await port.when('bars 2 and 3', () => port.minutes(A).length === 3);
      assert.deepEqual(port.minutes(A), [1, 2, 3]);
      const c = feed.counters();
      assert.deepEqual([c.closedBars, c.pauses], [3, 1]);
      assert.deepEqual(port.halts, [], 'our own pause is not a stale feed');
    });
  });

  test(name('a malformed message is a counted skip, and the feed reads on'), async () => {
    await withFeed(subject, [A], async (rig) => {
      const { feed, upstream, port } = rig;
      await started(rig);
      upstream.publishMalformed();
      upstream.publish(A, 1);
      await port.when('bar 1', () => port.minutes(A).length === 1);
      assert.deepEqual(
        port.items.map((i) => (i.kind === 'skip' ? i.event.reason : 'bar')),
        ['malformed', 'bar'],
      );
      const c = feed.counters();
      assert.deepEqual([c.messages, c.malformed, c.closedBars], [2, 1, 1]);
      await port.when('live', () => port.state === 'live');
    });
  });

  test(name('silence past staleAfterMs on the injected clock halts feed_stale; the next message lifts it'), async () => {
    await withFeed(subject, [A], async (rig) => {
      const { feed, upstream, port, clock } = rig;
      await started(rig);
      upstream.publish(A, 1);
      await port.when('live', () => port.state === 'live');
      clock.advance(STALE_AFTER_MS - 1_000);
      await upstream.settle();
      assert.equal(port.holds('feed_stale'), false, 'not yet stale');
      clock.advance(2_000);
      await port.when('feed_stale', () => port.holds('feed_stale'));
      assert.equal(port.state, 'stale');
      assert.equal(
        feed.status().connections.some((c) => c.stale),
        true,
      );
      upstream.publish(A, 2);
      await port.when('feed_stale lifted', () => !port.holds('feed_stale') && port.state === 'live');
      assert.deepEqual(port.minutes(A), [1, 2]);
    });
  });

  if (subject.reconnects === 'client')
    test(
      name(
        `a lost connection: ${subject.lostConnection === 'halt' ? 'halted' : 'said without a halt'} and alerted, reconnected by the client, nothing published meanwhile lost`,
      ),
      async () => {
        const halts = subject.lostConnection === 'halt';
        await withFeed(subject, [A], async (rig) => {
          const { feed, upstream, port } = rig;
          await started(rig);
          upstream.publish(A, 1);
          await port.when('live with bar 1', () => port.state === 'live' && port.minutes(A).length === 1);
          upstream.cut();
          await port.when('disconnected', () => port.state === 'disconnected' && port.alerts.some((a) => a.kind === 'disconnect'));
          assert.equal(port.holds('feed_disconnected'), halts, halts ? 'halted feed_disconnected' : 'no trading halt');
          assert.equal(feed.status().state, 'disconnected');
          assert.equal(feed.counters().disconnects, 1);
          upstream.publish(A, 2); // closed while the feed was away
          await within('the second connection', upstream.connected(2));
          upstream.publish(A, 3);
          await port.when('bars 2 and 3', () => port.minutes(A).length === 3, 20_000);
          assert.deepEqual(port.minutes(A), [1, 2, 3]);
          await port.when('live again, no halt held', () => !port.holds('feed_disconnected') && port.state === 'live');
          upstream.cut();
          await port.when('disconnected again', () => feed.counters().disconnects === 2 && port.state === 'disconnected');
          assert.equal(port.holds('feed_disconnected'), halts);
          await within('the third connection', upstream.connected(3));
          await port.when('live again', () => !port.holds('feed_disconnected') && port.state === 'live', 20_000);
          assert.equal(feed.counters().connects, 3);
        });
      },
    );

  if (subject.reconnects === 'feed')
    test(
      name(
        `a lost connection: ${subject.lostConnection === 'halt' ? 'halted' : 'said without a halt'} and alerted, reconnected after a growing backoff on the injected clock, the outage backfilled`,
      ),
      async () => {
        const halts = subject.lostConnection === 'halt';
        await withFeed(subject, [A], async (rig) => {
          const { feed, upstream, port } = rig;
          feed.seed(A, BASE);
          upstream.store(A, [1, 2, 3]);
          await started(rig);
          upstream.publish(A, 1);
          await port.when('live', () => port.state === 'live');
          upstream.cut();
          await port.when('disconnected', () => port.state === 'disconnected' && port.alerts.some((a) => a.kind === 'disconnect'));
          assert.equal(port.holds('feed_disconnected'), halts);
          assert.equal(feed.status().state, 'disconnected');
          assert.equal(feed.counters().disconnects, 1);
          assert.equal(feed.counters().connects, 1, 'no reconnect before the clock moves');
          const first = stepUntilConnects(rig, 2, 60_000);
          assert.ok(first > 0 && first <= BACKOFF_BASE_MS, `the first reconnect waited ${first} ms`);
          await within('the second connection', upstream.connected(2));
          upstream.publish(A, 3); // minute 2 closed while the feed was away
          await port.when('bars 2 and 3', () => port.minutes(A).length === 3);
          assert.deepEqual(port.minutes(A), [1, 2, 3]);
          await port.when('live again, no halt held', () => !port.holds('feed_disconnected') && port.state === 'live');
          assert.equal(feed.counters().backfilledBars, 1);
          upstream.cut();
          await port.when('disconnected again', () => feed.counters().disconnects === 2 && port.state === 'disconnected');
          assert.equal(port.holds('feed_disconnected'), halts);
          const second = stepUntilConnects(rig, 3, 60_000);
          assert.ok(second > first, `the backoff grows without a healthy period between: ${first} ms, then ${second} ms`);
          await within('the third connection', upstream.connected(3));
        });
      },
    );
}
