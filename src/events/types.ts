/**
 * The events.ndjson contract. `type` names the event; an order's kind is `orderType`.
 * Later issues add fields, never rename these.
 *
 * Events carry the loop's own integers: prices in ticks, quantities in lots, money in bigint
 * 1e-8 units. The serializers write them once, as exact decimals (JSON numbers): a quantity in
 * asset units, for which they are given each symbol's lot step (events/lot-steps.ts). `Dec` is
 * left for the run's settings and summary, which are text from the start.
 */

export type Dec = string;
/** A price in integer ticks of 1e-8, written to the log as its exact decimal. */
export type Ticks = number;
/** Money in bigint 1e-8 units, written to the log as its exact decimal. */
export type Money = bigint;
/** A quantity in integer lots of the event's symbol, written to the log in asset units (its lot step applied). */
export type Lots = number;

import type { BarOrigin, Liquidity, OrderType } from '../domain/types.ts';
import type { RestingOrderView } from '../broker/book-view.ts';
import type { FeeGroup } from '../broker/fees.ts';
import type { StatsSummary } from './summary-stats.ts';
import type {
  AlertKind,
  CancelReason,
  FeedState,
  HaltReason,
  HaltSeverity,
  HaltSource,
  OrderSender,
  OrderWait,
  PriceSource,
  RejectReason,
  SkipReason,
  TradingStateName,
} from './reasons.ts';

export type {
  AlertKind,
  CancelReason,
  FeedState,
  HaltReason,
  HaltSeverity,
  HaltSource,
  OrderSender,
  OrderWait,
  PriceSource,
  RejectReason,
  SkipReason,
  TradingStateName,
} from './reasons.ts';

export interface InputFile {
  readonly symbol: string;
  readonly file: string;
  readonly sha256: string;
}

export interface RunStartEvent {
  readonly type: 'run_start';
  readonly runId: string;
  readonly mode: 'static' | 'realtime';
  /** Where the bars come from: csv files, Binance (realtime), or the fleet's NATS stream (nats; mode realtime). */
  readonly source: 'csv' | 'realtime' | 'nats';
  /** --source nats: the stream read. */
  readonly stream?: string;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly strategy: string;
  readonly params: Readonly<Record<string, string>>;
  readonly cash: Dec;
  /** The one fee rate every symbol pays, maker and taker alike; absent when rates differ (then `fees` says them). */
  readonly feeBps?: number;
  /** Per symbol, the maker and the taker rate in bps; absent in logs written before fees told them apart. */
  readonly fees?: Readonly<Record<string, { readonly makerBps: number; readonly takerBps: number }>>;
  readonly slippageBps: number;
  /** `next-open` when market orders fill at the next bar's open; absent: at their own bar's close (--fill-model close, and every log before the flag). */
  readonly fillModel?: 'next-open';
  /** --max-participation: the share of a bar's volume it may fill per symbol; absent in logs written before the flag (no cap). */
  readonly maxParticipation?: number;
  readonly maxPositionNotional: Dec;
  readonly maxGrossExposure: Dec;
  readonly lotSizes: Readonly<Record<string, Dec>>;
  readonly inputs: readonly InputFile[];
  /** Bars of history the strategy asked for per symbol before its first decision. */
  readonly warmup: number;
  /** The optional risk limits that are set (written only when one is). */
  readonly limits?: Readonly<Record<string, string | number>>;
  /** Halts restored from the session's state folder before the first bar (written only when there are some). */
  readonly restoredHalts?: ReadonlyArray<{
    readonly reason: HaltReason;
    readonly source: HaltSource;
    readonly severity: HaltSeverity;
    readonly detail: string;
  }>;
  /** `trading` when the log leaves out bar lines and hold decisions (--events trading); absent: every event. */
  readonly events?: 'trading';
}

export interface BarEvent {
  readonly type: 'bar';
  readonly symbol: string;
  readonly interval: string;
  readonly openTime: number;
  readonly open: Ticks;
  readonly high: Ticks;
  readonly low: Ticks;
  readonly close: Ticks;
  readonly volume: number;
  readonly source: BarOrigin;
}

