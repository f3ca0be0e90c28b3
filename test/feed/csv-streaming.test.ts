/**
 * Streaming: lines are read in chunks, forward or backward, and every line keeps its number, so a
 * newest-first file larger than one chunk replays oldest-first and its errors point at the right
 * line. Small chunkBytes force many chunk boundaries (inside lines, inside CRLF pairs, inside
 * multi-byte characters).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { countLines, readLinesBackward, readLinesForward } from '../../src/feed/csv/line-reader.ts';
import { CsvFileCursor } from '../../src/feed/csv/csv-file-cursor.ts';
import type { Bar } from '../../src/domain/types.ts';
import { collect, oneFile } from '../helpers/collect-source.ts';
import { fixture, isoMinute, tempDir, tempDirSync } from '../helpers/temp-dir.ts';

const T0 = Date.UTC(2025, 0, 1, 3, 0);
const MIN = 60_000;
const HEADER = 'timestamp,open,high,low,close,volume';

function row(i: number): string {
  return `${isoMinute(T0 + i * MIN)},${100 + i},${102 + i},${99 + i},${101 + i},${i}.5`;
}

async function forwardLines(path: string, chunk: number): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const c of readLinesForward(path, chunk)) for (const [k, l] of c.lines.entries()) out.push([c.firstLine + k, l]);
  return out;
}

async function backwardLines(path: string, chunk: number): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  const total = await countLines(path, chunk);
  for await (const c of readLinesBackward(path, total, chunk)) for (const [k, l] of c.lines.entries()) out.push([c.firstLine - k, l]);
  return out;
}

const TEXTS: ReadonlyArray<readonly [string, string]> = [
  ['LF, trailing newline', 'alpha\nbeta\n\ngamma delta\nε€𝄞 multi-byte\n'],
  ['CRLF, no trailing newline', 'alpha\r\nbeta\r\n\r\ngamma delta\r\nε€𝄞 multi-byte\r\nlast'],
  ['CRLF, trailing CRLF', 'a\r\nbb\r\nccc\r\n'],
  ['one line, no newline', 'just one line'],
  ['blank last line', 'x\ny\n\n'],
  ['a line longer than any chunk', `short\n${'L'.repeat(300)}\nend`],
];

for (const [what, text] of TEXTS) {
  test(`line reader (${what}): forward and backward give every line with its number, at every chunk size`, async (t) => {
    const dir = await tempDir(t);
    const path = await fixture(dir, 'lines.txt', text);
    const parts = text.split('\n');
    if (text.endsWith('\n')) parts.pop();
    const expected = parts.map((l, i): [number, string] => [i + 1, l.endsWith('\r') ? l.slice(0, -1) : l]);
    for (const chunk of [1, 2, 3, 5, 7, 11, 16, 64, 1 << 20]) {
      assert.equal(await countLines(path, chunk), expected.length, `countLines, chunk ${chunk}`);
      assert.deepEqual(await forwardLines(path, chunk), expected, `forward, chunk ${chunk}`);
      assert.deepEqual(await backwardLines(path, chunk), expected.slice().reverse(), `backward, chunk ${chunk}`);
    }
  });
}

test('line reader: an empty file has no lines either way', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'empty.txt', '');
  assert.equal(await countLines(path, 8), 0);
  assert.deepEqual(await forwardLines(path, 8), []);
  assert.deepEqual(await backwardLines(path, 8), []);
});

/** N rows newest-first, optionally with replacement rows at given file lines, CRLF or LF, with or without a final newline. */
function newestFirst(n: number, options: { eol?: string; trailing?: boolean; replace?: ReadonlyMap<number, string> } = {}): string {
  const eol = options.eol ?? '\n';
  const lines = [HEADER];
  for (let i = n - 1; i >= 0; i--) lines.push(row(i));
  for (const [line, text] of options.replace ?? []) lines[line - 1] = text;
  return lines.join(eol) + (options.trailing === false ? '' : eol);
}

function minutes(bars: readonly Bar[]): number[] {
  return bars.map((b) => (b.openTime - T0) / MIN);
}

const N = 200;
const ALL = Array.from({ length: N }, (_, i) => i);

