/**
 * The strategy contract. A strategy is deterministic: the same bars give the same intents, in
 * backtest and in the paper session alike. It returns intents; the risk gate and the paper broker
 * decide what becomes of them.
 */
import { TradeloopError } from '../errors.ts';
import type { Bar, Intent, RestingOrder } from '../domain/types.ts';
import type { BarHistory } from './bar-window.ts';
import { parsePlainNumber } from '../domain/volume.ts';

export interface StrategyContext {
  /** This symbol's bounded history, newest first via get(0) (the bar being decided). */
  readonly history: BarHistory;
  /** Signed position in lots (> 0 long, < 0 short). */
  readonly position: number;
  /** This symbol's working orders, frozen copies (qty: what is left to fill; filledQty: what already filled): return { cancel: orderId } to cancel one. */
  readonly openOrders: readonly RestingOrder[];
  /** Free cash and marked equity, bigint of 1e-8 quote units. */
  readonly cash: bigint;
  readonly equity: bigint;
  /** The instrument's lot step as a decimal string ("1" for shares, "0.00001" for BTC). */
  readonly lotStep: string;
  /** Whole lots that `money` (1e-8 units) buys at `price` (ticks), rounded down. */
  lotsFor(money: bigint, price: number): number;
  /** Converts a decimal price text into ticks, for limit prices. */
  price(text: string): number;
  /** Average entry price of the open position in ticks (its basis over its lots; fees are paid from cash, not in it), null when flat. */
  readonly entryPrice: number | null;
  /** The open position's marked value less its basis at this bar's close, bigint of 1e-8 quote units (0n when flat). */
  readonly unrealizedPnl: bigint;
  /**
   * What became of this symbol's orders since its previous decided bar, in event order: fills
   * (resting ones matched on this bar included), cancels and rejects, each with its reason, and
   * the exits a bracketed entry's fill armed. Empty (the same frozen array) when nothing happened.
   */
  readonly updates: readonly OrderUpdate[];
  /** The other symbols' bars of this same open time decided before this one (in --symbols order), frozen. */
  readonly slice: readonly Bar[];
}

/**
 * One thing that happened to an order, as integers like the events: prices in ticks, quantities
 * in lots, money as bigint of 1e-8 quote units. A partial fill says what remains; what its time
 * in force or reduce-only ends comes as a cancel (reason ioc, fok, expired or reduce_only).
 * The strategy's own orders are its intents; the orders it learns of here are the exits a
 * bracketed entry's fill armed (`parentId` the entry, `ocoWith` the sibling).
 */
export type OrderUpdate =
  | {
      readonly type: 'order';
      readonly orderId: string;
      readonly side: 'buy' | 'sell';
      readonly orderType: 'limit';
      readonly qty: number;
      readonly limitPrice: number;
      readonly parentId: string;
      readonly ocoWith: string;
    }
  | {
      readonly type: 'order';
      readonly orderId: string;
      readonly side: 'buy' | 'sell';
      readonly orderType: 'stop';
      readonly qty: number;
      readonly stopPrice: number;
      readonly parentId: string;
      readonly ocoWith: string;
    }
  | {
      readonly type: 'fill';
      readonly orderId: string;
      readonly side: 'buy' | 'sell';
      readonly qty: number;
      readonly price: number;
      readonly fee: bigint;
      readonly realizedPnl: bigint;
      /** The position after this fill, in lots. */
      readonly position: number;
      /** Lots left on the order after this fill: 0 when it is complete; more when the bar's participation cap (or reduce-only) left some. */
      readonly remaining: number;
    }
  | { readonly type: 'cancel'; readonly orderId: string; readonly reason: string; readonly detail: string }
  | {
      readonly type: 'reject';
      /** The refused intent's id (symbol-openTime-index), or the id a refused cancel named. */
      readonly orderId: string | null;
      readonly side: 'buy' | 'sell';
      readonly qty: number;
      readonly reason: string;
      readonly detail: string;
    }
  /**
   * The order was decided on a bar backfilled after a feed outage: it was accepted, but no
   * backfilled bar fills it; it waits for the symbol's first live bar (a market order fills at
   * that open). Meanwhile the position stays as it is (an exit leaves it open).
   */
  | {
      readonly type: 'waiting';
      readonly orderId: string;
      readonly side: 'buy' | 'sell';
      readonly qty: number;
      readonly orderType: string;
      readonly waitsFor: 'live_open';
      readonly detail: string;
    };

export interface Strategy {
  readonly name: string;
  /** Bars of history needed before the first meaningful decision (the warm-up). */
  readonly warmup: number;
  onBar(bar: Bar, ctx: StrategyContext): readonly Intent[];
}

/**
 * A strategy that keeps its history away from the loop (a user module on its own thread): the
 * loop hands it the warm-up bars too, and ends it when the run ends.
 */
export interface HostedStrategy extends Strategy {
  warm(bar: Bar): void;
  dispose(): Promise<void>;
}

export function isHosted(strategy: Strategy): strategy is HostedStrategy {
  return typeof (strategy as Partial<HostedStrategy>).warm === 'function';
}

export type StrategyParams = Readonly<Record<string, string>>;

/** What a strategy module exports as default. Throw a StrategyParamError for a bad parameter. */
export type StrategyFactory = (params: StrategyParams) => Strategy;

export class StrategyParamError extends TradeloopError {
  override name = 'StrategyParamError';
  constructor(message: string) {
    super('TL_STRATEGY_PARAM', message);
  }
}

/** Reads an integer parameter within bounds, naming it in the refusal. */
export function intParam(params: StrategyParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params[name];
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new StrategyParamError(`--param ${name}=${raw}: expected an integer from ${min} to ${max}`);
  const value = Number(raw);
  if (value < min || value > max) throw new StrategyParamError(`--param ${name}=${raw}: expected an integer from ${min} to ${max}`);
  return value;
}

/** Reads a decimal parameter (a z-score threshold, a fraction) within bounds, naming it in the refusal. */
export function numParam(params: StrategyParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params[name];
  if (raw === undefined) return fallback;
  const value = parsePlainNumber(raw.trim()); // not Number(): it reads "0x10" and " " (as 0)
  if (!(value >= min && value <= max)) {
    throw new StrategyParamError(`--param ${name}=${raw}: expected a number from ${min} to ${max}`);
  }
  return value;
}

/** Refuses parameters the strategy does not know, so a typo is not silently ignored. */
export function checkKnownParams(params: StrategyParams, known: readonly string[], strategy: string): void {
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) {
      throw new StrategyParamError(`--param ${key}: ${strategy} has no such parameter (it takes: ${known.join(', ') || 'none'})`);
    }
  }
}
