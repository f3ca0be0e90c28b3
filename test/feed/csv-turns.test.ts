/**
 * A chunk of input is delivered in one synchronous stretch, which with a slow strategy lasts
 * seconds: with `turns`, the source hands the event loop a turn (a macrotask: where signal handlers
 * and socket callbacks run) and calls afterBatch at least every `everyMs`, measured on the clock it
 * is given. What it delivers does not change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { CsvBarSource } from '../../src/feed/csv/csv-source.ts';
import { isoMinute, tempDir } from '../helpers/temp-dir.ts';

const T0 = Date.UTC(2025, 0, 1, 3, 0);
const ROWS = 1000;

/** Runs a one-file source; a macrotask queued at the first bar notes how many bars had been delivered when it ran. */
async function deliver(path: string, turns?: { everyMs: number; monotonic: () => number }): Promise<{ bars: number[]; ranAt: number | null; batches: number }> {
  const source = new CsvBarSource({
    symbols: ['AAA'],
    files: new Map([['AAA', [path]]]),
    interval: '1m',
    zone: null,
    labelShiftMs: 0,
    onBadRow: 'fail',
    from: null,
    windowMs: null,
    ...(turns ? { turns } : {}),
  });
  const bars: number[] = [];
  let ranAt: number | null = null;
  let batches = 0;
  await source.open();
  await source.run(
    {
      warmup: () => {},
      skip: () => {},
      bar: (bar) => {
        if (bars.length === 0) setImmediate(() => (ranAt = bars.length));
        bars.push(bar.openTime);
      },
    },
    () => void batches++,
  );
  return { bars, ranAt, batches };
}

test('with turns, a macrotask queued at the first bar runs within the chunk, and the bars are the same', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'AAA.csv');
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < ROWS; i++) lines.push(`${isoMinute(T0 + i * 60_000)},100,101,99,100,1`);
  writeFileSync(path, lines.join('\n') + '\n'); // ~45 KB: one chunk

  const plain = await deliver(path);
  assert.equal(plain.bars.length, ROWS);
  assert.ok(plain.ranAt === null || plain.ranAt === ROWS, `without turns nothing else runs inside the chunk (ran at bar ${plain.ranAt})`);

  // A clock that moves 10 ms at every look: a turn is due at the first look past 25 ms.
  let now = 0;
  const turned = await deliver(path, { everyMs: 25, monotonic: () => (now += 10) });
  assert.deepEqual(turned.bars, plain.bars, 'turns change when, not what');
  assert.ok(turned.ranAt !== null && turned.ranAt < ROWS / 2, `the queued macrotask ran early in the chunk (at bar ${turned.ranAt})`);
  assert.ok(turned.batches >= plain.batches + 4, `afterBatch ran at the turns too (${turned.batches} against ${plain.batches})`);

  // A clock that does not move: no turn is ever due.
  const still = await deliver(path, { everyMs: 25, monotonic: () => 0 });
  assert.equal(still.batches, plain.batches);
});
