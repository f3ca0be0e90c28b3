/**
 * The byte fast path must give exactly parseRow's Bar for every row it accepts, and hand every
 * row it is not sure of to parseRow (null). Rows are drawn from the forms files take and the ways
 * they go wrong: ISO times with and without seconds, fractions, Z or offsets, zone-less under a
 * zone; epoch s/ms/µs; padded, signed, exponent, quoted, empty and out-of-range fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteRowParser } from '../../src/feed/csv/csv-row-bytes.ts';
import { parseRow, type RowContext } from '../../src/feed/csv/csv-row.ts';
import { detectLayout } from '../../src/feed/csv/csv-layout.ts';
import { ZoneOffsets } from '../../src/domain/time.ts';
import { mulberry32 } from '../../scripts/generate-sample.ts';

const pickFrom =
  (rand: () => number) =>
  <T>(xs: readonly T[]): T =>
    xs[Math.floor(rand() * xs.length)]!;

function times(rand: () => number): string {
  const pick = pickFrom(rand);
  const ms = Math.floor(rand() * 2e12);
  const iso = new Date(ms).toISOString();
  return pick([
    iso,
    iso.slice(0, 19) + 'Z',
    iso.slice(0, 19),
    iso.slice(0, 16),
    iso.slice(0, 10),
    iso.replace('T', ' ').slice(0, 19),
    iso.slice(0, 19) + pick(['+00:00', '-05:00', '+0530', '+14:00', '+14:01', '-12:60', '+5:30', '+05:3']),
    iso.slice(0, 19) + '.' + pick(['5', '25', '250', '123456789', '']),
    String(Math.floor(ms / 1000)),
    String(ms),
    String(ms * 1000),
    String(ms) + '.5',
    '-' + String(ms),
    String(ms * 1_000_000),
    '2025-02-30T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-01-01T24:00:00Z',
    '2024-01-01T10:60',
    '2024-01-01X10:00',
    ' ' + iso,
    iso + ' ',
    '2024.01.02 10:00',
    '03/09/2026',
    '0050-01-01T00:00:00Z',
    '2024-01-01T',
    '2024-01-01T10:',
    '2024-01-01T10:00:',
    '',
  ]);
}

/** A price near `value` as files write it, or now and then in a form the fast path must defer. */
function price(rand: () => number, value: number): string {
  const pick = pickFrom(rand);
  const v = value.toFixed(Math.floor(rand() * 11));
  if (rand() < 0.8) return v;
  return pick([
    '0',
    '0.0',
    '-' + v,
    '+' + v,
    ' ' + v,
    v + ' ',
    '1e-5',
    '1.5E3',
    '.5',
    '5.',
    '90000000',
    '90000000.00000001',
    '90000001',
    '',
    'x',
    '"' + v + '"',
    '12.3456789',
    '12.345678949',
    '12.3456789501',
  ]);
}

/** Four prices in a valid order (low ≤ open, close ≤ high) most of the time. */
function ohlc(rand: () => number): [string, string, string, string] {
  const low = rand() * 10 ** Math.floor(rand() * 8);
  const high = low * (1 + rand() * 0.01);
  const mid = (): number => low + (high - low) * rand();
  return [price(rand, mid()), price(rand, high), price(rand, low), price(rand, mid())];
}

function volume(rand: () => number): string {
  const pick = pickFrom(rand);
  const v = (rand() * 10 ** Math.floor(rand() * 16)).toFixed(Math.floor(rand() * 9));
  return pick([v, v, v, '0', '-1', '1e3', '0x1F', ' 7', '7 ', '', '.5', '5.', '12345678901234567', '0.000000000000000000001234', 'Infinity']);
}

function check(header: string, zone: ZoneOffsets | null, make: (rand: () => number) => string, seed: number): void {
  const rand = mulberry32(seed);
  const layout = detectLayout(header, 'x.csv');
  const ctx: RowContext = { symbol: 'BTCUSDT', interval: '1m', layout, zone, labelShiftMs: 0, dateOrder: null };
  const parser = new ByteRowParser(ctx);
  let fast = 0;
  for (let i = 0; i < 60_000; i++) {
    const line = make(rand);
    const bytes = Buffer.from(line);
    const got = parser.parse(bytes, 0, bytes.length);
    if (got === null) continue;
    fast++;
    assert.deepEqual(got, parseRow(line, ctx), line);
  }
  assert.ok(fast > 500, `the fast path took ${fast} rows: it should take the plain ones`);
}

test("header rows, fields in file order: the fast path gives parseRow's Bar or defers", () => {
  check('timestamp,open,high,low,close,volume', null, (r) => [times(r), ...ohlc(r), volume(r)].join(','), 1);
});

test('fields in another order, with extra columns, under a time zone', () => {
  check(
    'Date,Close,High,Low,Open,Volume,Adj Close',
    new ZoneOffsets('America/New_York'),
    (r) => {
      const [o, h, l, c] = ohlc(r);
      return [times(r), c, h, l, o, volume(r), price(r, 1), ...(r() < 0.05 ? ['extra'] : [])].join(',');
    },
    2,
  );
});

test('plain rows that must always take the fast path do', () => {
  const layout = detectLayout('timestamp,open,high,low,close,volume', 'x.csv');
  const parser = new ByteRowParser({ symbol: 'S', interval: '1m', layout, zone: null, labelShiftMs: 60_000, dateOrder: null });
  for (const line of ['2024-01-01T00:00:00Z,1.5,2,1,1.5,10', '1704067200000,100,100,100,100,0', '2024-01-01 09:30:00-04:00,5.25,5.5,5,5.5,12.125']) {
    assert.notEqual(parser.parse(Buffer.from(line), 0, line.length), null, line);
  }
});
