/**
 * Skips that would lose data stop the run instead: a file with more than a handful of rows out of
 * time order (shuffled, or several exports one after another) is refused naming its first
 * disorder, and a file whose skipped rows are more than --max-skip-ratio of its rows stops the
 * run naming the top reason. Decided while streaming: at each skip once enough rows are read,
 * at the end of each file, and at the end of the run for files the window cut short.
 */
import type { SkipReason } from '../../events/types.ts';
import { DataError } from '../data-error.ts';

/** Rows out of order a file may have (each is skipped): a stray row or two, not a second segment. */
export const MAX_OUT_OF_ORDER = 10;
/** Rows read from a file before its skip ratio is checked mid-file: the ratio of a few rows says little. */
export const RATIO_CHECK_ROWS = 1000;

/** One file's rows and skips, counted by the merge. */
export class FileTally {
  rows = 0;
  skipped = 0;
  readonly byReason = new Map<SkipReason, { count: number; firstLine: number }>();
  finished = false;
}

export interface TalliedFile {
  readonly file: string;
  readonly symbol: string;
  readonly tally: FileTally;
}

export class SkipBudget {
  private readonly maxRatio: number | null;

  /** maxRatio null: skips may be any share of a file (the out-of-order limit still holds). */
  constructor(maxRatio: number | null) {
    this.maxRatio = maxRatio;
  }

  /** Counts a skipped row of `f` (its row already counted) and stops the run when that loses too much. */
  skip(f: TalliedFile, reason: SkipReason, line: number): void {
    const t = f.tally;
    t.skipped++;
    const r = t.byReason.get(reason);
    if (r) r.count++;
    else t.byReason.set(reason, { count: 1, firstLine: line });
    if (reason === 'out_of_order' && t.byReason.get(reason)!.count > MAX_OUT_OF_ORDER) {
      const first = t.byReason.get(reason)!.firstLine;
      throw new DataError(
        `${f.file}:${first}: rows are out of time order from here on (${MAX_OUT_OF_ORDER + 1} already, in the first ${t.rows} rows); ` +
          'each would be skipped, losing its bar. Sort the file by time; or, if it holds several exports one after another, ' +
          `split it and pass each part with --file ${f.symbol}=PATH (repeated): a symbol's files merge in time order.`,
      );
    }
    if (t.rows >= RATIO_CHECK_ROWS) this.check(f);
  }

  /** The end of a file: its whole ratio. */
  finish(f: TalliedFile): void {
    if (f.tally.finished) return;
    f.tally.finished = true;
    this.check(f);
  }

  private check(f: TalliedFile): void {
    const t = f.tally;
    if (this.maxRatio === null || t.skipped <= this.maxRatio * t.rows) return;
    let top: [SkipReason, { count: number; firstLine: number }] | null = null;
    for (const entry of t.byReason) if (top === null || entry[1].count > top[1].count) top = entry;
    const [reason, { count, firstLine }] = top!;
    const share = t.skipped / t.rows;
    const enough = Math.min(1, Math.ceil(share * 100) / 100);
    throw new DataError(
      `${f.file}: ${t.skipped} of ${t.rows} rows skipped (${(share * 100).toFixed(1)}%), more than --max-skip-ratio ${this.maxRatio} allows; ` +
        `most were ${reason} (${count}, the first at line ${firstLine}). Fix the file, or pass --max-skip-ratio ${enough} to run with them skipped.`,
    );
  }
}
