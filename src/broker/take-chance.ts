/**
 * One chance for an order to fill on a bar, booked: the plan (fill-chance.ts) against the bar's
 * participation cap and the position, the gate's look at the piece about to fill, the fill, and
 * what works on afterwards. The paper broker runs it for each order a bar's path reaches, and for a
 * market order at its own bar's close (--fill-model close).
 */
import type { Bar, Fill, Liquidity, MarketOrder, Order, RestingOrder } from '../domain/types.ts';
import { formatLots, type Instrument } from './instrument.ts';
import type { BarCaps } from './participation.ts';
import { iocEnd, plan, reducible, restOf, type EndReason } from './fill-chance.ts';

/** What the gate says of a piece of an order about to fill: null when it may. */
export type AdmitFill = (order: RestingOrder, price: number) => { readonly reason: string; readonly detail?: string } | null;

/**
 * What one chance did: a fill (`remaining` lots left on the order after it, 0 when complete), the
 * gate refusing the piece (the order is cancelled for its reason), or the order's time in force or
 * reduce-only ending it (all of it, or the rest after a fill).
 */
export type ChanceOutcome =
  | { readonly fill: Fill; readonly remaining: number }
  | { readonly cancelled: RestingOrder; readonly refusal: { readonly reason: string; readonly detail?: string } }
  | { readonly ended: Order; readonly reason: EndReason; readonly detail: string };

/** What the chance needs of the broker. */
export interface ChanceBook {
  instrument(symbol: string): Instrument;
  position(symbol: string): number;
  execute(order: Order, price: number, liquidity: Liquidity): Fill;
}

export interface ChanceResult {
  /** What works on afterwards: `order` itself when nothing changed, its rest, or null when it is done (filled, cancelled, ended). */
  readonly next: RestingOrder | MarketOrder | null;
  /** The fill this chance booked, if any. */
  readonly filled: Fill | null;
}

/** Appends what happened to `out`. `admit` null: the gate admitted the order a moment ago at this price (a market order at its close). */
export function takeChance(
  book: ChanceBook,
  caps: BarCaps,
  order: RestingOrder | MarketOrder,
  price: number,
  liquidity: Liquidity,
  bar: Bar,
  admit: AdmitFill | null,
  out: { push(outcome: ChanceOutcome): unknown },
): ChanceResult {
  const inst = book.instrument(order.symbol);
  const capLeft = caps.left(bar, inst, order.qty);
  const capText = (): string => caps.text(bar, inst, capLeft);
  const p = plan(order, { capLeft, capText, position: book.position(order.symbol) }, inst);
  if (p.end !== null) {
    out.push({ ended: order, ...p.end });
    return { next: null, filled: null };
  }
  const lots = p.lots;
  const total = order.qty + (order.filledQty ?? 0);
  if (lots === 0) {
    if (order.timeInForce === 'IOC') {
      out.push({ ended: order, ...iocEnd(order.qty, total, capText(), inst) });
      return { next: null, filled: null };
    }
    // Nothing this bar (no volume, or the cap used up): whole for the next bar (a triggered stop as a market order).
    const kept = restOf(order, order.qty, 0, price);
    return { next: kept.orderType === order.orderType ? order : kept, filled: null };
  }
  const piece = lots === order.qty ? order : { ...order, qty: lots };
  const refusal = admit === null ? null : admit(piece as RestingOrder, price);
  if (refusal) {
    out.push({ cancelled: order as RestingOrder, refusal });
    return { next: null, filled: null };
  }
  caps.take(bar, lots);
  const fill = book.execute(piece, price, liquidity);
  const remaining = order.qty - lots;
  out.push({ fill, remaining });
  if (remaining === 0) return { next: null, filled: fill };
  if (order.reduceOnly === true && reducible(order.side, book.position(order.symbol)) === 0) {
    out.push({
      ended: order,
      reason: 'reduce_only',
      detail: `reduce-only: the ${order.symbol} position is closed, ${formatLots(remaining, inst)} left to fill had nothing to reduce, cancelled`,
    });
    return { next: null, filled: fill };
  }
  if (order.timeInForce === 'IOC') {
    out.push({ ended: order, ...iocEnd(remaining, total, capText(), inst) });
    return { next: null, filled: fill };
  }
  return { next: restOf(order, remaining, lots, price), filled: fill };
}
