/** The run's summary (summary.json): built from the engine's state and the event counts. */
import { formatMoney } from '../domain/price.ts';
import { formatLots } from '../broker/instrument.ts';
import type { PaperBroker } from '../broker/paper-broker.ts';
import type { EventCounter } from '../sinks/event-counter.ts';
import type { RunCosts, RunSummary } from '../events/types.ts';
import { feeGroups, type FeeSchedule } from '../broker/fees.ts';
import type { FillModel } from '../domain/types.ts';
import type { Engine } from '../engine/engine.ts';
import { round } from '../stats/round.ts';
import type { TradingControl } from '../risk/trading-control.ts';
import { explain, verdictOf } from '../session/summary-explained.ts';
import type { WebhookStats } from '../sinks/webhook-alerts.ts';
import type { StatsSummary } from '../stats/stats-summary.ts';

export interface SummaryInput {
  readonly runId: string;
  readonly fillModel: FillModel;
  /** The fees and slippage in force, said on the summary's first lines. */
  readonly costs: RunCosts;
  /** --max-participation, said on the summary's first lines with the fill model. */
  readonly maxParticipation: number;
  readonly symbols: readonly string[];
  readonly broker: PaperBroker;
  readonly engine: Engine;
  readonly counter: EventCounter;
  readonly barsBySymbol: Readonly<Record<string, number>>;
  readonly warmupBars: Readonly<Record<string, number>>;
  readonly error?: string;
  /** Realtime: closed bars accepted but never decided, and why (status incomplete). */
  readonly incomplete?: string;
  readonly control?: TradingControl;
  /** The strategy's warm-up, for the no-order cause. */
  readonly warmup?: number;
  readonly webhooks?: WebhookStats | null;
  readonly extra?: Pick<RunSummary, 'latency' | 'feed' | 'fleet' | 'stream'>;
  readonly stats?: StatsSummary;
}

/** Said wherever a close-fill run's figures are read. */
export const CLOSE_NOTE =
  "optimistic: market orders filled at the close of the bar whose close produced their signal (--fill-model next-open fills them at the next bar's open)";

/** What the run's fills paid beyond the price: its fee rates grouped by symbol, and the slippage. */
export function costsOf(opts: { readonly fees: FeeSchedule; readonly symbols: readonly string[]; readonly slippageBps: number }): RunCosts {
  return { fees: feeGroups(opts.fees, opts.symbols), slippageBps: opts.slippageBps };
}

export function buildSummary(input: SummaryInput): RunSummary {
  const { broker, engine, counter } = input;
  const start = broker.startCash;
  const equity = broker.equity();
  const positions: Record<string, string> = {};
  for (const s of input.symbols) positions[s] = formatLots(broker.position(s), broker.instrument(s));
  const barsBySymbol: Record<string, number> = {};
  const warmupBars: Record<string, number> = {};
  for (const s of input.symbols) {
    barsBySymbol[s] = input.barsBySymbol[s] ?? 0;
    warmupBars[s] = input.warmupBars[s] ?? 0;
  }
  const explained = explain({
    symbols: input.symbols,
    broker,
    engine,
    counter,
    ...(input.control ? { control: input.control } : {}),
    warmup: input.warmup ?? 0,
    warmupBars,
    barsBySymbol,
  });
  const base = input.error !== undefined ? 'error' : input.incomplete !== undefined ? 'incomplete' : 'ok';
  const { status, verdict } = verdictOf({
    status: base,
    ...(input.error === undefined ? {} : { error: input.error }),
    ...(input.incomplete === undefined ? {} : { incomplete: input.incomplete }),
    bars: counter.of('bar'),
    halts: explained.halts,
  });
  return {
    runId: input.runId,
    status,
    verdict,
    fillModel: input.fillModel,
    ...(input.fillModel === 'close' ? { fillModelNote: CLOSE_NOTE } : {}),
    costs: input.costs,
    maxParticipation: input.maxParticipation,
    ...(input.error === undefined ? {} : { error: input.error }),
    ...(input.incomplete === undefined ? {} : { incomplete: input.incomplete }),
    bars: counter.of('bar'),
    decisions: counter.of('decision'),
    orders: counter.of('order'),
    fills: counter.of('fill'),
    rejects: counter.of('reject'),
    skips: counter.of('skip'),
    trades: broker.trades,
    startEquity: formatMoney(start),
    finalEquity: formatMoney(equity),
    cash: formatMoney(broker.cash),
    realizedPnl: formatMoney(broker.realized),
    fees: formatMoney(broker.fees),
    returnPct: round((Number(equity - start) / Number(start)) * 100, 6),
    maxDrawdownPct: engine.stats.maxDrawdownPct,
    sharpe: engine.stats.sharpe,
    barsBySymbol,
    warmupBars,
    positions,
    ...explained,
    ...(input.webhooks ? { webhooks: { ...input.webhooks } } : {}),
    ...(input.extra ?? {}),
    ...(input.stats ? { stats: input.stats } : {}),
  };
}
