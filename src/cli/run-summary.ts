/** The run's summary: built from the engine's state and the event counts, and printed for people. */
import { formatMoney } from '../domain/price.ts';
import { formatLots } from '../broker/instrument.ts';
import type { PaperBroker } from '../broker/paper-broker.ts';
import type { EventCounter } from '../sinks/event-counter.ts';
import type { RunSummary } from '../events/types.ts';
import type { Engine } from '../engine/engine.ts';
import { round } from '../stats/round.ts';
import type { TradingControl } from '../risk/trading-control.ts';
import { explain, verdictOf } from './summary-explained.ts';
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
  /** Realtime: closed bars accepted but never decided, and why (status incomplete). */
  readonly incomplete?: string;
  readonly control?: TradingControl;
  /** The strategy's warm-up, for the no-order cause. */
  readonly warmup?: number;
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

/** "3900 (invalid_qty 3900)": a count and what it is made of. */
function byReason(total: number, reasons: Readonly<Record<string, number>>): string {
  const parts = Object.entries(reasons).map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? String(total) : `${total} (${parts.join(', ')})`;
}

export function formatSummary(s: RunSummary, header: string, outDir: string): string {
  // For people only: two decimals are enough, and the exact figures are in summary.json.
  const money = (d: string): string => Number(d).toFixed(2);
  const bySymbol = Object.entries(s.barsBySymbol)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const h = s.halts;
  const lines = [
    `${header}: ${s.verdict}`,
    `  bars          ${s.bars}  (${bySymbol})`,
    `  decisions     ${s.decisions}`,
    `  orders        ${s.orders}   fills ${s.fills}   rejects ${byReason(s.rejects, s.rejectsByReason)}`,
    `  skips         ${byReason(s.skips, s.skipsByReason)}   cancels ${byReason(
      Object.values(s.cancelsByReason).reduce((a, b) => a + b, 0),
      s.cancelsByReason,
    )}`,
    `  trades        ${s.trades}`,
    `  equity        ${money(s.startEquity)} -> ${money(s.finalEquity)}   return ${s.returnPct >= 0 ? '+' : ''}${s.returnPct.toFixed(4)}%`,
    `  max drawdown  ${s.maxDrawdownPct.toFixed(4)}%   sharpe ${s.sharpe === null ? 'n/a' : s.sharpe.toFixed(2)}`,
    `  fees          ${money(s.fees)}   realized PnL ${money(s.realizedPnl)}`,
  ];
  for (const d of s.rejectDetails.slice(0, 3)) lines.push(`  reject        ${d.reason}: ${d.detail}`);
  if (s.noOrderCause) lines.push(`  no order      ${s.noOrderCause}`);
  if (Object.keys(h.raised).length > 0 || h.state !== 'ACTIVE') {
    const time = h.timeNotActiveMs !== undefined ? `, ${(h.timeNotActiveMs / 1000).toFixed(1)} s` : '';
    lines.push(
      `  trading       ${h.state} at the end${h.held.length > 0 ? ` (held: ${h.held.join(', ')})` : ''}; out of ACTIVE ${h.notActivePct}% of bars${time}; halts ${
        Object.entries(h.raised)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      }`,
    );
  }
  if (h.strategyErrors > 0) lines.push(`  strategy      threw ${h.strategyErrors} time(s)`);
  if (Object.keys(s.alertsByKind).length > 0)
    lines.push(
      `  alerts        ${Object.entries(s.alertsByKind)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  for (const p of s.openPositions)
    lines.push(`  open          ${p.symbol} ${p.qty} @ ${p.lastPrice}   value ${money(p.marketValue)}   unrealized ${money(p.unrealizedPnl)}`);
  if (s.openPositions.length > 0) lines.push(`  gross         ${money(s.grossExposure)}`);
  for (const o of s.restingOrders) lines.push(`  resting       ${o.orderId} ${o.side} ${o.qty} @ ${o.limitPrice}`);
  if (s.latency) {
    for (const [segment, p] of Object.entries(s.latency)) {
      lines.push(`  latency ${segment.padEnd(8)} p50 ${p.p50.toFixed(3)} ms  p99 ${p.p99.toFixed(3)} ms  max ${p.max.toFixed(3)} ms  (n=${p.count})`);
    }
  }
  if (s.feed) {
    const f = s.feed;
    const scope = (f.segment ?? 1) > 1 ? `   (since the resume: segment ${f.segment})` : '';
    lines.push(
      `  feed          messages ${f.messages ?? 0}   reconnects ${f.disconnects ?? 0}   backfills ${f.backfills ?? 0} (${f.backfilledBars ?? 0} bars)   late bars ${f.lateBars ?? 0}   malformed ${f.malformed ?? 0}${scope}`,
    );
  }
  if (s.webhooks)
    lines.push(
      `  webhooks      delivered ${s.webhooks.delivered}   retried ${s.webhooks.retried}   dropped ${s.webhooks.dropped}   failed ${s.webhooks.failed}   folded ${s.webhooks.suppressed}`,
    );
  lines.push(...statsLines(s));
  if (s.error) lines.push(`  ERROR         ${s.error}`);
  if (s.incomplete) lines.push(`  INCOMPLETE    ${s.incomplete}`);
  lines.push(`  artifacts     ${outDir}/events.ndjson, ${outDir}/summary.json`);
  return lines.join('\n') + '\n';
}

/** --quiet still says, on one line, which run this was and where its artifacts are. */
export function quietLine(s: RunSummary, outDir: string): string {
  return `tradeloop run ${s.runId}: ${s.verdict}; artifacts in ${outDir}\n`;
}
