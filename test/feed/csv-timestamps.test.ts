/**
 * Timestamps in CSV rows: epoch s/ms/µs decided per value by magnitude, ISO with Z or an offset,
 * zone-less read as UTC or in --tz, --bar-label end. The key run is repeated in child processes
 * under several TZ values and must give byte-identical files: V8 reads a zone-less string as local
 * time, so any Date.parse on the way would show here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseTimestamp, ZoneOffsets } from '../../src/domain/time.ts';
import { collect, oneFile } from '../helpers/collect-source.ts';
import { fixture, tempDir } from '../helpers/temp-dir.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { repoRoot } from '../helpers/shared-data.ts';

const run = promisify(execFile);
const MIN = 60_000;

/** A 12-column Binance kline row; the close time uses the same unit as the open time, as the dumps do. */
function kline(open: string, close: string, price: string): string {
  return `${open},${price},${price},${price},${price},1.5,${close},10,3,0.5,5,0`;
}

test('epoch s, ms and µs (16 digits, Binance 2025+ spot dumps) are decided per value in one file', async (t) => {
  const dir = await tempDir(t);
  // 2024-12-31 23:57 and 23:58 in seconds, 23:59 in ms, then 2025-01-01 00:00 and 00:01 in µs
  // (1735689600000000 is the binance-public-data README example).
  const path = await fixture(
    dir,
    'ETHUSDT-1m-mixed.csv',
    [
      kline('1735689420', '1735689479', '3.1'),
      kline('1735689480', '1735689539', '3.2'),
      kline('1735689540000', '1735689599999', '3.3'),
      kline('1735689600000000', '1735689659999999', '3.4'),
      kline('1735689660000000', '1735689719999999', '3.5'),
    ].join('\n') + '\n',
  );
  const got = await collect(oneFile('ETHUSDT', path));
  assert.equal(got.error, null);
  assert.deepEqual(got.skips, []);
  const start = Date.UTC(2024, 11, 31, 23, 57);
  assert.deepEqual(
    got.bars.map((b) => b.openTime),
    [0, 1, 2, 3, 4].map((i) => start + i * MIN),
  );
  assert.equal(got.bars[3]!.openTime, Date.UTC(2025, 0, 1), 'the µs README example is 2025-01-01T00:00Z');
  assert.deepEqual(
    got.bars.map((b) => b.close),
    [310000000, 320000000, 330000000, 340000000, 350000000],
  );
});

test('a µs open_time column under a futures-style header reads the same as ms', async (t) => {
  const dir = await tempDir(t);
  const header = 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore';
  const ms = await fixture(
    dir,
    'ms.csv',
    [header, kline('1735689600000', '1735689659999', '7'), kline('1735689660000', '1735689719999', '7')].join('\n') + '\n',
  );
  const us = await fixture(
    dir,
    'us.csv',
    [header, kline('1735689600000000', '1735689659999999', '7'), kline('1735689660000000', '1735689719999999', '7')].join('\n') + '\n',
  );
  const a = await collect(oneFile('X', ms));
  const b = await collect(oneFile('X', us));
  assert.deepEqual(b.bars, a.bars);
  assert.deepEqual(
    a.bars.map((x) => x.openTime),
    [Date.UTC(2025, 0, 1, 0, 0), Date.UTC(2025, 0, 1, 0, 1)],
  );
});

test('ISO timestamps: Z, +00:00, another offset, fractional seconds and zone-less (UTC) mix in one file', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(
    dir,
    'iso.csv',
    [
      'Datetime,Open,High,Low,Close,Volume',
      '2025-01-01T03:00:00Z,1,1,1,1,1',
      '2025-01-01 03:01:00+00:00,1,1,1,1,1',
      '2025-01-01 03:02:00,1,1,1,1,1',
      '2025-01-01T00:03:00-03:00,1,1,1,1,1',
      '2025-01-01T08:34:00+05:30,1,1,1,1,1',
      '2025-01-01T03:05:00.000Z,1,1,1,1,1',
      '2025-01-01T03:06,1,1,1,1,1',
    ].join('\n') + '\n',
  );
  const got = await collect(oneFile('X', path));
  assert.equal(got.error, null);
  assert.deepEqual(got.skips, []);
  const t0 = Date.UTC(2025, 0, 1, 3, 0);
  assert.deepEqual(
    got.bars.map((b) => (b.openTime - t0) / MIN),
    [0, 1, 2, 3, 4, 5, 6],
  );
});

