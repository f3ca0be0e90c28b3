/**
 * The merge's order over many files: every row goes out when it is the smallest head by (openTime,
 * rank), a malformed row as soon as it is a head (lowest rank first), whatever the chunks. Checked
 * against a plain scan of every file's head per row, the rule the merge had before its heap
 * (cursor-heap.ts), on random files: ties across symbols, gaps, a symbol's second file, rows out
 * of order, duplicates and malformed rows, read in small chunks so that refills interleave.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { CsvBarSource } from '../../src/feed/csv/csv-source.ts';
import { isoMinute, tempDir } from '../helpers/temp-dir.ts';

const T0 = Date.UTC(2025, 0, 1, 0, 0);
const MIN = 60_000;

/** A small deterministic generator (mulberry32): the same files for a seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  readonly line: number;
  /** null: a malformed row. */
  readonly openTime: number | null;
}

interface File {
  readonly symbol: string;
  readonly name: string;
  readonly rank: number;
  readonly rows: Row[];
}

function makeFiles(seed: number, dir: string): File[] {
  const next = random(seed);
  const files: File[] = [];
  let rank = 0;
  for (let s = 0; s < 24; s++) {
    const symbol = `S${String(s).padStart(2, '0')}`;
    const parts = next() < 0.25 ? 2 : 1;
    let minute = Math.floor(next() * 5);
    for (let p = 0; p < parts; p++) {
      const name = `${symbol}-${p}.csv`;
      const lines = ['timestamp,open,high,low,close,volume'];
      const rows: Row[] = [];
      const count = 5 + Math.floor(next() * 40);
      for (let i = 0; i < count; i++) {
        const r = next();
        // Mostly on (a shared grid, so ties across symbols are common), sometimes a gap, a repeat, a step back, a bad row.
        if (r < 0.06) {
          lines.push(`${isoMinute(T0 + minute * MIN)},100,101,99,x,1`);
          rows.push({ line: lines.length, openTime: null });
          continue;
        }
        if (r < 0.1) minute = Math.max(0, minute - 2);
        else if (r < 0.14) minute += 0;
        else minute += r < 0.3 ? 3 : 1;
        lines.push(`${isoMinute(T0 + minute * MIN)},100,101,99,100,1`);
        rows.push({ line: lines.length, openTime: T0 + minute * MIN });
      }
      writeFileSync(join(dir, name), lines.join('\n') + '\n');
      files.push({ symbol, name, rank: rank++, rows });
      minute += 1;
    }
  }
  return files;
}

/** The rule as a scan: per row, the first malformed head in rank order, else the smallest openTime (lowest rank on a tie). */
function scanOrder(files: readonly File[]): string[] {
  const pos = files.map(() => 0);
  const out: string[] = [];
  for (;;) {
    let best = -1;
    let bestTime = Infinity;
    for (let f = 0; f < files.length; f++) {
      const row = files[f]!.rows[pos[f]!];
      if (row === undefined) continue;
      if (row.openTime === null) {
        best = f;
        break;
      }
      if (row.openTime < bestTime) {
        best = f;
        bestTime = row.openTime;
      }
    }
    if (best < 0) return out;
    const file = files[best]!;
    out.push(`${file.name}:${file.rows[pos[best]!]!.line}`);
    pos[best]!++;
  }
}

async function mergeOrder(files: readonly File[], dir: string, chunkBytes: number): Promise<string[]> {
  const bySymbol = new Map<string, string[]>();
  for (const f of files) bySymbol.set(f.symbol, [...(bySymbol.get(f.symbol) ?? []), join(dir, f.name)]);
  const source = new CsvBarSource({
    symbols: [...bySymbol.keys()],
    files: bySymbol,
    interval: '1m',
    zone: null,
    labelShiftMs: 0,
    onBadRow: 'skip',
    from: null,
    windowMs: null,
    chunkBytes,
  });
  const out: string[] = [];
  await source.open();
  await source.run({
    warmup: () => assert.fail('no warm-up without --from'),
    bar: (_bar, file, line) => out.push(`${file}:${line}`),
    skip: (e) => out.push(`${e.origin}:${e.line}`),
  });
  return out;
}

test('many files merge row by row in the scan order: ties by rank, malformed rows first, across refills', async (t) => {
  const dir = await tempDir(t);
  for (const seed of [1, 2, 3, 4]) {
    const files = makeFiles(seed, dir);
    const expected = scanOrder(files);
    assert.ok(expected.length > 400, `seed ${seed}: enough rows to mean something (${expected.length})`);
    for (const chunkBytes of [64, 300, 1 << 17]) {
      assert.deepEqual(await mergeOrder(files, dir, chunkBytes), expected, `seed ${seed}, chunks of ${chunkBytes} bytes`);
    }
  }
});
