/**
 * Skips that would lose data stop the run: a file mostly out of time order is refused naming its
 * first disorder, and skips above --max-skip-ratio of a file's rows stop the run naming the file,
 * the top reason and the flag. A handful of stray rows stay skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../helpers/collect-source.ts';
import { fixture, isoMinute, tempDir } from '../helpers/temp-dir.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';

const T0 = Date.UTC(2025, 0, 1, 3, 0);
const MIN = 60_000;
const HEADER = 'timestamp,open,high,low,close,volume';
const row = (i: number): string => `${isoMinute(T0 + i * MIN)},${100 + (i % 50)},${101 + (i % 50)},${99 + (i % 50)},${100.5 + (i % 50)},${10 + i}`;
const bad = (i: number): string => `${isoMinute(T0 + i * MIN)},abc,1,1,1,1`;
const file = (rows: readonly string[]): string => [HEADER, ...rows].join('\n') + '\n';
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

/** A seeded shuffle, so the test is the same every run. */
function shuffled(n: number): number[] {
  const a = range(0, n);
  let seed = 12345;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

test('a file of two exports one after another is refused at its first disorder, with what to do', async (t) => {
  const dir = await tempDir(t);
  // Minutes 50..149, then 0..99: the second segment is all earlier than the first one's end.
  const path = await fixture(dir, 'segments.csv', file([...range(50, 150), ...range(0, 100)].map(row)));
  const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
  assert.equal(run.code, 1);
  assert.ok(run.stderr.includes('segments.csv:102') && run.stderr.includes('--file X='), run.stderr);
  assert.equal(run.summary?.status, 'error');
  assert.equal(ofType(run, 'bar').length, 100, 'the first segment ran');
  // Also when the user raised --max-skip-ratio: this is lost data, not noise.
  const raised = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--max-skip-ratio', '1']);
  assert.equal(raised.code, 1);
  assert.ok(raised.stderr.includes('segments.csv:102'));
  // Split into two files, the same rows merge in time order.
  const a = await fixture(dir, 'a.csv', file(range(50, 150).map(row)));
  const b = await fixture(dir, 'b.csv', file(range(0, 100).map(row)));
  const split = await runCli(t, ['--symbols', 'X', '--file', `X=${a}`, '--file', `X=${b}`, '--strategy', 'hold', '--max-skip-ratio', '0.5']);
  assert.equal(split.code, 0, split.stderr);
  assert.equal(ofType(split, 'bar').length, 150);
});

test('a shuffled file is refused naming the line of its first out-of-order row', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'shuffled.csv', file(shuffled(300).map(row)));
  const got = await collect({ files: new Map([['X', [path]]]) });
  assert.equal(got.error?.name, 'DataError');
  const firstDisorder = got.skips.find((s) => s.reason === 'out_of_order');
  assert.ok(firstDisorder, 'the out-of-order rows before the refusal are skip events');
  assert.match(got.error!.message, new RegExp(`^shuffled\\.csv:${firstDisorder.line}\\b`));
  assert.equal(got.skips.filter((s) => s.reason === 'out_of_order').length, 11);
});

test('a handful of stray rows out of order or repeated stay skips in a long file', async (t) => {
  const dir = await tempDir(t);
  // Ten rows repeated late, out of order, and five duplicates: 15 skips in 2015 rows (0.7%).
  const rows: string[] = [];
  for (let i = 0; i < 2000; i++) {
    rows.push(row(i));
    if (i % 200 === 199) rows.push(row(i - 190));
    if (i % 150 === 149 && i < 750) rows.push(row(i));
  }
  const path = await fixture(dir, 'stray.csv', file(rows));
  const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
  assert.equal(run.code, 0, run.stderr);
  const skips = ofType(run, 'skip');
  assert.equal(skips.filter((s) => s.reason === 'out_of_order').length, 10);
  assert.equal(skips.filter((s) => s.reason === 'duplicate').length, 5);
  assert.equal(ofType(run, 'bar').length, 2000);
});

