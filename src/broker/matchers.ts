/**
 * How a resting order fills against a bar, one matcher per order type, each walking the bar's path
 * (bar-path.ts): where on the path it fills and at what price, or what it rests as afterwards (a
 * trailing stop ratcheted, a stop-limit triggered into a limit); and the worst price it can fill at
 * (what the cash check holds for a resting buy). A new resting type is a member of RestingOrder,
 * its matcher here, and a case in each switch below (the compiler names them).
 */
import type { LimitOrder, RestingOrder, Side, StopLimitOrder, StopOrder, TrailingStopOrder, WorkingMarketOrder } from '../domain/types.ts';
import { unreachable } from '../domain/unreachable.ts';
import { firstReach, pathFrom, type PathPoint } from './bar-path.ts';

export interface PathFill {
  /** Where on the path (0 the open .. 3 the close): fills in one bar are booked in this order. */
  readonly at: number;
  /** Integer ticks, before slippage. */
  readonly price: number;
  /** Took liquidity (pays the taker fee), or rested on the book until the path came to it (maker). */
  readonly taker: boolean;
  /** Fills as a market order would (a market order, a triggered stop): the broker moves the price by the slippage. A limit never fills past its price, so a marketable one does not slip. */
  readonly slips: boolean;
}

/** Filled on this path, or resting on: as it was, or as the path left it. */
export type Match = { readonly fill: PathFill; readonly rest?: undefined } | { readonly fill: null; readonly rest: RestingOrder };

export interface Matcher<O extends RestingOrder> {
  match(order: O, path: readonly PathPoint[]): Match;
  /** The highest price a buy of this order can fill at, as far as it names one: what it holds of the cash while it rests. */
  worstBuyPrice(order: O): number;
}

const BPS_ONE = 10_000n;

/** A working market order fills at the first point of the next bar's path, its open, taking liquidity (slippage). */
export const marketMatcher: Matcher<WorkingMarketOrder> = {
  match(_order, path) {
    const open = path[0]!;
    return { fill: { at: open.at, price: open.price, taker: true, slips: true } };
  },
  worstBuyPrice: (order) => order.refPrice,
};

/** A buy limit fills where the path goes under its price, a sell where it goes over (a touch is not enough: the queue ahead of it may have taken the volume). */
function limitReached(side: Side, limit: number): (price: number) => boolean {
  return side === 'buy' ? (p) => p < limit : (p) => p > limit;
}

/** A buy stop triggers where the path reaches its price or above, a sell at or below. */
function stopReached(side: Side, stop: number): (price: number) => boolean {
  return side === 'buy' ? (p) => p >= stop : (p) => p <= stop;
}

/**
 * A buy fills where the path first goes under the limit, a sell over it: at the limit, or at the
 * open when the open is already through it (the better of the two prices). Either way it was on
 * the book before the path reached it (before the open, too): a maker.
 */
export const limitMatcher: Matcher<LimitOrder> = {
  match(order, path) {
    const hit = firstReach(path, order.limitPrice, limitReached(order.side, order.limitPrice));
    return hit ? { fill: { ...hit, taker: false, slips: false } } : { fill: null, rest: order };
  },
  worstBuyPrice: (order) => order.limitPrice,
};

/** Fills where the path first reaches the stop, as a market order: at the stop, or at the open when the open gapped past it. */
export const stopMatcher: Matcher<StopOrder> = {
  match(order, path) {
    const hit = firstReach(path, order.stopPrice, stopReached(order.side, order.stopPrice));
    return hit ? { fill: { ...hit, taker: true, slips: true } } : { fill: null, rest: order };
  },
  worstBuyPrice: (order) => order.stopPrice,
};

/**
 * Triggers as a stop, then is a limit from the point it triggered: it fills on the rest of the
 * same path if that goes through the limit (at the trigger price when that is already better),
 * else it rests as a limit with the same id. A fill on the bar that triggered it is a taker (a bar
 * cannot tell whether the new limit rested a moment first, so the fee goes against the trader),
 * without slippage (a limit never fills past its price); one on a later bar, a plain limit's, a maker.
 */
export const stopLimitMatcher: Matcher<StopLimitOrder> = {
  match(order, path) {
    const trigger = firstReach(path, order.stopPrice, stopReached(order.side, order.stopPrice));
    if (trigger === null) return { fill: null, rest: order };
    const hit = firstReach(pathFrom(path, trigger), order.limitPrice, limitReached(order.side, order.limitPrice));
    if (hit) return { fill: { ...hit, taker: true, slips: false } };
    // Its terms (time in force, GTD's bars, reduce-only, what already filled) go with it.
    const { stopPrice: _stop, ...limit } = order;
    return { fill: null, rest: { ...limit, orderType: 'limit' } };
  },
  worstBuyPrice: (order) => order.limitPrice,
};

/**
 * The stop `trailBps` behind `best`, rounded away from it (a sell's down, a buy's up): the stop
 * never sits closer than the trail asks.
 */
export function trailStop(side: Side, best: number, trailBps: number): number {
  const b = BigInt(best);
  const bps = BigInt(trailBps);
  if (side === 'sell') return Number((b * (BPS_ONE - bps)) / BPS_ONE);
  return Number((b * (BPS_ONE + bps) + BPS_ONE - 1n) / BPS_ONE);
}

/**
 * Walks the path: the stop triggers where the path reaches it (at the open when the open gapped
 * past it), and between triggers every new best price (a sell's high, a buy's low) moves the stop
 * after it, never back. A leg towards a new best cannot trigger: the stop stays behind the price.
 */
export const trailingStopMatcher: Matcher<TrailingStopOrder> = {
  match(order, path) {
    const { side, trailBps } = order;
    const better = side === 'sell' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
    let best = order.bestPrice;
    let stop = order.stopPrice;
    let prev: PathPoint | null = null;
    for (const point of path) {
      if (stopReached(side, stop)(point.price)) {
        const hit = prev === null ? point : firstReach([prev, point], stop, stopReached(side, stop))!;
        return { fill: { ...hit, taker: true, slips: true } };
      }
      if (better(point.price, best)) {
        best = point.price;
        const next = trailStop(side, best, trailBps);
        if (better(next, stop)) stop = next;
      }
      prev = point;
    }
    if (best === order.bestPrice && stop === order.stopPrice) return { fill: null, rest: order };
    return { fill: null, rest: { ...order, bestPrice: best, stopPrice: stop } };
  },
  worstBuyPrice: (order) => order.stopPrice,
};

export function matchOrder(order: RestingOrder, path: readonly PathPoint[]): Match {
  switch (order.orderType) {
    case 'market':
      return marketMatcher.match(order, path);
    case 'limit':
      return limitMatcher.match(order, path);
    case 'stop':
      return stopMatcher.match(order, path);
    case 'stop_limit':
      return stopLimitMatcher.match(order, path);
    case 'trailing_stop':
      return trailingStopMatcher.match(order, path);
    default:
      return unreachable(order);
  }
}

export function worstBuyPrice(order: RestingOrder): number {
  switch (order.orderType) {
    case 'market':
      return marketMatcher.worstBuyPrice(order);
    case 'limit':
      return limitMatcher.worstBuyPrice(order);
    case 'stop':
      return stopMatcher.worstBuyPrice(order);
    case 'stop_limit':
      return stopLimitMatcher.worstBuyPrice(order);
    case 'trailing_stop':
      return trailingStopMatcher.worstBuyPrice(order);
    default:
      return unreachable(order);
  }
}
