/**
 * The trading loop's cycle, the same in every mode. For each accepted closed bar, in this order:
 * a new trading day is noted (a daily-loss halt may lift), resting orders are matched along the
 * bar's path (broker/bar-path.ts; each looked at again by the gate), equity is marked, loss limits are checked, the
 * strategy sees the bar, each intent passes the one risk gate. A market order decided on this bar
 * works until the symbol's next bar, whose cycle fills it at the open with the resting orders
 * (--fill-model next-open, the default), or fills at this bar's close (close); either moved by
 * slippage. A bar fills at most --max-participation of its volume per symbol: what it leaves of an
 * order works on (or its time in force ends it). Every bar gives exactly one decision event, hold included. Ids derive from
 * content and position (symbol, openTime, intent index), never from arrival order or the wall clock.
 *
 * The strategy sees frozen data and returns intents that are read once (intents.ts): nothing it
 * does after it returns can change what the gate checked or the broker filled.
 */
import { TradeloopError } from '../errors.ts';
import { isOrderType, ORDER_TYPES, type Bar, type Fill, type FillModel, type MarketOrder, type Order, type RestingOrder, type Side } from '../domain/types.ts';
import { formatPrice } from '../domain/price.ts';
import { formatLots, type Instrument } from '../broker/instrument.ts';
import type { PaperBroker, RestingOutcome } from '../broker/paper-broker.ts';
import type { GateRequest, OrderDraft, RiskGate } from '../risk/risk-gate.ts';
import type { TradingControl } from '../risk/trading-control.ts';
import type { LossLimits } from '../risk/loss-limits.ts';
import type { MarketWatch } from '../risk/market-watch.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { CancelReason, HaltSeverity, PriceSource } from '../events/reasons.ts';
import type { SkipEvent } from '../events/types.ts';
import { isHosted, type Strategy } from '../strategy/strategy.ts';
import { EquityCurve } from '../stats/equity-curve.ts';
import { bookFacts, CycleContext, type PositionFacts, strategyErrorMessage } from './cycle-context.ts';
import { NO_INTENTS, readIntents, type IntentRecord } from './intents.ts';
import { OrderUpdates } from './order-updates.ts';
import { waitingMessage } from './waiting-order.ts';
import { cancelEvent, orderEvent } from './order-events.ts';

export type StrategyErrorPolicy = 'throw' | 'halt';

export interface EngineOptions {
  readonly strategy: Strategy;
  readonly broker: PaperBroker;
  readonly gate: RiskGate;
  readonly control: TradingControl;
  /** Daily loss and drawdown; null when neither is set. */
  readonly loss: LossLimits | null;
  /** The limits looked at again every bar (the market can pass them); null in unit tests that do not need it. */
  readonly market?: MarketWatch | null;
  /** The severity a loss-limit halt takes (--on-loss-limit). */
  readonly lossSeverity: HaltSeverity;
  readonly bus: EventBus;
  /** Static runs stop on a throwing strategy; realtime halts trading and keeps the feed. */
  readonly onStrategyError: StrategyErrorPolicy;
  /** Monotonic clock (ms) for in-process latency segments; omitted in static runs. */
  readonly monotonic?: () => number;
  /** next-open: a market order works until its symbol's next bar fills it at the open; close (the engine's unit tests' default): it fills at once at the close. */
  readonly fillModel?: FillModel;
}

/** Monotonic marks of one cycle, for latency telemetry (realtime only). */
export interface CycleTiming {
  readonly start: number;
  readonly modelDone: number;
  readonly brokerDone: number;
}

/** Thrown in static mode when the strategy throws: the run ends with exit 1, naming the strategy. */
export class StrategyRuntimeError extends TradeloopError {
  override name = 'StrategyRuntimeError';
  constructor(message: string) {
    super('TL_STRATEGY_RUNTIME', message);
  }
}

/** The price an operator's flatten fills at, and where it came from. */
export interface FlattenPrice {
  readonly price: number;
  readonly source: PriceSource;
  readonly time: number;
}

export interface FlattenOutcome {
  readonly symbol: string;
  readonly cancelled: number;
  /** Lots closed (signed: what the position was), 0 when flat. */
  readonly closed: string;
  readonly price: string | null;
  readonly refused?: string;
}

