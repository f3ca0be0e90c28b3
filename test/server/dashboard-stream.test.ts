import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardStream, DROP_AFTER_MS, MAX_QUEUED } from '../../src/server/dashboard-stream.ts';
import { LiveState } from '../../src/server/live-state.ts';
import type { StreamOut } from '../../src/server/http-types.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import { LotSteps } from '../../src/events/lot-steps.ts';

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
  const live = new LiveState();
  const stream = new DashboardStream(live, () => null, clock, new LotSteps(new Map([['BTCUSDT', 5]])));
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

test("a fill reaches the page with the log's decimal text: a quantity in asset units, money and prices exact, as strings", () => {
  const { live, stream } = setup();
  const fill = {
    type: 'fill',
    orderId: 'BTCUSDT-0-0',
    symbol: 'BTCUSDT',
    openTime: 0,
    side: 'buy',
    qty: 1_234,
    price: 9_409_890_000_001,
    fee: 12_345_678_901_234_567_890n,
    realizedPnl: -1n,
    cash: 100_000_000n,
    position: -120_000,
  } as const;
  live.write(1, fill);
  const tab = new Tab();
  stream.attach(tab);
  live.write(2, { ...fill, orderId: 'BTCUSDT-0-1' });
  const [snapshot, item] = tab.frames.filter((f) => f.startsWith('event:')).map((f) => JSON.parse(f.split('data: ')[1]!));
  const text = { qty: '0.01234', price: '94098.90000001', fee: '123456789012.3456789', realizedPnl: '-0.00000001', cash: '1', position: '-1.2' };
  assert.deepEqual(snapshot.recent.fill[0].event, { ...fill, ...text });
  assert.deepEqual(item.event, { ...fill, orderId: 'BTCUSDT-0-1', ...text });
  stream.close();
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
