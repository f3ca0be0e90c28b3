/**
 * Position notional per symbol, gross exposure over symbols, and cash, counting the resting orders
 * on the order's side as filled (their cash is already promised). An order that only reduces
 * exposure always passes these: it is how a position gets smaller. A buy that flips a short into
 * a long pays for the whole order, the cover and the new long alike.
 */
import { notionalUp } from '../../broker/instrument.ts';
import { formatMoney } from '../../domain/price.ts';
import { onlyReduces, worstNext, type Check } from './check.ts';

export const exposure: Check = (req, account, gate) => {
  const { pos, next } = worstNext(req, account);
  if (onlyReduces(pos, next)) return null;
  const { maxPositionNotional, maxGrossExposure } = gate.limits;
  // Valued at the price it fills at, and never below the market: a sell's price (less slippage, or
  // a limit far under the close) would understate what the position is worth once it is held.
  const notional = notionalUp(Math.max(req.refPrice, account.lastMark(req.order.symbol), 1), Math.abs(next), req.inst);
  if (notional > maxPositionNotional) {
    return { reason: 'max_position_notional', detail: `position would be ${formatMoney(notional)}, limit ${formatMoney(maxPositionNotional)}` };
  }
  const gross = account.grossExcept(req.order.symbol) + notional;
  if (gross > maxGrossExposure) {
    return { reason: 'max_gross_exposure', detail: `gross exposure would be ${formatMoney(gross)}, limit ${formatMoney(maxGrossExposure)}` };
  }
  return null;
};

export const cash: Check = (req, account) => {
  const { side, qty, symbol } = req.order;
  if (side !== 'buy') return null;
  const { pos, next } = worstNext(req, account);
  if (onlyReduces(pos, next)) return null;
  const cost = account.costOf(req.refPrice, qty, symbol);
  // At fill time the order is off the book: nothing else is held for it.
  const reserved = req.phase === 'new' ? account.restingBuyCost() : 0n;
  if (cost + reserved <= account.cash) return null;
  return {
    reason: 'insufficient_cash',
    detail: `costs ${formatMoney(cost)} with fees${reserved > 0n ? ` plus ${formatMoney(reserved)} held for resting buys` : ''}, cash is ${formatMoney(account.cash)}`,
  };
};
