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
export type OrderType = 'market' | 'limit';

/** What a strategy asks for; the gate and the broker decide what becomes of it. */
export type Intent = OrderIntent | CancelIntent;

/** Cancels one of the symbol's resting limit orders (see StrategyContext.openOrders). */
export interface CancelIntent {
  readonly cancel: string;
}

export interface OrderIntent {
  readonly side: Side;
  /** Positive integer number of lots. */
  readonly qty: number;
  /** Default 'market'. */
  readonly orderType?: OrderType;
  /** Integer ticks; required for limit orders. */
  readonly limitPrice?: number;
}

export interface Order {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly qty: number;
  readonly limitPrice?: number;
  /** openTime of the bar whose decision created it. */
  readonly createdAt: number;
}

export interface Fill {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly qty: number;
  readonly price: number;
  readonly fee: bigint;
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
