/**
 * A new order's own fields, read into an Order of its type: a positive whole number of lots that
 * keeps the position exact, then what the type itself needs (a limit: a positive integer price; a
 * stop: a positive integer stop price; a stop-limit: both; a trailing stop: a trail of 1..10000
 * bps, its stop starting from the symbol's last close), and a bracket's exit prices on a market or
 * limit entry; then the terms any type may carry (time in force, GTD's bars, post-only on a limit,
 * reduce-only). The refusal names the first field that is wrong.
 */
import type { Instrument } from '../../broker/instrument.ts';
import type { AccountView } from '../../broker/account-view.ts';
import { TIME_IN_FORCES, type Order } from '../../domain/types.ts';
import { unreachable } from '../../domain/unreachable.ts';
import { trailStop } from '../../broker/matchers.ts';
import { formatPrice } from '../../domain/price.ts';
import type { ExitPrices } from '../../broker/brackets.ts';
import { worstAfter, type OrderDraft, type Refusal } from './check.ts';

/** A value as the strategy gave it: a string "5" is not the number 5, and the refusal says which it got. */
export function described(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value.slice(0, 40))} (a string)`;
  if (typeof value === 'number' || value === undefined || value === null) return String(value);
  if (typeof value === 'bigint') return `${value}n (a bigint)`;
  return `${String(value).slice(0, 40)} (${typeof value === 'object' ? 'an object' : `a ${typeof value}`})`;
}

export type Terms = { readonly order: Order; readonly refusal: null } | { readonly order: null; readonly refusal: Refusal };

const refused = (refusal: Refusal): Terms => ({ order: null, refusal });

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function badStop(what: string, stopPrice: unknown): Refusal {
  return { reason: 'invalid_stop_price', detail: `${what} order needs a positive integer stopPrice in ticks, got ${described(stopPrice)}` };
}

export function orderSanity(draft: OrderDraft, inst: Instrument, account: AccountView): Terms {
  const typed = typedOrder(draft, inst, account);
  return typed.refusal ? typed : withTerms(typed.order, draft);
}

const invalid = (detail: string): Terms => refused({ reason: 'invalid_order', detail });

/**
 * The order with the terms its draft asks for, written only when they differ from the default
 * (GTC, neither post-only nor reduce-only): an order without them is the object it always was.
 */
function withTerms(order: Order, draft: OrderDraft): Terms {
  const { timeInForce, expireAfterBars, postOnly, reduceOnly } = draft;
  if (timeInForce !== undefined && !(TIME_IN_FORCES as readonly unknown[]).includes(timeInForce)) {
    return invalid(`timeInForce must be ${TIME_IN_FORCES.join(', ')} (default GTC), got ${described(timeInForce)}`);
  }
  if (timeInForce === 'GTD') {
    if (!positiveInteger(expireAfterBars)) {
      return invalid(`timeInForce GTD needs expireAfterBars, a positive whole number of ${order.symbol} bars, got ${described(expireAfterBars)}`);
    }
  } else if (expireAfterBars !== undefined) {
    return invalid(`expireAfterBars is for timeInForce GTD only, and this order is ${String(timeInForce ?? 'GTC')}: drop it, or give timeInForce 'GTD'`);
  }
  if (postOnly !== undefined && typeof postOnly !== 'boolean') return invalid(`postOnly must be true or false, got ${described(postOnly)}`);
  if (postOnly === true && order.orderType !== 'limit') {
    return invalid(`postOnly is for limit orders only (a maker's price), and this is a ${order.orderType} order`);
  }
  if (reduceOnly !== undefined && typeof reduceOnly !== 'boolean') return invalid(`reduceOnly must be true or false, got ${described(reduceOnly)}`);
  if ((timeInForce === undefined || timeInForce === 'GTC') && postOnly !== true && reduceOnly !== true) return { order, refusal: null };
  return {
    order: {
      ...order,
      ...(timeInForce === undefined || timeInForce === 'GTC' ? {} : { timeInForce }),
      ...(timeInForce === 'GTD' ? { expireAfterBars: expireAfterBars as number, barsLeft: expireAfterBars as number } : {}),
      ...(postOnly === true ? { postOnly: true } : {}),
      ...(reduceOnly === true ? { reduceOnly: true } : {}),
    } as Order,
    refusal: null,
  };
}

