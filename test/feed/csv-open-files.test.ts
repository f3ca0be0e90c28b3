/**
 * A static run over more files than the process may open: no file stays open between reads, so
 * 120 symbols run under `ulimit -n 64` (before, every cursor held its file for the whole run and the
 * run died of EMFILE with a stack trace). A file that goes away during the run is a refusal naming
 * it, not a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError } from '../../src/feed/data-error.ts';
import { MAX_OPEN_FILES, readRefusal } from '../../src/feed/csv/open-files.ts';
import { csvSource, filesIn } from '../helpers/collect-source.ts';
import { openFileCount } from '../helpers/open-fds.ts';
import { isoMinute, tempDir } from '../helpers/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const T0 = Date.UTC(2025, 0, 1, 0, 0);

function writeSymbols(dir: string, count: number, rows: number): string[] {
  const symbols: string[] = [];
  for (let s = 0; s < count; s++) {
    const symbol = `A${String(s).padStart(3, '0')}USDT`;
    const lines = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < rows; i++) lines.push(`${isoMinute(T0 + i * 60_000)},${100 + (i % 7)},${108 + (i % 7)},${99},${101 + (i % 5)},1`);
    writeFileSync(join(dir, `${symbol}.csv`), lines.join('\n') + '\n');
    symbols.push(symbol);
  }
  return symbols;
}

test('120 symbols run under ulimit -n 64: every bar decided, exit 0', async (t) => {
  // 2,400 rows (~80 KB) a file: more than its chunk (8 MiB shared by 120 files), so a file is still being read after its first chunk.
  const dir = await tempDir(t);
  const data = join(dir, 'data');
  const out = join(dir, 'out');
  mkdirSync(data);
  const symbols = writeSymbols(data, 120, 2400);
  const cli = [
    process.execPath,
    join(ROOT, 'bin', 'tradeloop.js'),
    'run',
    '--source',
    'csv',
    '--symbols',
    symbols.join(','),
    '--data',
    data,
    '--out',
    out,
    '--quiet',
    '--events',
    'trading',
  ];
  const run = spawnSync('sh', ['-c', 'ulimit -n 64 && exec "$@"', 'sh', ...cli], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `exit ${run.status}: ${run.stderr.slice(0, 600)}`);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { bars: number; decisions: number };
  assert.equal(summary.bars, 120 * 2400);
  assert.equal(summary.decisions, 120 * 2400);
});

test('however many files, at most MAX_OPEN_FILES are open at once while a run reads them', async (t) => {
  const dir = await tempDir(t);
  const symbols = writeSymbols(dir, 80, 60);
  // Chunks of 256 bytes: every file is read many times, and between reads a cursor waits its turn.
  const source = csvSource({ files: filesIn(dir, symbols), chunkBytes: 256 });
  const before = openFileCount();
  let most = 0;
  await source.open();
  most = Math.max(most, openFileCount() - before);
  let bars = 0;
  await source.run({
    warmup: () => {},
    skip: () => {},
    bar: () => {
      bars++;
      if (bars % 50 === 0) most = Math.max(most, openFileCount() - before);
    },
  });
  assert.equal(bars, 80 * 60);
  assert.ok(most <= MAX_OPEN_FILES, `${most} files open at once over 80 being read`);
  assert.equal(openFileCount(), before, 'none left open');
});

test('a file removed during the run is a refusal naming it', async (t) => {
  const dir = await tempDir(t);
  const symbols = writeSymbols(dir, 3, 200);
  const source = csvSource({ files: filesIn(dir, symbols), chunkBytes: 512 });
  await source.open();
  unlinkSync(join(dir, `${symbols[1]}.csv`));
  let bars = 0;
  await assert.rejects(
    source.run({ warmup: () => {}, skip: () => {}, bar: () => void bars++ }),
    (err: Error) => err instanceof DataError && /A001USDT\.csv could not be read: it is gone/.test(err.message),
  );
  assert.ok(bars > 0 && bars < 600, `the bars before it were delivered (${bars})`);
});

test('a read that fails says why in words that fit the cause, naming the file without the path', () => {
  const fail = (code: string, message: string): Error => Object.assign(new Error(message), { code });
  const path = '/some/where/data/BTCUSDT.csv';
  assert.match(
    readRefusal(path, fail('ENOENT', `ENOENT: no such file or directory, open '${path}'`)).message,
    /^BTCUSDT\.csv could not be read: it is gone .*Keep a run's data files in place/,
  );
  assert.match(
    readRefusal(path, fail('EACCES', `EACCES: permission denied, open '${path}'`)).message,
    /^BTCUSDT\.csv could not be read: permission denied \(EACCES\)\. Make it readable/,
  );
  assert.match(
    readRefusal(path, fail('EMFILE', `EMFILE: too many open files, open '${path}'`)).message,
    /may open no more files \(EMFILE.*Raise the limit \(ulimit -n\)/,
  );
  const io = readRefusal(path, fail('EIO', `EIO: i/o error, read`)).message;
  assert.equal(io, 'BTCUSDT.csv could not be read: EIO (EIO: i/o error).');
  for (const code of ['ENOENT', 'EACCES', 'EMFILE', 'EIO'])
    assert.doesNotMatch(readRefusal(path, fail(code, `${code}: x, open '${path}'`)).message, /\/some\/where/);
});
