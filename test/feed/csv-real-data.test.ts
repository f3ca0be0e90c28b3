/**
 * Every real file in ../shared/data replays correctly. Expected counts, spans, gaps and quirks come
 * from ../shared/data/README.md; every bar is also checked against an independent reading of the
 * file (test/helpers/reference-csv.ts). Skipped, with the reason shown, when the data is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Bar } from '../../src/domain/types.ts';
import { ZoneOffsets } from '../../src/domain/time.ts';
import { collect, oneFile } from '../helpers/collect-source.ts';
import { dataFile, skipUnlessData } from '../helpers/shared-data.ts';
import { readReference } from '../helpers/reference-csv.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';

const MIN = 60_000;
const utc = (y: number, mo: number, d: number, h: number, mi: number): number => Date.UTC(y, mo - 1, d, h, mi);

interface RealFile {
  readonly path: string;
  readonly symbol: string;
  readonly sha256: string;
  readonly rows: number;
  readonly first: number;
  readonly last: number;
  /** [last openTime before a gap, first openTime after it]. */
  readonly gaps: ReadonlyArray<readonly [number, number]>;
  readonly hasHeader: boolean;
  readonly descending: boolean;
  readonly trailingNewline: boolean;
  /** Eastern files: read zone-less times in New York and shift end labels to starts. */
  readonly eastern?: boolean;
}

const bin = (name: string): string => dataFile('binance', name);
const eq = (name: string): string => dataFile('equities', name);

