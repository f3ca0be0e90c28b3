/**
 * How a resting order fills against a bar, one matcher per order type: the price it fills at in
 * this bar, or null while it keeps resting, and the worst price it can fill at (what the cash
 * check holds for a resting buy). A new resting type is a member of RestingOrder, its matcher
 * here, and a case in each switch below (the compiler names them).
 */
import type { Bar, LimitOrder, RestingOrder } from '../domain/types.ts';
import { unreachable } from '../domain/unreachable.ts';

export interface Matcher<O extends RestingOrder> {
  /** The price `order` fills at in `bar`, or null when the bar does not reach it. */
  fill(order: O, bar: Bar): number | null;
  /** The highest price a buy of this order can fill at: what it holds of the cash while it rests. */
  worstBuyPrice(order: O): number;
}

/**
 * A buy fills when the bar's low is below the limit (a touch is not enough: the queue ahead of it
 * may have taken the volume), at min(limit, open): a bar that gaps through it fills at the open.
 * A sell mirrors it.
 */
export const limitMatcher: Matcher<LimitOrder> = {
  fill(order, bar) {
    const limit = order.limitPrice;
    if (order.side === 'buy') return bar.low < limit ? Math.min(limit, bar.open) : null;
    return bar.high > limit ? Math.max(limit, bar.open) : null;
  },
  worstBuyPrice: (order) => order.limitPrice,
};

export function fillPrice(order: RestingOrder, bar: Bar): number | null {
  switch (order.orderType) {
    case 'limit':
      return limitMatcher.fill(order, bar);
    default:
      return unreachable(order.orderType);
  }
}

export function worstBuyPrice(order: RestingOrder): number {
  switch (order.orderType) {
    case 'limit':
      return limitMatcher.worstBuyPrice(order);
    default:
      return unreachable(order.orderType);
  }
}
