/**
 * Bad input: a malformed row stops a run (exit 1) with an error naming file, line and field, after
 * the events so far are written; with --on-bad-row skip it becomes a skip event and the run goes
 * on. Duplicates and out-of-order rows are skips either way. Missing inputs are refused by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { collect, oneFile } from '../helpers/collect-source.ts';
import { fixture, isoMinute, tempDir } from '../helpers/temp-dir.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';

const T0 = Date.UTC(2025, 0, 1, 3, 0);
const MIN = 60_000;
const HEADER = 'timestamp,open,high,low,close,volume';

/** A good row for minute i: open 100+i, high 101+i, low 99+i, close 100.5+i, volume 10+i. */
function good(i: number): string {
  return `${isoMinute(T0 + i * MIN)},${100 + i},${101 + i},${99 + i},${100.5 + i},${10 + i}`;
}

// Each bad row sits at line 5 (header, three good rows before it, two good rows after).
const MALFORMED: ReadonlyArray<{ readonly what: string; readonly row: string; readonly field: string }> = [
  { what: 'non-numeric price', row: `${isoMinute(T0 + 3 * MIN)},abc,104,102,103.5,13`, field: 'open' },
  { what: 'empty price', row: `${isoMinute(T0 + 3 * MIN)},103,104,102,,13`, field: 'close' },
  { what: 'high below low', row: `${isoMinute(T0 + 3 * MIN)},103,101,102,103.5,13`, field: 'high' },
  { what: 'negative price', row: `${isoMinute(T0 + 3 * MIN)},103,104,-102,103.5,13`, field: 'low' },
  { what: 'zero price', row: `${isoMinute(T0 + 3 * MIN)},103,104,102,0,13`, field: 'close' },
  { what: 'negative volume', row: `${isoMinute(T0 + 3 * MIN)},103,104,102,103.5,-13`, field: 'volume' },
  { what: 'non-numeric volume', row: `${isoMinute(T0 + 3 * MIN)},103,104,102,103.5,lots`, field: 'volume' },
  { what: 'too few columns', row: `${isoMinute(T0 + 3 * MIN)},103,104,102,103.5`, field: 'row' },
  { what: 'too many columns', row: `${isoMinute(T0 + 3 * MIN)},103,104,102,103.5,13,7`, field: 'row' },
  { what: 'impossible date', row: '2025-02-30 03:03:00,103,104,102,103.5,13', field: 'timestamp' },
  { what: 'garbage timestamp', row: 'yesterday,103,104,102,103.5,13', field: 'timestamp' },
  { what: 'hour 24', row: '2025-01-01 24:00:00,103,104,102,103.5,13', field: 'timestamp' },
  { what: 'close above high', row: `${isoMinute(T0 + 3 * MIN)},103,104,102,104.5,13`, field: 'close' },
  { what: 'price with a huge exponent', row: `${isoMinute(T0 + 3 * MIN)},1e2000000000,104,102,103.5,13`, field: 'open' },
  { what: 'price with a costly exponent', row: `${isoMinute(T0 + 3 * MIN)},103,1e50000000,102,103.5,13`, field: 'high' },
  { what: 'price above the largest supported', row: `${isoMinute(T0 + 3 * MIN)},103,123456789,102,103.5,13`, field: 'high' },
  // More spellings that Number() would take are in test/domain/volume.test.ts.
  ...['0x1F', ' ', 'Infinity', '1e999'].map((v) => ({
    what: `volume ${JSON.stringify(v)}`,
    row: `${isoMinute(T0 + 3 * MIN)},103,104,102,103.5,${v}`,
    field: 'volume',
  })),
];

function badFile(row: string): string {
  return [HEADER, good(0), good(1), good(2), row, good(4), good(5)].join('\n') + '\n';
}

