/**
 * sumCloses keeps running sums for the lengths a strategy asks for: each answer must be exactly
 * the loop over the window's closes, while the window fills, for huge prices (sums past 2^53,
 * where the loop's own rounding must be kept) and for closes that are not integers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BarWindow } from '../../src/strategy/bar-window.ts';
import type { Bar } from '../../src/domain/types.ts';
import { mulberry32 } from '../../scripts/generate-sample.ts';

function reference(closes: readonly number[], count: number, ago: number): number {
  if (ago + count > closes.length) return NaN;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += closes[closes.length - 1 - ago - i]!;
  return sum;
}

test('running sums answer exactly as the loop does, whatever the closes', () => {
  const rand = mulberry32(7);
  for (const capacity of [1, 3, 31]) {
    const w = new BarWindow(capacity);
    const closes: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      const kind = rand();
      const close = kind < 0.9 ? Math.floor(rand() * 1e13) : kind < 0.96 ? 9_000_000_000_000_000 - Math.floor(rand() * 1e6) : rand() * 100;
      w.push({ close } as Bar);
      closes.push(close);
      if (closes.length > capacity) closes.shift();
      for (const count of [1, 2, 10, capacity]) {
        if (count > capacity) continue;
        const got = w.sumCloses(count);
        const want = reference(closes, count, 0);
        assert.ok(Object.is(got, want), `capacity ${capacity}, bar ${i}, count ${count}: ${got} vs ${want}`);
      }
      const ago = Math.floor(rand() * capacity);
      assert.ok(Object.is(w.sumCloses(1, ago), reference(closes, 1, ago)));
    }
  }
});
