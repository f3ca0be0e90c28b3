/** The run's summary printed for people (summary.json is built in session/build-summary.ts). */
import type { RunSummary } from '../events/types.ts';
import { statsLines } from '../stats/summary-lines.ts';
import { restingTerms } from '../broker/book-view.ts';
import type { FeeGroup } from '../broker/fees.ts';

export function formatSummary(s: RunSummary, header: string, outDir: string): string {
  // For people only: two decimals are enough, and the exact figures are in summary.json.
  const money = (d: string): string => Number(d).toFixed(2);
  const bySymbol = Object.entries(s.barsBySymbol)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const h = s.halts;
  const lines = [
    `${header}: ${s.verdict}`,
    ...fillModelLines(s),
    ...costLines(s),
    ...participationLines(s),
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
    ...slippageLines(s),
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
  // A market order still working at the end (next-open, decided on the last bar) is said as such, never dropped.
  for (const o of s.restingOrders)
    lines.push(`  ${'orderType' in o && o.orderType === 'market' ? 'working ' : 'resting '}      ${o.orderId} ${o.side} ${o.qty} ${restingTerms(o)}`);
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
    if (s.stream)
      lines.push(
        `  stream        ${s.stream.name} on ${s.stream.server}: read through seq ${f.streamReadThrough ?? 0}   lag ${f.streamLag ?? 0}   publishers heard ${f.publishers ?? 0}   bars the stream lacked ${f.gapBars ?? 0}`,
      );
  }
  if (s.fleet) {
    const f = s.fleet;
    lines.push(
      `  fleet         ${f.name}: ${f.state ?? 'never halted'} at the end; ${f.applied} fleet command(s) applied` +
        `${f.refused > 0 ? `; ${f.refused} control message(s) REFUSED (no or a wrong fleet token, or a replay)` : ''}${f.disconnects > 0 ? `; lost the nats-server ${f.disconnects} time(s)` : ''}`,
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

/**
 * What the fills cost against the closes that decided them: next-open's price of not trading at a
 * close the strategy only knew once the bar had ended (nothing for summaries written before it).
 */
function slippageLines(s: RunSummary): string[] {
  const sl = s.stats?.slippage;
  if (sl === undefined) return [];
  const model = s.fillModel === undefined ? '' : `; fill model ${s.fillModel}`;
  const of = sl.bps === null ? 'no fill' : `${sl.bps.toFixed(2)} bps of ${Number(sl.tradedNotional).toFixed(2)} traded`;
  return [`  slip cost     ${Number(sl.cost).toFixed(2)} against decision closes (${of}${model})`];
}

/** Where market orders filled: next-open, or close with the warning that it flatters the figures (nothing for older summaries). */
function fillModelLines(s: RunSummary): string[] {
  const lines: string[] = [];
  if (s.fillModel === 'next-open') lines.push("  fill model    next-open: market orders filled at the next bar's open");
  else if (s.fillModel === 'close') lines.push(`  fill model    close, ${s.fillModelNote ?? 'optimistic'}`);
  return lines;
}

/** The participation cap in force (nothing for summaries written before the flag). */
function participationLines(s: RunSummary): string[] {
  if (s.maxParticipation === undefined) return [];
  return [`  participation at most ${Number((s.maxParticipation * 100).toFixed(6))}% of a bar's volume per symbol (--max-participation ${s.maxParticipation})`];
}

const BASIS: Readonly<Record<FeeGroup['basis'], string>> = {
  'crypto default': "the default for crypto pairs: Binance spot's standard rate",
  default: 'the default',
  set: 'set by the fee flags',
};

/** The fee rates each group of symbols paid and why, and the slippage (nothing for older summaries). */
function costLines(s: RunSummary): string[] {
  if (s.costs === undefined) return [];
  const lines = s.costs.fees.map((g) => `  fee rates     maker ${g.makerBps} bp, taker ${g.takerBps} bp on ${g.symbols.join(', ')} (${BASIS[g.basis]})`);
  lines.push(`  slippage      ${s.costs.slippageBps} bp against the order, on market, stop and trailing-stop fills`);
  return lines;
}

/** --quiet still says, on one line, which run this was and where its artifacts are. */
export function quietLine(s: RunSummary, outDir: string): string {
  return `tradeloop run ${s.runId}: ${s.verdict}; artifacts in ${outDir}\n`;
}

/** "3900 (invalid_qty 3900)": a count and what it is made of. */
function byReason(total: number, reasons: Readonly<Record<string, number>>): string {
  const parts = Object.entries(reasons).map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? String(total) : `${total} (${parts.join(', ')})`;
}
