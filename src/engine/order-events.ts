/**
 * The events that say what became of an order, built from the order itself: one shape per order
 * type (its own fields and nothing else), a bracketed entry's exit prices and an exit's links,
 * its time in force, post-only and reduce-only, written only where set. The engine emits them; the serializers and the journal read them.
 */
import type { Order } from '../domain/types.ts';
import { unreachable } from '../domain/unreachable.ts';
import type { CancelReason, OrderSender } from '../events/reasons.ts';
import type { CancelEvent, OrderEvent, OrderTerms } from '../events/types.ts';

/**
 * The order event of an order placed (its bar time is the order's createdAt); `sentBy` only for an
 * operator's, `waitsFor` only for one decided on a backfilled bar (it waits for the first live bar).
 */
export function orderEvent(order: Order, sentBy?: OrderSender): OrderEvent {
  const typed = termsEvent(order, sentBy);
  const terms = termsOf(order);
  const e = terms === NO_TERMS ? typed : { ...typed, ...terms };
  return order.waitsForLive ? { ...e, waitsFor: 'live_open' } : e;
}

const NO_TERMS: OrderTerms = Object.freeze({});

/** An order's time in force, post-only and reduce-only: only those that are not the default (GTC, neither), so a plain order's line is what it always was. */
function termsOf(order: Order): OrderTerms {
  const postOnly = order.orderType === 'limit' && order.postOnly === true;
  if (order.timeInForce === undefined && !postOnly && order.reduceOnly === undefined) return NO_TERMS;
  return {
    ...(order.timeInForce === undefined ? {} : { timeInForce: order.timeInForce }),
    ...(order.expireAfterBars === undefined ? {} : { expireAfterBars: order.expireAfterBars }),
    ...(postOnly ? { postOnly: true } : {}),
    ...(order.reduceOnly === true ? { reduceOnly: true } : {}),
  };
}

function termsEvent(order: Order, sentBy?: OrderSender): OrderEvent {
  const { orderId, symbol, side, qty, createdAt: openTime } = order;
  const by = sentBy === undefined ? null : { sentBy };
  switch (order.orderType) {
    case 'market':
      return { type: 'order', orderId, symbol, openTime, side, orderType: 'market', qty, ...bracketFields(order), ...by };
    case 'limit':
      return {
        type: 'order',
        orderId,
        symbol,
        openTime,
        side,
        orderType: 'limit',
        qty,
        limitPrice: order.limitPrice,
        ...bracketFields(order),
        ...exitFields(order),
        ...by,
      };
    case 'stop':
      return { type: 'order', orderId, symbol, openTime, side, orderType: 'stop', qty, stopPrice: order.stopPrice, ...exitFields(order), ...by };
    case 'stop_limit':
      return { type: 'order', orderId, symbol, openTime, side, orderType: 'stop_limit', qty, limitPrice: order.limitPrice, stopPrice: order.stopPrice, ...by };
    case 'trailing_stop':
      return { type: 'order', orderId, symbol, openTime, side, orderType: 'trailing_stop', qty, trailBps: order.trailBps, ...by };
    default:
      return unreachable(order);
  }
}

function bracketFields(order: { readonly takeProfit?: number; readonly stopLoss?: number }): { takeProfit?: number; stopLoss?: number } | null {
  return order.takeProfit === undefined || order.stopLoss === undefined ? null : { takeProfit: order.takeProfit, stopLoss: order.stopLoss };
}

function exitFields(order: { readonly parentId?: string; readonly ocoWith?: string }): { parentId?: string; ocoWith?: string } | null {
  return order.parentId === undefined || order.ocoWith === undefined ? null : { parentId: order.parentId, ocoWith: order.ocoWith };
}

/** A resting order that left the book unfilled, stamped with the bar time of the cycle it left in. */
export function cancelEvent(order: Order, openTime: number, reason: CancelReason, detail: string): CancelEvent {
  return { type: 'cancel', orderId: order.orderId, symbol: order.symbol, openTime, reason, detail };
}
