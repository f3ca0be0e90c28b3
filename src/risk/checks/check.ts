/**
 * The shape every risk check has: a small pure function of the order, the account and what the
 * gate knows (state, limits, bar time), answering a typed refusal or null. The gate runs them in a
 * fixed order, so the reason a reject names is always the first that applies.
 */
import type { Instrument } from '../../broker/instrument.ts';
import type { Order, OrderType, Side } from '../../domain/types.ts';
import type { OrderSender, RejectReason, TradingStateName } from '../../events/reasons.ts';
import type { AccountView } from '../../broker/account-view.ts';

/**
 * A new order as its sender gave it: the side and the type are known, the rest is not yet checked
 * (a strategy may give a string for a quantity). The gate reads it into an Order (order-sanity.ts)
 * after the trading state, so a halted session names the halt whatever the order looks like.
 */
export interface OrderDraft {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly qty: unknown;
  /** A limit's or a stop-limit's limit price as given; ignored for other types. */
  readonly limitPrice?: unknown;
  /** A stop's or a stop-limit's stop price as given; ignored for other types. */
  readonly stopPrice?: unknown;
  /** A trailing stop's trail as given; ignored for other types. */
  readonly trailBps?: unknown;
  /** A bracket's exit prices as given (a market or limit entry only; both or neither). */
  readonly takeProfit?: unknown;
  readonly stopLoss?: unknown;
  /** GTC (the default, also when absent), IOC, FOK or GTD, as given. */
  readonly timeInForce?: unknown;
  /** GTD's bars, as given (refused with any other time in force). */
  readonly expireAfterBars?: unknown;
  /** A limit's post-only flag, as given (refused on other types). */
  readonly postOnly?: unknown;
  readonly reduceOnly?: unknown;
  /** The bar time of the decision (its openTime): order-rate windows and bar age are in bar time. */
  readonly createdAt: number;
}

/** A new order the gate is asked to admit, and what the moment adds to it. */
export interface NewOrderRequest {
  readonly draft: OrderDraft;
  /** What a market order on this side would fill at now (the close, or an operator's price, moved by slippage). */
  readonly marketPrice: number;
  readonly inst: Instrument;
  readonly sentBy: OrderSender;
  /** Decided on a backfilled bar: it will wait for its symbol's first live bar (see Order.waitsForLive). */
  readonly waitsForLive?: boolean;
}

/** An order whose terms are read, and what the checks need of its moment. */
export interface GateRequest {
  readonly order: Order;
  /** The price the order is expected to fill at (a new market order: close with slippage; a new limit: the limit; at fill: the fill price). */
  readonly refPrice: number;
  readonly inst: Instrument;
  readonly sentBy: OrderSender;
  /** 'new': an order being placed; 'fill': a resting order about to fill (no new order: rate, band and age do not apply). */
  readonly phase: 'new' | 'fill';
  /** A new order decided on a backfilled bar, which will wait for its symbol's first live bar. */
  readonly waitsForLive?: boolean;
}

export interface Refusal {
  readonly reason: RejectReason;
  readonly detail: string;
}

export interface RiskLimits {
  /** Largest |position| × price per symbol, 1e-8 units. */
  readonly maxPositionNotional: bigint;
  /** Largest Σ |position| × price over all symbols. */
  readonly maxGrossExposure: bigint;
  /** Accepted orders per 60 s of bar time; null: no limit. */
  readonly maxOrdersPerMinute: number | null;
  /** A limit price at most this far from the last close, in 1e-4 percent; null: no band. */
  readonly priceBandPctE4: bigint | null;
  /** Orders from a bar more than this many intervals older than the newest closed bar the feed delivered are refused. */
  readonly maxBarAge: number;
}

/** What the gate knows beyond the account. */
export interface GateView {
  readonly state: TradingStateName;
  readonly limits: RiskLimits;
  readonly intervalMs: number;
  /** The newest closed bar's openTime the feed has delivered for a symbol (realtime); undefined in csv. */
  newestClosed(symbol: string): number | undefined;
  /** Accepted strategy orders with bar time in (at − 60 s, at]. */
  ordersInMinute(at: number): number;
}

export type Check = (req: GateRequest, account: AccountView, gate: GateView) => Refusal | null;

/** The position after this order and every resting order on its side fill: the worst case. */
export function worstNext(req: GateRequest, account: AccountView): { pos: number; next: number } {
  const { symbol, side, qty } = req.order;
  return worstAfter(symbol, side, qty, req.phase === 'new', account);
}

/** The position after `qty` more on `side` (and, for a new order, the symbol's resting orders on that side) fill. */
export function worstAfter(symbol: string, side: Side, qty: number, withResting: boolean, account: AccountView): { pos: number; next: number } {
  const pos = account.position(symbol);
  const move = (withResting ? account.restingQty(symbol, side) : 0) + qty;
  return { pos, next: side === 'buy' ? pos + move : pos - move };
}

/** Whether going from pos to next only shrinks |position|, never flipping its sign. */
export function onlyReduces(pos: number, next: number): boolean {
  return pos > 0 ? next >= 0 && next < pos : pos < 0 ? next <= 0 && next > pos : false;
}
