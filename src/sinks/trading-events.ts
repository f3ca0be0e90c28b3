/**
 * `--events trading`: the event log without the two lines every bar writes, `bar` and a hold
 * `decision`. Orders, fills, rejects, cancels, halts, skips, buy and sell decisions and everything
 * else still go to the log; the other sinks (the counter behind the summary's bars and decisions)
 * still see every event, so decisions == bars holds in the summary.
 */
import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';

export class TradingEventsOnly implements EventSink {
  private readonly log: EventSink;

  constructor(log: EventSink) {
    this.log = log;
  }

  write(seq: number, event: TradeEvent): void {
    const type = event.type;
    if (type === 'bar' || (type === 'decision' && event.action === 'hold')) return;
    this.log.write(seq, event);
  }

  endCycle(): void {
    this.log.endCycle?.();
  }

  flush(): void {
    this.log.flush?.();
  }

  close(): void | Promise<void> {
    return this.log.close?.();
  }
}
