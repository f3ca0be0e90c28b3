/**
 * Keeps each symbol's bars in order: a bar whose openTime equals the last accepted one is a
 * duplicate, an earlier one is out of order. Memory stays flat over days: one number per
 * (symbol, interval), never a set of every key seen.
 */
export type SequenceVerdict = 'ok' | 'duplicate' | 'out_of_order';

export class BarSequencer {
  private readonly last = new Map<string, number>();

  check(key: string, openTime: number): SequenceVerdict {
    const prev = this.last.get(key);
    if (prev !== undefined) {
      if (openTime === prev) return 'duplicate';
      if (openTime < prev) return 'out_of_order';
    }
    this.last.set(key, openTime);
    return 'ok';
  }

  /** The last accepted openTime, for gap detection and backfill windows. */
  lastOpenTime(key: string): number | undefined {
    return this.last.get(key);
  }
}
