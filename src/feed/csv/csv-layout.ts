/**
 * Which column holds what, detected from a file's first line: (a) a header CSV with timestamp,
 * open, high, low, close, volume in any order (yfinance writes Close before Open), or (b) Binance's
 * headerless kline dump (12 columns, open time first). A first field that is a number means no header.
 */
import { DataError } from '../data-error.ts';
import { parseTimestamp } from '../../domain/time.ts';
import { quoteValue } from '../quote-value.ts';
import { MAX_COLUMNS } from './csv-row.ts';

export interface CsvLayout {
  readonly hasHeader: boolean;
  /** Columns every row must have. */
  readonly columns: number;
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** Field names used in errors: the file's own header names, or the canonical ones. */
  readonly names: readonly string[];
  readonly description: string;
}

const ALIASES: Readonly<Record<'time' | 'open' | 'high' | 'low' | 'close' | 'volume', readonly string[]>> = {
  time: ['timestamp', 'datetime', 'date', 'time', 'opentime', 'ts', 'starttime', 'timeutc'],
  open: ['open', 'o'],
  high: ['high', 'h'],
  low: ['low', 'l'],
  close: ['close', 'c'],
  volume: ['volume', 'vol', 'v', 'basevolume'],
};

const KLINE_NAMES = ['open_time', 'open', 'high', 'low', 'close', 'volume', 'close_time', 'quote_volume',
  'count', 'taker_buy_volume', 'taker_buy_quote_volume', 'ignore'];

function normalise(name: string): string {
  return name.trim().replace(/^"|"$/g, '').toLowerCase().replace(/[\s_\-]/g, '');
}

export function splitSimple(line: string): string[] {
  return (line.includes('"') ? line.replaceAll('"', '') : line).split(',');
}

export function detectLayout(firstLine: string, file: string): CsvLayout {
  const fields = splitSimple(firstLine);
  if (fields.length > MAX_COLUMNS) {
    throw new DataError(`${file}:1: the first line has ${fields.length} columns; tradeloop reads at most ${MAX_COLUMNS}. A file of bars needs a time, open, high, low, close and volume column.`);
  }
  const first = (fields[0] ?? '').trim();
  // A first field that is a number or a time means the line is data: no header.
  if (/^-?\d+(\.\d+)?$/.test(first) || !Number.isNaN(parseTimestamp(first, null))) {
    if (fields.length < 6) {
      throw new DataError(`${file}:1: a headerless file needs at least 6 columns (open time, open, high, low, close, volume); found ${fields.length}. Add a header line naming the columns.`);
    }
    const names = fields.map((_, i) => KLINE_NAMES[i] ?? `column${i + 1}`);
    return {
      hasHeader: false, columns: fields.length, time: 0, open: 1, high: 2, low: 3, close: 4, volume: 5, names,
      description: fields.length === 12 ? 'Binance kline dump (no header)' : `headerless OHLCV (${fields.length} columns)`,
    };
  }
  const normalised = fields.map(normalise);
  const find = (key: keyof typeof ALIASES): number => {
    for (const alias of ALIASES[key]) {
      const at = normalised.indexOf(alias);
      if (at >= 0) return at;
    }
    return -1;
  };
  const at = { time: find('time'), open: find('open'), high: find('high'), low: find('low'), close: find('close'), volume: find('volume') };
  const missing = Object.entries(at).filter(([, i]) => i < 0).map(([k]) => k);
  if (missing.length > 0) {
    throw new DataError(`${file}:1: header ${quoteValue(firstLine)} has no column for ${missing.join(', ')}. ` +
      'A header file needs timestamp, open, high, low, close and volume columns (any order); a Binance kline dump has no header.');
  }
  return {
    hasHeader: true, columns: fields.length, ...at,
    names: fields.map((f) => f.trim()),
    description: `header CSV (${fields.map((f) => f.trim()).join(',')})`,
  };
}
