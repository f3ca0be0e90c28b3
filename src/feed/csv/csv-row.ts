/**
 * One CSV row → one Bar, or the problem with it (named by field). Hot path: fields are located by
 * comma positions and parsed in place, without splitting the line into strings.
 */
import { formatPrice, isPriceOutOfRange, MAX_PRICE_TEXT, parsePriceRange } from '../../domain/price.ts';
import { parseVolumeRange } from '../../domain/volume.ts';
import { clipValue, quoteValue } from '../quote-value.ts';
import { parseTimestamp, type DateOrder, type ZoneOffsets } from '../../domain/time.ts';
import { closeTimeOf } from '../../domain/interval.ts';
import type { Bar } from '../../domain/types.ts';
import { MAX_COLUMNS, type CsvLayout } from './csv-layout.ts';

export interface RowProblem {
  readonly problem: true;
  readonly field: string;
  readonly message: string;
  /** The row's openTime when its timestamp could be read. */
  readonly openTime: number | null;
}

export interface RowContext {
  readonly symbol: string;
  readonly interval: string;
  readonly layout: CsvLayout;
  readonly zone: ZoneOffsets | null;
  /** Subtracted from every timestamp: the interval for files labelled by bar end, else 0. */
  readonly labelShiftMs: number;
  /** How day/month-first dates read (--date-format); null: they are not times. */
  readonly dateOrder: DateOrder | null;
}

const starts = new Int32Array(MAX_COLUMNS);
const ends = new Int32Array(MAX_COLUMNS);

function problem(field: string, message: string, openTime: number | null): RowProblem {
  return { problem: true, field, message, openTime };
}

/** A date column and a time-of-day column as one timestamp text ("2026-03-09" + "9:30" → "2026-03-09 09:30"). */
function joinDateTime(date: string, time: string): string {
  return `${date} ${time.charCodeAt(1) === 58 /* : */ ? `0${time}` : time}`;
}

/** The timestamp text of a row as parseRow reads it, or null when the row is too short to have one. */
export function rowTimeText(rawLine: string, layout: CsvLayout): string | null {
  const fields = (rawLine.includes('"') ? rawLine.replaceAll('"', '') : rawLine).split(',');
  const date = fields[layout.time];
  if (date === undefined) return null;
  if (layout.timeOfDay < 0) return date.trim();
  const time = fields[layout.timeOfDay];
  return time === undefined ? null : joinDateTime(date.trim(), time.trim());
}

export function parseRow(rawLine: string, ctx: RowContext): Bar | RowProblem {
  const line = rawLine.includes('"') ? rawLine.replaceAll('"', '') : rawLine;
  const layout = ctx.layout;
  let count = 0;
  let from = 0;
  for (;;) {
    const comma = line.indexOf(',', from);
    if (count < MAX_COLUMNS) {
      starts[count] = from;
      ends[count] = comma < 0 ? line.length : comma;
    }
    count++;
    if (comma < 0) break;
    from = comma + 1;
  }
  if (count !== layout.columns) {
    return problem('row', `expected ${layout.columns} columns, found ${count}`, null);
  }
  const names = layout.names;
  const ti = layout.time;
  let timeText = line.slice(starts[ti]!, ends[ti]!).trim();
  const tod = layout.timeOfDay;
  if (tod >= 0) timeText = joinDateTime(timeText, line.slice(starts[tod]!, ends[tod]!).trim());
  const stamp = parseTimestamp(timeText, ctx.zone, ctx.dateOrder);
  if (Number.isNaN(stamp)) return problem(names[ti]!, `not a timestamp: ${quoteValue(timeText)}`, null);
  const openTime = stamp - ctx.labelShiftMs;
  const open = parsePriceRange(line, starts[layout.open]!, ends[layout.open]!);
  const high = parsePriceRange(line, starts[layout.high]!, ends[layout.high]!);
  const low = parsePriceRange(line, starts[layout.low]!, ends[layout.low]!);
  const close = parsePriceRange(line, starts[layout.close]!, ends[layout.close]!);
  const volume = parseVolumeRange(line, starts[layout.volume]!, ends[layout.volume]!);
  if (!(open > 0 && high > 0 && low > 0 && close > 0 && volume >= 0)) {
    const checks: Array<[number, number]> = [
      [layout.open, open],
      [layout.high, high],
      [layout.low, low],
      [layout.close, close],
      [layout.volume, volume],
    ];
    for (const [col, value] of checks) {
      const text = line.slice(starts[col]!, ends[col]!);
      if (Number.isNaN(value)) {
        if (col !== layout.volume && isPriceOutOfRange(text)) {
          return problem(names[col]!, `${quoteValue(text.trim())} is above the largest supported price, ${MAX_PRICE_TEXT}`, openTime);
        }
        return problem(names[col]!, `not a number: ${quoteValue(text)}`, openTime);
      }
      if (value < 0) return problem(names[col]!, `negative value ${clipValue(text.trim())}`, openTime);
      if (value === 0 && col !== layout.volume) return problem(names[col]!, `price must be positive, found ${clipValue(text.trim())}`, openTime);
    }
  }
  if (high < low) return problem(names[layout.high]!, `high ${formatPrice(high)} is below low ${formatPrice(low)}`, openTime);
  if (open > high || open < low)
    return problem(names[layout.open]!, `open ${formatPrice(open)} is outside [low ${formatPrice(low)}, high ${formatPrice(high)}]`, openTime);
  if (close > high || close < low)
    return problem(names[layout.close]!, `close ${formatPrice(close)} is outside [low ${formatPrice(low)}, high ${formatPrice(high)}]`, openTime);
  return {
    symbol: ctx.symbol,
    interval: ctx.interval,
    openTime,
    closeTime: closeTimeOf(ctx.interval, openTime),
    open,
    high,
    low,
    close,
    volume,
    source: 'csv',
  };
}

export function isRowProblem(row: Bar | RowProblem): row is RowProblem {
  return (row as RowProblem).problem === true;
}