/** A resting order the gate refuses at fill time leaves the book for the reason the gate gave. */
function cancelReasonOf(reason: string): CancelReason {
  return reason === 'reduce_only' ? 'reducing' : (reason as CancelReason);
}

export class Engine {
  /** The equity curve, sampled once per slice (drawdown, Sharpe; equity.csv through its listener). */
  readonly stats: EquityCurve;
  /** Times the strategy threw (realtime goes on halted; the summary counts them). */
  strategyErrors = 0;
  /** Bars decided while trading was not ACTIVE, and per halt reason held meanwhile: what the summary's verdict reads. */
  haltedBars = 0;
  reducingBars = 0;
  readonly barsHeldBy = new Map<string, number>();
  private readonly ctx = new CycleContext();
  private readonly facts: PositionFacts;
  private readonly updates = new OrderUpdates();
  private readonly options: EngineOptions;
  private sliceTime: number | null = null;
  /** Each symbol's newest processed bar (openTime): what out-of-cycle cancels and flattens are stamped with. */
  private readonly lastBar = new Map<string, number>();
  private readonly nextOpen: boolean;

  constructor(options: EngineOptions) {
    this.options = options;
    this.nextOpen = options.fillModel === 'next-open';
    this.facts = bookFacts(options.broker);
    this.stats = new EquityCurve(options.broker);
    this.ctx.historySize = Math.max(1, options.strategy.warmup);
    options.bus.observe(this.updates);
  }

  /** The bar time of a symbol's newest processed bar (0 before any). */
  barTime(symbol: string): number {
    return this.lastBar.get(symbol) ?? 0;
  }

  /** The gate's second look at a resting order about to fill; bound once, not built every bar. */
  private readonly admitResting = (order: RestingOrder, price: number) => {
    const { gate, broker } = this.options;
    return gate.recheck(order, price, broker.instrument(order.symbol), broker);
  };

  /** A history-only bar: no event, no decision. */
  warmup(bar: Bar): void {
    Object.freeze(bar);
    this.ctx.window(bar.symbol).push(bar);
    const { strategy } = this.options;
    if (isHosted(strategy)) strategy.warm(bar);
    this.options.broker.mark(bar.symbol, bar.close);
    this.lastBar.set(bar.symbol, bar.openTime);
  }

  skip(event: SkipEvent): void {
    this.options.bus.emit(event);
  }

  /** One cycle. Returns its timing in realtime (a monotonic clock was given), else null. */
  cycle(bar: Bar): CycleTiming | null {
    const { broker, bus, strategy, monotonic, control, loss } = this.options;
    const start = monotonic ? monotonic() : 0;
    // Frozen before anyone sees it, and read into locals: the strategy cannot move the close a market order fills at.
    Object.freeze(bar);
    const { symbol, openTime, close } = bar;
    if (this.sliceTime !== openTime) {
      if (this.sliceTime !== null) this.stats.sample(this.sliceTime);
      this.sliceTime = openTime;
    }
    this.lastBar.set(symbol, openTime);
    bus.emit({
      type: 'bar',
      symbol,
      interval: bar.interval,
      openTime,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close,
      volume: bar.volume,
      source: bar.source,
    });
    if (loss?.beginCycle(openTime, broker.equity())) control.lift('daily_loss', 'auto');
    const inst = broker.instrument(symbol);
    for (const outcome of broker.matchResting(bar, this.admitResting)) this.emitOutcome(outcome, openTime);
    broker.mark(symbol, close);
    const position = broker.position(symbol);
    const equity = this.afterMark(symbol, position);

    const ctx = this.ctx;
    ctx.prepare(bar, inst, position, broker.restingOrders(symbol), broker.cash, equity, this.facts, this.updates.take(symbol));
    let intents: readonly IntentRecord[];
    try {
      intents = readIntents(strategy.onBar(bar, ctx));
    } catch (err) {
      intents = NO_INTENTS;
      this.strategyErrors++;
      const message = strategyErrorMessage(strategy.name, bar, err);
      if (this.options.onStrategyError === 'throw') throw new StrategyRuntimeError(message);
      if (control.raise('strategy_error', 'auto', 'halted', message)) bus.emit({ type: 'alert', kind: 'strategy_error', message, ...this.atNow() });
    }
    const modelDone = monotonic ? monotonic() : 0;

    let net = 0;
    for (const intent of intents) {
      if (intent.kind !== 'order' || !Number.isSafeInteger(intent.qty)) continue;
      const q = intent.qty as number;
      net += intent.side === 'sell' ? -q : intent.side === 'buy' ? q : 0;
    }
    bus.emit({
      type: 'decision',
      symbol,
      openTime,
      action: intents.length === 0 || net === 0 ? 'hold' : net > 0 ? 'buy' : 'sell',
      qty: Math.abs(net),
      intents: intents.length,
      position,
      equity,
    });
    // A bar backfilled after an outage is history by now: what is decided on it is placed now, and waits for a live price.
    const backfilled = bar.source === 'rest-backfill';
    for (let i = 0; i < intents.length; i++) this.submit(intents[i]!, i, bar, inst, backfilled);
    return monotonic ? { start, modelDone, brokerDone: monotonic() } : null;
  }

