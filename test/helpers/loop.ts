/**
 * The loop's parts wired by hand for unit tests of the engine, the gate and the trading state: a
 * recording sink, the paper broker, trading state and control, the gate and the engine.
 */
import { EventBus, type EventSink } from '../../src/events/event-bus.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { PaperBroker } from '../../src/broker/paper-broker.ts';
import { makeInstrument, type Instrument } from '../../src/broker/instrument.ts';
import { oneFeeRate, type FeeSchedule } from '../../src/broker/fees.ts';
import { RiskGate, type RiskLimits } from '../../src/risk/risk-gate.ts';
import { TradingControl } from '../../src/risk/trading-control.ts';
import { TradingState } from '../../src/risk/trading-state.ts';
import { LossLimits, type LossLimitOptions } from '../../src/risk/loss-limits.ts';
import { Engine, type StrategyErrorPolicy } from '../../src/engine/engine.ts';
import type { HaltSeverity } from '../../src/events/reasons.ts';
import type { Bar, BarOrigin, FillModel } from '../../src/domain/types.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';

export const T = 100_000_000;
export const U = 100_000_000n;

export class Recorder implements EventSink {
  events: TradeEvent[] = [];
  cycles = 0;
  write(_s: number, e: TradeEvent): void {
    this.events.push(e);
  }
  endCycle(): void {
    this.cycles++;
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
  of<K extends TradeEvent['type']>(type: K): Array<Extract<TradeEvent, { type: K }>> {
    return this.events.filter((e) => e.type === type) as Array<Extract<TradeEvent, { type: K }>>;
  }
}

export interface LoopSetup {
  readonly cash?: bigint;
  readonly limits?: Partial<RiskLimits>;
  readonly symbols?: readonly string[];
  readonly lots?: Readonly<Record<string, string>>;
  readonly policy?: StrategyErrorPolicy;
  readonly loss?: Partial<LossLimitOptions>;
  readonly lossSeverity?: HaltSeverity;
  readonly newestClosed?: (symbol: string) => number | undefined;
  /** One fee rate, maker and taker, for every symbol (default 0). */
  readonly feeBpsE4?: bigint;
  /** Per-symbol maker and taker rates (over feeBpsE4). */
  readonly fees?: FeeSchedule;
  readonly slippageBpsE4?: bigint;
  /** More sinks on the bus, after the recorder. */
  readonly sinks?: readonly EventSink[];
  /** A monotonic clock: the engine then times its cycles, as in realtime. */
  readonly monotonic?: () => number;
  /** Default close (the engine's own default): these unit tests predate next-open fills. */
  readonly fillModel?: FillModel;
  /** --max-participation in 1e-8 units; default none (no cap): these unit tests' bars have a volume of 1. */
  readonly maxParticipationE8?: bigint;
}

export function makeLoop(strategy: Strategy, o: LoopSetup = {}) {
  const rec = new Recorder();
  const bus = new EventBus([rec, ...(o.sinks ?? [])]);
  const symbols = o.symbols ?? ['SPY'];
  const instruments = new Map<string, Instrument>(symbols.map((s) => [s, makeInstrument(s, o.lots?.[s] ?? '1')!]));
  const broker = new PaperBroker({
    cash: o.cash ?? 10_000n * U,
    fees: o.fees ?? oneFeeRate(symbols, o.feeBpsE4 ?? 0n),
    slippageBpsE4: o.slippageBpsE4 ?? 0n,
    instruments,
    ...(o.maxParticipationE8 === undefined ? {} : { maxParticipationE8: o.maxParticipationE8 }),
  });
  const trading = new TradingState();
  let engine: Engine | null = null;
  const control = new TradingControl({ trading, bus, book: broker, barTime: (s) => engine?.barTime(s) ?? 0 });
  const gate = new RiskGate({
    limits: { maxPositionNotional: 5_000n * U, maxGrossExposure: 10_000n * U, maxOrdersPerMinute: null, priceBandPctE4: null, maxBarAge: 2, ...o.limits },
    trading,
    intervalMs: 60_000,
    ...(o.newestClosed ? { newestClosed: o.newestClosed } : {}),
  });
  const loss = o.loss ? new LossLimits({ maxDailyLoss: null, maxDrawdownPctE4: null, zone: null, ...o.loss }, broker.equity()) : null;
  engine = new Engine({
    strategy,
    broker,
    gate,
    control,
    loss,
    lossSeverity: o.lossSeverity ?? 'reducing',
    bus,
    onStrategyError: o.policy ?? 'throw',
    ...(o.monotonic ? { monotonic: o.monotonic } : {}),
    ...(o.fillModel ? { fillModel: o.fillModel } : {}),
  });
  return { rec, bus, broker, trading, control, gate, engine, loss };
}

export function bar(i: number, close: number, low = close - 1, symbol = 'SPY', high = close + 1): Bar {
  return {
    symbol,
    interval: '1m',
    openTime: i * 60_000,
    closeTime: i * 60_000 + 59_999,
    open: close * T,
    high: high * T,
    low: low * T,
    close: close * T,
    volume: 1,
    source: 'csv',
  };
}

/**
 * A minute bar from prices in quote units (rounded to whole ticks): the hand-checked fixtures'
 * bars, SPY with a volume of 1 unless said otherwise.
 */
export function ohlcBar(
  i: number,
  open: number,
  high: number,
  low: number,
  close: number,
  o: { readonly symbol?: string; readonly volume?: number; readonly source?: BarOrigin } = {},
): Bar {
  return {
    symbol: o.symbol ?? 'SPY',
    interval: '1m',
    openTime: i * 60_000,
    closeTime: i * 60_000 + 59_999,
    open: Math.round(open * T),
    high: Math.round(high * T),
    low: Math.round(low * T),
    close: Math.round(close * T),
    volume: o.volume ?? 1,
    source: o.source ?? 'csv',
  };
}

export const scripted = (plan: Record<number, unknown[]>): Strategy => ({ name: 'scripted', warmup: 0, onBar: (b) => (plan[b.openTime / 60_000] ?? []) as [] });