test('a newest-first file many chunks long replays oldest-first, the same at every chunk size', async (t) => {
  const dir = await tempDir(t);
  for (const [eol, trailing] of [
    ['\n', true],
    ['\r\n', false],
    ['\r\n', true],
    ['\n', false],
  ] as const) {
    const path = await fixture(dir, `desc-${eol.length}-${trailing}.csv`, newestFirst(N, { eol, trailing }));
    for (const chunkBytes of [16, 64, 100, 4096, undefined]) {
      const got = await collect(oneFile('X', path, chunkBytes === undefined ? {} : { chunkBytes }));
      const label = `eol ${JSON.stringify(eol)}, trailing ${trailing}, chunk ${chunkBytes ?? 'default'}`;
      assert.equal(got.error, null, label);
      assert.equal(got.source.cursors[0]!.descending, true, `${label}: read as newest-first`);
      assert.deepEqual(got.skips, [], label);
      assert.deepEqual(minutes(got.bars), ALL, label);
      assert.deepEqual(
        got.bars[0],
        {
          symbol: 'X',
          interval: '1m',
          openTime: T0,
          closeTime: T0 + MIN - 1,
          open: 10000000000,
          high: 10200000000,
          low: 9900000000,
          close: 10100000000,
          volume: 0.5,
          source: 'csv',
        },
        label,
      );
    }
  }
});

test('newest-first with 64-byte chunks: malformed rows near the end and the start of the file are named by their own line', async (t) => {
  const dir = await tempDir(t);
  // Line k (k >= 2) holds minute N + 1 - k: line 201 is minute 0, the first replayed.
  const bad = new Map([
    [199, `${isoMinute(T0 + 2 * MIN)},1,1,1,oops,1`],
    [5, `${isoMinute(T0 + 196 * MIN)},1,1,1,1,1,1`],
  ]);
  const path = await fixture(dir, 'desc-bad.csv', newestFirst(N, { replace: bad, eol: '\r\n', trailing: false }));

  const skipRun = await collect(oneFile('X', path, { chunkBytes: 64, onBadRow: 'skip' }));
  assert.equal(skipRun.error, null);
  assert.deepEqual(
    skipRun.skips.map((s) => [s.line, s.field, s.reason]),
    [
      [199, 'close', 'malformed'],
      [5, 'row', 'malformed'],
    ],
  );
  assert.deepEqual(
    minutes(skipRun.bars),
    ALL.filter((m) => m !== 2 && m !== 196),
  );
  const order = skipRun.delivered.map((d) => (d.kind === 'skip' ? `skip${d.skip.line}` : (d.bar.openTime - T0) / MIN));
  assert.deepEqual(order.slice(0, 4), [0, 1, 'skip199', 3], 'the skip comes where its row is replayed');
  assert.equal(order.indexOf('skip5'), order.indexOf(195) + 1);

  const failRun = await collect(oneFile('X', path, { chunkBytes: 64 }));
  assert.match(String(failRun.error?.message), /^desc-bad\.csv:199: bad row, field "close": not a number: "oops"/);
  assert.deepEqual(minutes(failRun.bars), [0, 1], 'the rows replayed before the bad one were delivered');
});

test('forward reading across chunk boundaries: CRLF, no trailing newline, a bad row near the end keeps its line number', async (t) => {
  const dir = await tempDir(t);
  const lines = [HEADER, ...ALL.map(row)];
  lines[N - 1] = `${isoMinute(T0 + (N - 2) * MIN)},100,99,101,100,1`; // line 200: minute 198, high < low
  const path = await fixture(dir, 'asc.csv', lines.join('\r\n'));
  for (const chunkBytes of [16, 64, 333, undefined]) {
    const label = `chunk ${chunkBytes ?? 'default'}`;
    const skip = await collect(oneFile('X', path, { onBadRow: 'skip', ...(chunkBytes === undefined ? {} : { chunkBytes }) }));
    assert.equal(skip.source.cursors[0]!.descending, false, label);
    assert.deepEqual(
      skip.skips.map((s) => [s.line, s.field, s.openTime]),
      [[200, 'high', T0 + 198 * MIN]],
      label,
    );
    assert.deepEqual(
      minutes(skip.bars),
      ALL.filter((m) => m !== 198),
      `${label}: the unterminated last row (minute 199) is read`,
    );
    assert.equal(skip.bars.at(-1)!.volume, 199.5, `${label}: no CR left on the last field`);
    const fail = await collect(oneFile('X', path, chunkBytes === undefined ? {} : { chunkBytes }));
    assert.match(String(fail.error?.message), /^asc\.csv:200: bad row, field "high": high 99 is below low 101/, label);
    assert.deepEqual(minutes(fail.bars), ALL.slice(0, 198), `${label}: every bar before the bad row is delivered, whatever the chunk size`);
  }
});

