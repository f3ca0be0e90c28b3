/**
 * What a file's first lines tell before any row is delivered: its layout (csv-layout), where the
 * header ends, the openTimes of its first rows (for the order and the spacing of bars), and
 * refusals that only the start can decide: an empty file, a header without rows, dates that need
 * --date-format, bars spaced wider than --interval.
 */
import { DataError } from '../data-error.ts';
import { isDayMonthFirst, leadingDateFields, type DateOrder } from '../../domain/time.ts';
import { intervalOfSpacing, nominalIntervalMs } from '../../domain/interval.ts';
import { quoteValue } from '../quote-value.ts';
import { detectLayout } from './csv-layout.ts';
import { isRowProblem, parseRow, rowTimeText, type RowContext } from './csv-row.ts';
import type { LineChunk } from './line-reader.ts';
import type { ZoneOffsets } from '../../domain/time.ts';

/** At most this many lines are read ahead, so a file of bad rows is not buffered whole. */
export const PROBE_LINES = 1000;
/** Rows whose openTimes are kept: enough that minute data with gaps still shows minute spacing. */
export const SPACING_ROWS = 50;
const MIN_SPACING_ROWS = 3;

export interface ProbeContext {
  readonly symbol: string;
  readonly file: string;
  readonly interval: string;
  readonly zone: ZoneOffsets | null;
  readonly labelShiftMs: number;
  readonly dateOrder: DateOrder | null;
}

export interface StartProbe {
  /** Chunks read ahead, replayed first. */
  readonly buffered: LineChunk[];
  readonly ctx: RowContext;
  /** Lines up to and including this one are not rows (0: no header). */
  readonly headerLine: number;
  /** openTimes of the first rows that parse, in file order. */
  readonly stamps: readonly number[];
  /** The line of the first row. */
  readonly firstRowLine: number;
}

export async function probeStart(forward: AsyncGenerator<LineChunk>, p: ProbeContext): Promise<StartProbe> {
  const buffered: LineChunk[] = [];
  const stamps: number[] = [];
  let ctx: RowContext | null = null;
  let headerLine = 0;
  let firstRowLine = 0;
  let examined = 0;
  while (stamps.length < SPACING_ROWS && examined < PROBE_LINES) {
    const next = await forward.next();
    if (next.done) break;
    const chunk = next.value;
    buffered.push(chunk);
    for (let k = 0; k < chunk.lines.length && stamps.length < SPACING_ROWS; k++, examined++) {
      const text = chunk.lines[k]!;
      if (text.trim().length === 0) continue;
      if (ctx === null) {
        const layout = detectLayout(text, p.file);
        headerLine = layout.hasHeader ? chunk.firstLine + k : 0;
        ctx = { symbol: p.symbol, interval: p.interval, layout, zone: p.zone, labelShiftMs: p.labelShiftMs, dateOrder: p.dateOrder };
        if (layout.hasHeader) continue;
      }
      if (firstRowLine === 0) {
        firstRowLine = chunk.firstLine + k;
        refuseUnreadDates(text, chunk.lines.slice(k), firstRowLine, ctx, p);
      }
      const row = parseRow(text, ctx);
      if (!isRowProblem(row)) stamps.push(row.openTime);
    }
  }
  if (ctx === null) throw new DataError(`${p.file}: the file is empty (symbol ${p.symbol}). Point --data or --file at a file with bars.`);
  if (firstRowLine === 0) throw new DataError(`${p.file}: the file has a header but no rows (symbol ${p.symbol}). Point --data or --file at a file with bars.`);
  return { buffered, ctx, headerLine, stamps, firstRowLine };
}

/**
 * 03/09/2026 is 3 September or March 9: no rule guesses it safely (a day above 12 in the first
 * rows says nothing of a file that starts on the 1st), so without --date-format it is refused,
 * with the order the first rows suggest when they show one.
 */
function refuseUnreadDates(first: string, following: readonly string[], line: number, ctx: RowContext, p: ProbeContext): void {
  const stamp = rowTimeText(first, ctx.layout);
  if (stamp === null || !isDayMonthFirst(stamp) || p.dateOrder === 'dmy' || p.dateOrder === 'mdy') return;
  if (p.dateOrder === 'ymd') {
    throw new DataError(
      `${p.file}:${line}: the date ${quoteValue(stamp)} has the year last, which --date-format ymd does not read. Pass --date-format dmy (day first) or --date-format mdy (month first).`,
    );
  }
  let dayFirst = false;
  let monthFirst = false;
  for (const text of following) {
    const fields = leadingDateFields(rowTimeText(text, ctx.layout) ?? '');
    if (fields === null) continue;
    if (fields[0] > 12) dayFirst = true;
    if (fields[1] > 12) monthFirst = true;
  }
  const hint =
    dayFirst !== monthFirst
      ? ` (its first rows have a ${dayFirst ? 'first' : 'second'} number above 12, so --date-format ${dayFirst ? 'dmy' : 'mdy'} looks right)`
      : '';
  throw new DataError(
    `${p.file}:${line}: the date ${quoteValue(stamp)} may be day-first or month-first. ` +
      `Pass --date-format dmy (day first) or --date-format mdy (month first)${hint}.`,
  );
}

/**
 * A daily file replayed as 1m bars would label every bar a minute long (closeTime, --minutes,
 * --bar-label end all go wrong) without any error: when the closest of the first rows are exactly
 * one coarser interval apart, that interval is named. Minute data with night and weekend gaps
 * still has minutes between most rows; an uneven spacing (sparse bars) is not a standard interval
 * and passes.
 */
export function refuseCoarserSpacing(stamps: readonly number[], interval: string, file: string, line: number): void {
  if (interval === '1M') return;
  const sorted = [...new Set(stamps)].sort((a, b) => a - b);
  // Two rows are one gap, which minute data has too: it takes a third to show a spacing.
  if (sorted.length < MIN_SPACING_ROWS) return;
  let closest = Infinity;
  for (let i = 1; i < sorted.length; i++) closest = Math.min(closest, sorted[i]! - sorted[i - 1]!);
  if (closest <= nominalIntervalMs(interval)) return;
  const own = intervalOfSpacing(closest);
  if (own === null || own === interval) return;
  throw new DataError(
    `${file}:${line}: its bars are ${own} apart (the closest of its first ${sorted.length} rows), but --interval is ${interval}. ` + `Pass --interval ${own}.`,
  );
}
