import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthMonitor, LOOP_STUCK_MS } from '../../src/server/health.ts';
import type { SessionStatus } from '../../src/session/status.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';

function monitor(mode: 'static' | 'realtime'): {
  h: HealthMonitor;
  clock: VirtualClock;
  set: (q: number, d: number) => void;
  halts: SessionStatus['halts'][number][];
} {
  const clock = new VirtualClock();
  let queued = 0;
  let decided = 0;
  const halts: SessionStatus['halts'][number][] = [];
  const h = new HealthMonitor(
    {
      mode,
      status: () => ({ feed: null, halts }) as unknown as SessionStatus,
      feedState: () => 'live',
      decided: () => decided,
      queueDepth: () => queued,
    },
    clock,
  );
  h.start();
  return {
    h,
    clock,
    halts,
    set: (q, d) => {
      queued = q;
      decided = d;
    },
  };
}

test('loop stuck: bars queued and none decided for 10 s of the clock is a 503; progress or an empty queue clears it', () => {
  const { h, clock, set } = monitor('realtime');
  set(3, 100);
  assert.equal(h.check().ok, true);
  clock.advance(LOOP_STUCK_MS - 1000);
  assert.equal(h.check().ok, true, 'a slow turn is not a stuck loop');
  clock.advance(1000);
  assert.deepEqual(
    h.check().reasons.map((r) => r.reason),
    ['loop_stuck'],
  );
  set(3, 101); // one bar decided: progress
  assert.equal(h.check().ok, true);
  clock.advance(LOOP_STUCK_MS);
  assert.equal(h.check().ok, false);
  set(0, 101);
  assert.equal(h.check().ok, true, 'nothing queued: idle, not stuck');
  h.stop();
});

test('a held feed halt makes realtime unhealthy; a static session is healthy while it runs, whatever it holds', () => {
  const rt = monitor('realtime');
  rt.halts.push({ reason: 'feed_disconnected', source: 'auto', severity: 'halted', detail: 'socket closed', lifted: '', since: null } as never);
  assert.deepEqual(
    rt.h.check().reasons.map((r) => r.reason),
    ['disconnected'],
  );
  const st = monitor('static');
  st.set(5, 0);
  st.clock.advance(60_000);
  assert.equal(st.h.check().ok, true);
  rt.h.stop();
  st.h.stop();
});