test('blank lines and a header after leading blank lines: rows keep their true line numbers', async (t) => {
  const dir = await tempDir(t);
  const text = ['', '', HEADER, row(0), '', row(1), `${isoMinute(T0 + 2 * MIN)},x,1,1,1,1`, row(3), ''].join('\n');
  const path = await fixture(dir, 'blank.csv', text);
  for (const chunkBytes of [8, 64, undefined]) {
    const got = await collect(oneFile('X', path, { onBadRow: 'skip', ...(chunkBytes === undefined ? {} : { chunkBytes }) }));
    assert.equal(got.error, null);
    assert.deepEqual(minutes(got.bars), [0, 1, 3]);
    assert.deepEqual(
      got.skips.map((s) => s.line),
      [7],
    );
  }
});

test('order is learnt from the first two rows even when the header alone fills the first chunk', async (t) => {
  const dir = await tempDir(t);
  // A long header and 16-byte chunks: the first chunk holds the header line only.
  const header = 'timestamp,open,high,low,close,volume,' + 'padding_column_'.repeat(10).slice(0, -1);
  const lines = [header];
  for (let i = 9; i >= 0; i--) lines.push(`${row(i)},x`);
  const path = await fixture(dir, 'long-header.csv', lines.join('\n') + '\n');
  const got = await collect(oneFile('X', path, { chunkBytes: 16 }));
  assert.equal(got.error, null);
  assert.equal(got.source.cursors[0]!.descending, true);
  assert.deepEqual(got.skips, [], 'no out_of_order skips: the file was not read forward by mistake');
  assert.deepEqual(minutes(got.bars), ALL.slice(0, 10));
});

test('a cursor holds one chunk at a time, not the whole file', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'desc.csv', newestFirst(N));
  const cursor = new CsvFileCursor('X', path, 0, { interval: '1m', zone: null, labelShiftMs: 0, onBadRow: 'fail', chunkBytes: 256 });
  await cursor.open();
  assert.equal(cursor.descending, true);
  let seen = 0;
  let most = 0;
  let prev = -Infinity;
  for (;;) {
    await cursor.refill();
    if (cursor.done && cursor.items.length === 0) break;
    most = Math.max(most, cursor.items.length);
    for (let i = 0; i < cursor.items.length; i++) {
      const bar = cursor.items[i] as Bar;
      assert.ok(bar.openTime > prev);
      prev = bar.openTime;
      assert.equal(cursor.lines[i], N + 1 - (bar.openTime - T0) / MIN, 'line number of each row');
      seen++;
    }
  }
  assert.equal(seen, N);
  assert.ok(most > 0 && most <= 16, `about a chunk's worth of rows held at once, not the file's ${N} (held ${most})`);
  await cursor.close();
});

test('file handles are released when a run ends early (--minutes window) or stops on a bad row', {
  skip: process.platform === 'linux' ? false : 'counts open descriptors in /proc/self/fd (Linux only)',
}, async (t) => {
  const dir = await tempDir(t);
  const asc = await fixture(dir, 'asc.csv', [HEADER, ...ALL.map(row)].join('\n') + '\n');
  const desc = await fixture(dir, 'desc.csv', newestFirst(N));
  const bad = await fixture(dir, 'bad.csv', [HEADER, row(0), `${isoMinute(T0 + MIN)},x,1,1,1,1`, row(2)].join('\n') + '\n');
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const before = fds();
  const files = new Map([
    ['A', [asc]],
    ['B', [desc]],
  ]);
  for (let k = 0; k < 5; k++) {
    const windowed = await collect({ files, windowMs: 3 * MIN, chunkBytes: 128 });
    assert.equal(windowed.bars.length, 6);
    const failed = await collect({
      files: new Map([
        ['A', [asc]],
        ['B', [bad]],
      ]),
      chunkBytes: 128,
    });
    assert.ok(failed.error);
  }
  assert.equal(fds(), before, 'no descriptor left open');
});