  /** A fill, an exit a fill armed, or an order cancelled on the book (by the gate at fill time, or by its bracket), as its event. */
  private emitOutcome(outcome: RestingOutcome, openTime: number): void {
    if ('fill' in outcome) this.emitFill(outcome.fill, openTime, undefined, outcome.remaining);
    else if ('placed' in outcome) this.options.bus.emit(orderEvent(outcome.placed));
    else if ('ended' in outcome) this.options.bus.emit(cancelEvent(outcome.ended, openTime, outcome.reason, outcome.detail));
    else {
      const { reason, detail = reason } = outcome.refusal;
      // The bracket's own cancels say why themselves; the gate's say what the fill would have broken.
      const why = reason === 'oco' ? detail : `would fill but: ${detail}`;
      this.options.bus.emit(cancelEvent(outcome.cancelled, openTime, cancelReasonOf(reason), why));
    }
  }

  /** Books a fill now (not on a bar's path) and what it brings on the book (a bracket's exits). */
  private fillNow(order: Order, price: number, openTime: number, priced?: FlattenPrice): Fill {
    const { broker } = this.options;
    const fill = broker.execute(order, price);
    this.emitFill(fill, openTime, priced);
    for (const follow of broker.afterFill(order, fill, openTime)) this.emitOutcome(follow, openTime);
    return fill;
  }

  /** The wall clock for alert `at` fields, through the control's clock (absent in static runs). */
  private atNow(): { at: number } | Record<string, never> {
    const now = this.options.control.now;
    return now ? { at: now() } : {};
  }

  private countHeld(state: 'REDUCING' | 'HALTED'): void {
    if (state === 'HALTED') this.haltedBars++;
    else this.reducingBars++;
    for (const reason of this.options.control.trading.reasons()) this.barsHeldBy.set(reason, (this.barsHeldBy.get(reason) ?? 0) + 1);
  }

  /** Limits the market carried the account past, for the summary (null when it never did). */
  get limitsPassedByMarket(): { count: number; first: string } | null {
    const m = this.options.market;
    return m && m.first !== null ? { count: m.episodes, first: m.first } : null;
  }

  /** Why a run placed no order, as far as the context saw it: lotsFor answering 0 lots for real money. */
  get subLotAsks(): CycleContext['subLot'] {
    return this.ctx.subLot;
  }

  /**
   * After the mark, before the strategy: loss limits, the limits looked at again, the bars held.
   * Returns equity after the mark, read once: no fill comes between here and the strategy's
   * context (a margin halt only cancels). Out of cycle() so that the hot cycle stays small.
   */
  private afterMark(symbol: string, position: number): bigint {
    const { broker, control, loss, market } = this.options;
    if (loss !== null) this.checkLossLimits(loss);
    const equity = broker.equity();
    // A flat symbol changes no exposure: looked at again only while something is held or passed.
    if (market && (position !== 0 || market.watching)) this.checkMarket(market, symbol, equity);
    if (control.state !== 'ACTIVE') this.countHeld(control.state);
    return equity;
  }

