/**
 * Everything the report shows, read from a RunSource in one pass per file with flat memory:
 * prices per symbol and the equity curve downsampled (M4), the trade list (the first MAX_TRADES
 * rows; the file has them all), the fills marked by order type (at most MAX_MARKS per symbol,
 * evenly chosen: a chart is a few hundred pixels wide), latency distributions, and the halts, skips, cancels, rejects and alerts by reason with
 * their times (a few occurrences each, and the counts of all).
 */
import type { RunSummary } from '../events/types.ts';
import { TRADES_HEADER } from '../stats/run-statistics.ts';
import { M4, type Series } from './downsample.ts';
import { FillMarks, type SymbolMarks } from './fill-marks.ts';
import type { RunSource } from './run-source.ts';

export const MAX_TRADES = 5000;
/** Fill marks kept per symbol (evenly chosen past it); the page says how many of how many. */
export const MAX_MARKS = 5000;
/** A symbol with at most this many bars is drawn from every close (zoomed, the line is exact); past it, M4. */
export const FULL_DETAIL_BARS = 20_000;
const SAMPLES_PER_REASON = 20;
/** Latency histogram edges in ms: 0.01 ms to 100 s, four to a decade. */
export const LATENCY_EDGES_MS = Array.from({ length: 29 }, (_, i) => Math.round(10 ** (-2 + i / 4) * 1e4) / 1e4);
const SEGMENTS = ['network', 'queue', 'slice', 'model', 'broker', 'total'] as const;

export interface Incident {
  readonly time: number;
  readonly symbol: string | null;
  readonly detail: string;
}
export interface IncidentGroup {
  readonly type: string;
  readonly reason: string;
  count: number;
  first: number;
  last: number;
  readonly samples: Incident[];
}

export interface ReportData {
  readonly title: string;
  readonly summary: RunSummary | null;
  readonly mode: string;
  readonly symbols: string[];
  /** `full`: every close; `downsampled`: M4 points of `count` bars (zoomed in, the line is coarse). */
  readonly prices: Record<string, Series & { count: number; detail: 'full' | 'downsampled' }>;
  /** The symbol's fills by order type and side: `total` fills, `drawn` (at most MAX_MARKS) of them in the series. */
  readonly marks: Record<string, SymbolMarks>;
  readonly equity: { equity: Series; benchmark: Series; drawdown: Series; rows: number };
  readonly trades: { header: string[]; rows: string[][]; total: number };
  readonly latency: { edgesMs: number[]; counts: Record<string, number[]>; total: number } | null;
  readonly incidents: IncidentGroup[];
  readonly bars: number;
}

function field(line: string, name: string, from = 0): string {
  const key = `"${name}":`;
  const at = line.indexOf(key, from);
  if (at < 0) return '';
  const start = at + key.length;
  let end = line.indexOf(',', start);
  if (end < 0) end = line.length - 1;
  return line.slice(start, end);
}

function typeOf(line: string): string {
  const at = line.indexOf('"type":"');
  return at < 0 ? '' : line.slice(at + 8, line.indexOf('"', at + 8));
}

/** ISO time of our own tables ("2026-03-09T13:30:00Z") to ms, without Date.parse. */
export function isoMs(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?Z$/.exec(text);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +(m[7] ?? 0));
}

