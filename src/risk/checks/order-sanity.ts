/** The order's own fields: a positive whole number of lots that keeps the position exact, and a limit price for a limit. */
import { worstNext, type Check } from './check.ts';

export const orderSanity: Check = (req, account) => {
  if (!Number.isSafeInteger(req.qty) || req.qty <= 0) {
    return { reason: 'invalid_qty', detail: `qty must be a positive whole number of lots (lot step ${req.inst.lotStep}), got ${String(req.qty)}` };
  }
  // Lots are JS numbers: past 2^53 a position could no longer be added to exactly.
  if (!Number.isSafeInteger(worstNext(req, account).next)) {
    return { reason: 'invalid_qty', detail: `qty ${req.qty} would take the ${req.symbol} position past 2^53 lots, which cannot be kept exact` };
  }
  if (req.orderType === 'limit' && !(Number.isSafeInteger(req.limitPrice) && req.limitPrice! > 0)) {
    return { reason: 'invalid_limit_price', detail: `a limit order needs a positive integer limitPrice in ticks, got ${String(req.limitPrice)}` };
  }
  return null;
};
