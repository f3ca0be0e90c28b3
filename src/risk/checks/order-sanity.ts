/** The order's own fields: a positive whole number of lots that keeps the position exact, and a limit price for a limit. */
import { worstNext, type Check } from './check.ts';

/** A value as the strategy gave it: a string "5" is not the number 5, and the refusal says which it got. */
export function described(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value.slice(0, 40))} (a string)`;
  if (typeof value === 'number' || value === undefined || value === null) return String(value);
  if (typeof value === 'bigint') return `${value}n (a bigint)`;
  return `${String(value).slice(0, 40)} (${typeof value === 'object' ? 'an object' : `a ${typeof value}`})`;
}

export const orderSanity: Check = (req, account) => {
  if (!Number.isSafeInteger(req.qty) || req.qty <= 0) {
    return { reason: 'invalid_qty', detail: `qty must be a positive whole number of lots (lot step ${req.inst.lotStep}), got ${described(req.qty)}` };
  }
  // Lots are JS numbers: past 2^53 a position could no longer be added to exactly.
  if (!Number.isSafeInteger(worstNext(req, account).next)) {
    return { reason: 'invalid_qty', detail: `qty ${req.qty} would take the ${req.symbol} position past 2^53 lots, which cannot be kept exact` };
  }
  if (req.orderType === 'limit' && !(Number.isSafeInteger(req.limitPrice) && req.limitPrice! > 0)) {
    return { reason: 'invalid_limit_price', detail: `a limit order needs a positive integer limitPrice in ticks, got ${described(req.limitPrice)}` };
  }
  return null;
};