for (const { what, row, field } of MALFORMED) {
  test(`bad row (${what}): exit 1 naming file, line 5 and field "${field}"; the bars before it are kept`, async (t) => {
    const dir = await tempDir(t);
    const path = await fixture(dir, 'bad.csv', badFile(row));
    const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /bad\.csv:5\b/);
    assert.ok(run.stderr.includes(`"${field}"`), `stderr names the field: ${run.stderr}`);
    assert.notEqual(run.eventsText, null, 'events.ndjson is written');
    assert.equal(run.summary?.status, 'error');
    assert.match(String(run.summary?.error), new RegExp(`bad\\.csv:5\\b.*"${field}"`));
    const types = run.events.map((e) => e.type);
    assert.equal(types[0], 'run_start');
    assert.equal(types.at(-1), 'run_end');
    const end = run.events.at(-1)!.summary as Record<string, unknown>;
    assert.equal(end.status, 'error');
    assert.deepEqual(
      ofType(run, 'bar').map((b) => b.openTime),
      [T0, T0 + MIN, T0 + 2 * MIN],
      'bars before the bad row, none after',
    );
    assert.equal(ofType(run, 'decision').length, 3, 'their decisions are kept too');
    assert.equal(run.summary?.bars, 3);
  });

  test(`bad row (${what}) with --on-bad-row skip: one skip event (malformed, line 5, field "${field}") and the run goes on`, async (t) => {
    const dir = await tempDir(t);
    const path = await fixture(dir, 'bad.csv', badFile(row));
    // One skip in six rows is far above the default --max-skip-ratio (0.01): raised for this tiny file.
    const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--on-bad-row', 'skip', '--max-skip-ratio', '0.5']);
    assert.equal(run.code, 0, run.stderr);
    const skips = ofType(run, 'skip');
    assert.equal(skips.length, 1);
    assert.equal(skips[0]!.reason, 'malformed');
    assert.equal(skips[0]!.line, 5);
    assert.equal(skips[0]!.field, field);
    assert.equal(skips[0]!.origin, 'bad.csv');
    assert.equal(skips[0]!.symbol, 'X');
    assert.equal(typeof skips[0]!.message, 'string');
    const bars = ofType(run, 'bar');
    assert.deepEqual(
      bars.map((b) => b.openTime),
      [0, 1, 2, 4, 5].map((i) => T0 + i * MIN),
      'no bar for the bad row',
    );
    // The skip sits where the row sat: after the third bar, before the fourth.
    const order = run.events.filter((e) => e.type === 'bar' || e.type === 'skip').map((e) => e.type);
    assert.deepEqual(order, ['bar', 'bar', 'bar', 'skip', 'bar', 'bar']);
    assert.equal(run.summary?.status, 'ok');
    assert.equal(run.summary?.skips, 1);
    assert.equal(run.summary?.bars, 5);
  });
}

test('bad row: the field is named as the file names it (yfinance "Open"; headerless dumps use Binance names)', async (t) => {
  const dir = await tempDir(t);
  const yf = await fixture(
    dir,
    'yf.csv',
    [
      'Datetime,Close,High,Low,Open,Volume',
      '2026-03-12 13:30:00+00:00,670.63,671.36,670.41,671.16,2830211',
      '2026-03-12 13:31:00+00:00,669.97,670.91,669.88,x670.66,633604',
    ].join('\n') + '\n',
  );
  const a = await collect(oneFile('SPY', yf, { onBadRow: 'skip' }));
  assert.equal(a.error, null);
  assert.deepEqual(
    a.skips.map((s) => [s.line, s.field, s.reason]),
    [[3, 'Open', 'malformed']],
  );
  assert.equal(a.skips[0]!.openTime, Date.UTC(2026, 2, 12, 13, 31), 'a readable timestamp is kept on the skip');

  const raw = await fixture(
    dir,
    'raw.csv',
    [
      '1711929600000,3645.29,3645.95,3641.26,3642.33,764.8652,1711929659999,2786934.767003,1202,302.8233,1103299.825475,0',
      '1711929660000,3642.33,3642.60,3640.28,3640.29,-441.751,1711929719999,1608692.58258,966,171.6095,624952.530293,0',
    ].join('\n'),
  );
  const b = await collect(oneFile('ETHUSDT', raw));
  assert.ok(b.error);
  assert.match(b.error.message, /^raw\.csv:2: bad row, field "volume": negative value -441\.751/);
  assert.equal(b.bars.length, 1, 'the good first row was delivered before the error');
});

