/**
 * A sink in front of another that decides which events pass (`write`) and hands every other call
 * (the end-of-cycle mark, flush, close) straight on. The filters of the event log are its subclasses.
 */
import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';

export abstract class SinkFilter implements EventSink {
  protected readonly inner: EventSink;

  constructor(inner: EventSink) {
    this.inner = inner;
  }

  abstract write(seq: number, event: TradeEvent): void;

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
