/**
 * Numbers events, serialises each once, and hands it to every sink (the NDJSON log today, the
 * journal and metrics later). endCycle marks the end of one decision cycle: everything emitted
 * since the previous endCycle is one unit a journal can commit in one transaction.
 */
import { serializeEvent } from './serialize.ts';
import type { TradeEvent } from './types.ts';

export interface EventSink {
  write(seq: number, event: TradeEvent, line: string): void;
  endCycle?(): void;
  close?(): void;
}

export class EventBus {
  private seq = 0;
  private readonly sinks: EventSink[];

  constructor(sinks: EventSink[]) {
    this.sinks = sinks;
  }

  get lastSeq(): number {
    return this.seq;
  }

  emit(event: TradeEvent): void {
    const seq = ++this.seq;
    const line = serializeEvent(seq, event);
    for (const sink of this.sinks) sink.write(seq, event, line);
  }

  endCycle(): void {
    for (const sink of this.sinks) sink.endCycle?.();
  }

  close(): void {
    for (const sink of this.sinks) sink.close?.();
  }
}

/** Counts events by type: the summary's bars, decisions, orders, fills, rejects and skips. */
export class EventCounter implements EventSink {
  readonly counts: Record<string, number> = {};

  write(_seq: number, event: TradeEvent): void {
    this.counts[event.type] = (this.counts[event.type] ?? 0) + 1;
  }

  of(type: TradeEvent['type']): number {
    return this.counts[type] ?? 0;
  }
}
