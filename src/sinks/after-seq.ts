/**
 * A sink that takes events only past a seq: a resumed session replays its journal through the loop
 * to restore every figure, and its outputs (the log, the console, webhooks) must not receive again
 * what they already have.
 */
import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';

export class AfterSeq implements EventSink {
  private readonly inner: EventSink;
  private readonly after: number;

  constructor(inner: EventSink, after: number) {
    this.inner = inner;
    this.after = after;
  }

  write(seq: number, event: TradeEvent): void {
    if (seq > this.after) this.inner.write(seq, event);
  }

  endCycle(): void {
    this.inner.endCycle?.();
  }

  flush(): void {
    this.inner.flush?.();
  }

  close(): void | Promise<void> {
    return this.inner.close?.();
  }
}
