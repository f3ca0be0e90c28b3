/** What an order event adds to its type's fields: its time in force, post-only and reduce-only. */
import type { Order } from '../domain/types.ts';
import type { OrderTerms } from '../events/types.ts';

const NO_TERMS: OrderTerms = Object.freeze({});

/** An order's terms as its event carries them: only those that are not the default (GTC, neither post-only nor reduce-only), so a plain order's line is what it always was. */
export function termsOf(order: Order): OrderTerms {
  const postOnly = order.orderType === 'limit' && order.postOnly === true;
  if (order.timeInForce === undefined && !postOnly && order.reduceOnly === undefined) return NO_TERMS;
  return {
    ...(order.timeInForce === undefined ? {} : { timeInForce: order.timeInForce }),
    ...(order.expireAfterBars === undefined ? {} : { expireAfterBars: order.expireAfterBars }),
    ...(postOnly ? { postOnly: true } : {}),
    ...(order.reduceOnly === true ? { reduceOnly: true } : {}),
  };
}