// Facts from ../shared/data/README.md (counts exclude the header; times are bar starts in UTC).
const FILES: readonly RealFile[] = [
  {
    path: bin('BTCUSDT_1m_2025-01-01_2025-02-04.csv'),
    symbol: 'BTCUSDT',
    sha256: '856e7c14208711f19237805ca7575f97d702b04412167dd1bf77e45286206c59',
    rows: 50_000,
    first: utc(2025, 1, 1, 3, 0),
    last: utc(2025, 2, 4, 20, 19),
    gaps: [],
    hasHeader: true,
    descending: false,
    trailingNewline: true,
  },
  {
    path: bin('ETHUSDT_1m_2025-01-01_2025-02-04.csv'),
    symbol: 'ETHUSDT',
    sha256: '555bf679e15bd328ada0d45872c8cbddef3c0c423701ee2544136e409871b4c5',
    rows: 50_000,
    first: utc(2025, 1, 1, 3, 0),
    last: utc(2025, 2, 4, 20, 19),
    gaps: [],
    hasHeader: true,
    descending: false,
    trailingNewline: true,
  },
  {
    path: bin('BTCUSDT_1m_2021-03-26_2021-04-30.csv'),
    symbol: 'BTCUSDT',
    sha256: '7b892742a7faf6eb15c75fedd025bb30d11bbbf4d21e86d5f68e9cfde1750c44',
    rows: 50_000,
    first: utc(2021, 3, 26, 3, 0),
    last: utc(2021, 4, 30, 3, 33),
    hasHeader: true,
    descending: false,
    trailingNewline: true,
    // Binance spot maintenance halts: 150 + 284 = 434 missing minutes.
    gaps: [
      [utc(2021, 4, 20, 1, 59), utc(2021, 4, 20, 4, 30)],
      [utc(2021, 4, 25, 4, 0), utc(2021, 4, 25, 8, 45)],
    ],
  },
  {
    path: bin('ETHUSDT-1m-2024-04.spot-raw-sample.csv'),
    symbol: 'ETHUSDT',
    sha256: 'ffeaac797802b560e148970a459d50c91f750f2f3306ff3a94f60f106a9c62e5',
    rows: 26,
    first: utc(2024, 4, 1, 0, 0),
    last: utc(2024, 4, 1, 0, 25),
    gaps: [],
    hasHeader: false,
    descending: false,
    trailingNewline: false,
  },
  {
    path: bin('AVAXUSDT-1m-2024-02.um-futures.csv'),
    symbol: 'AVAXUSDT',
    sha256: 'b18717337b544a92a652ca6dbb4789195939b4c41ba89177fd27cbd3f4502dd5',
    rows: 41_760,
    first: utc(2024, 2, 1, 0, 0),
    last: utc(2024, 2, 29, 23, 59),
    gaps: [],
    hasHeader: true,
    descending: false,
    trailingNewline: true,
  },
  {
    path: bin('NEARUSDT-1m-2024-02.um-futures.csv'),
    symbol: 'NEARUSDT',
    sha256: '924170895cbe49852bbc6aa254405cd8716a10d202d6b1b4945c4f0b8ae3daea',
    rows: 41_760,
    first: utc(2024, 2, 1, 0, 0),
    last: utc(2024, 2, 29, 23, 59),
    gaps: [],
    hasHeader: true,
    descending: false,
    trailingNewline: true,
  },
  ...(['SPY', 'QQQ'] as const).map(
    (symbol): RealFile => ({
      path: eq(`${symbol}_1m_2026-03-12_2026-03-20.yfinance.csv`),
      symbol,
      sha256:
        symbol === 'SPY'
          ? '629816aaea7a2ddccdff32819eb3f582a4ff1c7c400e069703b805175ac45c78'
          : '4972486a13782c8ac995e943cf4973620a94a6de5f8b08267d0eb66f3cc14709',
      rows: 2_730,
      first: utc(2026, 3, 12, 13, 30),
      last: utc(2026, 3, 20, 19, 59),
      hasHeader: true,
      descending: false,
      trailingNewline: true,
      // Overnight and weekend breaks between the 7 sessions; no intraday gap.
      gaps: sessionBreaks([
        [3, 12],
        [3, 13],
        [3, 16],
        [3, 17],
        [3, 18],
        [3, 19],
        [3, 20],
      ]),
    }),
  ),
  {
    path: eq('SPY_1m_2026-03-23_2026-03-31.yfinance.csv'),
    symbol: 'SPY',
    sha256: '0486623f5f9e279f94a9c76528f0a00bcc8c31897e10ec41e320349e3060bfa0',
    rows: 2_427,
    first: utc(2026, 3, 23, 13, 30),
    last: utc(2026, 3, 31, 14, 58),
    hasHeader: true,
    descending: false,
    trailingNewline: true,
    gaps: withIntraday(
      sessionBreaks([
        [3, 23],
        [3, 24],
        [3, 25],
        [3, 26],
        [3, 27],
        [3, 30],
        [3, 31],
      ]),
      [utc(2026, 3, 27, 15, 9), utc(2026, 3, 27, 15, 12)],
    ),
  },
  {
    path: eq('QQQ_1m_2026-03-23_2026-03-31.yfinance.csv'),
    symbol: 'QQQ',
    sha256: '29b730bac0cc205dcd9caeb9e224eec8246cffc15f6efa4a8658b2a0818bc9c4',
    rows: 2_428,
    first: utc(2026, 3, 23, 13, 30),
    last: utc(2026, 3, 31, 14, 59),
    hasHeader: true,
    descending: false,
    trailingNewline: true,
    gaps: withIntraday(
      sessionBreaks([
        [3, 23],
        [3, 24],
        [3, 25],
        [3, 26],
        [3, 27],
        [3, 30],
        [3, 31],
      ]),
      [utc(2026, 3, 27, 15, 24), utc(2026, 3, 27, 15, 27)],
    ),
  },
  {
    // Labels 09:31..16:00 EST (UTC-5) are bar ends: starts 14:30Z..20:59Z.
    path: eq('SPY_1min_2019-02-11_2019-02-15.eqker.csv'),
    symbol: 'SPY',
    sha256: '606355e5b49f5464d529fb883892778e41bf7dc648740a44e4b4be90deb15191',
    rows: 1_950,
    first: utc(2019, 2, 11, 14, 30),
    last: utc(2019, 2, 15, 20, 59),
    hasHeader: true,
    descending: true,
    trailingNewline: false,
    eastern: true,
    gaps: eqkerBreaks(),
  },
  {
    // QQQ misses the bars labelled 2019-02-14 14:32 and 14:37 ET, i.e. starting 19:31Z and 19:36Z.
    path: eq('QQQ_1min_2019-02-11_2019-02-15.eqker.csv'),
    symbol: 'QQQ',
    sha256: '0ccd2aea8da3ee7212f740c274479b82a0d76eddb15b897b5e5911a5fb3045a4',
    rows: 1_948,
    first: utc(2019, 2, 11, 14, 30),
    last: utc(2019, 2, 15, 20, 59),
    hasHeader: true,
    descending: true,
    trailingNewline: false,
    eastern: true,
    gaps: withIntraday(withIntraday(eqkerBreaks(), [utc(2019, 2, 14, 19, 30), utc(2019, 2, 14, 19, 32)]), [utc(2019, 2, 14, 19, 35), utc(2019, 2, 14, 19, 37)]),
  },
];