test("skips above --max-skip-ratio (default 0.01) of a file's rows stop the run naming the file, the top reason and the flag", async (t) => {
  const dir = await tempDir(t);
  // 3 malformed rows in 100: 3%.
  const rows = range(0, 100).map((i) => (i % 33 === 10 ? bad(i) : row(i)));
  const path = await fixture(dir, 'noisy.csv', file(rows));
  const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--on-bad-row', 'skip']);
  assert.equal(run.code, 1);
  assert.ok(run.stderr.includes('noisy.csv') && run.stderr.includes('malformed') && run.stderr.includes('--max-skip-ratio'), run.stderr);
  assert.equal(run.summary?.status, 'error');
  assert.ok(String(run.summary?.error).includes('--max-skip-ratio'));
  assert.equal(ofType(run, 'skip').length, 3, 'every skip is still an event');
  const raised = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--on-bad-row', 'skip', '--max-skip-ratio', '0.05']);
  assert.equal(raised.code, 0, raised.stderr);
  assert.equal(raised.summary?.skips, 3);
  // Duplicates count the same way, and the reason named is the most common one.
  const doubled = await fixture(dir, 'doubled.csv', file(range(0, 40).flatMap((i) => [row(i), row(i)])));
  const dup = await runCli(t, ['--symbols', 'X', '--file', `X=${doubled}`, '--strategy', 'hold']);
  assert.equal(dup.code, 1);
  assert.ok(dup.stderr.includes('doubled.csv') && dup.stderr.includes('duplicate'), dup.stderr);
});

test('the ratio is per file: a clean file does not hide a noisy one; a long all-bad file stops early, not at its end', async (t) => {
  const dir = await tempDir(t);
  const clean = await fixture(dir, 'clean.csv', file(range(0, 1000).map(row)));
  const noisy = await fixture(dir, 'noisy.csv', file(range(0, 20).map((i) => (i === 5 ? bad(i) : row(i)))));
  const run = await runCli(t, ['--symbols', 'X', '--file', `X=${clean}`, '--file', `X=${noisy}`, '--strategy', 'hold', '--on-bad-row', 'skip']);
  assert.equal(run.code, 1);
  assert.ok(run.stderr.includes('noisy.csv') && !run.stderr.includes('clean.csv'), run.stderr);
  // 5000 rows, every one but the first bad: refused once 1000 rows are read, not after 5000 skip events.
  const allBad = await fixture(dir, 'all-bad.csv', file([row(0), ...range(1, 5000).map(bad)]));
  const early = await collect({ files: new Map([['X', [allBad]]]), onBadRow: 'skip', maxSkipRatio: 0.01 });
  assert.equal(early.error?.name, 'DataError');
  assert.ok(early.skips.length < 1100, `stopped after ${early.skips.length} skips`);
  // A --minutes window judges the rows it read.
  const head = await fixture(dir, 'head.csv', file([row(0), bad(1), ...range(2, 500).map(row)]));
  const windowed = await runCli(t, ['--symbols', 'X', '--file', `X=${head}`, '--strategy', 'hold', '--on-bad-row', 'skip', '--minutes', '10']);
  assert.equal(windowed.code, 1, 'one skip in the 10 rows read is 10%');
  assert.ok(windowed.stderr.includes('head.csv'), windowed.stderr);
});

test('when every row was skipped, the empty-window error names the skip reasons and counts, not --from or --minutes', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'all-bad.csv', file(range(0, 5).map(bad)));
  const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--on-bad-row', 'skip', '--max-skip-ratio', '1']);
  assert.equal(run.code, 1);
  const error = String(run.summary?.error);
  assert.ok(error.includes('malformed') && error.includes('5'), error);
  assert.ok(!error.includes('--from') && !error.includes('--minutes'), error);
  assert.ok(run.stderr.includes('malformed'));
});
