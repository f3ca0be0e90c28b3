/**
 * Brackets on the book: an entry carrying takeProfit/stopLoss arms two exits once it (partly)
 * fills, for the quantity filled, and they stay one-cancels-other and reduce-only by nature. Each
 * rule acts on fills and cancels as they happen, whatever their quantity, so an entry or an exit
 * filled in parts behaves as one filled whole, a part at a time:
 *
 * - an entry's fill arms `<entryId>-tp` (a limit at takeProfit) and `<entryId>-sl` (a stop at
 *   stopLoss) on the other side for the fill's quantity (as much of it as opened a position: a
 *   buy that first covers a short protects only the long it leaves), or grows them by it;
 * - an exit's fill shrinks its sibling by the same quantity; at 0 the sibling is cancelled (`oco`);
 * - an exit leaving the book unfilled (the strategy cancelled it) takes its sibling with it (`oco`);
 * - after any fill of the symbol, each exit is cut to the position it protects, and cancelled
 *   (`oco`) when that is flat or on the other side: an exit never opens a position;
 * - once both exits are gone the bracket is over, and an entry still resting (filled in part)
 *   leaves too (`oco`): its rest would open a position with nothing protecting it.
 */
import type { Fill, LimitOrder, Order, RestingOrder, StopOrder } from '../domain/types.ts';

export interface ExitPrices {
  readonly takeProfit: number;
  readonly stopLoss: number;
}

export interface Link {
  readonly parentId: string;
  readonly ocoWith: string;
}

/** What a fill or a cancel brought on the book: an exit armed, or a linked order cancelled. */
export type BookFollow =
  | { readonly placed: LimitOrder | StopOrder }
  | { readonly cancelled: RestingOrder; readonly refusal: { readonly reason: 'oco'; readonly detail: string } };

/** The part of the broker's book the rules act on. */
export interface LinkedBook {
  find(symbol: string, orderId: string): RestingOrder | undefined;
  /** Replaces a resting order's quantity, keeping its place on the book. */
  resize(symbol: string, orderId: string, qty: number): void;
  rest(order: RestingOrder): void;
  cancel(symbol: string, orderId: string): RestingOrder | undefined;
  restingOrders(symbol: string): readonly RestingOrder[];
  position(symbol: string): number;
}

export const NO_FOLLOWS: readonly BookFollow[] = Object.freeze([]);

export function takeProfitId(entryId: string): string {
  return `${entryId}-tp`;
}

export function stopLossId(entryId: string): string {
  return `${entryId}-sl`;
}

/** An entry's exit prices, or null for an order that is no bracketed entry. */
export function bracketOf(order: Order): ExitPrices | null {
  if (order.orderType !== 'market' && order.orderType !== 'limit') return null;
  const { takeProfit, stopLoss } = order;
  return takeProfit === undefined || stopLoss === undefined ? null : { takeProfit, stopLoss };
}

/** An exit's link to its entry and sibling, or null for an order that is no bracket's exit. */
export function linkOf(order: Order): Link | null {
  if (order.orderType !== 'limit' && order.orderType !== 'stop') return null;
  const { parentId, ocoWith } = order;
  return parentId === undefined || ocoWith === undefined ? null : { parentId, ocoWith };
}

/** The two exits of an entry, on its other side, for `qty` lots: the take-profit limit first. */
export function exitsOf(entry: Order, prices: ExitPrices, qty: number, createdAt: number): [LimitOrder, StopOrder] {
  const { orderId, symbol } = entry;
  const side = entry.side === 'buy' ? 'sell' : 'buy';
  const tp = takeProfitId(orderId);
  const sl = stopLossId(orderId);
  return [
    Object.freeze({ orderId: tp, symbol, side, qty, createdAt, orderType: 'limit', limitPrice: prices.takeProfit, parentId: orderId, ocoWith: sl }),
    Object.freeze({ orderId: sl, symbol, side, qty, createdAt, orderType: 'stop', stopPrice: prices.stopLoss, parentId: orderId, ocoWith: tp }),
  ];
}