export interface DecisionEvent {
  readonly type: 'decision';
  readonly symbol: string;
  readonly openTime: number;
  readonly action: 'buy' | 'sell' | 'hold';
  /** Net quantity the strategy asked for (0 for hold). */
  readonly qty: Lots;
  /** How many order intents the decision carried. */
  readonly intents: number;
  /** Signed position before this cycle's orders. */
  readonly position: Lots;
  /** Account equity marked at this bar's close, before this cycle's orders. */
  readonly equity: Money;
}

/** An order placed, one member per order type, with exactly the fields of its type (domain/types.ts Order). */
export type OrderEvent = MarketOrderEvent | LimitOrderEvent | StopOrderEvent | StopLimitOrderEvent | TrailingStopOrderEvent;

/** What any order may add to its type's fields, each written only when it is not the default. */
export interface OrderTerms {
  /** IOC, FOK or GTD; absent: GTC. */
  readonly timeInForce?: 'IOC' | 'FOK' | 'GTD';
  /** GTD: the bars of its symbol it may work. */
  readonly expireAfterBars?: number;
  /** A limit placed post-only (it rests and fills as a maker). */
  readonly postOnly?: true;
  readonly reduceOnly?: true;
}

interface OrderEventBase extends OrderTerms {
  readonly type: 'order';
  readonly orderId: string;
  readonly symbol: string;
  readonly openTime: number;
  readonly side: 'buy' | 'sell';
  readonly orderType: OrderType;
  readonly qty: Lots;
  /** Written only for an operator's order (a flatten); a strategy's order has none. */
  readonly sentBy?: OrderSender;
  /** Decided on a backfilled bar: no backfilled bar fills it; it waits for its symbol's first live bar (a market order fills at that open). */
  readonly waitsFor?: OrderWait;
}

/** A bracketed entry's exit prices, both or neither (written only on a bracketed market or limit entry). */
interface BracketFields {
  readonly takeProfit?: Ticks;
  readonly stopLoss?: Ticks;
}

/** A bracket's exit (a take-profit limit or a stop-loss stop), both or neither: the entry that armed it and its one-cancels-other sibling. */
interface ExitFields {
  readonly parentId?: string;
  readonly ocoWith?: string;
}

export interface MarketOrderEvent extends OrderEventBase, BracketFields {
  readonly orderType: 'market';
}

export interface LimitOrderEvent extends OrderEventBase, BracketFields, ExitFields {
  readonly orderType: 'limit';
  readonly limitPrice: Ticks;
}

export interface StopOrderEvent extends OrderEventBase, ExitFields {
  readonly orderType: 'stop';
  readonly stopPrice: Ticks;
}

export interface StopLimitOrderEvent extends OrderEventBase {
  readonly orderType: 'stop_limit';
  readonly limitPrice: Ticks;
  readonly stopPrice: Ticks;
}

/** The trail only: the stop it starts from follows from the bar's close, which the bar event before it carries. */
export interface TrailingStopOrderEvent extends OrderEventBase {
  readonly orderType: 'trailing_stop';
  readonly trailBps: number;
}

export interface FillEvent {
  readonly type: 'fill';
  readonly orderId: string;
  readonly symbol: string;
  readonly openTime: number;
  readonly side: 'buy' | 'sell';
  readonly qty: Lots;
  readonly price: Ticks;
  readonly fee: Money;
  /** maker (it rested and was filled: the maker rate) or taker (it took liquidity: the taker rate); absent in logs written before fees told them apart. */
  readonly liquidity?: Liquidity;
  readonly realizedPnl: Money;
  readonly cash: Money;
  readonly position: Lots;
  /** Lots left on the order after this fill (the participation cap, or reduce-only, left them): they work on, or a cancel right after says why not. Absent: 0, the order is complete. */
  readonly remaining?: Lots;
  /** An operator's flatten: where the fill price came from, and the time of that price (ms). */
  readonly priceSource?: PriceSource;
  readonly priceTime?: number;
}

/** A resting order taken off the book: by the strategy, by a change of trading state, by a flatten, by the gate when it would fill, or by its bracket (one-cancels-other). */
export interface CancelEvent {
  readonly type: 'cancel';
  readonly orderId: string;
  readonly symbol: string;
  readonly openTime: number;
  readonly reason: CancelReason;
  readonly detail: string;
}