test('duplicate openTime → skip reason duplicate; earlier openTime → out_of_order; no bar event for either', async (t) => {
  const dir = await tempDir(t);
  const dupRow = `${isoMinute(T0 + 1 * MIN)},500,501,499,500,1`; // same minute as line 3, other prices
  const path = await fixture(dir, 'seq.csv', [HEADER, good(0), good(1), dupRow, good(2), good(3), good(1), good(4)].join('\n') + '\n');
  const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--max-skip-ratio', '0.5']);
  assert.equal(run.code, 0, run.stderr);
  const skips = ofType(run, 'skip');
  assert.deepEqual(
    skips.map((s) => [s.reason, s.line, s.openTime, s.symbol, s.origin]),
    [
      ['duplicate', 4, T0 + MIN, 'X', 'seq.csv'],
      ['out_of_order', 7, T0 + MIN, 'X', 'seq.csv'],
    ],
  );
  const bars = ofType(run, 'bar');
  assert.deepEqual(
    bars.map((b) => b.openTime),
    [0, 1, 2, 3, 4].map((i) => T0 + i * MIN),
  );
  assert.equal(bars[1]!.open, 101, 'the first bar of a minute is kept; the duplicate (open 500) is not');
  assert.equal(ofType(run, 'decision').length, 5, 'no decision for a skipped row');
  assert.equal(run.summary?.skips, 2);
  assert.equal(run.summary?.bars, 5);
});

test('duplicates across two files of one symbol are skipped once, naming the second file', async (t) => {
  const dir = await tempDir(t);
  const a = await fixture(dir, 'a.csv', [HEADER, good(0), good(1), good(2)].join('\n') + '\n');
  const b = await fixture(dir, 'b.csv', [HEADER, good(2), good(3)].join('\n') + '\n');
  const got = await collect({ files: new Map([['X', [a, b]]]) });
  assert.equal(got.error, null);
  assert.deepEqual(
    got.bars.map((x) => (x.openTime - T0) / MIN),
    [0, 1, 2, 3],
  );
  assert.deepEqual(
    got.skips.map((s) => [s.reason, s.origin, s.line]),
    [['duplicate', 'b.csv', 2]],
  );
});

test("a bad row in one symbol stops a multi-symbol run; the other symbol's earlier bars are kept", async (t) => {
  const dir = await tempDir(t);
  const a = await fixture(dir, 'A.csv', [HEADER, good(0), good(1), good(2), good(3)].join('\n') + '\n');
  const b = await fixture(dir, 'B.csv', [HEADER, good(0), good(1), `${isoMinute(T0 + 2 * MIN)},1,2,3,4,5`, good(3)].join('\n') + '\n');
  const run = await runCli(t, ['--symbols', 'A,B', '--file', `A=${a}`, '--file', `B=${b}`, '--strategy', 'hold']);
  assert.equal(run.code, 1);
  assert.match(String(run.summary?.error), /B\.csv:4: bad row, field "high"/);
  const bars = ofType(run, 'bar').map((x) => `${x.symbol}${((x.openTime as number) - T0) / MIN}`);
  assert.deepEqual(bars.slice(0, 4), ['A0', 'B0', 'A1', 'B1'], 'both symbols up to the bad row');
  assert.ok(!bars.includes('B2') && !bars.includes('B3'));
});