/** The FILES entry of a file, by base name. */
function real(name: string): RealFile {
  const f = FILES.find((x) => x.path.endsWith(`/${name}`));
  if (!f) throw new Error(`no FILES entry for ${name}`);
  return f;
}

/** Breaks between regular sessions 13:30Z..19:59Z on the given (month, day) dates of 2026. */
function sessionBreaks(days: ReadonlyArray<readonly [number, number]>): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  for (let i = 1; i < days.length; i++) out.push([utc(2026, days[i - 1]![0], days[i - 1]![1], 19, 59), utc(2026, days[i]![0], days[i]![1], 13, 30)]);
  return out;
}

function eqkerBreaks(): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  for (let d = 12; d <= 15; d++) out.push([utc(2019, 2, d - 1, 20, 59), utc(2019, 2, d, 14, 30)]);
  return out;
}

function withIntraday(gaps: Array<readonly [number, number]>, gap: readonly [number, number]): Array<readonly [number, number]> {
  return [...gaps, gap].sort((a, b) => a[0] - b[0]);
}

function gapsOf(bars: readonly Bar[]): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  for (let i = 1; i < bars.length; i++) if (bars[i]!.openTime - bars[i - 1]!.openTime !== MIN) out.push([bars[i - 1]!.openTime, bars[i]!.openTime]);
  return out;
}

function zoneOptions(f: RealFile): { zone: ZoneOffsets | null; labelShiftMs: number } {
  return f.eastern ? { zone: new ZoneOffsets('America/New_York'), labelShiftMs: MIN } : { zone: null, labelShiftMs: 0 };
}

