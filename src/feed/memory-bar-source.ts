/**
 * Bars held in memory as a bar source: each symbol's bars in the order given, merged in time
 * order as the CSV source merges its files, with the same rules (a repeated openTime is a
 * `duplicate` skip, an earlier one `out_of_order`; bars before `from` warm up). For programs
 * that have their bars already, and for loop tests that need no file.
 */
import type { Bar } from '../domain/types.ts';
import type { BarSink } from './bar-sink.ts';
import type { BarSource, BarWindow } from './bar-source.ts';

export interface MemoryBarSourceOptions extends BarWindow {
  readonly symbols: readonly string[];
  /** Each symbol's bars, in the order they would arrive. */
  readonly bars: Readonly<Record<string, readonly Bar[]>>;
  /** What a skip names as its origin (a file's name for csv). */
  readonly origin?: string;
  /** Bars delivered between two calls of afterBatch. */
  readonly batch?: number;
}

export class MemoryBarSource implements BarSource {
  private readonly options: MemoryBarSourceOptions;
  private read = 0;

  constructor(options: MemoryBarSourceOptions) {
    this.options = options;
  }

  rowsRead(): number {
    return this.read;
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async run(sink: BarSink, afterBatch?: () => void | Promise<void>): Promise<void> {
    const { symbols, bars, from, windowMs } = this.options;
    const until = this.options.until ?? Infinity;
    const origin = this.options.origin ?? 'memory';
    const batch = this.options.batch ?? 1000;
    const heads = symbols.map(() => 0);
    const last = symbols.map(() => -Infinity);
    let start = from;
    let end = Math.min(until, start !== null && windowMs !== null ? start + windowMs : Infinity);
    let inBatch = 0;
    for (;;) {
      // The head with the smallest openTime; a tie goes to the symbol given first.
      let best = -1;
      for (let i = 0; i < symbols.length; i++) {
        const bar = bars[symbols[i]!]?.[heads[i]!];
        if (bar !== undefined && (best < 0 || bar.openTime < bars[symbols[best]!]![heads[best]!]!.openTime)) best = i;
      }
      if (best < 0) break;
      const bar = bars[symbols[best]!]![heads[best]!++]!;
      if (bar.openTime >= end) break;
      this.read++;
      const prev = last[best]!;
      if (bar.openTime <= prev) {
        const duplicate = bar.openTime === prev;
        sink.skip({
          type: 'skip',
          symbol: bar.symbol,
          openTime: bar.openTime,
          reason: duplicate ? 'duplicate' : 'out_of_order',
          origin,
          message: duplicate ? 'a bar with this openTime was already accepted' : 'earlier than the last accepted bar',
        });
      } else {
        last[best] = bar.openTime;
        if (start !== null && bar.openTime < start) sink.warmup(bar);
        else {
          if (start === null) {
            start = bar.openTime;
            end = Math.min(until, windowMs !== null ? start + windowMs : Infinity);
            if (bar.openTime >= end) break;
          }
          sink.bar(bar);
        }
      }
      if (++inBatch >= batch) {
        inBatch = 0;
        await afterBatch?.();
      }
    }
    await afterBatch?.();
  }
}