test('missing file → exit 2 naming the symbol and the path; nothing is run', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'nope', 'SPY.csv');
  const run = await runCli(t, ['--symbols', 'SPY', '--file', `SPY=${path}`, '--strategy', 'hold']);
  assert.equal(run.code, 2);
  assert.ok(run.stderr.includes('SPY') && run.stderr.includes(path), run.stderr);
  assert.equal(run.eventsText, null);
  // The default location (--data DIR/SYMBOL.csv) is refused the same way.
  const viaData = await runCli(t, ['--symbols', 'QQQ', '--data', dir, '--strategy', 'hold']);
  assert.equal(viaData.code, 2);
  assert.ok(viaData.stderr.includes('QQQ') && viaData.stderr.includes(join(dir, 'QQQ.csv')), viaData.stderr);
});

test('--file for a symbol not in --symbols → exit 2 naming the symbol and the path', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'x.csv', [HEADER, good(0)].join('\n') + '\n');
  const run = await runCli(t, ['--symbols', 'SPY', '--file', `QQQ=${path}`, '--strategy', 'hold']);
  assert.equal(run.code, 2);
  assert.ok(run.stderr.includes('QQQ') && run.stderr.includes(path), run.stderr);
  assert.equal(run.eventsText, null);
});

test('a missing file given to CsvBarSource directly is a DataError naming symbol and path', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'gone.csv');
  const got = await collect(oneFile('ETHUSDT', path));
  assert.equal(got.error?.name, 'DataError');
  assert.ok(got.error!.message.includes(path) && got.error!.message.includes('ETHUSDT'));
});

for (const [what, text] of [
  ['empty', ''],
  ['blank lines only', '\n\n  \n'],
] as const) {
  test(`${what} file → exit 1 with an error that says the file is empty; summary and events still written`, async (t) => {
    const dir = await tempDir(t);
    const path = await fixture(dir, 'empty.csv', text);
    const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
    assert.equal(run.code, 1);
    assert.match(String(run.summary?.error), /empty\.csv: the file is empty \(symbol X\)/);
    assert.equal(run.summary?.status, 'error');
    assert.deepEqual(
      run.events.map((e) => e.type),
      ['run_start', 'run_end'],
    );
  });
}

test('a header without the required columns → exit 1 naming the missing columns', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'cols.csv', 'time,open,high,low,price\n2025-01-01 03:00:00,1,2,0.5,1\n');
  const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
  assert.equal(run.code, 1);
  const error = String(run.summary?.error);
  assert.match(error, /^cols\.csv:1: header .* has no column for close, volume\./);
  assert.equal(ofType(run, 'bar').length, 0);
});

test('a headerless file with fewer than 6 columns → a clear error, not a silent misread', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'short.csv', '1711929600000,1,2,0.5,1\n');
  const got = await collect(oneFile('X', path));
  assert.match(String(got.error?.message), /short\.csv:1: a headerless file needs at least 6 columns .* found 5/);
});

test('a header-only file is an error naming the file, not an empty run', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'head.csv', HEADER + '\n');
  const got = await collect(oneFile('X', path));
  assert.match(String(got.error), /head\.csv: the file has a header but no rows/);
  assert.equal(got.bars.length, 0);
});

test('a price above the largest supported one is refused with that reason, told apart from "not a number"', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(
    dir,
    'big.csv',
    [HEADER, good(0), `${isoMinute(T0 + MIN)},abc,104,102,103.5,13`, `${isoMinute(T0 + 2 * MIN)},103,123456789,102,103.5,13`, good(3)].join('\n') + '\n',
  );
  const got = await collect(oneFile('X', path, { onBadRow: 'skip' }));
  assert.equal(got.error, null);
  assert.deepEqual(
    got.skips.map((s) => [s.line, s.field]),
    [
      [3, 'open'],
      [4, 'high'],
    ],
  );
  const [nan, big] = got.skips.map((s) => s.message);
  assert.notEqual(nan!.replace('"abc"', ''), big!.replace('"123456789"', ''), 'a different reason, not just a different value');
  assert.ok(big!.includes('90000000'), `names the largest supported price: ${big}`);
  assert.ok(!nan!.includes('90000000'));
  const fail = await collect(oneFile('X', path));
  assert.equal(fail.error?.name, 'DataError');
  const again = await fixture(dir, 'big2.csv', [HEADER, good(0), `${isoMinute(T0 + MIN)},103,123456789,102,103.5,13`].join('\n') + '\n');
  const failBig = await collect(oneFile('X', again));
  assert.match(String(failBig.error?.message), /big2\.csv:3\b/);
  assert.ok(String(failBig.error?.message).includes('"high"') && String(failBig.error?.message).includes('90000000'));
});

