/**
 * A post-only limit must not take liquidity when it is placed: a buy at or above the close of the
 * bar that decided it (or a sell at or below it) would meet the price at once, as a taker. It is
 * refused then, so one that rests is a maker (Binance's LIMIT_MAKER, refused the same way).
 */
import { formatPrice } from '../../domain/price.ts';
import type { Check } from './check.ts';

export const postOnly: Check = (req, account) => {
  const o = req.order;
  if (req.phase !== 'new' || o.orderType !== 'limit' || o.postOnly !== true) return null;
  // The mark the loop set at this bar's close, before the strategy ran: the price the order would meet now.
  const close = account.lastMark(o.symbol);
  const takes = o.side === 'buy' ? o.limitPrice >= close : o.limitPrice <= close;
  if (!takes) return null;
  return {
    reason: 'post_only',
    detail: `post-only ${o.side} limit ${formatPrice(o.limitPrice)} would take liquidity: the bar closed at ${formatPrice(close)}, ${o.side === 'buy' ? 'at or under' : 'at or over'} it (place it ${o.side === 'buy' ? 'under' : 'over'} ${formatPrice(close)} to rest as a maker)`,
  };
};