export async function readReport(src: RunSource, onProgress?: (bytes: number) => void): Promise<ReportData> {
  const summary = src.summary();
  const prices = new Map<string, M4>();
  const raw = new Map<string, { t: number[]; v: number[] }>();
  const groups = new Map<string, IncidentGroup>();
  let symbols: string[] = [];
  let mode = 'static';
  let title = src.label;
  let barTime = 0;
  let bars = 0;
  let bytes = 0;
  const latency: Record<string, number[]> = {};
  for (const s of SEGMENTS) latency[s] = new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0);
  let latencyTotal = 0;
  const fills = new FillMarks(MAX_MARKS);
  const incident = (type: string, reason: string, time: number, symbol: string | null, detail: string): void => {
    const key = `${type}\u0000${reason}`;
    let g = groups.get(key);
    if (!g) {
      g = { type, reason, count: 0, first: time, last: time, samples: [] };
      groups.set(key, g);
    }
    g.count++;
    g.last = time;
    if (g.samples.length < SAMPLES_PER_REASON) g.samples.push({ time, symbol, detail: detail.slice(0, 300) });
  };
  for await (const line of src.eventLines()) {
    bytes += line.length + 1;
    if ((bytes & 0xfffff) < line.length + 1) onProgress?.(bytes);
    const type = typeOf(line);
    if (type === 'decision') continue;
    if (type === 'bar') {
      bars++;
      const symText = field(line, 'symbol');
      const symbol = symText.includes('\\') ? (JSON.parse(symText) as string) : symText.slice(1, -1);
      const openTime = Number(field(line, 'openTime'));
      barTime = openTime;
      let m = prices.get(symbol);
      if (!m) {
        m = new M4();
        prices.set(symbol, m);
        raw.set(symbol, { t: [], v: [] });
      }
      const close = Number(field(line, 'close'));
      m.add(openTime, close);
      const r = raw.get(symbol);
      if (r) {
        if (r.t.length < FULL_DETAIL_BARS) {
          r.t.push(openTime);
          r.v.push(close);
        } else raw.delete(symbol); // too long to carry whole: the M4 points draw it
      }
      continue;
    }
    if (type === 'order') {
      fills.order(JSON.parse(line) as { orderId: string; orderType: string; sentBy?: string }, field(line, 'qty'));
      continue;
    }
    if (type === 'fill') {
      fills.fill(JSON.parse(line) as { orderId: string; symbol: string; openTime: number; side: string; price: number }, field(line, 'qty'));
      continue;
    }
    if (type === 'latency') {
      const e = JSON.parse(line) as Record<string, number | string>;
      if (e.source !== 'ws') continue;
      latencyTotal++;
      for (const s of SEGMENTS) {
        const ms = Number(e[`${s}Ms`]);
        let i = 0;
        while (i < LATENCY_EDGES_MS.length && ms > LATENCY_EDGES_MS[i]!) i++;
        latency[s]![i]!++;
      }
      continue;
    }
    if (type === 'run_start') {
      const e = JSON.parse(line) as { runId: string; mode: string; symbols: string[]; strategy: string; interval: string };
      symbols = e.symbols;
      mode = e.mode;
      title = `${e.runId} (${e.mode}, ${e.strategy}, ${e.symbols.join(',')} ${e.interval})`;
      continue;
    }
    if (type === 'halt' || type === 'resume' || type === 'skip' || type === 'cancel' || type === 'reject' || type === 'alert' || type === 'trading_state') {
      const e = JSON.parse(line) as Record<string, unknown>;
      if (type === 'cancel') fills.cancel(String(e.orderId));
      const time = typeof e.at === 'number' ? e.at : typeof e.openTime === 'number' ? e.openTime : barTime;
      const reason = type === 'alert' ? String(e.kind) : type === 'trading_state' ? `${e.from} → ${e.to}` : String(e.reason);
      const detail = String(e.detail ?? e.message ?? (type === 'trading_state' ? `halts: ${(e.halts as string[]).join(', ') || 'none'}` : ''));
      incident(type, reason, time, typeof e.symbol === 'string' ? e.symbol : null, detail);
    }
  }
  onProgress?.(bytes);
  const equity = { equity: new M4(), benchmark: new M4(), drawdown: new M4(), rows: 0 };
  for await (const r of src.equity() ?? []) {
    const t = isoMs(r[0]!);
    equity.equity.add(t, Number(r[1]));
    equity.drawdown.add(t, -Number(r[4]));
    equity.benchmark.add(t, Number(r[5]));
    equity.rows++;
  }
  // A trades.csv written before the order-type and slippage columns has fewer fields: its rows show them empty.
  const trades = { header: TRADES_HEADER.split(','), rows: [] as string[][], total: 0 };
  for await (const r of src.trades() ?? []) {
    trades.total++;
    if (trades.rows.length < MAX_TRADES) trades.rows.push(r);
  }
  const marks = fills.marks();
  const priceOut: ReportData['prices'] = {};
  for (const s of symbols.length > 0 ? symbols : [...prices.keys()]) {
    const m = prices.get(s);
    const r = raw.get(s);
    if (r && m && r.t.length === m.count) priceOut[s] = { ...r, count: m.count, detail: 'full' };
    else if (m) priceOut[s] = { ...m.series(), count: m.count, detail: 'downsampled' };
  }
  return {
    title,
    summary,
    mode,
    symbols: symbols.length > 0 ? symbols : [...prices.keys()],
    prices: priceOut,
    marks,
    equity: { equity: equity.equity.series(), benchmark: equity.benchmark.series(), drawdown: equity.drawdown.series(), rows: equity.rows },
    trades,
    latency: latencyTotal > 0 ? { edgesMs: LATENCY_EDGES_MS, counts: latency, total: latencyTotal } : null,
    incidents: [...groups.values()].sort((a, b) => a.first - b.first || (a.type < b.type ? -1 : 1)),
    bars,
  };
}
