/**
 * The trading loop's cycle, the same in every mode. For each accepted closed bar, in this order:
 * resting limit orders are matched against the bar, equity is marked, the strategy sees the bar,
 * each intent passes the one risk/halt gate, market orders fill at the close moved by slippage.
 * Every bar gives exactly one decision event, hold included. Ids derive from content and
 * position (symbol, openTime, intent index), never from arrival order or the wall clock.
 */
import type { Bar, CancelIntent, Fill, Intent, Order, OrderIntent } from '../domain/types.ts';
import { formatMoney, formatPrice, parsePrice } from '../domain/price.ts';
import { formatLots, type Instrument } from '../broker/instrument.ts';
import type { PaperBroker } from '../broker/paper-broker.ts';
import type { RiskGate } from '../risk/risk-gate.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { HaltReason, HaltSource, SkipEvent } from '../events/types.ts';
import { BarWindow } from '../strategy/bar-window.ts';
import type { Strategy, StrategyContext } from '../strategy/strategy.ts';
import { RunStats } from './run-stats.ts';

export type StrategyErrorPolicy = 'throw' | 'halt';

export interface EngineOptions {
  readonly strategy: Strategy;
  readonly broker: PaperBroker;
  readonly gate: RiskGate;
  readonly bus: EventBus;
  /** Static runs stop on a throwing strategy; realtime halts trading and keeps the feed. */
  readonly onStrategyError: StrategyErrorPolicy;
  /** Monotonic clock (ms) for in-process latency segments; omitted in static runs. */
  readonly monotonic?: () => number;
}

/** Monotonic marks of the last cycle, for latency telemetry. */
export interface CycleTiming {
  start: number;
  modelDone: number;
  brokerDone: number;
}

/** Thrown in static mode when the strategy throws: the run ends with exit 1, naming the strategy. */
export class StrategyRuntimeError extends Error {
  override readonly name = 'StrategyRuntimeError';
}

const NO_INTENTS: readonly Intent[] = [];

function isCancel(intent: Intent): intent is CancelIntent {
  return typeof (intent as { cancel?: unknown })?.cancel === 'string';
}

class CycleContext implements StrategyContext {
  history!: BarWindow;
  position = 0;
  openOrders: readonly Order[] = [];
  cash = 0n;
  equity = 0n;
  lotStep = '1';
  inst!: Instrument;

  lotsFor(money: bigint, price: number): number {
    if (price <= 0 || money <= 0n) return 0;
    const lots = (money * this.inst.lotDiv) / BigInt(price);
    return lots > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(lots);
  }

  price(text: string): number {
    return parsePrice(text);
  }
}

export class Engine {
  readonly stats: RunStats;
  readonly timing: CycleTiming = { start: 0, modelDone: 0, brokerDone: 0 };
  private readonly windows = new Map<string, BarWindow>();
  private readonly ctx = new CycleContext();
  private readonly options: EngineOptions;
  private sliceTime: number | null = null;
  private readonly historySize: number;

  constructor(options: EngineOptions) {
    this.options = options;
    this.stats = new RunStats(options.broker.equity());
    this.historySize = Math.max(1, options.strategy.warmup);
  }

  private window(symbol: string): BarWindow {
    let w = this.windows.get(symbol);
    if (!w) {
      w = new BarWindow(this.historySize);
      this.windows.set(symbol, w);
    }
    return w;
  }

  /** The gate's second look at a resting limit about to fill; bound once, not built every bar. */
  private readonly admitResting = (order: Order, price: number) => {
    const { gate, broker } = this.options;
    return gate.check({ symbol: order.symbol, side: order.side, orderType: 'limit', qty: order.qty, limitPrice: order.limitPrice, refPrice: price }, broker, broker.instrument(order.symbol), true);
  };

  /** A history-only bar: no event, no decision. */
  warmup(bar: Bar): void {
    this.window(bar.symbol).push(bar);
    this.options.broker.mark(bar.symbol, bar.close);
  }

  skip(event: SkipEvent): void {
    this.options.bus.emit(event);
  }