test('--tz reads zone-less times in that zone (DST included); explicit Z or offsets ignore it', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(
    dir,
    'tz.csv',
    [
      'timestamp,open,high,low,close,volume',
      '2025-03-07 09:30:00,1,1,1,1,1', // EST, UTC-5
      '2025-03-10 09:30:00,1,1,1,1,1', // EDT, UTC-4 (DST began 2025-03-09)
      '2025-03-10 13:31:00Z,1,1,1,1,1',
      '2025-03-10 09:32:00-04:00,1,1,1,1,1',
    ].join('\n') + '\n',
  );
  const ny = await collect(oneFile('X', path, { zone: new ZoneOffsets('America/New_York') }));
  assert.equal(ny.error, null);
  assert.deepEqual(
    ny.bars.map((b) => new Date(b.openTime).toISOString()),
    ['2025-03-07T14:30:00.000Z', '2025-03-10T13:30:00.000Z', '2025-03-10T13:31:00.000Z', '2025-03-10T13:32:00.000Z'],
  );
  const kolkata = await collect(oneFile('X', path, { zone: new ZoneOffsets('Asia/Kolkata') }));
  assert.deepEqual(
    kolkata.bars.slice(0, 2).map((b) => new Date(b.openTime).toISOString()),
    ['2025-03-07T04:00:00.000Z', '2025-03-10T04:00:00.000Z'],
  );
  const plain = await collect(oneFile('X', path));
  assert.deepEqual(
    plain.bars.slice(0, 2).map((b) => new Date(b.openTime).toISOString()),
    ['2025-03-07T09:30:00.000Z', '2025-03-10T09:30:00.000Z'],
  );
});

test('--bar-label end moves each timestamp back one interval (1m and 5m), closeTime follows', async (t) => {
  const dir = await tempDir(t);
  const path = await fixture(dir, 'end.csv', 'timestamp,open,high,low,close,volume\n2025-01-01 00:05:00,1,1,1,1,1\n2025-01-01 00:10:00,1,1,1,1,1\n');
  const m1 = await collect(oneFile('X', path, { labelShiftMs: MIN }));
  assert.deepEqual(
    m1.bars.map((b) => [b.openTime, b.closeTime]),
    [
      [Date.UTC(2025, 0, 1, 0, 4), Date.UTC(2025, 0, 1, 0, 5) - 1],
      [Date.UTC(2025, 0, 1, 0, 9), Date.UTC(2025, 0, 1, 0, 10) - 1],
    ],
  );
  const m5 = await collect(oneFile('X', path, { interval: '5m', labelShiftMs: 5 * MIN }));
  assert.deepEqual(
    m5.bars.map((b) => [b.openTime, b.closeTime]),
    [
      [Date.UTC(2025, 0, 1, 0, 0), Date.UTC(2025, 0, 1, 0, 5) - 1],
      [Date.UTC(2025, 0, 1, 0, 5), Date.UTC(2025, 0, 1, 0, 10) - 1],
    ],
  );
  // The CLI derives the shift from --interval.
  const cli = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--interval', '5m', '--bar-label', 'end', '--strategy', 'hold']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(
    ofType(cli, 'bar').map((b) => [b.openTime, b.interval]),
    [
      [Date.UTC(2025, 0, 1, 0, 0), '5m'],
      [Date.UTC(2025, 0, 1, 0, 5), '5m'],
    ],
  );
});

test('parseTimestamp: the formats above, and text that is not a time, independent of the process TZ', () => {
  const ny = new ZoneOffsets('America/New_York');
  const cases: Array<[string, ZoneOffsets | null, number]> = [
    ['2025-01-01 03:00:00', null, Date.UTC(2025, 0, 1, 3)],
    ['2025-01-01 03:00:00', ny, Date.UTC(2025, 0, 1, 8)],
    ['2025-07-01 03:00:00', ny, Date.UTC(2025, 6, 1, 7)],
    ['2025-01-01T03:00:00Z', ny, Date.UTC(2025, 0, 1, 3)],
    ['2026-03-12 13:30:00+00:00', ny, Date.UTC(2026, 2, 12, 13, 30)],
    ['2024-02-29', null, Date.UTC(2024, 1, 29)],
    ['1711929600000', null, 1711929600000],
    ['1711929600', null, 1711929600000],
    ['1735689600000000', null, 1735689600000],
  ];
  for (const [text, zone, expected] of cases) assert.equal(parseTimestamp(text, zone), expected, text);
  for (const bad of [
    '',
    'x',
    '2025-02-29',
    '2025-13-01',
    '2025-01-32 00:00:00',
    '2025-01-01 25:00',
    '2025-01-01 03:60:00',
    '2025-01-01 03:00:00 UTC',
    '2025-01-01X03:00:00',
    '2025-1-1',
    '12:00',
    '1711929600000ms',
  ]) {
    assert.ok(Number.isNaN(parseTimestamp(bad, null)), `not a time: ${JSON.stringify(bad)}`);
  }
});