function typedOrder(draft: OrderDraft, inst: Instrument, account: AccountView): Terms {
  const { orderId, symbol, side, qty, createdAt } = draft;
  if (!positiveInteger(qty)) {
    return refused({ reason: 'invalid_qty', detail: `qty must be a positive whole number of lots (lot step ${inst.lotStep}), got ${described(qty)}` });
  }
  // Lots are JS numbers: past 2^53 a position could no longer be added to exactly.
  if (!Number.isSafeInteger(worstAfter(symbol, side, qty, true, account).next)) {
    return refused({ reason: 'invalid_qty', detail: `qty ${qty} would take the ${symbol} position past 2^53 lots, which cannot be kept exact` });
  }
  const bracket = bracketPrices(draft);
  if (bracket.refusal) return refused(bracket.refusal);
  const exits = bracket.prices;
  switch (draft.orderType) {
    case 'market': {
      if (exits === null) return { order: { orderId, symbol, side, orderType: 'market', qty, createdAt }, refusal: null };
      const wrongSide = exitSides(side, exits, account.lastMark(symbol), 'the close');
      if (wrongSide) return refused(wrongSide);
      return { order: { orderId, symbol, side, orderType: 'market', qty, createdAt, ...exits }, refusal: null };
    }
    case 'limit': {
      const limitPrice = draft.limitPrice;
      if (!positiveInteger(limitPrice)) {
        return refused({ reason: 'invalid_limit_price', detail: `a limit order needs a positive integer limitPrice in ticks, got ${described(limitPrice)}` });
      }
      if (exits === null) return { order: { orderId, symbol, side, orderType: 'limit', qty, limitPrice, createdAt }, refusal: null };
      const wrongSide = exitSides(side, exits, limitPrice, 'the limit');
      if (wrongSide) return refused(wrongSide);
      return { order: { orderId, symbol, side, orderType: 'limit', qty, limitPrice, createdAt, ...exits }, refusal: null };
    }
    case 'stop': {
      const stopPrice = draft.stopPrice;
      if (!positiveInteger(stopPrice)) return refused(badStop('a stop', stopPrice));
      return { order: { orderId, symbol, side, orderType: 'stop', qty, stopPrice, createdAt }, refusal: null };
    }
    case 'stop_limit': {
      const { stopPrice, limitPrice } = draft;
      if (!positiveInteger(stopPrice)) return refused(badStop('a stop-limit', stopPrice));
      if (!positiveInteger(limitPrice)) {
        return refused({
          reason: 'invalid_limit_price',
          detail: `a stop-limit order needs a positive integer limitPrice in ticks, got ${described(limitPrice)}`,
        });
      }
      return { order: { orderId, symbol, side, orderType: 'stop_limit', qty, stopPrice, limitPrice, createdAt }, refusal: null };
    }
    case 'trailing_stop': {
      const trailBps = draft.trailBps;
      if (!positiveInteger(trailBps) || trailBps > 10_000) {
        return refused({
          reason: 'invalid_stop_price',
          detail: `a trailing stop needs trailBps, a whole number of basis points from 1 to 10000, got ${described(trailBps)}`,
        });
      }
      // The reference is the close of the bar it was decided on: the mark the loop set before the strategy ran.
      const bestPrice = account.lastMark(symbol);
      const stopPrice = trailStop(side, bestPrice, trailBps);
      return { order: { orderId, symbol, side, orderType: 'trailing_stop', qty, trailBps, bestPrice, stopPrice, createdAt }, refusal: null };
    }
    default:
      return unreachable(draft.orderType);
  }
}

/**
 * A bracket's exit prices as given, read alone: both or neither, on a market or limit entry only,
 * positive integer ticks. Null prices: no bracket.
 */
function bracketPrices(
  draft: OrderDraft,
): { readonly prices: ExitPrices | null; readonly refusal: null } | { readonly prices: null; readonly refusal: Refusal } {
  const { takeProfit, stopLoss, orderType } = draft;
  if (takeProfit === undefined && stopLoss === undefined) return { prices: null, refusal: null };
  const no = (reason: Refusal['reason'], detail: string) => ({ prices: null, refusal: { reason, detail } });
  if (orderType !== 'market' && orderType !== 'limit') {
    return no('invalid_order', `takeProfit and stopLoss make a bracket on a market or limit entry, not on a ${orderType} order`);
  }
  if (takeProfit === undefined)
    return no('invalid_order', `a bracket needs both takeProfit and stopLoss: got stopLoss ${described(stopLoss)} and no takeProfit`);
  if (stopLoss === undefined)
    return no('invalid_order', `a bracket needs both takeProfit and stopLoss: got takeProfit ${described(takeProfit)} and no stopLoss`);
  if (!positiveInteger(takeProfit))
    return no('invalid_limit_price', `a bracket's takeProfit must be a positive integer price in ticks, got ${described(takeProfit)}`);
  if (!positiveInteger(stopLoss)) return no('invalid_stop_price', `a bracket's stopLoss must be a positive integer price in ticks, got ${described(stopLoss)}`);
  return { prices: { takeProfit, stopLoss }, refusal: null };
}

/**
 * The exits on the right sides of the entry's reference price (its limit, or for a market entry
 * the close it was decided on): a buy's take-profit above it and stop-loss below, a sell's the
 * other way round. On the wrong side an exit would fill at once, which no bracket means.
 */
function exitSides(side: OrderDraft['side'], exits: ExitPrices, reference: number, refName: string): Refusal | null {
  const { takeProfit, stopLoss } = exits;
  if (side === 'buy' ? takeProfit > reference && reference > stopLoss : takeProfit < reference && reference < stopLoss) return null;
  const [above, below] = side === 'buy' ? ['takeProfit', 'stopLoss'] : ['stopLoss', 'takeProfit'];
  return {
    reason: 'invalid_order',
    detail: `a ${side} bracket needs ${above} above ${refName} ${formatPrice(reference)} and ${below} below it, got takeProfit ${formatPrice(takeProfit)} and stopLoss ${formatPrice(stopLoss)}`,
  };
}
