/**
 * Time slices in realtime: the bars of all symbols that share one openTime, released in --symbols
 * order — what the csv merge gives for free. Bars of one minute arrive in any order, and with one
 * cash account and binding limits that order would change fills and rejects; slices are what make
 * a paper session decide exactly as the backtest did.
 *
 * A slice leaves when every symbol has delivered its bar for that openTime (or a later one), or
 * when a grace after the slice's first bar expires — unless a missing symbol is being backfilled,
 * whose bars are on their way. A bar that comes after its slice left is processed on its own and
 * counted as late.
 */
import type { Clock, TimerHandle } from '../telemetry/clock.ts';
import type { Bar } from '../domain/types.ts';

/** Whatever the loop holds per bar while its slice waits: the bar, and its own stamps. */
export interface Slotted {
  readonly bar: Bar;
}

interface OpenSlice<T extends Slotted> {
  readonly openTime: number;
  readonly bars: Map<string, T>;
  /** Symbols whose latest bar is at or past this openTime: the slice is complete at symbols.length. */
  reached: number;
  timer: TimerHandle | null;
}

export interface SliceAssemblerOptions<T extends Slotted> {
  readonly symbols: readonly string[];
  readonly graceMs: number;
  readonly clock: Clock;
  readonly isBackfilling: (symbol: string) => boolean;
  readonly release: (item: T) => void;
}

export class SliceAssembler<T extends Slotted> {
  lateBars = 0;
  private readonly open = new Map<number, OpenSlice<T>>();
  private readonly latest = new Map<string, number>();
  private lastReleased = -Infinity;
  private readonly options: SliceAssemblerOptions<T>;

  constructor(options: SliceAssemblerOptions<T>) {
    this.options = options;
  }

  add(item: T): void {
    const { bar } = item;
    if (bar.openTime <= this.lastReleased) {
      this.lateBars++;
      this.options.release(item);
      return;
    }
    let slice = this.open.get(bar.openTime);
    if (!slice) {
      // Counted once per slice; after that each bar updates the counts in O(open slices).
      let reached = 0;
      for (const t of this.latest.values()) if (t >= bar.openTime) reached++;
      slice = { openTime: bar.openTime, bars: new Map(), reached, timer: null };
      this.open.set(bar.openTime, slice);
      this.arm(slice);
    }
    slice.bars.set(bar.symbol, item);
    const prev = this.latest.get(bar.symbol) ?? -Infinity;
    if (bar.openTime > prev) {
      this.latest.set(bar.symbol, bar.openTime);
      for (const open of this.open.values()) if (open.openTime > prev && open.openTime <= bar.openTime) open.reached++;
    }
    this.releaseComplete();
  }

  private arm(slice: OpenSlice<T>): void {
    slice.timer = this.options.clock.setTimer(() => {
      slice.timer = null;
      const waitingOnBackfill = this.options.symbols.some((s) => !slice.bars.has(s) && this.options.isBackfilling(s));
      if (waitingOnBackfill) this.arm(slice);
      else this.releaseThrough(slice.openTime);
    }, this.options.graceMs);
  }

  private releaseComplete(): void {
    const need = this.options.symbols.length;
    for (const t of this.sortedTimes()) {
      if (this.open.get(t)!.reached < need) return;
      this.releaseSlice(t);
    }
  }

  private sortedTimes(): number[] {
    return this.open.size === 1 ? [...this.open.keys()] : [...this.open.keys()].sort((a, b) => a - b);
  }

  /** Releases every open slice up to and including openTime, oldest first. */
  releaseThrough(openTime: number): void {
    for (const t of this.sortedTimes()) {
      if (t > openTime) return;
      this.releaseSlice(t);
    }
  }

  private releaseSlice(openTime: number): void {
    const slice = this.open.get(openTime)!;
    this.open.delete(openTime);
    this.options.clock.clearTimer(slice.timer);
    this.lastReleased = Math.max(this.lastReleased, openTime);
    for (const s of this.options.symbols) {
      const item = slice.bars.get(s);
      if (item) this.options.release(item);
    }
  }

  /** Shutdown: everything still held goes out, in order. */
  flush(): void {
    this.releaseThrough(Infinity);
  }

  get pending(): number {
    let n = 0;
    for (const s of this.open.values()) n += s.bars.size;
    return n;
  }
}