  private checkMarket(market: MarketWatch, symbol: string, equity: bigint): void {
    const { broker, bus, control } = this.options;
    const f = market.check(symbol, broker, equity);
    for (const text of f.passed) {
      bus.emit({
        type: 'alert',
        kind: 'limit_breach',
        message: `${text}: no new order may grow it; reduce it (tradeloop flatten --symbols ${symbol})`,
        ...this.atNow(),
      });
    }
    if (f.margin === 'breached') control.raise('margin', 'auto', 'reducing', f.marginDetail);
    else if (f.margin === 'recovered') control.lift('margin', 'auto');
  }

  private checkLossLimits(loss: LossLimits): void {
    const { control, broker, bus, lossSeverity } = this.options;
    for (const breach of loss.breaches(broker.equity())) {
      if (control.trading.has(breach.reason)) continue;
      if (control.raise(breach.reason, 'auto', lossSeverity, breach.detail)) {
        bus.emit({
          type: 'alert',
          kind: 'loss_limit',
          message: `${breach.reason}: ${breach.detail}. ${breach.reason === 'drawdown' ? 'Latched until tradeloop resume --halt drawdown' : 'Lifts at the next trading day'}`,
          ...this.atNow(),
        });
      }
    }
  }

  private submit(intent: IntentRecord, index: number, bar: Bar, inst: Instrument, backfilled: boolean): void {
    const { broker, bus } = this.options;
    const { symbol, openTime } = bar;
    if (intent.kind === 'cancel') {
      const cancelled = broker.cancel(symbol, intent.orderId);
      if (cancelled) {
        bus.emit(cancelEvent(cancelled, openTime, 'strategy', 'cancelled by the strategy'));
        for (const follow of broker.afterCancel(cancelled)) this.emitOutcome(follow, openTime);
      } else
        bus.emit({
          type: 'reject',
          symbol,
          openTime,
          reason: 'invalid_order',
          orderId: intent.orderId,
          side: 'buy',
          qty: 0,
          detail: `cancel: no resting ${symbol} order ${JSON.stringify(intent.orderId.slice(0, 80))}`,
        });
      return;
    }
    this.place(intent, `${symbol}-${openTime}-${index}`, bar, inst, backfilled);
  }

  private place(intent: Extract<IntentRecord, { kind: 'order' }>, orderId: string, bar: Bar, inst: Instrument, backfilled: boolean): void {
    const { broker, bus, gate } = this.options;
    const { symbol, openTime, close } = bar;
    const { side, orderType, qty, limitPrice, stopPrice, trailBps, takeProfit, stopLoss, timeInForce, expireAfterBars, postOnly, reduceOnly } = intent;
    // An invalid quantity is logged as given (in lots), not as a made-up zero; what is no number at all, as 0.
    const givenQty = typeof qty === 'number' && Number.isFinite(qty) ? qty : 0;
    if ((side !== 'buy' && side !== 'sell') || !isOrderType(orderType)) {
      bus.emit({
        type: 'reject',
        symbol,
        openTime,
        reason: 'invalid_order',
        orderId,
        side: side === 'sell' ? 'sell' : 'buy',
        qty: givenQty,
        detail: `side must be buy or sell and orderType ${ORDER_TYPES.join(' or ')}, got ${JSON.stringify(String(side).slice(0, 20))}/${JSON.stringify(String(orderType).slice(0, 20))}`,
      });
      return;
    }
    const draft: OrderDraft = {
      orderId,
      symbol,
      side,
      orderType,
      qty,
      limitPrice,
      stopPrice,
      trailBps,
      takeProfit,
      stopLoss,
      timeInForce,
      expireAfterBars,
      postOnly,
      reduceOnly,
      createdAt: openTime,
    };
    const admission = gate.admit(
      { draft, marketPrice: broker.marketPrice(side, close), inst, sentBy: 'strategy', ...(backfilled ? { waitsForLive: true } : {}) },
      broker,
    );
    if (admission.refusal) {
      bus.emit({ type: 'reject', symbol, openTime, reason: admission.refusal.reason, orderId, side, qty: givenQty, detail: admission.refusal.detail });
      return;
    }
    gate.accepted(admission.req);
    this.book(admission.req, bar);
  }

