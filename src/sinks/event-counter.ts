import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';

/** Distinct reject details kept for the summary: enough to see what went wrong, bounded. */
const DETAILS_KEPT = 5;

/**
 * Counts events by type, and the ones that explain a result by reason: rejects, skips, cancels and
 * halts by reason, alerts by kind, plus the first few distinct reject details.
 */
export class EventCounter implements EventSink {
  private bars = 0;
  private decisions = 0;
  private readonly others = new Map<string, number>();
  private readonly reasons = new Map<string, Map<string, number>>();
  readonly rejectDetails: Array<{ reason: string; detail: string }> = [];

  write(_seq: number, event: TradeEvent): void {
    // Two events a bar: counted without a map lookup.
    if (event.type === 'bar') this.bars++;
    else if (event.type === 'decision') this.decisions++;
    else {
      this.others.set(event.type, (this.others.get(event.type) ?? 0) + 1);
      switch (event.type) {
        case 'reject':
          this.count('reject', event.reason);
          if (this.rejectDetails.length < DETAILS_KEPT && !this.rejectDetails.some((d) => d.reason === event.reason && d.detail === event.detail)) {
            this.rejectDetails.push({ reason: event.reason, detail: event.detail });
          }
          break;
        case 'skip':
        case 'cancel':
        case 'halt':
          this.count(event.type, event.reason);
          break;
        case 'alert':
          this.count('alert', event.kind);
          break;
      }
    }
  }

  private count(type: string, key: string): void {
    let m = this.reasons.get(type);
    if (!m) {
      m = new Map();
      this.reasons.set(type, m);
    }
    m.set(key, (m.get(key) ?? 0) + 1);
  }

  of(type: TradeEvent['type']): number {
    if (type === 'bar') return this.bars;
    if (type === 'decision') return this.decisions;
    return this.others.get(type) ?? 0;
  }

  /** Counts by reason (by kind for alerts), largest first, ties by name: stable for the summary. */
  byReason(type: 'reject' | 'skip' | 'cancel' | 'halt' | 'alert'): Record<string, number> {
    const entries = [...(this.reasons.get(type) ?? new Map<string, number>()).entries()];
    entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return Object.fromEntries(entries);
  }
}