  /** Raises a halt; emits the halt event only when it is new. */
  raiseHalt(reason: HaltReason, source: HaltSource, detail: string, at?: number): boolean {
    if (!this.options.gate.halts.raise(reason, source, detail)) return false;
    this.options.bus.emit(at === undefined ? { type: 'halt', reason, source, detail } : { type: 'halt', reason, source, detail, at });
    return true;
  }

  /** Lifts a halt if `source` raised it; emits the resume event only when something was lifted. */
  liftHalt(reason: HaltReason, source: HaltSource, at?: number): boolean {
    if (!this.options.gate.halts.lift(reason, source)) return false;
    this.options.bus.emit(at === undefined ? { type: 'resume', reason, source } : { type: 'resume', reason, source, at });
    return true;
  }

  cycle(bar: Bar): void {
    const { broker, bus, strategy, monotonic } = this.options;
    const t = this.timing;
    if (monotonic) t.start = monotonic();
    if (this.sliceTime !== bar.openTime) {
      if (this.sliceTime !== null) this.stats.sample(broker.equity(), this.sliceTime);
      this.sliceTime = bar.openTime;
    }
    bus.emit({
      type: 'bar', symbol: bar.symbol, interval: bar.interval, openTime: bar.openTime,
      open: bar.open, high: bar.high, low: bar.low, close: bar.close,
      volume: bar.volume, source: bar.source,
    });
    const inst = broker.instrument(bar.symbol);
    for (const outcome of broker.matchResting(bar, this.admitResting)) {
      if ('fill' in outcome) this.emitFill(outcome.fill, bar.openTime, inst);
      else {
        bus.emit({
          type: 'cancel', orderId: outcome.cancelled.orderId, symbol: bar.symbol, openTime: bar.openTime,
          reason: outcome.refusal.reason as 'insufficient_cash', detail: `would fill but: ${outcome.refusal.detail ?? outcome.refusal.reason}`,
        });
      }
    }
    broker.mark(bar.symbol, bar.close);
    const history = this.window(bar.symbol);
    history.push(bar);

    const ctx = this.ctx;
    ctx.history = history;
    ctx.inst = inst;
    ctx.lotStep = inst.lotStep;
    ctx.position = broker.position(bar.symbol);
    ctx.openOrders = broker.restingOrders(bar.symbol);
    ctx.cash = broker.cash;
    ctx.equity = broker.equity();
    let intents: readonly Intent[];
    try {
      intents = strategy.onBar(bar, ctx) ?? NO_INTENTS;
      if (!Array.isArray(intents)) {
        throw new TypeError(typeof (intents as { then?: unknown }).then === 'function'
          ? 'onBar must be synchronous: it returned a Promise (decisions cannot wait)'
          : `onBar must return an array of intents, got ${typeof intents}`);
      }
    } catch (err) {
      intents = NO_INTENTS;
      const where = /\((?:file:\/\/)?([^()]+:\d+:\d+)\)/.exec((err as Error)?.stack?.split('\n')[1] ?? '')?.[1];
      const message = `strategy ${strategy.name} threw on ${bar.symbol} bar ${new Date(bar.openTime).toISOString()}: ${(err as Error)?.message ?? String(err)}${where ? ` (at ${where})` : ''}`;
      if (this.options.onStrategyError === 'throw') throw new StrategyRuntimeError(message);
      if (this.raiseHalt('strategy_error', 'auto', message)) bus.emit({ type: 'alert', kind: 'strategy_error', message });
    }
    if (monotonic) t.modelDone = monotonic();

    let net = 0;
    for (const intent of intents) {
      if (isCancel(intent)) continue;
      const q = Number.isSafeInteger(intent?.qty) ? intent.qty : 0;
      net += intent?.side === 'sell' ? -q : intent?.side === 'buy' ? q : 0;
    }
    bus.emit({
      type: 'decision', symbol: bar.symbol, openTime: bar.openTime,
      action: intents.length === 0 || net === 0 ? 'hold' : net > 0 ? 'buy' : 'sell',
      qty: formatLots(Math.abs(net), inst), intents: intents.length,
      position: ctx.position === 0 ? '0' : formatLots(ctx.position, inst), equity: ctx.equity,
    });
    for (let i = 0; i < intents.length; i++) this.submit(intents[i]!, i, bar, inst);
    if (monotonic) t.brokerDone = monotonic();
  }

