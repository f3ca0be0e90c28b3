/**
 * A bounded history of one symbol's bars, oldest evicted first. Strategies read it without copying,
 * through a read-only view: they cannot push, reorder or replace the engine's bars.
 */
import type { Bar } from '../domain/types.ts';

/** What a strategy may do with its history: read it. */
export interface BarHistory {
  readonly length: number;
  readonly capacity: number;
  /** ago = 0 is the newest bar (the one being decided), 1 the one before, … ; undefined past the window. */
  get(ago: number): Bar | undefined;
  /** Sum of close ticks over `count` bars ending `ago` bars back; NaN when the window is too short. */
  sumCloses(count: number, ago?: number): number;
}

/** A running sum of the newest `count` closes (fewer while the window fills). */
interface RunningSum {
  readonly count: number;
  sum: number;
}

/** Running sums kept per window: a strategy asks for a few lengths (fast and slow), bar after bar. */
const MAX_RUNNING = 4;

export class BarWindow implements BarHistory {
  readonly capacity: number;
  private readonly ring: Array<Bar | undefined>;
  private head = 0;
  private size = 0;
  /**
   * sumCloses(count) kept up to date as bars come, instead of re-adding `count` closes each bar.
   * Integer ticks add exactly below 2^53, in any order, so a running sum equals the loop's sum
   * while every value stays a safe integer; one that does not is dropped, and the loop answers.
   */
  private readonly running: RunningSum[] = [];

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
    this.ring = new Array<Bar | undefined>(this.capacity);
  }

  get length(): number {
    return this.size;
  }

  push(bar: Bar): void {
    if (this.running.length > 0) this.advance(bar.close);
    this.ring[this.head] = bar;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** ago = 0 is the newest bar (the one being decided), 1 the one before, … ; undefined past the window. */
  get(ago: number): Bar | undefined {
    if (ago < 0 || ago >= this.size) return undefined;
    return this.ring[(this.head - 1 - ago + this.capacity * 2) % this.capacity];
  }

  private advance(close: number): void {
    const r = this.running;
    if (!Number.isSafeInteger(close)) {
      r.length = 0;
      return;
    }
    for (let i = r.length - 1; i >= 0; i--) {
      const t = r[i]!;
      // The close that leaves the newest `count` as this bar comes in (none while the window fills).
      const dropped = this.size >= t.count ? this.ring[(this.head - t.count + this.capacity) % this.capacity]!.close : 0;
      t.sum = t.sum - dropped + close;
      if (!Number.isSafeInteger(t.sum)) r.splice(i, 1);
    }
  }

  /** Sum of close ticks over `count` bars ending `ago` bars back; NaN when the window is too short. */
  sumCloses(count: number, ago = 0): number {
    if (ago === 0 && count >= 1 && count <= this.capacity && Number.isInteger(count)) {
      for (const t of this.running) if (t.count === count) return count > this.size ? NaN : t.sum;
      if (this.running.length < MAX_RUNNING) {
        const sum = this.loopSum(Math.min(count, this.size), 0);
        // Kept only when exact: every close a safe integer, and so the sum (a non-integer close can
        // round into an integer sum near 2^53).
        if (Number.isSafeInteger(sum) && this.integerCloses(Math.min(count, this.size))) this.running.push({ count, sum });
        return count > this.size ? NaN : sum;
      }
    }
    if (ago + count > this.size) return NaN;
    return this.loopSum(count, ago);
  }

  private integerCloses(count: number): boolean {
    for (let ago = 0; ago < count; ago++) if (!Number.isSafeInteger(this.get(ago)!.close)) return false;
    return true;
  }

  private loopSum(count: number, ago: number): number {
    let sum = 0;
    let at = (this.head - 1 - ago + this.capacity * 2) % this.capacity;
    for (let i = 0; i < count; i++) {
      sum += this.ring[at]!.close;
      at = at === 0 ? this.capacity - 1 : at - 1;
    }
    return sum;
  }
}

/** The strategy's handle on a window: a true private field, so not even a cast reaches push(). */
export class HistoryView implements BarHistory {
  readonly #window: BarWindow;

  constructor(window: BarWindow) {
    this.#window = window;
  }

  get length(): number {
    return this.#window.length;
  }

  get capacity(): number {
    return this.#window.capacity;
  }

  get(ago: number): Bar | undefined {
    return this.#window.get(ago);
  }

  sumCloses(count: number, ago = 0): number {
    return this.#window.sumCloses(count, ago);
  }
}