function oco(order: RestingOrder, detail: string): BookFollow {
  return { cancelled: order, refusal: { reason: 'oco', detail } };
}

/** What `fill` of `order` brings on the book (bar time `createdAt` for exits it arms). */
export function followFill(book: LinkedBook, order: Order, fill: Fill, createdAt: number): readonly BookFollow[] {
  const prices = bracketOf(order);
  const link = linkOf(order);
  const { symbol } = order;
  let out: BookFollow[] | null = null;
  if (prices !== null) {
    out = [];
    const tp = book.find(symbol, takeProfitId(order.orderId));
    const sl = book.find(symbol, stopLossId(order.orderId));
    if (tp === undefined && sl === undefined) {
      // For what the fill added on the entry's side: a buy that only covered a short arms nothing.
      const qty = Math.min(fill.qty, room(order.side === 'buy' ? 'sell' : 'buy', fill.positionAfter));
      if (qty > 0) {
        for (const exit of exitsOf(order, prices, qty, createdAt)) {
          book.rest(exit);
          out.push({ placed: exit });
        }
      }
    } else {
      for (const exit of [tp, sl]) if (exit) book.resize(symbol, exit.orderId, exit.qty + fill.qty);
    }
  }
  if (link !== null) {
    out ??= [];
    const sibling = book.find(symbol, link.ocoWith);
    if (sibling !== undefined && sibling.qty > fill.qty) book.resize(symbol, sibling.orderId, sibling.qty - fill.qty);
    else if (sibling !== undefined) {
      book.cancel(symbol, sibling.orderId);
      out.push(oco(sibling, `one-cancels-other: ${order.orderId} filled`));
      endBracket(book, symbol, link.parentId, out);
    }
  }
  return cutToPosition(book, symbol, out);
}

/** What an exit leaving the book unfilled brings: its sibling leaves too, and the bracket is over. */
export function followCancel(book: LinkedBook, order: RestingOrder): readonly BookFollow[] {
  const link = linkOf(order);
  if (link === null) return NO_FOLLOWS;
  const out: BookFollow[] = [];
  const sibling = book.cancel(order.symbol, link.ocoWith);
  if (sibling !== undefined) out.push(oco(sibling, `one-cancels-other: ${order.orderId} was cancelled`));
  endBracket(book, order.symbol, link.parentId, out);
  return out;
}

/** Both exits gone: an entry still resting leaves too. */
function endBracket(book: LinkedBook, symbol: string, entryId: string, out: BookFollow[]): void {
  if (book.find(symbol, takeProfitId(entryId)) || book.find(symbol, stopLossId(entryId))) return;
  const entry = book.cancel(symbol, entryId);
  if (entry !== undefined) out.push(oco(entry, "its bracket's exits are done: the rest of the entry would open a position nothing protects"));
}

/** Lots an exit on `side` may close of position `pos`: a sell closes a long, a buy a short. */
function room(side: 'buy' | 'sell', pos: number): number {
  return side === 'sell' ? Math.max(0, pos) : Math.max(0, -pos);
}

/** Each exit of the symbol cut to the position it protects, cancelled when there is none. */
function cutToPosition(book: LinkedBook, symbol: string, out: BookFollow[] | null): readonly BookFollow[] {
  const resting = book.restingOrders(symbol);
  let pos: number | null = null;
  for (const order of resting) {
    const link = linkOf(order);
    if (link === null) continue;
    pos ??= book.position(symbol);
    const left = room(order.side, pos);
    if (order.qty <= left) continue;
    if (left > 0) {
      book.resize(symbol, order.orderId, left);
      continue;
    }
    if (book.cancel(symbol, order.orderId) === undefined) continue;
    out ??= [];
    out.push(oco(order, `the ${symbol} position it protected is closed: an exit never opens one`));
    endBracket(book, symbol, link.parentId, out);
  }
  return out ?? NO_FOLLOWS;
}
