/**
 * Numbers events and hands each to every sink (the NDJSON log today, the journal and metrics
 * later); a sink that needs text serialises it itself (serializeEvent), the way that suits it.
 * endCycle marks the end of one decision cycle: everything emitted since the previous endCycle is
 * one unit a journal can commit in one transaction.
 */
import type { TradeEvent } from './types.ts';

export interface EventSink {
  write(seq: number, event: TradeEvent): void;
  endCycle?(): void;
  /** Make everything written so far durable enough to survive a crash of the process. */
  flush?(): void;
  close?(): void | Promise<void>;
}

export class EventBus {
  private seq = 0;
  private readonly sinks: EventSink[];

  constructor(sinks: EventSink[]) {
    this.sinks = sinks;
  }

  /** One more sink, after the others: a reader of the events (the strategy's order updates) that writes nothing. */
  observe(sink: EventSink): void {
    this.sinks.push(sink);
  }

  get lastSeq(): number {
    return this.seq;
  }

  emit(event: TradeEvent): void {
    const seq = ++this.seq;
    for (const sink of this.sinks) sink.write(seq, event);
  }

  endCycle(): void {
    for (const sink of this.sinks) sink.endCycle?.();
  }

  flush(): void {
    for (const sink of this.sinks) sink.flush?.();
  }

  async close(): Promise<void> {
    for (const sink of this.sinks) await sink.close?.();
  }
}