for (const f of FILES) {
  const name = f.path.split('/').pop()!;
  test(`real data: ${name} replays ${f.rows} bars oldest-first, matching an independent reading of the file`, { skip: skipUnlessData(f.path) }, async () => {
    const raw = readFileSync(f.path);
    assert.equal(raw.at(-1) === 10, f.trailingNewline, 'the file is the README copy (trailing newline or not)');
    const got = await collect(oneFile(f.symbol, f.path, zoneOptions(f)));
    assert.equal(got.error, null);
    assert.deepEqual(got.skips, [], 'a clean real file yields no skip, gaps included');
    assert.equal(got.bars.length, f.rows);
    const cursor = got.source.cursors[0]!;
    assert.equal(cursor.layout!.hasHeader, f.hasHeader);
    assert.equal(cursor.descending, f.descending);

    assert.equal(got.bars[0]!.openTime, f.first, `first openTime ${new Date(got.bars[0]!.openTime).toISOString()}`);
    assert.equal(got.bars.at(-1)!.openTime, f.last, `last openTime ${new Date(got.bars.at(-1)!.openTime).toISOString()}`);
    assert.deepEqual(
      gapsOf(got.bars).map(([a, b]) => [new Date(a).toISOString(), new Date(b).toISOString()]),
      f.gaps.map(([a, b]) => [new Date(a).toISOString(), new Date(b).toISOString()]),
    );
    for (let i = 1; i < got.bars.length; i++) assert.ok(got.bars[i]!.openTime > got.bars[i - 1]!.openTime, `ascending at bar ${i}`);

    const ref = readReference(f.path, f.eastern ? { offsetMinutes: -300, labelShiftMs: MIN } : {});
    if (f.descending) ref.reverse();
    assert.equal(ref.length, f.rows);
    for (let i = 0; i < ref.length; i++) {
      const b = got.bars[i]!;
      const r = ref[i]!;
      const same = b.openTime === r.openTime && b.open === r.open && b.high === r.high && b.low === r.low && b.close === r.close && b.volume === r.volume;
      if (!same)
        assert.deepEqual(
          { ...b },
          { ...b, openTime: r.openTime, open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume },
          `bar ${i} (file line ${r.line})`,
        );
      assert.equal(b.closeTime, b.openTime + MIN - 1);
      assert.equal(b.symbol, f.symbol);
      assert.equal(b.interval, '1m');
      assert.equal(b.source, 'csv');
    }
  });
}

test('real data: the 2021 BTC maintenance halts are 2 gaps of 150 and 284 minutes, 434 in all, with no skip', {
  skip: skipUnlessData(real('BTCUSDT_1m_2021-03-26_2021-04-30.csv').path),
}, async () => {
  const got = await collect(oneFile('BTCUSDT', real('BTCUSDT_1m_2021-03-26_2021-04-30.csv').path));
  assert.deepEqual(got.skips, []);
  const missing = gapsOf(got.bars).map(([a, b]) => (b - a) / MIN - 1);
  assert.deepEqual(missing, [150, 284]);
  assert.equal(
    missing.reduce((s, m) => s + m, 0),
    434,
  );
  const span = (got.bars.at(-1)!.openTime - got.bars[0]!.openTime) / MIN + 1;
  assert.equal(span - got.bars.length, 434, 'the span minus the bars is the missing minutes');
});

test('real data: yfinance Close-before-Open columns land in the right fields (SPY 2026-03-12 13:30Z)', {
  skip: skipUnlessData(real('SPY_1m_2026-03-12_2026-03-20.yfinance.csv').path),
}, async () => {
  // Row: 2026-03-12 13:30:00+00:00,670.6300048828125,671.3599853515625,670.4099731445312,671.1599731445312,2830211
  // (Datetime,Close,High,Low,Open,Volume). Ticks keep 8 decimals; the 9th digit rounds half up:
  // open  671.15997314|45312 → 67115997314   high 671.35998535|15625 → 67135998535
  // low   670.40997314|45312 → 67040997314   close 670.63000488|28125 → 67063000488
  const got = await collect(oneFile('SPY', real('SPY_1m_2026-03-12_2026-03-20.yfinance.csv').path));
  const bar = got.bars[0]!;
  assert.equal(bar.openTime, utc(2026, 3, 12, 13, 30));
  assert.deepEqual([bar.open, bar.high, bar.low, bar.close, bar.volume], [67115997314, 67135998535, 67040997314, 67063000488, 2830211]);
  assert.ok(bar.open > bar.close, 'open 671.16 and close 670.63 are not swapped');
});

