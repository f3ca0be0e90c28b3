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

export class BarWindow implements BarHistory {
  readonly capacity: number;
  private readonly ring: Array<Bar | undefined>;
  private head = 0;
  private size = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
    this.ring = new Array<Bar | undefined>(this.capacity);
  }

  get length(): number {
    return this.size;
  }

  push(bar: Bar): void {
    this.ring[this.head] = bar;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** ago = 0 is the newest bar (the one being decided), 1 the one before, … ; undefined past the window. */
  get(ago: number): Bar | undefined {
    if (ago < 0 || ago >= this.size) return undefined;
    return this.ring[(this.head - 1 - ago + this.capacity * 2) % this.capacity];
  }

  /** Sum of close ticks over `count` bars ending `ago` bars back; NaN when the window is too short. */
  sumCloses(count: number, ago = 0): number {
    if (ago + count > this.size) return NaN;
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
