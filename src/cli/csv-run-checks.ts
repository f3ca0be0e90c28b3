/**
 * What a static run adds around the csv source, kept apart from static-run.ts: the options that
 * enter the run id only when set (so existing runs keep their ids and bytes), and the message of
 * a run that delivered no bar.
 */
import type { SkipEvent, SkipReason } from '../events/types.ts';
import { DEFAULT_MAX_SKIP_RATIO, type RunOptions } from './run-options.ts';

/** Reading options of later versions: in the run id only when they differ from the default. */
export function csvReadingKey(opts: RunOptions): Record<string, unknown> {
  return {
    ...(opts.dateFormat !== null ? { dateFormat: opts.dateFormat } : {}),
    ...(opts.maxSkipRatio !== DEFAULT_MAX_SKIP_RATIO ? { maxSkipRatio: opts.maxSkipRatio } : {}),
  };
}

/** Skip events by reason, as the run delivers them. */
export class SkipReasons {
  private readonly counts = new Map<SkipReason, number>();

  add(event: SkipEvent): void {
    this.counts.set(event.reason, (this.counts.get(event.reason) ?? 0) + 1);
  }

  /** "malformed 5, duplicate 2", most common first; empty when nothing was skipped. */
  describe(): string {
    return [...this.counts].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${reason} ${n}`).join(', ');
  }
}

/**
 * Why a run has no bar: the window the user chose, or rows that were all skipped. Naming --from
 * and --minutes when the user gave neither, and the rows were the problem, sends them the wrong way.
 */
export function emptyWindowMessage(opts: RunOptions, skips: SkipReasons): string {
  const window = opts.fromText ? ` (from ${opts.fromText}${opts.minutes !== null ? `, ${opts.minutes} min` : ''})` : '';
  const skipped = skips.describe();
  if (skipped !== '') {
    return `no bar in the run window${window}: every row read was skipped (${skipped}). ` +
      `Each skip event in events.ndjson names its file, line and reason${window ? '; check --from and --minutes against the files\' dates too' : ''}.`;
  }
  return `no bar in the run window${window}: the data has none there. Check --from and --minutes against the files' dates.`;
}
