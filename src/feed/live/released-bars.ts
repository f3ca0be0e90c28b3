/**
 * Closed bars a symbol's pipeline let go from memory while its backfill kept failing (what it
 * holds is bounded): accepted from the socket, never delivered, so the backfill owes them. Kept as
 * runs of consecutive openTimes, so a days-long outage costs a few numbers, not one per bar. Each
 * request settles exactly the bars it was sent for; one let go while it is in flight waits for the
 * next request. A bar the answer lacks is therefore known and counted, never assumed fetched.
 */
import { nextOpenTime } from '../../domain/interval.ts';

interface Run {
  readonly first: number;
  last: number;
  count: number;
}

export class ReleasedBars {
  /** Bars owed: let go and not yet settled by a successful request. */
  count = 0;
  private readonly interval: string;
  private runs: Run[] = [];
  /** Runs [0, asked) are what the request in flight was sent for: a bar let go meanwhile starts its own run. */
  private asked = 0;

  constructor(interval: string) {
    this.interval = interval;
  }

  /** The oldest held bar let go; bars are let go oldest first, so openTimes only grow. */
  add(openTime: number): void {
    const run = this.runs.at(-1);
    if (run !== undefined && this.runs.length > this.asked && nextOpenTime(this.interval, run.last) === openTime) {
      run.last = openTime;
      run.count++;
    } else {
      this.runs.push({ first: openTime, last: openTime, count: 1 });
    }
    this.count++;
  }

  /** openTime of the newest bar owed, or undefined when none is. */
  get newest(): number | undefined {
    return this.runs.at(-1)?.last;
  }

  /** A request for every bar owed so far is being sent. */
  ask(): void {
    this.asked = this.runs.length;
  }

  /**
   * The request succeeded and brought these openTimes (ascending, on the interval's grid): the
   * bars it was sent for are settled. Returns how many of them the answer lacked.
   */
  settle(fetched: readonly number[]): number {
    const asked = this.runs.splice(0, this.asked);
    this.asked = 0;
    let owed = 0;
    for (const run of asked) owed += run.count;
    let found = 0;
    let i = 0;
    for (const t of fetched) {
      while (i < asked.length && asked[i]!.last < t) i++;
      if (i === asked.length) break;
      if (asked[i]!.first <= t) found++;
    }
    this.count -= owed;
    return owed - found;
  }
}
