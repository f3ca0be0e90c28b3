/**
 * Numbers events and hands each to every sink (the NDJSON log today, the journal and metrics
 * later); a sink that needs text serialises it itself (serializeEvent), the way that suits it.
 * endCycle marks the end of one decision cycle: everything emitted since the previous endCycle is
 * one unit a journal can commit in one transaction.
 *
 * Sinks named as recorders (realtime: the statistics behind trades.csv and equity.csv, the event
 * counter, the dashboard's state and /metrics) get the events and cycle ends in order at the next
 * flush rather than as they are emitted. The realtime loop flushes at the end of each turn, before
 * any socket, timer or HTTP request is served, so nothing that reads them can see the difference,
 * and a slice's later bars no longer wait for the earlier bars' bookkeeping. The log stays
 * immediate, as do the terminal's lines and webhooks: the cycle watchdog writes out what the log
 * holds when a strategy never returns, and an operator's alert must not wait on one. So do the
 * journal's sink, the engine's own readers (order updates) and a library user's sinks.
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
  /** Every sink in order: flushed and closed in this order. */
  private readonly sinks: EventSink[];
  private readonly now: EventSink[];
  private readonly later: EventSink[];
  /** For the recorders: seq and event, or 0 and null for a cycle's end, in the order they came. */
  private queue: Array<number | TradeEvent | null> = [];

  /** `recorders`: sinks among `sinks` that may get what was emitted at the next flush (see above). */
  constructor(sinks: EventSink[], recorders: ReadonlySet<EventSink> = new Set()) {
    this.sinks = sinks;
    this.now = sinks.filter((s) => !recorders.has(s));
    this.later = sinks.filter((s) => recorders.has(s));
  }

  /** One more sink, after the others: a reader of the events (the strategy's order updates) that writes nothing. */
  observe(sink: EventSink): void {
    this.sinks.push(sink);
    this.now.push(sink);
  }

  get lastSeq(): number {
    return this.seq;
  }

  emit(event: TradeEvent): void {
    const seq = ++this.seq;
    for (const sink of this.now) sink.write(seq, event);
    if (this.later.length > 0) this.queue.push(seq, event);
  }

  endCycle(): void {
    for (const sink of this.now) sink.endCycle?.();
    if (this.later.length > 0) this.queue.push(0, null);
  }

  /** The recorders get what waited for them; then every sink, in order, makes it durable. */
  flush(): void {
    this.deliver();
    for (const sink of this.sinks) sink.flush?.();
  }

  async close(): Promise<void> {
    this.deliver();
    for (const sink of this.sinks) await sink.close?.();
  }

  private deliver(): void {
    const q = this.queue;
    if (q.length === 0) return;
    // Taken first: a recorder that throws leaves nothing to be delivered twice.
    this.queue = [];
    for (let i = 0; i < q.length; i += 2) {
      const seq = q[i] as number;
      if (seq === 0) for (const sink of this.later) sink.endCycle?.();
      else for (const sink of this.later) sink.write(seq, q[i + 1] as TradeEvent);
    }
  }
}
