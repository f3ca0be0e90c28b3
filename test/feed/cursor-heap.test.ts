/**
 * The merge's heap of file cursors: its top is the head a scan of every cursor would pick, as heads
 * are taken, chunks refilled and cursors run out, and a pick costs O(log cursors) comparisons (a
 * scan cost one per cursor per row: a third of a 1,000-symbol static run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CursorHeap } from '../../src/feed/csv/cursor-heap.ts';
import { mulberry32 } from '../../scripts/generate-sample.ts';
import type { Bar } from '../../src/domain/types.ts';
import type { SkipEvent } from '../../src/events/types.ts';

interface FakeCursor {
  readonly rank: number;
  items: Array<Bar | SkipEvent>;
  pos: number;
}

const bar = (openTime: number): Bar => ({
  symbol: 'X',
  interval: '1m',
  openTime,
  closeTime: openTime + 59_999,
  open: 1,
  high: 1,
  low: 1,
  close: 1,
  volume: 0,
  source: 'csv',
});
const bad = (): SkipEvent => ({ type: 'skip', symbol: 'X', openTime: null, reason: 'malformed', origin: 'x.csv', line: 2, message: 'bad' });

function scanPick(cursors: readonly FakeCursor[]): FakeCursor {
  let best: FakeCursor | null = null;
  let bestTime = Infinity;
  for (const c of [...cursors].sort((a, b) => a.rank - b.rank)) {
    const head = c.items[c.pos]!;
    if ((head as SkipEvent).type === 'skip') return c;
    if ((head as Bar).openTime < bestTime) {
      best = c;
      bestTime = (head as Bar).openTime;
    }
  }
  return best!;
}

function chunk(next: () => number): Array<Bar | SkipEvent> {
  const items: Array<Bar | SkipEvent> = [];
  const n = 1 + Math.floor(next() * 4);
  for (let i = 0; i < n; i++) items.push(next() < 0.1 ? bad() : bar(Math.floor(next() * 20) * 60_000));
  return items;
}

test('the top is the scan pick while heads move on, chunks refill and cursors run out', () => {
  const next = mulberry32(7);
  for (let round = 0; round < 200; round++) {
    const cursors: FakeCursor[] = [];
    const chunksLeft = new Map<FakeCursor, number>();
    const n = 1 + Math.floor(next() * 12);
    for (let r = 0; r < n; r++) {
      const c = { rank: r, items: chunk(next), pos: 0 };
      cursors.push(c);
      chunksLeft.set(c, Math.floor(next() * 3));
    }
    const heap = new CursorHeap<FakeCursor>();
    heap.build([...cursors].reverse());
    const live = new Set(cursors);
    while (heap.size > 0) {
      const top = heap.peek()!;
      assert.equal(top, scanPick([...live]), `round ${round}: the heap's top is the scan's pick`);
      top.pos++;
      if (top.pos < top.items.length) heap.topChanged();
      else if (chunksLeft.get(top)! > 0) {
        chunksLeft.set(top, chunksLeft.get(top)! - 1);
        top.items = chunk(next);
        top.pos = 0;
        heap.topChanged();
      } else {
        heap.removeTop();
        live.delete(top);
      }
    }
    assert.equal(live.size, 0, 'every cursor ran out');
  }
});

test('a pick costs O(log cursors) comparisons, not one per cursor', () => {
  const cursors: FakeCursor[] = [];
  // 1,024 files on one grid (a slice of 1,024 symbols a minute), 50 rows each.
  for (let r = 0; r < 1024; r++) cursors.push({ rank: r, items: Array.from({ length: 50 }, (_, i) => bar(i * 60_000)), pos: 0 });
  const heap = new CursorHeap<FakeCursor>();
  heap.build(cursors);
  const afterBuild = heap.comparisons;
  let taken = 0;
  let last = -1;
  while (heap.size > 0) {
    const top = heap.peek()!;
    const key = (top.items[top.pos] as Bar).openTime * 4096 + top.rank;
    assert.ok(key > last, 'rows come out in (openTime, rank) order');
    last = key;
    top.pos++;
    taken++;
    if (top.pos < top.items.length) heap.topChanged();
    else heap.removeTop();
  }
  assert.equal(taken, 1024 * 50);
  const perPick = (heap.comparisons - afterBuild) / taken;
  assert.ok(perPick <= 2 * Math.log2(1024) + 1, `${perPick.toFixed(1)} comparisons a pick with 1,024 cursors`);
});
