/**
 * What a static run adds around the csv source, kept apart from static-run.ts: the options that
 * enter the run id only when set (so existing runs keep their ids and bytes), and the message of
 * a run that delivered no bar.
 */
import type { EventSink } from '../events/event-bus.ts';
import type { SkipEvent, SkipReason, TradeEvent } from '../events/types.ts';
import { DEFAULT_MAX_SKIP_RATIO, type SessionConfig as RunOptions } from './session-config.ts';

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
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
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
    return (
      `no bar in the run window${window}: every row read was skipped (${skipped}). ` +
      `Each skip event in events.ndjson names its file, line and reason${window ? "; check --from and --minutes against the files' dates too" : ''}.`
    );
  }
  return `no bar in the run window${window}: the data has none there. Check --from and --minutes against the files' dates.`;
}

/**
 * A US-session file read without --tz: its 09:30-16:00 New York bars become 09:30-16:00 "UTC", an
 * hour or five off, with no error anywhere. The tell is in the bars: days that open at 09:30 (or
 * 09:31) and close at 15:59 (or 16:00) in UTC. Seen, it is said once after the run.
 */
export class SessionHoursHint implements EventSink {
  private day = -1;
  private first = 0;
  private last = 0;
  private days = 0;
  private usLike = 0;

  write(_seq: number, e: TradeEvent): void {
    if (e.type !== 'bar') return;
    const day = Math.floor(e.openTime / 86_400_000);
    const minute = Math.floor((e.openTime % 86_400_000) / 60_000);
    if (day !== this.day) {
      this.closeDay();
      this.day = day;
      this.first = minute;
    }
    this.last = minute;
  }

  private closeDay(): void {
    if (this.day < 0) return;
    this.days++;
    if ((this.first === 570 || this.first === 571) && (this.last === 959 || this.last === 960)) this.usLike++;
  }

  /** The hint, or null: most days of the run look like a New York session read as UTC. */
  hint(): string | null {
    this.closeDay();
    this.day = -1;
    if (this.days === 0 || this.usLike * 2 < this.days) return null;
    return `  note          the bars run 09:30-16:00 UTC on ${this.usLike} of ${this.days} day(s): a US-session file in New York time? Without --tz its times are read as UTC; pass --tz America/New_York.\n`;
  }
}
