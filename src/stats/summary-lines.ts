/** The statistics as a few lines of the stdout summary, for people (the exact figures are in summary.json). */
import type { RunSummary } from '../events/types.ts';

const num = (v: number | null, digits = 2, suffix = ''): string => (v === null ? 'n/a' : `${v.toFixed(digits)}${suffix}`);
const money = (d: string | null): string => (d === null ? 'n/a' : Number(d).toFixed(2));
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(4)}%`;

export function statsLines(s: RunSummary): string[] {
  const st = s.stats;
  if (!st) return [];
  const t = st.trips;
  const lines = [
    `  round trips   ${t.roundTrips} closed, ${t.openTrips} open   win rate ${num(t.winRatePct, 2, '%')}   profit factor ${num(t.profitFactor)}`,
    `  wins/losses   avg win ${money(t.avgWin)}   avg loss ${money(t.avgLoss)}   largest loss ${money(t.largestLoss)}   exposure ${num(st.exposurePct, 2, '%')}`,
    `  ratios        CAGR ${num(st.cagrPct, 2, '%')}   sortino ${num(st.sortino)}   calmar ${num(st.calmar)}`,
    `  buy and hold  return ${signed(st.benchmark.returnPct)}   max drawdown ${st.benchmark.maxDrawdownPct.toFixed(4)}%`,
  ];
  const why = st.notComputed;
  if (why) {
    const reasons = new Map<string, string[]>();
    for (const [k, r] of Object.entries(why)) reasons.set(r, [...(reasons.get(r) ?? []), k]);
    for (const [r, ks] of reasons) lines.push(`  not computed  ${ks.join(', ')}: ${r}`);
  }
  if (st.gaps.count > 0) {
    const days = st.gaps.largestDays ?? 0;
    const size = days < 1 ? `${Math.round(days * 1440)} minutes` : `${days} days`;
    lines.push(`  data gaps     ${st.gaps.count} (largest ${size}, ${st.gaps.largestFrom} -> ${st.gaps.largestTo})`);
  }
  // CAGR compounds the run's return over a year: from a few days of data it is arithmetic, not a forecast.
  if (st.cagrPct !== null && st.span.days < 90)
    lines.push(`  note          CAGR, Sharpe and Sortino are annualised from ${st.span.days} day(s) of data: read them as arithmetic, not a forecast`);
  lines.push('  tables        trades.csv (a row per round trip), equity.csv (a row per slice), beside summary.json');
  return lines;
}
