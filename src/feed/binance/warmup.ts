/**
 * Realtime warm-up: the strategy's history, loaded over REST klines at start, so a short session
 * can trade in its first minute. One request per symbol also checks it exists (Binance answers
 * -1121 for an unknown one, which must be refused by name, not look like a stale feed forever).
 *
 * Pages go backward from the server's time by 1000 (Binance's largest page) until the strategy's
 * `warmup` closed bars are loaded or the history ends, so warmup 5000 gets 5000 bars. Every page is
 * checked like a backfill's (rest-client.ts), and the number of pages is bounded by what is asked.
 */
import type { Bar } from '../../domain/types.ts';
import { PAGE, type RestClient, type RestFailure, type RestResult } from './rest-client.ts';

export interface WarmupQuery {
  readonly symbols: readonly string[];
  readonly interval: string;
  /** Closed bars of history wanted per symbol (the strategy's warmup). */
  readonly warmup: number;
  /** Server time at start: bars not closed by then are still forming and are left out. */
  readonly closedBy: number;
  /** Requests in flight at once: 1000 symbols one by one would take most of a minute. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

export interface Warmup {
  /** Up to `warmup` closed bars per symbol, oldest first, in the order of `symbols`. */
  readonly bars: Map<string, Bar[]>;
  /** The newest closed bar per symbol at start: the first live bar is checked for a gap against it. */
  readonly lastClosed: Map<string, number>;
}

export type WarmupResult = { readonly ok: true; readonly value: Warmup } | { readonly ok: false; readonly symbol: string; readonly failure: RestFailure };

/** The newest `count` (at least one) bars closed by `closedBy`, fewer if the history is shorter; oldest first. */
export async function recentClosedBars(
  rest: RestClient,
  symbol: string,
  interval: string,
  count: number,
  closedBy: number,
  signal?: AbortSignal,
): Promise<RestResult<Bar[]>> {
  // At least one, to learn the newest closed bar; one more on the first page, which may end with
  // the forming candle.
  const want = Math.max(1, count);
  const maxPages = Math.ceil((want + 1) / PAGE) + 1;
  const pages: Bar[][] = [];
  let have = 0;
  let endTime = closedBy;
  for (let page = 0; have < want; page++) {
    if (page >= maxPages) {
      return { ok: false, failure: { kind: 'invalid_answer', message: `GET /api/v3/klines ${symbol}: more than ${maxPages} pages for ${want} bars` } };
    }
    const limit = Math.min(PAGE, want - have + (page === 0 ? 1 : 0));
    const r = await rest.klinePage({ symbol, interval, endTime, limit }, signal);
    if (!r.ok) return r;
    const closed = r.value.filter((b) => b.closeTime <= closedBy);
    pages.unshift(closed);
    have += closed.length;
    const first = r.value[0];
    // A short page is the start of the symbol's history. The next page ends before this one's
    // first row, and rows are checked to lie inside it: paging can only move back.
    if (r.value.length < limit || !first) break;
    endTime = first.openTime - 1;
  }
  return { ok: true, value: pages.flat().slice(-want) };
}

export async function loadWarmup(rest: RestClient, q: WarmupQuery): Promise<WarmupResult> {
  const bars = new Map<string, Bar[]>();
  const lastClosed = new Map<string, number>();
  let failed: { symbol: string; failure: RestFailure } | null = null;
  const queue = [...q.symbols];
  const worker = async (): Promise<void> => {
    for (let symbol = queue.shift(); symbol !== undefined && failed === null; symbol = queue.shift()) {
      const r = await newest(rest, symbol, q);
      if (!r.ok) {
        failed ??= { symbol, failure: r.failure };
        queue.length = 0;
        return;
      }
      bars.set(symbol, r.value.bars);
      if (r.value.last !== null) lastClosed.set(symbol, r.value.last);
    }
  };
  await Promise.all(Array.from({ length: Math.min(q.concurrency ?? 8, q.symbols.length) }, worker));
  if (failed !== null) {
    const f: { symbol: string; failure: RestFailure } = failed;
    return { ok: false, symbol: f.symbol, failure: f.failure };
  }
  // Warm-up goes to the engine in --symbols order whatever order the answers came in.
  return { ok: true, value: { bars: new Map(q.symbols.map((s) => [s, bars.get(s) ?? []])), lastClosed } };
}

async function newest(rest: RestClient, symbol: string, q: WarmupQuery): Promise<RestResult<{ bars: Bar[]; last: number | null }>> {
  const r = await recentClosedBars(rest, symbol, q.interval, Math.max(1, q.warmup), q.closedBy, q.signal);
  if (!r.ok) return r;
  const last = r.value[r.value.length - 1];
  return { ok: true, value: { bars: q.warmup > 0 ? r.value : [], last: last ? last.openTime : null } };
}