export interface RejectEvent {
  readonly type: 'reject';
  readonly symbol: string;
  readonly openTime: number;
  readonly reason: RejectReason;
  readonly orderId?: string;
  readonly side: 'buy' | 'sell';
  /** Lots as the strategy gave them: a refused quantity may not be a whole number (then it is written as given), 0 when it was no number. */
  readonly qty: number;
  readonly detail: string;
}

export interface SkipEvent {
  readonly type: 'skip';
  readonly symbol: string | null;
  readonly openTime: number | null;
  readonly reason: SkipReason;
  /** Where the input came from: a file base name (csv) or a stream name (realtime). */
  readonly origin: string;
  readonly line?: number;
  readonly field?: string;
  readonly message: string;
}

/** A halt raised (or its severity or detail changed); `state` is the trading state after it. */
export interface HaltEvent {
  readonly type: 'halt';
  readonly reason: HaltReason;
  readonly source: HaltSource;
  readonly severity: HaltSeverity;
  readonly detail: string;
  readonly state: TradingStateName;
  readonly at?: number;
}
/** A halt lifted; `source` is who lifted it, `state` the trading state after it. */
export interface ResumeEvent {
  readonly type: 'resume';
  readonly reason: HaltReason;
  readonly source: HaltSource;
  readonly state: TradingStateName;
  readonly at?: number;
}
/** The session's trading state changed: ACTIVE, REDUCING or HALTED, derived from the halts held. */
export interface TradingStateEvent {
  readonly type: 'trading_state';
  readonly from: TradingStateName;
  readonly to: TradingStateName;
  readonly halts: readonly HaltReason[];
  readonly source: HaltSource;
  readonly at?: number;
}
export interface FeedEvent {
  readonly type: 'feed';
  readonly state: FeedState;
  readonly detail?: string;
  readonly at?: number;
}
export interface AlertEvent {
  readonly type: 'alert';
  readonly kind: AlertKind;
  readonly message: string;
  readonly at?: number;
}

export interface LatencyEvent {
  readonly type: 'latency';
  readonly symbol: string;
  readonly openTime: number;
  readonly source: 'ws' | 'rest-backfill';
  /** Exchange event time E and kline close time T (ms, exchange clock). */
  readonly eventTime: number;
  readonly closeTime: number;
  /** Local wall clock at receipt (ms). */
  readonly recvTime: number;
  readonly modelTime: number;
  readonly brokerTime: number;
  /** recvTime - eventTime + clock offset estimate (ms): the network segment. */
  readonly networkMs: number;
  readonly clockOffsetMs: number;
  /** Monotonic in-process segments (ms, fractional): receipt → dequeued → cycle start (slice) → model → broker. */
  readonly queueMs: number;
  readonly sliceMs: number;
  readonly modelMs: number;
  readonly brokerMs: number;
  readonly totalMs: number;
}

export interface RunEndEvent {
  readonly type: 'run_end';
  readonly summary: RunSummary;
}

/**
 * A resumed session's marker in events.ndjson: the segment it begins, the last seq before it (the
 * marker repeats that seq, so the lines around it number on as in an uninterrupted run), and what
 * was restored. Not an event of the run: it is written to the log only, never counted.
 */
export interface RunResumeEvent {
  readonly type: 'run_resume';
  readonly segment: number;
  readonly afterSeq: number;
  readonly restored: Readonly<Record<string, unknown>>;
}

export interface RunCosts {
  readonly fees: readonly FeeGroup[];
  /** Against the order, on fills that take liquidity as a market order (market, stop, trailing stop, a flatten). */
  readonly slippageBps: number;
}