test('refusals quote at most a short prefix of a bad value (stderr, summary.json, skip events), never the whole field', async (t) => {
  const dir = await tempDir(t);
  const long = 'x'.repeat(50_000);
  for (const [what, row, field] of [
    ['price', `${isoMinute(T0 + 3 * MIN)},${long},104,102,103.5,13`, 'open'],
    ['volume', `${isoMinute(T0 + 3 * MIN)},103,104,102,103.5,${long}`, 'volume'],
    ['timestamp', `2025-01-01 03:03:00${long},103,104,102,103.5,13`, 'timestamp'],
    ['negative price', `${isoMinute(T0 + 3 * MIN)},103,104,-${'1'.repeat(5000)},103.5,13`, 'low'],
  ] as const) {
    const path = await fixture(dir, `long-${what.replace(' ', '-')}.csv`, badFile(row));
    const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
    assert.equal(run.code, 1, what);
    assert.ok(run.stderr.includes(`"${field}"`) && /\.csv:5\b/.test(run.stderr), `${what}: ${run.stderr.slice(0, 300)}`);
    assert.ok(run.stderr.length < 600, `${what}: stderr is ${run.stderr.length} chars`);
    assert.ok(String(run.summary?.error).length < 600, `${what}: summary.error is short`);
    const skipped = await collect(oneFile('X', path, { onBadRow: 'skip' }));
    assert.equal(skipped.skips.length, 1, what);
    assert.ok(skipped.skips[0]!.message.length < 200, `${what}: skip message is ${skipped.skips[0]!.message.length} chars`);
  }
  const header = await fixture(dir, 'header.csv', `time,open,high,low,${'price'.repeat(10_000)}\n2025-01-01 03:00:00,1,2,0.5,1\n`);
  const got = await collect(oneFile('X', header));
  assert.match(String(got.error?.message), /^header\.csv:1\b/);
  assert.ok(String(got.error?.message).length < 600);
});

test('a header with more columns than a row can be parsed with is refused naming file:1, whichever column holds the data', async (t) => {
  const dir = await tempDir(t);
  const filler = Array.from({ length: 5000 }, (_, i) => `x${i}`);
  const path = await fixture(
    dir,
    'wide.csv',
    `${[...filler, ...HEADER.split(',')].join(',')}\n${[...filler.map(() => '0'), '2025-01-01 03:00:00', '1', '2', '0.5', '1', '3'].join(',')}\n`,
  );
  const got = await collect(oneFile('X', path));
  assert.equal(got.error?.name, 'DataError');
  assert.match(String(got.error?.message), /^wide\.csv:1\b/);
  assert.ok(String(got.error?.message).length < 600);
});

test('a header with two columns for one price (a second close) is refused naming both, not read as the first', async (t) => {
  const dir = await tempDir(t);
  const file = await fixture(dir, 'TWO.csv', 'timestamp,open,high,low,close,volume,Close\n2024-01-01 00:00:00,1,2,0.5,1.5,10,9\n');
  const got = await collect(oneFile('TWO', file));
  assert.match(String(got.error?.message), /TWO\.csv:1: header .* has 2 columns for close \(column 5 "close", column 7 "Close"\)/);
  assert.equal(got.bars.length, 0);
});
