/**
 * What the session's HTTP surface shows that status() does not hold: the last feed state and since
 * when, the running peak of equity (for drawdown), a bounded equity curve for the dashboard, the
 * latest fills, rejects, cancels, halts and alerts, and latency percentiles. An event sink, with
 * memory flat whatever the session's length: ring buffers and a curve that halves its resolution
 * when full. Listeners hear every notable event (the dashboard pushes them).
 */
import type { EventSink } from '../events/event-bus.ts';
import type { FeedState, TradeEvent } from '../events/types.ts';
import { LatencyStats, SEGMENTS } from '../telemetry/latency.ts';

export const NOTABLE = ['fill', 'reject', 'cancel', 'halt', 'resume', 'trading_state', 'feed', 'alert', 'skip'] as const;
export type NotableType = (typeof NOTABLE)[number];

export interface LiveItem {
  readonly seq: number;
  readonly type: NotableType;
  /** Wall clock (realtime `at`) or the bar time of the cycle (static), ms. */
  readonly time: number;
  readonly event: TradeEvent;
}

const RECENT = 50;
const CURVE_POINTS = 2048;

class Ring<T> {
  private readonly items: T[] = [];
  private readonly size: number;
  constructor(size: number) {
    this.size = size;
  }
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.size) this.items.shift();
  }
  list(): readonly T[] {
    return this.items;
  }
}

/** An equity curve of at most CURVE_POINTS points: when full, every other point goes and the stride doubles. */
export class BoundedCurve {
  readonly times: number[] = [];
  readonly values: number[] = [];
  private stride = 1;
  private skipped = 0;

  add(time: number, value: number): boolean {
    if (++this.skipped < this.stride) return false;
    this.skipped = 0;
    this.times.push(time);
    this.values.push(value);
    if (this.times.length >= CURVE_POINTS) {
      for (let i = 0, j = 0; i < this.times.length; i += 2, j++) {
        this.times[j] = this.times[i]!;
        this.values[j] = this.values[i]!;
      }
      this.times.length = this.values.length = Math.ceil(this.times.length / 2);
      this.stride *= 2;
    }
    return true;
  }
}

export class LiveState implements EventSink {
  feedState: FeedState | null = null;
  feedSince: number | null = null;
  /** Equity marked at the newest decision, and the running peak (quote units). */
  equity = 0;
  peak = 0;
  readonly curve = new BoundedCurve();
  readonly latency = new LatencyStats();
  private barTime = 0;
  private sliceTime: number | null = null;
  private readonly recent = new Map<NotableType, Ring<LiveItem>>();
  private readonly listeners = new Set<(item: LiveItem) => void>();
  constructor() {
    for (const t of NOTABLE) this.recent.set(t, new Ring(RECENT));
  }

  onItem(listener: (item: LiveItem) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  recentOf(type: NotableType): readonly LiveItem[] {
    return this.recent.get(type)!.list();
  }

  get drawdown(): number {
    return this.peak > 0 ? Math.max(0, (this.peak - this.equity) / this.peak) : 0;
  }

  write(seq: number, e: TradeEvent): void {
    switch (e.type) {
      case 'bar':
        this.barTime = e.openTime;
        return;
      case 'decision': {
        if (this.sliceTime !== null && e.openTime !== this.sliceTime) this.curve.add(this.sliceTime, this.equity);
        this.sliceTime = e.openTime;
        this.equity = Number(e.equity) / 1e8;
        if (this.equity > this.peak) this.peak = this.equity;
        return;
      }
      case 'run_start':
        this.equity = this.peak = Number(e.cash);
        return;
      case 'latency':
        if (e.source === 'ws') {
          this.latency.record('network', Math.max(0, e.networkMs));
          this.latency.record('queue', e.queueMs);
          this.latency.record('slice', e.sliceMs);
          this.latency.record('model', e.modelMs);
          this.latency.record('broker', e.brokerMs);
          this.latency.record('pipeline', e.queueMs + e.modelMs + e.brokerMs);
          this.latency.record('total', Math.max(0, e.totalMs));
        }
        return;
      case 'feed':
        if (e.state !== this.feedState) this.feedSince = e.at ?? this.barTime;
        this.feedState = e.state;
        break;
      default:
        if (!(NOTABLE as readonly string[]).includes(e.type)) return;
    }
    const item: LiveItem = { seq, type: e.type as NotableType, time: 'at' in e && typeof e.at === 'number' ? e.at : this.barTime, event: e };
    this.recent.get(item.type)!.push(item);
    for (const l of this.listeners) l(item);
  }
}

export { SEGMENTS };
