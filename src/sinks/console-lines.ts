/**
 * What an operator must see as it happens: every halt, resume and alert as one readable line on
 * stderr (time, kind, what, and how it is lifted or what to do), in realtime and static runs alike.
 * Static runs carry no wall clock: their lines are stamped with the bar time of the cycle.
 */
import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';

export class ConsoleLines implements EventSink {
  private readonly write_: (line: string) => void;
  private barTime = 0;
  /** Orders an operator sent (flatten): their fills and refusals are said too, wherever the command came from. */
  private readonly operatorOrders = new Set<string>();
  /** Reject reasons said once already: the first of each gets a line, the rest are counted in the summary. */
  private readonly rejectReasons = new Set<string>();
  lines = 0;

  constructor(write: (line: string) => void) {
    this.write_ = write;
  }

  private stamp(at: number | undefined): string {
    if (at !== undefined) return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return this.barTime === 0 ? 'start' : `bar ${new Date(this.barTime).toISOString().replace(/:00\.000Z$/, 'Z')}`;
  }

  write(_seq: number, e: TradeEvent): void {
    let text: string;
    switch (e.type) {
      case 'bar':
        this.barTime = e.openTime;
        return;
      case 'halt':
        text = `HALT    ${e.reason} (${e.source}, ${e.severity}): ${e.detail} -> trading ${e.state}`;
        break;
      case 'resume':
        text = `RESUME  ${e.reason} lifted (${e.source}) -> trading ${e.state}`;
        break;
      case 'alert':
        text = `ALERT   ${e.kind}: ${e.message}`;
        break;
      case 'order':
        if (e.sentBy === 'operator') this.operatorOrders.add(e.orderId);
        return;
      case 'fill':
        if (!this.operatorOrders.delete(e.orderId)) return;
        text = `FLATTEN ${e.symbol} ${e.side} ${e.qty} at ${e.price} (${e.priceSource ?? 'last_close'}${e.priceTime !== undefined ? ` of ${new Date(e.priceTime).toISOString()}` : ''}) -> position ${e.position}`;
        break;
      case 'reject':
        if (e.orderId !== undefined && this.operatorOrders.delete(e.orderId)) {
          text = `FLATTEN ${e.symbol} NOT closed: ${e.reason}: ${e.detail}`;
          break;
        }
        // An order refused is something the operator must know; thousands of the same are not news.
        if (this.rejectReasons.has(e.reason)) return;
        this.rejectReasons.add(e.reason);
        text = `REJECT  ${e.reason}: ${e.symbol} ${e.side} ${String(e.qty)}: ${e.detail} (the first ${e.reason} reject; the summary counts them all)`;
        break;
      default:
        return;
    }
    this.lines++;
    this.write_(`tradeloop ${this.stamp('at' in e ? e.at : undefined)} ${text}\n`);
  }
}