  private submit(intent: Intent, index: number, bar: Bar, inst: Instrument): void {
    const { broker, bus } = this.options;
    if (isCancel(intent)) {
      const cancelled = broker.cancel(bar.symbol, intent.cancel);
      if (cancelled) bus.emit({ type: 'cancel', orderId: cancelled.orderId, symbol: bar.symbol, openTime: bar.openTime, reason: 'strategy', detail: 'cancelled by the strategy' });
      else bus.emit({ type: 'reject', symbol: bar.symbol, openTime: bar.openTime, reason: 'invalid_order', orderId: intent.cancel, side: 'buy', qty: '0', detail: `cancel: no resting ${bar.symbol} order ${JSON.stringify(intent.cancel)}` });
      return;
    }
    this.place(intent, index, bar, inst);
  }

  private place(intent: OrderIntent, index: number, bar: Bar, inst: Instrument): void {
    const { broker, bus, gate } = this.options;
    const orderId = `${bar.symbol}-${bar.openTime}-${index}`;
    const side = intent?.side;
    const orderType = intent?.orderType ?? 'market';
    // An invalid quantity is logged as given (in lots), not as a made-up zero.
    const qtyText = Number.isSafeInteger(intent?.qty) ? formatLots(intent.qty, inst) : Number.isFinite(intent?.qty) ? String(intent.qty) : '0';
    if ((side !== 'buy' && side !== 'sell') || (orderType !== 'market' && orderType !== 'limit')) {
      bus.emit({
        type: 'reject', symbol: bar.symbol, openTime: bar.openTime, reason: 'invalid_order', orderId, side: side === 'sell' ? 'sell' : 'buy',
        qty: qtyText, detail: `side must be buy or sell and orderType market or limit, got ${JSON.stringify(side)}/${JSON.stringify(orderType)}`,
      });
      return;
    }
    const refPrice = orderType === 'market' ? broker.marketPrice(side, bar.close) : (intent.limitPrice ?? 0);
    const refusal = gate.check({ symbol: bar.symbol, side, orderType, qty: intent.qty, limitPrice: intent.limitPrice, refPrice }, broker, inst);
    if (refusal) {
      bus.emit({ type: 'reject', symbol: bar.symbol, openTime: bar.openTime, reason: refusal.reason, orderId, side, qty: qtyText, detail: refusal.detail });
      return;
    }
    const order: Order = orderType === 'limit'
      ? { orderId, symbol: bar.symbol, side, orderType, qty: intent.qty, limitPrice: intent.limitPrice!, createdAt: bar.openTime }
      : { orderId, symbol: bar.symbol, side, orderType, qty: intent.qty, createdAt: bar.openTime };
    bus.emit(orderType === 'limit'
      ? { type: 'order', orderId, symbol: bar.symbol, openTime: bar.openTime, side, orderType, qty: qtyText, limitPrice: formatPrice(intent.limitPrice!) }
      : { type: 'order', orderId, symbol: bar.symbol, openTime: bar.openTime, side, orderType, qty: qtyText });
    if (orderType === 'limit') broker.rest(order);
    else this.emitFill(broker.execute(order, refPrice), bar.openTime, inst);
  }

  private emitFill(fill: Fill, openTime: number, inst: Instrument): void {
    const { broker, bus } = this.options;
    bus.emit({
      type: 'fill', orderId: fill.orderId, symbol: fill.symbol, openTime, side: fill.side, qty: formatLots(fill.qty, inst),
      price: formatPrice(fill.price), fee: formatMoney(fill.fee), realizedPnl: formatMoney(fill.realized),
      cash: formatMoney(fill.cashAfter), position: formatLots(fill.positionAfter, inst),
    });
  }

  /** Takes the last equity sample; call once when the bars end. */
  finish(): void {
    if (this.sliceTime !== null) this.stats.sample(this.options.broker.equity(), this.sliceTime);
    this.sliceTime = null;
  }
}
