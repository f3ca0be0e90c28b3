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
import { chunkBytesFor, MIN_CHUNK_BYTES, READ_BUDGET_BYTES } from '../../src/feed/csv/csv-source.ts';
import { DEFAULT_CHUNK } from '../../src/feed/csv/line-reader.ts';
import { mulberry32 } from '../../scripts/generate-sample.ts';
import { csvSource } from '../helpers/collect-source.ts';
import { openFileCount } from '../helpers/open-fds.ts';
import { isoMinute, tempDir } from '../helpers/temp-dir.ts';

const T0 = Date.UTC(2025, 0, 1, 0, 0);
const MIN = 60_000;

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
  const next = mulberry32(seed);
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
  const source = csvSource({
    symbols: [...bySymbol.keys()],
    files: bySymbol,
    onBadRow: 'skip',
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

test('many files share one read budget: each holds a smaller chunk of parsed rows, and the order is the same', async (t) => {
  const dir = await tempDir(t);
  const files: File[] = [];
  const bySymbol = new Map<string, string[]>();
  for (let s = 0; s < 8; s++) {
    const symbol = `B${s}`;
    const lines = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < 2000; i++) lines.push(`${isoMinute(T0 + i * MIN)},100,101,99,100,1`);
    writeFileSync(join(dir, `${symbol}.csv`), lines.join('\n') + '\n'); // 68 KB: one full chunk
    files.push({ symbol, name: `${symbol}.csv`, rank: s, rows: lines.slice(1).map((_, i) => ({ line: i + 2, openTime: T0 + i * MIN })) });
    bySymbol.set(symbol, [join(dir, `${symbol}.csv`)]);
  }
  const heldAtMost = async (readBudgetBytes?: number): Promise<{ held: number; order: string[] }> => {
    const source = csvSource({
      symbols: [...bySymbol.keys()],
      files: bySymbol,
      ...(readBudgetBytes !== undefined ? { readBudgetBytes } : {}),
    });
    let held = 0;
    const order: string[] = [];
    await source.open();
    await source.run({
      warmup: () => {},
      skip: () => assert.fail('no skips'),
      bar: (_bar, file, line) => {
        order.push(`${file}:${line}`);
        held = Math.max(
          held,
          source.cursors.reduce((n, c) => n + c.items.length, 0),
        );
      },
    });
    return { held, order };
  };
  const full = await heldAtMost();
  assert.equal(full.held, 8 * 2000, 'under the default budget, 8 files of 68 KB are each one chunk');
  const shared = await heldAtMost(8 * MIN_CHUNK_BYTES);
  // A row here is 34 bytes: a 16 KiB chunk is ~480 of them.
  assert.ok(shared.held <= 8 * 500, `${shared.held} rows held at once over 8 files`);
  assert.deepEqual(shared.order, scanOrder(files));
  assert.deepEqual(full.order, shared.order);
  assert.equal(chunkBytesFor(2), DEFAULT_CHUNK, 'a run over a few files reads full chunks');
  assert.equal(chunkBytesFor(1000), MIN_CHUNK_BYTES, '1,000 files share the budget, down to the smallest chunk');
  assert.equal(chunkBytesFor(256), READ_BUDGET_BYTES / 256, '256 files share it evenly');
  assert.equal(chunkBytesFor(100_000), MIN_CHUNK_BYTES);
});

test('files open several at once, and the refusal is still the first bad file in order', async (t) => {
  const dir = await tempDir(t);
  const bySymbol = new Map<string, string[]>();
  for (let s = 0; s < 40; s++) {
    const symbol = `F${String(s).padStart(2, '0')}`;
    const path = join(dir, `${symbol}.csv`);
    const rows = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < 60; i++) rows.push(`${isoMinute(T0 + i * MIN)},100,101,99,100,1`);
    // Two bad files: a gzip (refused by its first bytes) late in the order, a header without a close early, the later one smaller and so quicker to refuse.
    if (s === 31) writeFileSync(path, Buffer.from([0x1f, 0x8b, 8, 0]));
    else writeFileSync(path, (s === 23 ? rows.map((r) => r.replace(/,close|,100,1$/, '')) : rows).join('\n') + '\n');
    bySymbol.set(symbol, [path]);
  }
  const before = openFileCount();
  const source = csvSource({
    symbols: [...bySymbol.keys()],
    files: bySymbol,
    chunkBytes: 256,
  });
  await assert.rejects(source.open(), (err: Error) => {
    assert.match(err.message, /F23\.csv/);
    assert.doesNotMatch(err.message, /F31|gzip/);
    return true;
  });
  // Every file the failed open began is closed again (small chunks: a file opened well is still being read).
  assert.equal(openFileCount(), before, 'no file left open');
});
