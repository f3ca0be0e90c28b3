/**
 * The history side of the live-feed contract (src/feed/live-feed.ts LiveHistory), written once:
 * what the realtime driver needs from every source before its feed starts. The clock is sampled
 * from the upstream, the warm-up is the newest closed bars per symbol in the order asked for, a
 * bar still forming is never part of it, and what cannot start is a typed refusal, not a throw:
 * an unknown symbol by name (the user's input), an upstream out of reach.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LiveHistory } from '../../src/feed/live-feed.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import { BASE, MINUTE, type Upstream } from './live-feed.contract.ts';

export interface HistorySetup {
  /** The symbols asked for. */
  readonly symbols: readonly string[];
  /** The symbols the upstream has; any other is unknown to it. */
  readonly listed: readonly string[];
  readonly clock: VirtualClock;
}

export interface LiveHistorySubject {
  readonly name: string;
  openHistory(setup: HistorySetup): Promise<{ readonly history: LiveHistory; readonly upstream: Pick<Upstream, 'store' | 'close'> }>;
}

const A = 'BTCUSDT';
const B = 'ETHUSDT';
const minutesOf = (bars: ReadonlyArray<{ openTime: number }> | undefined): number[] => (bars ?? []).map((b) => (b.openTime - BASE) / MINUTE);

export function liveHistoryContract(subject: LiveHistorySubject): void {
  const name = (what: string): string => `live history contract (${subject.name}): ${what}`;
  const open = (symbols: readonly string[], listed = symbols) => subject.openHistory({ symbols, listed, clock: new VirtualClock(BASE + 60 * MINUTE) });

  test(name('the warm-up is the newest closed bars per symbol, in the order asked for; a bar not closed by then is left out'), async () => {
    const { history, upstream } = await open([B, A]);
    try {
      upstream.store(A, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      upstream.store(B, [8, 9]);
      const time = await history.syncClock();
      assert.ok(time.ok && time.value > 0, 'the upstream tells its time');
      // Bar 10 closes one minute after this: still forming.
      const closedBy = BASE + 10 * MINUTE;
      const r = await history.loadWarmup(3, closedBy);
      assert.ok(r.ok, r.ok ? '' : r.refusal.message);
      assert.deepEqual([...r.value.bars.keys()], [B, A], 'the order of the symbols asked for');
      assert.deepEqual(minutesOf(r.value.bars.get(A)), [7, 8, 9]);
      assert.deepEqual(minutesOf(r.value.bars.get(B)), [8, 9], 'a shorter history is all there is');
      assert.equal(r.value.lastClosed.get(A), BASE + 9 * MINUTE);
      assert.equal(r.value.lastClosed.get(B), BASE + 9 * MINUTE);
      const none = await history.loadWarmup(0, closedBy);
      assert.ok(none.ok);
      assert.deepEqual(minutesOf(none.value.bars.get(A)), [], 'warmup 0: no bars');
      assert.equal(none.value.lastClosed.get(A), BASE + 9 * MINUTE, 'warmup 0 still finds the newest closed bar to seed the feed');
    } finally {
      await upstream.close();
    }
  });

  test(name('a symbol the upstream does not have is refused by name, as the user’s input'), async () => {
    const { history, upstream } = await open([A, 'NOSUCHUSDT'], [A]);
    try {
      upstream.store(A, [0, 1]);
      const time = await history.syncClock();
      assert.ok(time.ok);
      const r = await history.loadWarmup(1, BASE + 2 * MINUTE);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.refusal.kind, 'invalid_symbol');
      assert.match(r.refusal.message, /NOSUCHUSDT/);
    } finally {
      await upstream.close();
    }
  });

  test(name('an upstream out of reach is a refusal at the first request, not a throw'), async () => {
    const { history, upstream } = await open([A]);
    await upstream.close();
    const time = await history.syncClock();
    assert.equal(time.ok, false);
    if (!time.ok) assert.equal(time.refusal.kind, 'unreachable');
  });
}
