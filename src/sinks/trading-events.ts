/**
 * `--events trading`: the event log without the two lines every bar writes, `bar` and a hold
 * `decision`. Orders, fills, rejects, cancels, halts, skips, buy and sell decisions and everything
 * else still go to the log; the other sinks (the counter behind the summary's bars and decisions)
 * still see every event, so decisions == bars holds in the summary.
 */
import type { TradeEvent } from '../events/types.ts';
import { SinkFilter } from './sink-filter.ts';

export class TradingEventsOnly extends SinkFilter {
  write(seq: number, event: TradeEvent): void {
    const type = event.type;
    if (type === 'bar' || (type === 'decision' && event.action === 'hold')) return;
    this.inner.write(seq, event);
  }
}
