/**
 * Domain types shared by every part of the loop. Messages are immutable.
 *
 * Units (see README "Money"): prices are integers of 1e-8 quote units ("ticks", PRICE_SCALE),
 * quantities are integers of the instrument's lot step, money (cash, notional, fees, PnL) is a
 * bigint of 1e-8 quote units. Volume stays a float: it is never used in accounting.
 */

/** Where a bar came from: a csv file, the WebSocket, or a REST backfill of a gap. */
export const BAR_ORIGINS = ['csv', 'ws', 'rest-backfill'] as const;
export type BarOrigin = (typeof BAR_ORIGINS)[number];

export interface Bar {
  readonly symbol: string;
  readonly interval: string;
  /** Bar start, ms since the epoch, UTC. */
  readonly openTime: number;
  /** Last ms inside the bar (Binance convention: next openTime - 1). */
  readonly closeTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly source: BarOrigin;
}

export type Side = 'buy' | 'sell';

/** What a strategy asks for; the gate and the broker decide what becomes of it. */
export type Intent = OrderIntent | CancelIntent;

/** Cancels one of the symbol's resting orders (see StrategyContext.openOrders). */
export interface CancelIntent {
  readonly cancel: string;
}

/** A new order, one member per order type: each carries exactly the fields its type needs. */
export type OrderIntent = MarketIntent | LimitIntent | StopIntent | StopLimitIntent | TrailingStopIntent;

/**
 * How long an order may work: GTC until it fills or is cancelled (the default); IOC one chance, the
 * first bar that could fill it, the rest cancelled; FOK that one chance, whole or nothing; GTD
 * `expireAfterBars` bars of its symbol. For a stop, the chance is its trigger bar's (README,
 * "Time in force").
 */
export const TIME_IN_FORCES = ['GTC', 'IOC', 'FOK', 'GTD'] as const;
export type TimeInForce = (typeof TIME_IN_FORCES)[number];

/** What any order intent may add to its type's fields. */
export interface IntentTerms {
  /** Default GTC. */
  readonly timeInForce?: TimeInForce;
  /** With GTD only (and required there): a positive whole number of the symbol's bars. */
  readonly expireAfterBars?: number;
  /** Only ever shrinks the position: refused if it would grow or flip it, shrunk to the position when it fills. */
  readonly reduceOnly?: boolean;
}

/**
 * A bracket on a market or limit entry: both prices or neither (one alone is refused, naming the
 * missing one). Once the entry (partly) fills, two exits on the other side rest for the quantity
 * filled: a take-profit limit and a stop-loss stop, one cancelling the other (see Order.ocoWith).
 */
export interface BracketTerms {
  /** Integer ticks: a buy entry's above its reference price (the limit, or the decision bar's close for a market entry), a sell's below. */
  readonly takeProfit?: number;
  /** Integer ticks: a buy entry's below its reference price, a sell's above. */
  readonly stopLoss?: number;
}

export interface MarketIntent extends BracketTerms, IntentTerms {
  readonly side: Side;
  /** Positive integer number of lots. */
  readonly qty: number;
  /** The default. */
  readonly orderType?: 'market';
}

export interface LimitIntent extends BracketTerms, IntentTerms {
  readonly side: Side;
  /** Positive integer number of lots. */
  readonly qty: number;
  readonly orderType: 'limit';
  /** Integer ticks: a buy fills at or under it, a sell at or over it. */
  readonly limitPrice: number;
  /** Refused (post_only) if it would take liquidity when placed: a buy at or above the bar's close, a sell at or below. */
  readonly postOnly?: boolean;
}

export interface StopIntent extends IntentTerms {
  readonly side: Side;
  /** Positive integer number of lots. */
  readonly qty: number;
  readonly orderType: 'stop';
  /** Integer ticks: a buy triggers when the bar path reaches it or above, a sell at it or below. */
  readonly stopPrice: number;
}

export interface StopLimitIntent extends IntentTerms {
  readonly side: Side;
  /** Positive integer number of lots. */
  readonly qty: number;
  readonly orderType: 'stop_limit';
  /** Integer ticks: where it triggers (as a stop). */
  readonly stopPrice: number;
  /** Integer ticks: once triggered it is a limit at this price. */
  readonly limitPrice: number;
}

export interface TrailingStopIntent extends IntentTerms {
  readonly side: Side;
  /** Positive integer number of lots. */
  readonly qty: number;
  readonly orderType: 'trailing_stop';
  /** 1..10000: the stop follows the best price since placement this many basis points behind it. */
  readonly trailBps: number;
}

/**
 * An order the gate has accepted, one member per order type, discriminated by `orderType`: code
 * whose behaviour depends on the type switches over it exhaustively, so a new type is a new member
 * here, its matcher (broker/matchers.ts), and the cases the compiler then asks for.
 */
export type Order = MarketOrder | LimitOrder | StopOrder | StopLimitOrder | TrailingStopOrder;
export type OrderType = Order['orderType'];

/** Every order type, in the order refusals list them; a record so that a type left out does not compile. */
const ORDER_TYPE_SET: Readonly<Record<OrderType, true>> = { market: true, limit: true, stop: true, stop_limit: true, trailing_stop: true };
export const ORDER_TYPES = Object.freeze(Object.keys(ORDER_TYPE_SET)) as readonly OrderType[];

export function isOrderType(value: unknown): value is OrderType {
  return typeof value === 'string' && Object.hasOwn(ORDER_TYPE_SET, value);
}

