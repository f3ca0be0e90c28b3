/**
 * Line length: a bar row is a few hundred bytes, so a line past 64 KiB is refused naming file:line
 * (forward and backward alike, at every chunk size) instead of being assembled, and the refusal
 * does not repeat the line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countLines, MAX_LINE_BYTES, readLinesBackward, readLinesForward } from '../../src/feed/csv/line-reader.ts';
import { collect, oneFile } from '../helpers/collect-source.ts';
import { fixture, isoMinute, tempDir } from '../helpers/temp-dir.ts';
import { runCli } from '../helpers/run-cli.ts';

const T0 = Date.UTC(2025, 0, 1, 3, 0);
const MIN = 60_000;
const HEADER = 'timestamp,open,high,low,close,volume';
const row = (i: number): string => `${isoMinute(T0 + i * MIN)},${100 + i},${102 + i},${99 + i},${101 + i},${i}.5`;

async function drain(gen: AsyncGenerator<{ lines: readonly string[]; firstLine: number }>): Promise<Error | null> {
  try {
    for await (const chunk of gen) void chunk;
    return null;
  } catch (err) {
    return err as Error;
  }
}

test('line reader: a line past 64 KiB is a DataError naming file:line, forward and backward, at every chunk size', async (t) => {
  assert.equal(MAX_LINE_BYTES, 65_536);
  const dir = await tempDir(t);
  // Line 3 is too long; the lines around it are fine. Multi-byte characters count as their bytes.
  for (const [name, long] of [
    ['ascii.txt', 'x'.repeat(MAX_LINE_BYTES + 1)],
    ['utf8.txt', '€'.repeat(MAX_LINE_BYTES / 3 + 1)],
    ['huge.txt', 'y'.repeat(8 << 20)],
  ] as const) {
    const path = await fixture(dir, name, ['one', 'two', long, 'four', 'five'].join('\n') + '\n');
    const total = await countLines(path);
    assert.equal(total, 5);
    for (const chunk of name === 'huge.txt' ? [4096, 1 << 20] : [61, 4096, 1 << 17, 1 << 20]) {
      const forward = await drain(readLinesForward(path, chunk));
      assert.equal(forward?.name, 'DataError', `${name} forward, chunk ${chunk}`);
      assert.match(forward!.message, new RegExp(`^${name.replace('.', '\\.')}:3\\b`), `${name} forward, chunk ${chunk}: ${forward!.message.slice(0, 100)}`);
      assert.ok(forward!.message.length < 400);
      if (chunk < 1 << 20 || name !== 'huge.txt') {
        const backward = await drain(readLinesBackward(path, total, chunk));
        assert.equal(backward?.name, 'DataError', `${name} backward, chunk ${chunk}`);
        assert.match(
          backward!.message,
          new RegExp(`^${name.replace('.', '\\.')}:3\\b`),
          `${name} backward, chunk ${chunk}: ${backward!.message.slice(0, 100)}`,
        );
      }
    }
  }
});

test('line reader: a line of exactly 64 KiB is read whole (with LF or CRLF, last or not), forward and backward', async (t) => {
  const dir = await tempDir(t);
  const long = 'z'.repeat(MAX_LINE_BYTES);
  for (const [name, text] of [
    ['lf.txt', `a\n${long}\nb\n`],
    ['crlf.txt', `a\r\n${long}\r\nb\r\n`],
    ['last.txt', `a\n${long}`],
    ['lastcr.txt', `a\r\n${long}\r\n`],
  ] as const) {
    const path = await fixture(dir, name, text);
    for (const chunk of [997, 4096, 1 << 17]) {
      const forward: string[] = [];
      for await (const c of readLinesForward(path, chunk)) forward.push(...c.lines);
      assert.ok(forward.includes(long), `${name} forward, chunk ${chunk}`);
      const backward: string[] = [];
      for await (const c of readLinesBackward(path, await countLines(path), chunk)) backward.push(...c.lines);
      assert.ok(backward.includes(long), `${name} backward, chunk ${chunk}`);
    }
  }
});

test('a CSV with a line past 64 KiB stops the run (exit 1) naming file:line, also with --on-bad-row skip and newest-first', async (t) => {
  const dir = await tempDir(t);
  const long = `${isoMinute(T0 + 2 * MIN)},${'1'.repeat(200_000)},1,1,1,1`;
  const ascending = await fixture(dir, 'up.csv', [HEADER, row(0), row(1), long, row(3)].join('\n') + '\n');
  const descending = await fixture(dir, 'down.csv', [HEADER, row(5), row(4), row(3), long, row(1), row(0)].join('\n') + '\n');
  for (const [path, line] of [
    [ascending, 4],
    [descending, 5],
  ] as const) {
    for (const extra of [[], ['--on-bad-row', 'skip']]) {
      const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', ...extra]);
      assert.equal(run.code, 1, `${path} ${extra.join(' ')}: ${run.stderr.slice(0, 200)}`);
      const file = path.split('/').pop()!;
      assert.ok(run.stderr.includes(`${file}:${line}`), run.stderr.slice(0, 300));
      assert.ok(run.stderr.length < 600 && String(run.summary?.error).length < 600, 'the line is not repeated');
      assert.equal(run.summary?.status, 'error');
    }
  }
  // A long last line is named by its own number, though the file's order is probed from its tail.
  const rows = Array.from({ length: 80 }, (_, i) => row(i));
  const tail = await fixture(dir, 'tail.csv', [HEADER, ...rows, long].join('\n'));
  const last = await collect(oneFile('X', tail));
  assert.match(String(last.error?.message), /^tail\.csv:82\b/);
  assert.equal(last.bars.length, 80, 'the rows before it are delivered');
  // The header line is read the same way.
  const header = await fixture(dir, 'head.csv', `${'h'.repeat(100_000)}\n${row(0)}\n`);
  const got = await collect(oneFile('X', header));
  assert.match(String(got.error?.message), /^head\.csv:1\b/);
});
