/**
 * Which column holds what, detected from a file's first line: (a) a header CSV with timestamp,
 * open, high, low, close, volume in any order (yfinance writes Close before Open), possibly with
 * the date and the time of day in two columns (MetaTrader, Kibot, many brokers), or (b) a
 * headerless file: Binance's kline dump (12 columns, open time first), or date, time, OHLCV as
 * MetaTrader 4 writes its history. A first field that is a number or a date means no header.
 */
import { DataError } from '../data-error.ts';
import { isDayMonthFirst, parseTimestamp } from '../../domain/time.ts';
import { clipValue, quoteValue } from '../quote-value.ts';

/** The most columns a layout takes: rows are parsed with field positions in fixed arrays of this size. */
export const MAX_COLUMNS = 4096;

export interface CsvLayout {
  readonly hasHeader: boolean;
  /** Columns every row must have. */
  readonly columns: number;
  readonly time: number;
  /** The time-of-day column when the date and the time are written apart, else -1. */
  readonly timeOfDay: number;
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
  time: ['timestamp', 'datetime', 'date', 'time', 'opentime', 'ts', 'starttime', 'timeutc', 'gmttime', 'localtime'],
  open: ['open', 'o'],
  high: ['high', 'h'],
  low: ['low', 'l'],
  close: ['close', 'c'],
  volume: ['volume', 'vol', 'v', 'basevolume'],
};

const KLINE_NAMES = [
  'open_time',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'close_time',
  'quote_volume',
  'count',
  'taker_buy_volume',
  'taker_buy_quote_volume',
  'ignore',
];
const DATE_TIME_NAMES = ['date', 'time', 'open', 'high', 'low', 'close', 'volume'];

/** A time of day on its own: "09:30", "9:30", "09:30:00", "09:30:00.000". */
export const TIME_OF_DAY = /^\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

function normalise(name: string): string {
  // MetaTrader exports name columns <DATE>, <TIME>, <OPEN>...
  return name
    .trim()
    .replace(/^"|"$/g, '')
    .replace(/^<(.*)>$/, '$1')
    .toLowerCase()
    .replace(/[\s_-]/g, '');
}

export function splitSimple(line: string): string[] {
  return (line.includes('"') ? line.replaceAll('"', '') : line).split(',');
}

function count(line: string, char: string): number {
  let n = 0;
  for (let at = line.indexOf(char); at >= 0; at = line.indexOf(char, at + 1)) n++;
  return n;
}

/**
 * Files from European spreadsheets are often semicolon-separated (with decimal commas), and some
 * exports use tabs: split on commas, such a line would read as one column or as nonsense.
 */
function refuseOtherSeparator(firstLine: string, file: string): void {
  const commas = count(firstLine, ',');
  for (const [char, name] of [
    [';', 'semicolon'],
    ['\t', 'tab'],
    ['|', 'pipe'],
  ] as const) {
    const n = count(firstLine, char);
    if (n >= 2 && n > commas) {
      throw new DataError(
        `${file}:1: the first line looks ${name}-separated (${n} ${name}s, ${commas} commas); tradeloop reads comma-separated files. ` +
          "Convert it to commas, with '.' as the decimal point (a spreadsheet's \"save as CSV\" does both).",
      );
    }
  }
}

function looksLikeData(field: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(field) || !Number.isNaN(parseTimestamp(field, null)) || isDayMonthFirst(field);
}

export function detectLayout(firstLine: string, file: string): CsvLayout {
  refuseOtherSeparator(firstLine, file);
  const fields = splitSimple(firstLine);
  if (fields.length > MAX_COLUMNS) {
    throw new DataError(
      `${file}:1: the first line has ${fields.length} columns; tradeloop reads at most ${MAX_COLUMNS}. A file of bars needs a time, open, high, low, close and volume column.`,
    );
  }
  const first = (fields[0] ?? '').trim();
  // A first field that is a number or a time means the line is data: no header.
  if (looksLikeData(first)) {
    const split = TIME_OF_DAY.test((fields[1] ?? '').trim());
    const needed = split ? 7 : 6;
    if (fields.length < needed) {
      throw new DataError(
        `${file}:1: a headerless file needs at least ${needed} columns (${split ? 'date, time' : 'open time'}, open, high, low, close, volume); found ${fields.length}. Add a header line naming the columns.`,
      );
    }
    if (split) {
      return {
        hasHeader: false,
        columns: fields.length,
        time: 0,
        timeOfDay: 1,
        open: 2,
        high: 3,
        low: 4,
        close: 5,
        volume: 6,
        names: fields.map((_, i) => DATE_TIME_NAMES[i] ?? `column${i + 1}`),
        description: `headerless date, time, OHLCV (${fields.length} columns)`,
      };
    }
    const names = fields.map((_, i) => KLINE_NAMES[i] ?? `column${i + 1}`);
    return {
      hasHeader: false,
      columns: fields.length,
      time: 0,
      timeOfDay: -1,
      open: 1,
      high: 2,
      low: 3,
      close: 4,
      volume: 5,
      names,
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
  const missing = Object.entries(at)
    .filter(([, i]) => i < 0)
    .map(([k]) => k);
  if (missing.length > 0) {
    throw new DataError(
      `${file}:1: header ${quoteValue(firstLine)} has no column for ${missing.join(', ')}. ` +
        'A header file needs timestamp, open, high, low, close and volume columns (any order); a Binance kline dump has no header.',
    );
  }
  // Two columns for one price (a second "close", "Close" and "c"): which is the bar's is a guess, so it is asked, not made.
  for (const key of ['open', 'high', 'low', 'close', 'volume'] as const) {
    const cols = normalised.flatMap((name, i) => ((ALIASES[key] as readonly string[]).includes(name) ? [i] : []));
    if (cols.length > 1) {
      throw new DataError(
        `${file}:1: header ${quoteValue(firstLine)} has ${cols.length} columns for ${key} (${cols.map((i) => `column ${i + 1} ${quoteValue(fields[i]!.trim())}`).join(', ')}). Keep one, or rename the others.`,
      );
    }
  }
  // Date and Time apart: read alone, the date gives one bar a day and the day's other rows are duplicates.
  const timeOfDay = normalised[at.time] === 'date' ? normalised.indexOf('time') : -1;
  return {
    hasHeader: true,
    columns: fields.length,
    ...at,
    timeOfDay,
    names: fields.map((f) => f.trim()),
    description: `header CSV (${clipValue(fields.map((f) => f.trim()).join(','))})`,
  };
}
