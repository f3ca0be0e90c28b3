/** The run's summary: built from the engine's state and the event counts, and printed for people. */
import { formatMoney } from '../domain/price.ts';
import { formatLots } from '../broker/instrument.ts';
import type { PaperBroker } from '../broker/paper-broker.ts';
import type { EventCounter } from '../sinks/event-counter.ts';
import type { RunSummary } from '../events/types.ts';
import type { Engine } from '../engine/engine.ts';
import { round } from '../stats/round.ts';
import type { TradingState } from '../risk/trading-state.ts';
import type { WebhookStats } from '../sinks/webhook-alerts.ts';
import type { StatsSummary } from '../stats/stats-summary.ts';
import { statsLines } from '../stats/summary-lines.ts';

export interface SummaryInput {
  readonly runId: string;
  readonly symbols: readonly string[];
  readonly broker: PaperBroker;
  readonly engine: Engine;
  readonly counter: EventCounter;
  readonly barsBySymbol: Readonly<Record<string, number>>;
  readonly warmupBars: Readonly<Record<string, number>>;
  readonly error?: string;
  readonly trading?: TradingState;
  readonly webhooks?: WebhookStats | null;
  readonly extra?: Pick<RunSummary, 'latency' | 'feed'>;
  readonly stats?: StatsSummary;
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
  return {
    runId: input.runId,
    status: input.error === undefined ? 'ok' : 'error',
    ...(input.error === undefined ? {} : { error: input.error }),
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
    ...(input.trading && (counter.of('halt') > 0 || input.trading.state !== 'ACTIVE') ? {
      trading: {
        state: input.trading.state, held: input.trading.reasons(), halts: counter.byReason('halt'),
        alerts: counter.byReason('alert'), rejects: counter.byReason('reject'), cancels: counter.byReason('cancel'),
      },
    } : {}),
    ...(input.webhooks ? { webhooks: { ...input.webhooks } } : {}),
    ...(input.extra ?? {}),
    ...(input.stats ? { stats: input.stats } : {}),
  };
}

export function formatSummary(s: RunSummary, header: string, outDir: string): string {
  // For people only: two decimals are enough, and the exact figures are in summary.json.
  const money = (d: string): string => Number(d).toFixed(2);
  const bySymbol = Object.entries(s.barsBySymbol).map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [
    header,
    `  bars          ${s.bars}  (${bySymbol})`,
    `  decisions     ${s.decisions}`,
    `  orders        ${s.orders}   fills ${s.fills}   rejects ${s.rejects}   skips ${s.skips}`,
    `  trades        ${s.trades}`,
    `  equity        ${money(s.startEquity)} -> ${money(s.finalEquity)}   return ${s.returnPct >= 0 ? '+' : ''}${s.returnPct.toFixed(4)}%`,
    `  max drawdown  ${s.maxDrawdownPct.toFixed(4)}%   sharpe ${s.sharpe === null ? 'n/a' : s.sharpe.toFixed(2)}`,
    `  fees          ${money(s.fees)}   realized PnL ${money(s.realizedPnl)}`,
  ];
  if (s.latency) {
    for (const [segment, p] of Object.entries(s.latency)) {
      lines.push(`  latency ${segment.padEnd(8)} p50 ${p.p50.toFixed(3)} ms  p99 ${p.p99.toFixed(3)} ms  max ${p.max.toFixed(3)} ms  (n=${p.count})`);
    }
  }
  if (s.trading) {
    lines.push(`  trading       ${s.trading.state}${s.trading.held.length > 0 ? ` (held: ${s.trading.held.join(', ')})` : ''}   halts ${Object.entries(s.trading.halts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  if (s.webhooks) lines.push(`  webhooks      delivered ${s.webhooks.delivered}   retried ${s.webhooks.retried}   dropped ${s.webhooks.dropped}   failed ${s.webhooks.failed}   folded ${s.webhooks.suppressed}`);
  lines.push(...statsLines(s));
  if (s.error) lines.push(`  ERROR         ${s.error}`);
  if (s.incomplete) lines.push(`  INCOMPLETE    ${s.incomplete}`);
  lines.push(`  artifacts     ${outDir}/events.ndjson, ${outDir}/summary.json`);
  return lines.join('\n') + '\n';
}