test('real data: the raw Binance spot dump (no header, 12 columns, no trailing newline) keeps its last row', {
  skip: skipUnlessData(real('ETHUSDT-1m-2024-04.spot-raw-sample.csv').path),
}, async () => {
  const got = await collect(oneFile('ETHUSDT', real('ETHUSDT-1m-2024-04.spot-raw-sample.csv').path));
  assert.equal(got.source.cursors[0]!.layout!.columns, 12);
  const first = got.bars[0]!;
  // 1711929600000,3645.29000000,3645.95000000,3641.26000000,3642.33000000,764.86520000,...
  assert.deepEqual(
    [first.openTime, first.open, first.high, first.low, first.close, first.volume],
    [1711929600000, 364529000000, 364595000000, 364126000000, 364233000000, 764.8652],
  );
  // The unterminated last line: 1711931100000,3637.81000000,3638.20000000,3637.20000000,3637.41000000,110.78730000,...
  const last = got.bars.at(-1)!;
  assert.deepEqual(
    [last.openTime, last.open, last.high, last.low, last.close, last.volume],
    [1711931100000, 363781000000, 363820000000, 363720000000, 363741000000, 110.7873],
  );
});

test('real data: um-futures header files read open_time as the time column (AVAX first row)', {
  skip: skipUnlessData(real('AVAXUSDT-1m-2024-02.um-futures.csv').path),
}, async () => {
  const got = await collect(oneFile('AVAXUSDT', real('AVAXUSDT-1m-2024-02.um-futures.csv').path));
  // 1706745600000,33.1730,33.2780,33.1480,33.2640,31584,1706745659999,...
  const b = got.bars[0]!;
  assert.deepEqual([b.openTime, b.open, b.high, b.low, b.close, b.volume], [1706745600000, 3317300000, 3327800000, 3314800000, 3326400000, 31584]);
  assert.equal(b.closeTime, 1706745659999, "closeTime equals the file's close_time column");
});

test('real data: zero-volume bars are bars, not skips (QQQ yfinance 190; SPY later file 4 incl. the forming last minute)', {
  skip: skipUnlessData(real('QQQ_1m_2026-03-12_2026-03-20.yfinance.csv').path, real('SPY_1m_2026-03-23_2026-03-31.yfinance.csv').path),
}, async () => {
  const qqq = await collect(oneFile('QQQ', real('QQQ_1m_2026-03-12_2026-03-20.yfinance.csv').path));
  assert.equal(qqq.bars.filter((b) => b.volume === 0).length, 190);
  const spy = await collect(oneFile('SPY', real('SPY_1m_2026-03-23_2026-03-31.yfinance.csv').path));
  assert.deepEqual(
    spy.bars.filter((b) => b.volume === 0).map((b) => new Date(b.openTime).toISOString()),
    ['2026-03-24T16:57:00.000Z', '2026-03-30T18:58:00.000Z', '2026-03-31T14:43:00.000Z', '2026-03-31T14:58:00.000Z'],
  );
  assert.equal(spy.bars.filter((b) => new Date(b.openTime).toISOString().startsWith('2026-03-27')).length, 388);
});

test('real data: every file through the CLI with --strategy hold: exit 0, all bars, no skip, inputs hashed as in the README', async (t) => {
  for (const f of FILES) {
    const name = f.path.split('/').pop()!;
    await t.test(name, { skip: skipUnlessData(f.path) }, async (t2) => {
      const args = ['--symbols', f.symbol, '--file', `${f.symbol}=${f.path}`, '--strategy', 'hold'];
      if (f.eastern) args.push('--tz', 'America/New_York', '--bar-label', 'end');
      const run = await runCli(t2, args);
      assert.equal(run.code, 0, run.stderr);
      const start = ofType(run, 'run_start')[0]!;
      assert.deepEqual(start.inputs, [{ symbol: f.symbol, file: name, sha256: f.sha256 }]);
      const bars = ofType(run, 'bar');
      assert.equal(bars.length, f.rows);
      assert.equal(ofType(run, 'skip').length, 0);
      assert.equal(ofType(run, 'decision').length, f.rows, 'one decision per bar');
      assert.equal(bars[0]!.openTime, f.first);
      assert.equal(bars.at(-1)!.openTime, f.last);
      assert.equal(run.summary!.status, 'ok');
      assert.equal(run.summary!.bars, f.rows);
      assert.deepEqual(run.summary!.barsBySymbol, { [f.symbol]: f.rows });
      assert.equal(run.summary!.skips, 0);
    });
  }
});

