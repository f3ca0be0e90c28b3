/**
 * What became of a strategy's orders (and which wait for a live price), gathered per symbol from the events themselves (the one
 * record of what happened), and handed to the strategy with its next decided bar of that symbol
 * (ctx.updates). Reading the bus rather than the engine's own calls catches every source alike:
 * fills on the bar's path, the gate's second look, a halt's cancels, an operator's flatten.
 * It only reads: the run's events and bytes are the same with or without it.
 */
import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';
import type { OrderUpdate } from '../strategy/strategy.ts';

export const NO_UPDATES: readonly OrderUpdate[] = Object.freeze([]);

export class OrderUpdates implements EventSink {
  private readonly pending = new Map<string, OrderUpdate[]>();

  write(_seq: number, e: TradeEvent): void {
    let update: OrderUpdate;
    switch (e.type) {
      case 'order': {
        // Decided on a backfilled bar: the strategy learns it waits for a live price.
        if (e.waitsFor !== undefined) {
          update = {
            type: 'waiting',
            orderId: e.orderId,
            side: e.side,
            qty: e.qty,
            orderType: e.orderType,
            waitsFor: e.waitsFor,
            detail: `decided on a backfilled bar: no backfilled bar fills it; it waits for the first live ${e.symbol} bar${e.orderType === 'market' ? ' and fills at its open' : ''}`,
          };
          break;
        }
        // A bracket's exit: placed by a fill, not by the strategy, which learns its id here.
        const { orderId, side, qty } = e;
        if (e.orderType === 'limit' && e.parentId !== undefined && e.ocoWith !== undefined) {
          update = { type: 'order', orderId, side, orderType: 'limit', qty, limitPrice: e.limitPrice, parentId: e.parentId, ocoWith: e.ocoWith };
        } else if (e.orderType === 'stop' && e.parentId !== undefined && e.ocoWith !== undefined) {
          update = { type: 'order', orderId, side, orderType: 'stop', qty, stopPrice: e.stopPrice, parentId: e.parentId, ocoWith: e.ocoWith };
        } else return;
        break;
      }
      case 'fill':
        update = {
          type: 'fill',
          orderId: e.orderId,
          side: e.side,
          qty: e.qty,
          price: e.price,
          fee: e.fee,
          realizedPnl: e.realizedPnl,
          position: e.position,
          remaining: e.remaining ?? 0,
        };
        break;
      case 'cancel':
        update = { type: 'cancel', orderId: e.orderId, reason: e.reason, detail: e.detail };
        break;
      case 'reject':
        update = { type: 'reject', orderId: e.orderId ?? null, side: e.side, qty: e.qty, reason: e.reason, detail: e.detail };
        break;
      default:
        return;
    }
    const list = this.pending.get(e.symbol);
    if (list) list.push(Object.freeze(update));
    else this.pending.set(e.symbol, [Object.freeze(update)]);
  }

  /** This symbol's updates since the last take, frozen; the shared empty array when none. */
  take(symbol: string): readonly OrderUpdate[] {
    const list = this.pending.get(symbol);
    if (list === undefined) return NO_UPDATES;
    this.pending.delete(symbol);
    return Object.freeze(list);
  }
}

/** Updates as JSON can carry them to a strategy's own thread: bigints as decimal text. */
export function updatesToWire(updates: readonly OrderUpdate[]): unknown[] {
  return updates.map((u) => (u.type === 'fill' ? { ...u, fee: u.fee.toString(), realizedPnl: u.realizedPnl.toString() } : u));
}

export function updatesFromWire(wire: readonly Record<string, unknown>[]): readonly OrderUpdate[] {
  return Object.freeze(
    wire.map((w) =>
      Object.freeze((w.type === 'fill' ? { ...w, fee: BigInt(w.fee as string), realizedPnl: BigInt(w.realizedPnl as string) } : w) as unknown as OrderUpdate),
    ),
  );
}
