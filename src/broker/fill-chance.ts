/**
 * One chance for an order to fill on a bar, decided before anything is booked: how many lots the
 * participation cap and a reduce-only order's position leave it, and whether its time in force lets
 * it fill that few (FOK: whole or nothing). And what a partly filled order works on as: the rest
 * of a limit rests as the limit; the rest of a triggered stop is a market order from the next
 * bar's open (it has triggered: waiting for the stop price again would be another order), the rest
 * of a triggered stop-limit its limit. Pure functions; the paper broker books what they decide.
 */
import type { Order, RestingOrder, TimeInForce } from '../domain/types.ts';
import type { CancelReason } from '../events/reasons.ts';
import { formatPrice } from '../domain/price.ts';
import { unreachable } from '../domain/unreachable.ts';
import { formatLots, type Instrument } from './instrument.ts';

/** Why a time in force or reduce-only ended an order (or the rest of one) without filling it: the cancel's reason. */
export type EndReason = Extract<CancelReason, 'ioc' | 'fok' | 'expired' | 'reduce_only'>;

export interface Ending {
  readonly reason: EndReason;
  readonly detail: string;
}

/** What a chance may fill: `lots` (0: none this bar), or an end for the whole order. */
export type ChancePlan = { readonly lots: number; readonly end: null } | { readonly lots: 0; readonly end: Ending };

/** What one chance saw: the lots the bar's cap left, and how the cap came to that (for the texts). */
export interface ChanceRoom {
  /** Lots the bar may still fill for the symbol. */
  readonly capLeft: number;
  /** "the bar's volume 300 allows 30 lots under --max-participation 0.1, 0 left after earlier fills" */
  readonly capText: () => string;
  /** The signed position now. */
  readonly position: number;
}

/** Lots of the position a reduce-only order on `side` may still take off: what it would reduce. */
export function reducible(side: Order['side'], position: number): number {
  const room = side === 'sell' ? position : -position;
  return Math.max(room, 0);
}

export function plan(order: Order, room: ChanceRoom, inst: Instrument): ChancePlan {
  let lots = order.qty;
  if (order.reduceOnly === true) {
    const most = reducible(order.side, room.position);
    if (most === 0) {
      return {
        lots: 0,
        end: {
          reason: 'reduce_only',
          detail: `reduce-only: ${room.position === 0 ? `the ${order.symbol} position is flat` : `the ${order.symbol} position of ${formatLots(room.position, inst)} is on this order's side`}, nothing to reduce (${formatLots(order.qty, inst)} unfilled)`,
        },
      };
    }
    if (most < lots) lots = most;
  }
  if (lots > room.capLeft) lots = room.capLeft;
  if (order.timeInForce === 'FOK' && lots < order.qty) {
    const why = order.reduceOnly === true && lots < room.capLeft ? `reduce-only, and the position is ${formatLots(room.position, inst)}` : room.capText();
    return {
      lots: 0,
      end: { reason: 'fok', detail: `FOK: ${formatLots(lots, inst)} of ${formatLots(order.qty, inst)} could fill on its one chance: ${why}; none filled` },
    };
  }
  return { lots, end: null };
}

/** The end of an IOC order's one chance for what it did not fill. */
export function iocEnd(unfilled: number, total: number, why: string, inst: Instrument): Ending {
  return { reason: 'ioc', detail: `IOC: ${formatLots(unfilled, inst)} of ${formatLots(total, inst)} unfilled after its one chance (${why}), cancelled` };
}

/** An IOC or FOK order whose one chance passed without its price: the path did not reach it. */
export function missedEnd(order: RestingOrder, inst: Instrument): Ending {
  const tif = order.timeInForce as TimeInForce;
  const where = order.orderType === 'limit' ? `the bar did not trade through its limit ${formatPrice(order.limitPrice)}` : 'its bar passed without a fill';
  return { reason: tif === 'FOK' ? 'fok' : 'ioc', detail: `${tif}: ${where}; ${formatLots(order.qty, inst)} unfilled, cancelled` };
}

/** A GTD order whose bars ran out. */
export function expiredEnd(order: RestingOrder, inst: Instrument): Ending {
  return {
    reason: 'expired',
    detail: `GTD: ${order.expireAfterBars} ${order.symbol} bar(s) passed without completing it; ${formatLots(order.qty, inst)} unfilled, cancelled`,
  };
}

/**
 * What `order` works on as after `filled` more lots filled at `price`, `remaining` left: the same
 * order for what is left, a triggered stop as a market order from the next open (valued at the
 * price it just filled at; reduce-only when it was a bracket's stop-loss), a triggered stop-limit
 * as its limit.
 */
export function restOf(order: Order | RestingOrder, remaining: number, filled: number, price: number): RestingOrder {
  const sum = (order.filledQty ?? 0) + filled;
  // Written only once something filled: an order the cap left whole reads as it was placed.
  const q = sum > 0 ? { qty: remaining, filledQty: sum } : { qty: remaining };
  switch (order.orderType) {
    case 'market':
      return { ...order, ...q, refPrice: 'refPrice' in order ? order.refPrice : price };
    case 'limit':
      return { ...order, ...q };
    case 'stop': {
      const { stopPrice: _stop, ...rest } = order;
      // A bracket's stop-loss, triggered: its rest keeps the exit's promise of never opening a position.
      const exit = order.parentId === undefined ? null : { reduceOnly: true as const };
      return { ...rest, orderType: 'market', ...q, refPrice: price, ...exit };
    }
    case 'trailing_stop': {
      const { stopPrice: _stop, trailBps: _trail, bestPrice: _best, ...rest } = order;
      return { ...rest, orderType: 'market', ...q, refPrice: price };
    }
    case 'stop_limit': {
      const { stopPrice: _stop, ...rest } = order;
      return { ...rest, orderType: 'limit', ...q };
    }
    default:
      return unreachable(order);
  }
}

/**
 * After a bar's fills, on the symbol's book `list` (changed in place): an IOC or FOK market order
 * or limit still there had its one chance on this bar (the path did not reach it; a stop-limit
 * triggered into a limit had the rest of its trigger bar): it ends. A GTD order has one bar
 * fewer; none left: it expires. Answers the ends, in placement order, or null when the book is
 * as it was (only stops waiting for their trigger).
 */
export function endChances(list: RestingOrder[], inst: Instrument): Array<{ readonly ended: RestingOrder } & Ending> | null {
  const out: Array<{ readonly ended: RestingOrder } & Ending> = [];
  let changed = false;
  let w = 0;
  for (let i = 0; i < list.length; i++) {
    const order = list[i]!;
    const tif = order.timeInForce;
    // Waiting for its symbol's first live bar: a backfilled bar was no chance of its own, nor one of its bars.
    if (order.waitsForLive === true) {
      list[w++] = order;
      continue;
    }
    if ((tif === 'IOC' || tif === 'FOK') && (order.orderType === 'market' || order.orderType === 'limit')) {
      out.push({ ended: order, ...missedEnd(order, inst) });
      continue;
    }
    if (tif === 'GTD') {
      changed = true;
      const left = (order.barsLeft ?? 1) - 1;
      if (left <= 0) {
        out.push({ ended: order, ...expiredEnd(order, inst) });
        continue;
      }
      list[w++] = Object.freeze({ ...order, barsLeft: left });
      continue;
    }
    list[w++] = order;
  }
  list.length = w;
  return changed || out.length > 0 ? out : null;
}
