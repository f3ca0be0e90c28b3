/**
 * What a static and a realtime run build the same way: the paper broker, the one gate and the
 * engine from the options, the run_start event, and the FLAG_TRADING_HALTED halt.
 */
import { PaperBroker } from '../broker/paper-broker.ts';
import { Engine, type StrategyErrorPolicy } from '../engine/engine.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { InputFile, RunStartEvent } from '../events/types.ts';
import { formatMoney } from '../domain/price.ts';
import { HaltSet } from '../risk/halt-set.ts';
import { RiskGate } from '../risk/risk-gate.ts';
import type { Strategy } from '../strategy/strategy.ts';
import type { Flags } from '../config/flags.ts';
import type { RunOptions } from './run-options.ts';

export interface LoopParts {
  readonly broker: PaperBroker;
  readonly gate: RiskGate;
  readonly engine: Engine;
}

export function lotSizesOf(opts: RunOptions): Record<string, string> {
  const lotSizes: Record<string, string> = {};
  for (const s of opts.symbols) lotSizes[s] = opts.instruments.get(s)!.lotStep;
  return lotSizes;
}

export function buildLoop(opts: RunOptions, strategy: Strategy, bus: EventBus, onStrategyError: StrategyErrorPolicy, monotonic?: () => number): LoopParts {
  const broker = new PaperBroker({ cash: opts.cash, feeBpsE4: opts.feeBpsE4, slippageBpsE4: opts.slippageBpsE4, instruments: opts.instruments });
  const gate = new RiskGate({ maxPositionNotional: opts.maxPositionNotional, maxGrossExposure: opts.maxGrossExposure }, new HaltSet());
  const engine = new Engine({ strategy, broker, gate, bus, onStrategyError, ...(monotonic ? { monotonic } : {}) });
  return { broker, gate, engine };
}

export function runStartEvent(opts: RunOptions, runId: string, strategy: Strategy, inputs: readonly InputFile[]): RunStartEvent {
  const realtime = opts.source === 'realtime';
  return {
    type: 'run_start', runId, mode: realtime ? 'realtime' : 'static', source: realtime ? 'realtime' : 'csv', symbols: opts.symbols,
    interval: opts.interval, strategy: strategy.name, params: opts.params, cash: formatMoney(opts.cash), feeBps: opts.feeBps,
    slippageBps: opts.slippageBps, maxPositionNotional: formatMoney(opts.maxPositionNotional), maxGrossExposure: formatMoney(opts.maxGrossExposure),
    lotSizes: lotSizesOf(opts), inputs, warmup: strategy.warmup,
  };
}

/** The kill switch from the environment: held by source 'flag', so nothing in the run lifts it. */
export function raiseFlagHalt(engine: Engine, flags: Flags, at?: number): void {
  if (flags.tradingHalted) engine.raiseHalt('flag', 'flag', 'FLAG_TRADING_HALTED is on: every new order is rejected', at);
}