test('a newest-first file whose first row is duplicated is still read newest-first (one duplicate skip)', async (t) => {
  const dir = await tempDir(t);
  const lines = newestFirst(20).trimEnd().split('\n');
  lines.splice(2, 0, lines[1]!); // line 3 repeats line 2 (minute 19)
  const path = await fixture(dir, 'dup-top.csv', lines.join('\n') + '\n');
  for (const chunkBytes of [64, undefined]) {
    const got = await collect(oneFile('X', path, chunkBytes === undefined ? {} : { chunkBytes }));
    assert.equal(got.source.cursors[0]!.descending, true);
    assert.deepEqual(minutes(got.bars), ALL.slice(0, 20));
    assert.deepEqual(
      got.skips.map((s) => [s.reason, s.line]),
      [['duplicate', 2]],
      'the copy replayed second (line 2) is the duplicate',
    );
  }
});

test('a UTF-8 byte-order mark before the header is not part of the first column name', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'bom.csv', '\uFEFF' + [HEADER, row(0), row(1)].join('\r\n') + '\r\n');
  const got = await collect(oneFile('X', path));
  assert.equal(got.error, null);
  assert.deepEqual(minutes(got.bars), [0, 1]);
});

test('order comes from the first and last rows: one swapped pair at the top does not reverse a file', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { CsvBarSource } = await import('../../src/feed/csv/csv-source.ts');
  const dir = tempDirSync(t, 'tl-order-');
  const rows = ['timestamp,open,high,low,close,volume'];
  const t0 = Date.UTC(2026, 0, 5);
  const minute = (i: number) => `${new Date(t0 + i * 60_000).toISOString()},10,11,9,10,1`;
  rows.push(minute(1), minute(0)); // swapped pair at the top
  for (let i = 2; i < 50; i++) rows.push(minute(i));
  writeFileSync(join(dir, 'X.csv'), rows.join('\n') + '\n');
  const source = new CsvBarSource({
    symbols: ['X'],
    files: new Map([['X', [join(dir, 'X.csv')]]]),
    interval: '1m',
    zone: null,
    labelShiftMs: 0,
    onBadRow: 'fail',
    from: null,
    windowMs: null,
  });
  await source.open();
  const bars: number[] = [];
  const skips: string[] = [];
  await source.run({ warmup() {}, bar: (b) => bars.push(b.openTime), skip: (e) => skips.push(`${e.reason}@${e.line}`) });
  t.diagnostic(`bars ${bars.length}, skips ${skips.join(' ')}`);
  assert.equal(source.cursors[0]!.descending, false);
  assert.equal(bars.length, 49);
  assert.deepEqual(skips, ['out_of_order@3']);
});

test('a file smaller than a chunk is read into a block its size, not a chunk: 1,000 small files are not 256 MiB of blocks', async (t) => {
  const dir = await tempDir(t);
  const lines = [HEADER];
  for (let i = 0; i < 1200; i++) lines.push(row(i));
  const text = lines.join('\n') + '\n';
  const path = await fixture(dir, 'SMALL.csv', text);
  const size = Buffer.byteLength(text);
  // Past what Buffer.allocUnsafe takes from its shared pool, so a block is an allocation of its own, of the size asked.
  assert.ok(size > Buffer.poolSize / 2 && size < 1 << 17, `between the pool's blocks and a chunk (${size} bytes)`);
  let read = 0;
  for await (const c of readLinesForward(path)) {
    read += c.count;
    assert.ok(c.bytes.buffer.byteLength <= size, `a ${c.bytes.buffer.byteLength}-byte block for a ${size}-byte file`);
  }
  assert.equal(read, lines.length, 'every line read');
  // A file that grows after it was opened is still read to its end (the block past the size looks for more).
  const grown = await fixture(dir, 'GROWN.csv', text);
  const out: string[] = [];
  let appended = false;
  for await (const c of readLinesForward(grown, 32_768)) {
    out.push(...c.lines);
    if (!appended) {
      appendFileSync(grown, `${row(1200)}\n`);
      appended = true;
    }
  }
  assert.equal(out.at(-1), row(1200));
});