  /**
   * An admitted order: a market order works until its symbol's next bar (next-open: matched with
   * the resting orders, at that bar's open, before the strategy sees it) or fills now at its
   * expected price, as much as the bar's participation cap leaves (close; the rest works from the
   * next open); any other type goes on the book. One decided on a backfilled bar rests whatever its
   * type and the fill model, flagged to wait for its symbol's first live bar (the broker matches it
   * from there), and the operator is told.
   */
  private book(req: GateRequest, bar: Bar): void {
    const { broker, bus } = this.options;
    const waits = req.waitsForLive === true;
    const order = waits ? { ...req.order, waitsForLive: true as const } : req.order;
    bus.emit(orderEvent(order));
    if (order.orderType !== 'market') broker.rest(Object.freeze(order));
    else if (this.nextOpen || waits) broker.rest(Object.freeze({ ...order, refPrice: req.refPrice }));
    else for (const outcome of broker.fillAtClose(order, req.refPrice, bar)) this.emitOutcome(outcome, order.createdAt);
    if (waits) this.sayWaiting(order, req.inst);
  }

  /** The operator's line (an alert) for an order that waits for a live price, naming the position it leaves as it is. */
  private sayWaiting(order: GateRequest['order'], inst: Instrument): void {
    const message = waitingMessage(order, this.options.broker.position(order.symbol), inst);
    this.options.bus.emit({ type: 'alert', kind: 'stale_price', message, ...this.atNow() });
  }

  private emitFill(fill: Fill, openTime: number, priced?: FlattenPrice, remaining = 0): void {
    this.options.bus.emit({
      type: 'fill',
      orderId: fill.orderId,
      symbol: fill.symbol,
      openTime,
      side: fill.side,
      qty: fill.qty,
      price: fill.price,
      fee: fill.fee,
      liquidity: fill.liquidity,
      realizedPnl: fill.realized,
      cash: fill.cashAfter,
      position: fill.positionAfter,
      // Written only for a partial fill: a complete fill's line is what it always was.
      ...(remaining > 0 ? { remaining } : {}),
      ...(priced ? { priceSource: priced.source, priceTime: priced.time } : {}),
    });
  }

  /**
   * An operator's flatten, between cycles: each named symbol's resting orders are cancelled, then
   * its position is closed by a market order through the reduce-only path, which HALTED does not
   * block. `op` numbers the operator's commands, so the order ids stay unique and deterministic.
   */
  flatten(symbols: readonly string[], op: number, priceOf: (symbol: string) => FlattenPrice | null): FlattenOutcome[] {
    const { broker, bus, gate } = this.options;
    const out: FlattenOutcome[] = [];
    for (const symbol of symbols) {
      const inst = broker.instrument(symbol);
      const openTime = this.barTime(symbol);
      let cancelled = 0;
      for (const order of broker.restingOrders(symbol)) {
        broker.cancel(symbol, order.orderId);
        bus.emit(cancelEvent(order, openTime, 'operator', 'flatten by an operator'));
        cancelled++;
      }
      const pos = broker.position(symbol);
      if (pos === 0) {
        out.push({ symbol, cancelled, closed: '0', price: null });
        continue;
      }
      const priced = priceOf(symbol);
      if (priced === null) {
        out.push({ symbol, cancelled, closed: '0', price: null, refused: `no price seen for ${symbol} yet` });
        continue;
      }
      const side: Side = pos > 0 ? 'sell' : 'buy';
      const qty = Math.abs(pos);
      const orderId = `${symbol}-${openTime}-op${op}`;
      const order: MarketOrder = { orderId, symbol, side, orderType: 'market', qty, createdAt: openTime };
      const admission = gate.admit({ draft: order, marketPrice: broker.marketPrice(side, priced.price), inst, sentBy: 'operator' }, broker);
      if (admission.refusal) {
        const { refusal } = admission;
        bus.emit({ type: 'reject', symbol, openTime, reason: refusal.reason, orderId, side, qty, detail: `flatten: ${refusal.detail}` });
        out.push({ symbol, cancelled, closed: '0', price: null, refused: refusal.detail });
        continue;
      }
      bus.emit(orderEvent(admission.req.order, 'operator'));
      const fill = this.fillNow(admission.req.order, admission.req.refPrice, openTime, priced);
      out.push({ symbol, cancelled, closed: formatLots(pos, inst), price: formatPrice(fill.price) });
    }
    return out;
  }

  /** Takes the last equity sample; call once when the bars end. */
  finish(): void {
    if (this.sliceTime !== null) this.stats.sample(this.sliceTime);
    this.sliceTime = null;
  }
}
