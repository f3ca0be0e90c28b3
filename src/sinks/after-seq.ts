/**
 * A sink that takes events only past a seq: a resumed session replays its journal through the loop
 * to restore every figure, and its outputs (the log, the console, webhooks) must not receive again
 * what they already have.
 */
import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';
import { SinkFilter } from './sink-filter.ts';

export class AfterSeq extends SinkFilter {
  private readonly after: number;

  constructor(inner: EventSink, after: number) {
    super(inner);
    this.after = after;
  }

  write(seq: number, event: TradeEvent): void {
    if (seq > this.after) this.inner.write(seq, event);
  }
}
