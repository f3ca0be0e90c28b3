/**
 * What a static and a realtime session build the same way: the paper broker, the trading state and
 * its control, the one gate, the loss limits and the engine from the options; the run_start event;
 * and the FLAG_TRADING_HALTED halt.
 */
import { PaperBroker } from '../broker/paper-broker.ts';
import { Engine, type StrategyErrorPolicy } from '../engine/engine.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { InputFile, RunStartEvent } from '../events/types.ts';
import { formatMoney } from '../domain/price.ts';
import { nominalIntervalMs } from '../domain/interval.ts';
import { ZoneOffsets } from '../domain/time.ts';
import { LossLimits } from '../risk/loss-limits.ts';
import { MarketWatch } from '../risk/market-watch.ts';
import { RiskGate } from '../risk/risk-gate.ts';
import { TradingControl } from '../risk/trading-control.ts';
import type { HaltChange } from '../risk/trading-state.ts';
import { TradingState } from '../risk/trading-state.ts';
import type { Strategy } from '../strategy/strategy.ts';
import type { Flags } from '../config/flags.ts';
import type { LoopConfig } from './loop-config.ts';
import { bpsNumber, feesInBps, singleRate } from '../broker/fees.ts';

export interface LoopParts {
  readonly broker: PaperBroker;
  readonly trading: TradingState;
  readonly control: TradingControl;
  readonly gate: RiskGate;
  readonly loss: LossLimits | null;
  readonly engine: Engine;
  readonly bus: EventBus;
}

export interface LoopWiring {
  readonly onStrategyError: StrategyErrorPolicy;
  /** Wall clock (realtime): `at` fields and halts' `since`. Static runs pass none. */
  readonly now?: () => number;
  readonly monotonic?: () => number;
  /** The newest closed bar the feed delivered per symbol (realtime), for the stale_bar check. */
  readonly newestClosed?: (symbol: string) => number | undefined;
  /** Told after every halt change (the session persists what must survive a restart). */
  readonly onHaltChange?: (change: HaltChange, kind: 'raise' | 'lift') => void;
}

export function lotSizesOf(opts: LoopConfig): Record<string, string> {
  const lotSizes: Record<string, string> = {};
  for (const s of opts.symbols) lotSizes[s] = opts.instruments.get(s)!.lotStep;
  return lotSizes;
}

export function buildLoop(opts: LoopConfig, strategy: Strategy, bus: EventBus, wiring: LoopWiring): LoopParts {
  const broker = new PaperBroker({
    cash: opts.cash,
    fees: opts.fees,
    slippageBpsE4: opts.slippageBpsE4,
    instruments: opts.instruments,
    maxParticipationE8: opts.maxParticipationE8,
  });
  const trading = new TradingState();
  let engine: Engine | null = null;
  const control = new TradingControl({
    trading,
    bus,
    book: broker,
    barTime: (s) => engine?.barTime(s) ?? 0,
    ...(wiring.now ? { now: wiring.now } : {}),
    ...(wiring.onHaltChange ? { onChange: wiring.onHaltChange } : {}),
  });
  const gate = new RiskGate({
    limits: {
      maxPositionNotional: opts.maxPositionNotional,
      maxGrossExposure: opts.maxGrossExposure,
      maxOrdersPerMinute: opts.maxOrdersPerMinute,
      priceBandPctE4: opts.priceBandPctE4,
      maxBarAge: opts.maxBarAge,
    },
    trading,
    intervalMs: nominalIntervalMs(opts.interval),
    ...(wiring.newestClosed ? { newestClosed: wiring.newestClosed } : {}),
  });
  const loss =
    opts.maxDailyLoss === null && opts.maxDrawdownPctE4 === null
      ? null
      : new LossLimits(
          {
            maxDailyLoss: opts.maxDailyLoss,
            maxDrawdownPctE4: opts.maxDrawdownPctE4,
            zone: opts.tz !== null && opts.tz !== 'UTC' ? new ZoneOffsets(opts.tz) : null,
          },
          broker.equity(),
        );
  const market = new MarketWatch({
    maxPositionNotional: opts.maxPositionNotional,
    maxGrossExposure: opts.maxGrossExposure,
    marginFloorPctE4: opts.marginFloorPctE4,
  });
  engine = new Engine({
    strategy,
    broker,
    gate,
    control,
    loss,
    market,
    lossSeverity: opts.onLossLimit,
    bus,
    onStrategyError: wiring.onStrategyError,
    fillModel: opts.fillModel,
    ...(wiring.monotonic ? { monotonic: wiring.monotonic } : {}),
  });
  return { broker, trading, control, gate, loss, engine, bus };
}

