import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardStream, DROP_AFTER_MS, MAX_QUEUED } from '../../src/server/dashboard-stream.ts';
import { LiveState } from '../../src/server/live-state.ts';
import type { StreamOut } from '../../src/server/http-types.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';

/** A browser tab's socket: takes `room` frames, then stays full until drain() is called. */
class Tab implements StreamOut {
  frames: string[] = [];
  room = Infinity;
  destroyed = false;
  ended = false;
  private listeners: Record<string, Array<() => void>> = {};
  get writableNeedDrain(): boolean {
    return this.room <= 0;
  }
  write(chunk: string): boolean {
    this.frames.push(chunk);
    this.room--;
    return this.room > 0;
  }
  on(event: 'drain' | 'close', fn: () => void): void {
    (this.listeners[event] ??= []).push(fn);
  }
  drain(room = Infinity): void {
    this.room = room;
    for (const fn of this.listeners.drain ?? []) fn();
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  events(): string[] {
    return this.frames.map((f) => /^event: (\w+)/.exec(f)?.[1] ?? '').filter(Boolean);
  }
}

function setup(): { clock: VirtualClock; live: LiveState; stream: DashboardStream } {
  const clock = new VirtualClock();
  const live = new LiveState(clock);
  const stream = new DashboardStream(live, () => null, clock);
  stream.start();
  return { clock, live, stream };
}

const alert = (i: number) => ({ type: 'alert' as const, kind: 'latency' as const, message: `slow ${i}`, at: i });

test('a page gets a snapshot, a status a second, and each notable event as it happens', () => {
  const { clock, live, stream } = setup();
  const tab = new Tab();
  stream.attach(tab);
  live.write(1, alert(1));
  clock.advance(1000);
  assert.deepEqual(tab.events(), ['snapshot', 'item', 'status']);
  stream.close();
  assert.ok(tab.ended);
});

test('a stuck tab never holds more than its bound: its backlog is dropped and it skips ahead to a snapshot when it drains', () => {
  const { live, stream } = setup();
  const tab = new Tab();
  tab.room = 2;
  stream.attach(tab); // 'retry' and the snapshot fill it
  for (let i = 0; i < MAX_QUEUED * 4; i++) live.write(i + 2, alert(i)); // never waits, whatever the tab does
  assert.equal(tab.frames.length, 2);
  assert.equal(stream.skipped, 1);
  tab.drain();
  assert.deepEqual(tab.events(), ['snapshot', 'snapshot'], 'skipped ahead: a fresh snapshot instead of the backlog');
  live.write(9999, alert(9999));
  assert.deepEqual(tab.events().at(-1), 'item');
  stream.close();
});

test('a short stall is caught up in order; a tab that does not drain for 30 s is dropped', () => {
  const { clock, live, stream } = setup();
  const tab = new Tab();
  stream.attach(tab);
  tab.room = 0;
  for (let i = 0; i < 5; i++) live.write(i + 2, alert(i));
  tab.drain();
  assert.deepEqual(
    tab.frames.slice(-5).map((f) => JSON.parse(f.split('data: ')[1]!).event.message),
    ['slow 0', 'slow 1', 'slow 2', 'slow 3', 'slow 4'],
  );
  tab.room = 0;
  live.write(100, alert(100));
  clock.advance(DROP_AFTER_MS + 1000);
  assert.ok(tab.destroyed);
  assert.equal(stream.size, 0);
  assert.equal(stream.dropped, 1);
  stream.close();
});