/** The key timestamp run, as a separate process, so that its TZ is the one given. */
async function cliUnderTz(tz: string, args: readonly string[], out: string): Promise<{ events: string; summary: string }> {
  await run(process.execPath, [join(repoRoot, 'src', 'cli', 'main.ts'), 'run', '--source', 'csv', ...args, '--out', out, '--quiet'], {
    cwd: repoRoot,
    env: { ...process.env, TZ: tz },
  });
  return { events: await readFile(join(out, 'events.ndjson'), 'utf8'), summary: await readFile(join(out, 'summary.json'), 'utf8') };
}

test('the same runs under TZ=UTC, America/New_York, Asia/Kolkata and Pacific/Chatham write byte-identical files', async (t) => {
  const dir = await tempDir(t);
  // Naive UTC times (ccxt style), newest-first naive Eastern times labelled by bar end across the
  // 2025 DST start, and epoch ms: one run each, with a zone-less --from in the first two.
  const naive = await fixture(
    dir,
    'naive.csv',
    ['timestamp,open,high,low,close,volume', ...[0, 1, 2, 3, 4, 5].map((i) => `2025-01-01 0${i}:00:00,${10 + i},${11 + i},${9 + i},${10 + i},1`)].join('\n') +
      '\n',
  );
  const eastern = await fixture(
    dir,
    'eastern.csv',
    [
      'datetime,open,high,low,close,volume',
      '2025-03-10 09:33:00,5,6,4,5,1',
      '2025-03-10 09:32:00,5,6,4,5,1',
      '2025-03-10 09:31:00,5,6,4,5,1',
      '2025-03-07 09:33:00,5,6,4,5,1',
      '2025-03-07 09:32:00,5,6,4,5,1',
      '2025-03-07 09:31:00,5,6,4,5,1',
    ].join('\n'),
  );
  const epoch = await fixture(dir, 'epoch.csv', [kline('1735689540000', '1735689599999', '3'), kline('1735689600000000', '1735689659999999', '3')].join('\n'));
  const runs: Array<readonly string[]> = [
    ['--symbols', 'BTC', '--file', `BTC=${naive}`, '--from', '2025-01-01 02:00:00', '--interval', '1h', '--strategy', 'hold'],
    ['--symbols', 'SPY', '--file', `SPY=${eastern}`, '--tz', 'America/New_York', '--bar-label', 'end', '--from', '2025-03-07 09:31:00', '--strategy', 'hold'],
    ['--symbols', 'ETH', '--file', `ETH=${epoch}`, '--strategy', 'hold'],
  ];
  const expectedFirst = [Date.UTC(2025, 0, 1, 2), Date.UTC(2025, 2, 7, 14, 31), Date.UTC(2024, 11, 31, 23, 59)];
  const expectedTimes = [
    [2, 3, 4, 5].map((h) => Date.UTC(2025, 0, 1, h)),
    // --from 09:31 ET is an openTime, so the bar labelled 09:31 (opening 09:30) only warms up.
    [Date.UTC(2025, 2, 7, 14, 31), Date.UTC(2025, 2, 7, 14, 32), Date.UTC(2025, 2, 10, 13, 30), Date.UTC(2025, 2, 10, 13, 31), Date.UTC(2025, 2, 10, 13, 32)],
    [Date.UTC(2024, 11, 31, 23, 59), Date.UTC(2025, 0, 1)],
  ];
  for (let r = 0; r < runs.length; r++) {
    const outputs = new Map<string, { events: string; summary: string }>();
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham']) {
      outputs.set(tz, await cliUnderTz(tz, runs[r]!, join(dir, `out-${r}-${tz.replace('/', '_')}`)));
    }
    const base = outputs.get('UTC')!;
    const bars = base.events
      .split('\n')
      .filter((l) => l.includes('"type":"bar"'))
      .map((l) => JSON.parse(l) as { openTime: number });
    assert.equal(bars[0]!.openTime, expectedFirst[r], `run ${r}: first bar`);
    assert.deepEqual(
      bars.map((b) => b.openTime),
      expectedTimes[r],
      `run ${r}: all bars`,
    );
    for (const [tz, o] of outputs) {
      assert.equal(o.events, base.events, `run ${r}: events.ndjson under TZ=${tz}`);
      assert.equal(o.summary, base.summary, `run ${r}: summary.json under TZ=${tz}`);
    }
  }
});