/** The optional limits that are set, for run_start (absent when none is, so older logs read the same). */
function limitsOf(opts: LoopConfig): Record<string, string | number> | null {
  const l: Record<string, string | number> = {};
  if (opts.maxOrdersPerMinute !== null) l.maxOrdersPerMinute = opts.maxOrdersPerMinute;
  if (opts.priceBandPctE4 !== null) l.priceBandPct = Number(opts.priceBandPctE4) / 10_000;
  if (opts.maxDailyLoss !== null) l.maxDailyLoss = formatMoney(opts.maxDailyLoss);
  if (opts.maxDrawdownPctE4 !== null) l.maxDrawdownPct = Number(opts.maxDrawdownPctE4) / 10_000;
  if (Object.keys(l).length > 0 && (opts.maxDailyLoss !== null || opts.maxDrawdownPctE4 !== null)) l.onLossLimit = opts.onLossLimit;
  if (opts.source === 'realtime') l.maxBarAge = opts.maxBarAge;
  // The default floor is said in the README; run_start names it only when it was changed.
  if (opts.marginFloorPctE4 !== 250_000n) l.marginFloorPct = opts.marginFloorPctE4 === null ? 0 : Number(opts.marginFloorPctE4) / 10_000;
  return Object.keys(l).length > 0 ? l : null;
}

export function runStartEvent(
  opts: LoopConfig,
  runId: string,
  strategy: Strategy,
  inputs: readonly InputFile[],
  restored: RunStartEvent['restoredHalts'] = [],
): RunStartEvent {
  const realtime = opts.source === 'realtime';
  const limits = limitsOf(opts);
  const single = singleRate(opts.fees, opts.symbols);
  return {
    type: 'run_start',
    runId,
    mode: realtime ? 'realtime' : 'static',
    source: !realtime ? 'csv' : opts.feed === 'nats' ? 'nats' : 'realtime',
    ...(realtime && opts.feed === 'nats' && opts.stream !== undefined ? { stream: opts.stream } : {}),
    symbols: opts.symbols,
    interval: opts.interval,
    strategy: strategy.name,
    params: opts.params,
    cash: formatMoney(opts.cash),
    ...(single === null ? {} : { feeBps: bpsNumber(single) }),
    fees: feesInBps(opts.fees, opts.symbols),
    slippageBps: opts.slippageBps,
    ...(opts.fillModel === 'next-open' ? { fillModel: 'next-open' as const } : {}),
    maxParticipation: opts.maxParticipation,
    maxPositionNotional: formatMoney(opts.maxPositionNotional),
    maxGrossExposure: formatMoney(opts.maxGrossExposure),
    lotSizes: lotSizesOf(opts),
    inputs,
    warmup: strategy.warmup,
    ...(limits ? { limits } : {}),
    ...(restored && restored.length > 0 ? { restoredHalts: restored } : {}),
    ...(opts.events === 'trading' ? { events: 'trading' as const } : {}),
  };
}

/** The kill switch from the environment: held by source 'flag', so nothing in the run lifts it. */
export function raiseFlagHalt(control: TradingControl, flags: Flags): void {
  if (flags.tradingHalted) control.raise('flag', 'flag', 'halted', 'FLAG_TRADING_HALTED is on: every new order is rejected (restart without it to trade)');
}