export interface RunSummary {
  readonly runId: string;
  /** incomplete: the run ended with closed bars accepted but never decided (see `incomplete`). */
  readonly status: 'ok' | 'halted' | 'breached' | 'error' | 'incomplete';
  /** The summary's first line: "ok", "ok, but HALTED 97% of bars: strategy_error", "breached: ...", "error: ...". */
  readonly verdict: string;
  /** Where market orders filled (--fill-model); absent in summaries written before the flag (they filled at the close). */
  readonly fillModel?: 'next-open' | 'close';
  /** With close: that the figures are optimistic, and why. */
  readonly fillModelNote?: string;
  /** The fees and slippage in force: symbols grouped by the maker and taker rates they paid (and why: a default, or set); absent in summaries written before. */
  readonly costs?: RunCosts;
  /** --max-participation: the share of a bar's volume a symbol's orders may fill; absent in summaries written before the flag. */
  readonly maxParticipation?: number;
  readonly error?: string;
  readonly incomplete?: string;
  readonly bars: number;
  readonly decisions: number;
  readonly orders: number;
  readonly fills: number;
  readonly rejects: number;
  readonly skips: number;
  readonly trades: number;
  readonly startEquity: Dec;
  readonly finalEquity: Dec;
  readonly cash: Dec;
  readonly realizedPnl: Dec;
  readonly fees: Dec;
  readonly returnPct: number;
  readonly maxDrawdownPct: number;
  readonly sharpe: number | null;
  readonly barsBySymbol: Readonly<Record<string, number>>;
  /** History bars loaded before the run window per symbol (csv --from, realtime REST warm-up). */
  readonly warmupBars: Readonly<Record<string, number>>;
  readonly positions: Readonly<Record<string, Dec>>;
  /** Refusals, skips and cancels by reason (largest first), and the first few distinct reject details. */
  readonly rejectsByReason: Readonly<Record<string, number>>;
  readonly skipsByReason: Readonly<Record<string, number>>;
  readonly cancelsByReason: Readonly<Record<string, number>>;
  readonly rejectDetails: ReadonlyArray<{ readonly reason: string; readonly detail: string }>;
  readonly alertsByKind: Readonly<Record<string, number>>;
  /** What halted trading and for how much of the run. */
  readonly halts: {
    readonly state: TradingStateName;
    readonly held: readonly HaltReason[];
    /** halt events by reason. */
    readonly raised: Readonly<Record<string, number>>;
    readonly haltedBars: number;
    readonly reducingBars: number;
    readonly notActivePct: number;
    /** Bars decided while each reason was held. */
    readonly barsHeldBy: Readonly<Record<string, number>>;
    /** Realtime: wall ms spent REDUCING or HALTED. */
    readonly timeNotActiveMs?: number;
    readonly strategyErrors: number;
    /** Limits the market carried the account past (each episode once), when it did. */
    readonly limitsPassedByMarket?: { readonly count: number; readonly first: string };
  };
  readonly openPositions: ReadonlyArray<{ symbol: string; qty: Dec; lastPrice: Dec; marketValue: Dec; unrealizedPnl: Dec }>;
  readonly restingOrders: readonly RestingOrderView[];
  readonly grossExposure: Dec;
  /** When no order was placed: the likely cause, computed from what the run saw. */
  readonly noOrderCause?: string;
  /** Alert webhook deliveries (present when --alert-webhook is given). */
  readonly webhooks?: Readonly<Record<'delivered' | 'retried' | 'dropped' | 'failed' | 'suppressed', number>>;
  readonly latency?: Readonly<Record<string, { p50: number; p99: number; max: number; count: number }>>;
  readonly feed?: Readonly<Record<string, number>>;
  /** A session of a fleet (--nats): the fleet, its halt state at the end, the fleet commands applied and the control messages refused (this process's). */
  readonly fleet?: {
    readonly name: string;
    readonly state: 'halted' | 'reducing' | 'resumed' | null;
    readonly applied: number;
    readonly refused: number;
    readonly disconnects: number;
  };
  /** A session on the fleet's stream (--source nats): the stream it read and its server (where it stood is in `feed`). */
  readonly stream?: { readonly name: string; readonly server: string };
  /** Trade statistics, ratios, the buy-and-hold benchmark, exposure and gaps (src/stats). */
  readonly stats?: StatsSummary;
}

export type TradeEvent =
  | RunStartEvent
  | BarEvent
  | DecisionEvent
  | OrderEvent
  | FillEvent
  | CancelEvent
  | RejectEvent
  | SkipEvent
  | HaltEvent
  | ResumeEvent
  | TradingStateEvent
  | FeedEvent
  | AlertEvent
  | LatencyEvent
  | RunEndEvent
  | RunResumeEvent;

export type EventType = TradeEvent['type'];
