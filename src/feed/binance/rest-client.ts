/**
 * REST market data: GET /api/v3/klines for warm-up, symbol checks and gap backfill, and
 * GET /api/v3/time for the clock-offset estimate. Failures are values, not exceptions: the feed
 * decides whether one is a refusal (-1121 Invalid symbol), a wait (429 Retry-After) or a retry.
 */
import { parsePrice } from '../../domain/price.ts';
import { parseVolume } from '../../domain/volume.ts';
import type { Bar } from '../../domain/types.ts';

export type RestFailure =
  | { readonly kind: 'invalid_symbol'; readonly message: string }
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number; readonly message: string }
  | { readonly kind: 'unavailable'; readonly message: string };

export type RestResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: RestFailure };

const PAGE = 1000;

async function getJson(url: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<RestResult<unknown>> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, { signal: combined, headers: { accept: 'application/json' } });
  } catch (err) {
    return { ok: false, failure: { kind: 'unavailable', message: `GET ${url}: ${(err as Error).message}` } };
  }
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.status === 429 || res.status === 418) {
    const retry = Number(res.headers.get('retry-after'));
    return { ok: false, failure: { kind: 'rate_limited', retryAfterMs: Number.isFinite(retry) && retry > 0 ? retry * 1000 : 60_000, message: `GET ${url}: HTTP ${res.status}` } };
  }
  if (!res.ok) {
    const code = (body as { code?: unknown } | null)?.code;
    const msg = (body as { msg?: unknown } | null)?.msg;
    if (code === -1121) return { ok: false, failure: { kind: 'invalid_symbol', message: String(msg ?? 'Invalid symbol.') } };
    return { ok: false, failure: { kind: 'unavailable', message: `GET ${url}: HTTP ${res.status}${msg ? ` ${String(msg)}` : ''}` } };
  }
  return { ok: true, value: body };
}

/** One REST kline row → a Bar, with the validation the WebSocket path applies. null if bad. */
export function klineRowToBar(row: unknown, symbol: string, interval: string): Bar | null {
  if (!Array.isArray(row) || row.length < 7) return null;
  const [t, o, h, l, c, v, T] = row as unknown[];
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(T)) return null;
  const open = typeof o === 'string' ? parsePrice(o) : NaN;
  const high = typeof h === 'string' ? parsePrice(h) : NaN;
  const low = typeof l === 'string' ? parsePrice(l) : NaN;
  const close = typeof c === 'string' ? parsePrice(c) : NaN;
  const volume = typeof v === 'string' ? parseVolume(v) : NaN;
  if (!(open > 0 && high > 0 && low > 0 && close > 0 && volume >= 0 && volume !== Infinity)) return null;
  if (high < low || open > high || open < low || close > high || close < low) return null;
  return { symbol, interval, openTime: t as number, closeTime: T as number, open, high, low, close, volume, source: 'rest-backfill' };
}

export interface KlineQuery {
  readonly symbol: string;
  readonly interval: string;
  readonly startTime?: number;
  /** Inclusive, as Binance reads it. */
  readonly endTime?: number;
  /** Without startTime: the most recent `limit` klines. */
  readonly limit?: number;
}

export class RestClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, timeoutMs = 10_000) {
    this.baseUrl = baseUrl;
    this.timeoutMs = timeoutMs;
  }

  async serverTime(signal?: AbortSignal): Promise<RestResult<number>> {
    const r = await getJson(`${this.baseUrl}/api/v3/time`, signal, this.timeoutMs);
    if (!r.ok) return r;
    const t = (r.value as { serverTime?: unknown } | null)?.serverTime;
    if (!Number.isSafeInteger(t)) return { ok: false, failure: { kind: 'unavailable', message: 'GET /api/v3/time: no serverTime in the answer' } };
    return { ok: true, value: t as number };
  }

  /**
   * Closed klines for a query, paged by 1000. Rows still open at `closedBy` (server time) are
   * dropped: the last row of an answer may be the forming candle. An empty answer is success:
   * Binance makes no klines while a market is suspended.
   */
  async klines(q: KlineQuery, closedBy: number, signal?: AbortSignal): Promise<RestResult<Bar[]>> {
    const out: Bar[] = [];
    let start = q.startTime;
    for (;;) {
      const params = new URLSearchParams({ symbol: q.symbol, interval: q.interval });
      if (start !== undefined) params.set('startTime', String(start));
      if (q.endTime !== undefined) params.set('endTime', String(q.endTime));
      const limit = q.limit !== undefined ? Math.min(q.limit, PAGE) : PAGE;
      params.set('limit', String(limit));
      const r = await getJson(`${this.baseUrl}/api/v3/klines?${params}`, signal, this.timeoutMs);
      if (!r.ok) return r;
      if (!Array.isArray(r.value)) return { ok: false, failure: { kind: 'unavailable', message: 'GET /api/v3/klines: the answer is not an array' } };
      let last: number | null = null;
      for (const row of r.value) {
        const bar = klineRowToBar(row, q.symbol, q.interval);
        if (!bar) return { ok: false, failure: { kind: 'unavailable', message: `GET /api/v3/klines: a malformed row ${JSON.stringify(row).slice(0, 120)}` } };
        last = bar.openTime;
        if (bar.closeTime <= closedBy && (q.endTime === undefined || bar.openTime <= q.endTime)) out.push(bar);
      }
      if (q.startTime === undefined || r.value.length < limit || last === null) break;
      if (q.limit !== undefined && out.length >= q.limit) break;
      start = last + 1;
      if (q.endTime !== undefined && start > q.endTime) break;
    }
    return { ok: true, value: out };
  }
}