const SPY_EQKER = eq('SPY_1min_2019-02-11_2019-02-15.eqker.csv');
const QQQ_EQKER = eq('QQQ_1min_2019-02-11_2019-02-15.eqker.csv');

test('real data: eqker newest-first US/Eastern files with --tz America/New_York --bar-label end start at 2019-02-11 14:30Z, ascending', {
  skip: skipUnlessData(SPY_EQKER, QQQ_EQKER),
}, async (t) => {
  const run = await runCli(t, [
    '--symbols',
    'SPY,QQQ',
    '--file',
    `SPY=${SPY_EQKER}`,
    '--file',
    `QQQ=${QQQ_EQKER}`,
    '--tz',
    'America/New_York',
    '--bar-label',
    'end',
    '--strategy',
    'hold',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const bars = ofType(run, 'bar');
  assert.equal(bars[0]!.openTime, Date.UTC(2019, 1, 11, 14, 30));
  assert.equal(bars[0]!.symbol, 'SPY');
  assert.equal(bars[1]!.openTime, Date.UTC(2019, 1, 11, 14, 30));
  assert.equal(bars[1]!.symbol, 'QQQ');
  for (let i = 1; i < bars.length; i++) assert.ok((bars[i]!.openTime as number) >= (bars[i - 1]!.openTime as number), `ascending at ${i}`);
  assert.deepEqual(run.summary!.barsBySymbol, { SPY: 1950, QQQ: 1948 });
  // The two missing QQQ minutes leave SPY alone in those slices.
  const qqqTimes = new Set(bars.filter((b) => b.symbol === 'QQQ').map((b) => b.openTime));
  const spyOnly = bars.filter((b) => b.symbol === 'SPY' && !qqqTimes.has(b.openTime)).map((b) => new Date(b.openTime as number).toISOString());
  assert.deepEqual(spyOnly, ['2019-02-14T19:31:00.000Z', '2019-02-14T19:36:00.000Z']);
  // Without the flags the same files read as UTC bar starts: 5 h later and one minute on.
  const plain = await runCli(t, ['--symbols', 'SPY', '--file', `SPY=${SPY_EQKER}`, '--strategy', 'hold']);
  assert.equal(ofType(plain, 'bar')[0]!.openTime, Date.UTC(2019, 1, 11, 9, 31));
});

const SPY_A = eq('SPY_1m_2026-03-12_2026-03-20.yfinance.csv');
const SPY_B = eq('SPY_1m_2026-03-23_2026-03-31.yfinance.csv');
const QQQ_A = eq('QQQ_1m_2026-03-12_2026-03-20.yfinance.csv');
const QQQ_B = eq('QQQ_1m_2026-03-23_2026-03-31.yfinance.csv');

test('real data: two yfinance files for one symbol via repeated --file merge into 13 contiguous sessions, in either order', {
  skip: skipUnlessData(SPY_A, SPY_B),
}, async (t) => {
  // README: the files join into 13 contiguous sessions, Mar 12 → Mar 30 (Mar 27 lacks SPY 15:10 and
  // 15:11), plus the partial morning of Mar 31 that ends at 14:58Z (89 bars: 13:30..14:58).
  const sessions = [
    '2026-03-12',
    '2026-03-13',
    '2026-03-16',
    '2026-03-17',
    '2026-03-18',
    '2026-03-19',
    '2026-03-20',
    '2026-03-23',
    '2026-03-24',
    '2026-03-25',
    '2026-03-26',
    '2026-03-27',
    '2026-03-30',
    '2026-03-31',
  ];
  for (const order of [
    [SPY_A, SPY_B],
    [SPY_B, SPY_A],
  ]) {
    const run = await runCli(t, ['--symbols', 'SPY', '--file', `SPY=${order[0]}`, '--file', `SPY=${order[1]}`, '--strategy', 'hold']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(ofType(run, 'skip').length, 0);
    const bars = ofType(run, 'bar');
    assert.equal(bars.length, 2730 + 2427);
    const byDay = new Map<string, number>();
    for (const b of bars) {
      const day = new Date(b.openTime as number).toISOString().slice(0, 10);
      byDay.set(day, (byDay.get(day) ?? 0) + 1);
    }
    assert.deepEqual([...byDay.keys()], sessions);
    for (const [day, n] of byDay) {
      const expected = day === '2026-03-27' ? 388 : day === '2026-03-31' ? 89 : 390;
      assert.equal(n, expected, day);
    }
    assert.equal([...byDay.values()].filter((n) => n >= 388).length, 13, '13 full sessions');
    // The files join with no overlap and no hole: the last bar of Mar 20 is followed by the first of Mar 23.
    const at = bars.findIndex((b) => b.openTime === utc(2026, 3, 20, 19, 59));
    assert.equal(bars[at + 1]!.openTime, utc(2026, 3, 23, 13, 30));
    for (let i = 1; i < bars.length; i++) assert.ok((bars[i]!.openTime as number) > (bars[i - 1]!.openTime as number));
  }
});

test('real data: SPY+QQQ merge gives one slice per openTime, in --symbols order', { skip: skipUnlessData(SPY_A, QQQ_A) }, async (t) => {
  for (const symbols of [
    ['SPY', 'QQQ'],
    ['QQQ', 'SPY'],
  ]) {
    const run = await runCli(t, ['--symbols', symbols.join(','), '--file', `SPY=${SPY_A}`, '--file', `QQQ=${QQQ_A}`, '--strategy', 'hold']);
    assert.equal(run.code, 0, run.stderr);
    const bars = ofType(run, 'bar');
    assert.equal(bars.length, 2 * 2730);
    for (let i = 0; i < bars.length; i += 2) {
      assert.equal(bars[i]!.openTime, bars[i + 1]!.openTime, `slice at ${i} has both symbols`);
      assert.deepEqual([bars[i]!.symbol, bars[i + 1]!.symbol], symbols);
      if (i > 0) assert.ok((bars[i]!.openTime as number) > (bars[i - 2]!.openTime as number));
    }
    // Each bar is followed by its own decision, so a slice is bar, decision, bar, decision.
    const kinds = run.events
      .filter((e) => e.type === 'bar' || e.type === 'decision')
      .slice(0, 4)
      .map((e) => `${e.type}:${e.symbol}`);
    assert.deepEqual(kinds, [`bar:${symbols[0]}`, `decision:${symbols[0]}`, `bar:${symbols[1]}`, `decision:${symbols[1]}`]);
  }
});

test('real data: the later yfinance pair has one gap per symbol at different minutes; merged, those slices hold one symbol', {
  skip: skipUnlessData(SPY_B, QQQ_B),
}, async () => {
  const got = await collect({
    symbols: ['SPY', 'QQQ'],
    files: new Map([
      ['SPY', [SPY_B]],
      ['QQQ', [QQQ_B]],
    ]),
  });
  assert.equal(got.error, null);
  const counts = new Map<number, string[]>();
  for (const b of got.bars) counts.set(b.openTime, [...(counts.get(b.openTime) ?? []), b.symbol]);
  const lonely = [...counts].filter(([, s]) => s.length === 1).map(([time, s]) => `${new Date(time).toISOString().slice(11, 16)} ${s[0]}`);
  // SPY lacks 15:10 and 15:11 on Mar 27, QQQ lacks 15:25 and 15:26, and QQQ has the 14:59 minute on Mar 31 that SPY lacks.
  assert.deepEqual(lonely, ['15:10 QQQ', '15:11 QQQ', '15:25 SPY', '15:26 SPY', '14:59 QQQ']);
});