interface OrderBase {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  /** Positive integer number of lots still to fill: the order's quantity until a partial fill, then what remains. */
  readonly qty: number;
  /** openTime of the bar whose decision created it. */
  readonly createdAt: number;
  /** Absent: GTC. */
  readonly timeInForce?: 'IOC' | 'FOK' | 'GTD';
  /** GTD: the bars of its symbol it was given. */
  readonly expireAfterBars?: number;
  /** GTD: the bars of its symbol it may still be matched on (it is cancelled, `expired`, when they run out). */
  readonly barsLeft?: number;
  readonly reduceOnly?: true;
  /** Lots already filled (present after a partial fill): the order's quantity is qty + filledQty. */
  readonly filledQty?: number;
  /**
   * Decided on a backfilled bar (after a feed outage): placed now, so no backfilled bar's path may
   * fill it, that market is gone. Matched from its symbol's first live bar on (a market order at
   * that bar's open), when the flag is dropped.
   */
  readonly waitsForLive?: true;
}

/** A bracketed entry's exit prices (ticks), both set or neither: what its fills arm (broker/brackets.ts). */
export interface Bracket {
  readonly takeProfit?: number;
  readonly stopLoss?: number;
}

/**
 * A bracket's exit: the take-profit limit (`<entryId>-tp`) or the stop-loss stop (`<entryId>-sl`),
 * both set or neither. The two are one-cancels-other and reduce-only by nature: a fill of one
 * shrinks the other by as much, and after any fill of the symbol each is cut to the position it
 * protects (cancelled, reason `oco`, once that is flat).
 */
export interface ExitLink {
  /** The entry whose fills armed it. */
  readonly parentId?: string;
  /** Its sibling exit. */
  readonly ocoWith?: string;
}

/** Fills at the next bar's open moved by slippage (WorkingMarketOrder until then), or at once at the close with --fill-model close (an operator's flatten: at once, at the price it was given). */
export interface MarketOrder extends OrderBase, Bracket {
  readonly orderType: 'market';
}

/** Rests until a bar trades through its price (good till cancelled). */
export interface LimitOrder extends OrderBase, Bracket, ExitLink {
  readonly orderType: 'limit';
  /** Integer ticks. */
  readonly limitPrice: number;
  /** Placed where it could not take liquidity: it fills as a maker. */
  readonly postOnly?: true;
}

/** Rests until the bar path reaches its stop price, then fills as a market order would (with slippage). */
export interface StopOrder extends OrderBase, ExitLink {
  readonly orderType: 'stop';
  /** Integer ticks. */
  readonly stopPrice: number;
}

/**
 * Rests until the bar path reaches its stop price, then is a limit at limitPrice: it may fill
 * later on the same path, or rest on the book as a LimitOrder with the same id.
 */
export interface StopLimitOrder extends OrderBase {
  readonly orderType: 'stop_limit';
  /** Integer ticks. */
  readonly stopPrice: number;
  /** Integer ticks. */
  readonly limitPrice: number;
}

/**
 * A stop whose price follows the best price seen since placement, trailBps behind it: it starts
 * from the close of the bar it was decided on and ratchets along later bars' paths (never back).
 */
export interface TrailingStopOrder extends OrderBase {
  readonly orderType: 'trailing_stop';
  /** 1..10000 basis points. */
  readonly trailBps: number;
  /** The best price so far (ticks): the highest for a sell, the lowest for a buy. */
  readonly bestPrice: number;
  /** The stop now (ticks), derived from bestPrice (see broker/matchers.ts trailStop). */
  readonly stopPrice: number;
}

/**
 * A market order decided on one bar and working until the next bar of its symbol, which fills it
 * at its open (--fill-model next-open): a signal computed from a bar's close cannot trade at it.
 */
export interface WorkingMarketOrder extends MarketOrder {
  /** The price the gate valued it at when it was decided (that bar's close moved by slippage): what a buy holds of the cash until it fills. */
  readonly refPrice: number;
}

/** Where a market order fills: at the next bar's open, booked in that bar's cycle (the default), or at its own bar's close (optimistic). */
export type FillModel = 'next-open' | 'close';

/** The orders that rest on the broker's book until a bar fills them: each type has its matcher. */
export type RestingOrder = WorkingMarketOrder | LimitOrder | StopOrder | StopLimitOrder | TrailingStopOrder;

/** How a fill met the book: maker, it rested and another order filled it; taker, it took liquidity. */
export const LIQUIDITIES = ['maker', 'taker'] as const;
export type Liquidity = (typeof LIQUIDITIES)[number];

export interface Fill {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly qty: number;
  readonly price: number;
  readonly fee: bigint;
  /** maker: it rested on the book and another order filled it; taker: it took liquidity. The fee's rate follows. */
  readonly liquidity: Liquidity;
  /** Money that left (-) or entered (+) cash for the notional, fee excluded. */
  readonly cashFlow: bigint;
  /** Realized PnL this fill booked (fee excluded). */
  readonly realized: bigint;
  /** Cash and the symbol's position right after this fill (several may fill in one bar). */
  readonly cashAfter: bigint;
  readonly positionAfter: number;
}

export interface Position {
  readonly symbol: string;
  /** Signed lots: > 0 long, < 0 short. */
  readonly qty: number;
  /** Signed money paid (long, > 0) or received (short, < 0) for the open quantity. */
  readonly basis: bigint;
}

export interface AccountSnapshot {
  readonly cash: bigint;
  readonly equity: bigint;
  readonly realized: bigint;
  readonly fees: bigint;
}
