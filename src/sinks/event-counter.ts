import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';

/** Counts events by type: the summary's bars, decisions, orders, fills, rejects and skips. */
export class EventCounter implements EventSink {
  private bars = 0;
  private decisions = 0;
  private readonly others = new Map<string, number>();

  write(_seq: number, event: TradeEvent): void {
    // Two events a bar: counted without a map lookup.
    if (event.type === 'bar') this.bars++;
    else if (event.type === 'decision') this.decisions++;
    else this.others.set(event.type, (this.others.get(event.type) ?? 0) + 1);
  }

  of(type: TradeEvent['type']): number {
    if (type === 'bar') return this.bars;
    if (type === 'decision') return this.decisions;
    return this.others.get(type) ?? 0;
  }
}
