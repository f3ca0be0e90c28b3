/**
 * REST market data: GET /api/v3/klines for warm-up, symbol checks and gap backfill, and
 * GET /api/v3/time for the clock-offset estimate. Failures are values, not exceptions: the feed
 * decides whether one is a refusal (-1121 Invalid symbol), a wait (429 Retry-After) or a retry.
 *
 * Nothing the server sends is trusted: every row is checked (inside the window asked for, on the
 * interval's grid, close time consistent, increasing, valid prices), paging must progress and is
 * bounded by what the window can hold, and bodies are size-capped. A server that ignored startTime
 * once made the client loop thousands of times and grow by hundreds of MB in seconds.
 */
import { maxBarsIn, nextOpenTime } from '../../domain/interval.ts';
import { isoUtc } from '../../domain/time.ts';
import type { Bar } from '../../domain/types.ts';
import { checkKline, shown, type FieldNames } from './kline-fields.ts';
import { getJson, type RestResult } from './rest-http.ts';
import { joinUrl, restRequest } from './endpoint.ts';
import { redactUrl, secretScrubber } from '../../config/redact-url.ts';

export type { RestFailure, RestResult } from './rest-http.ts';

/** Binance's largest klines page. */
export const PAGE = 1000;
/** A full page of rows is ~200 KB; anything far past that is not a klines answer. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

const ROW_FIELDS: FieldNames = { t: 'open time [0]', T: 'close time [6]', o: 'open [1]', h: 'high [2]', l: 'low [3]', c: 'close [4]', v: 'volume [5]' };

/** One REST kline row → a Bar, with the validation the WebSocket path applies; a message if bad. */
export function klineRowToBar(row: unknown, symbol: string, interval: string): Bar | string {
  if (!Array.isArray(row) || row.length < 7) return `not an array of at least 7 fields: ${shown(row)}`;
  const [t, o, h, l, c, v, T] = row as unknown[];
  const r = checkKline(interval, { t, T, o, h, l, c, v }, ROW_FIELDS);
  if (!r.ok) return r.message;
  return { symbol, interval, ...r.value, source: 'rest-backfill' };
}

export interface PageQuery {
  readonly symbol: string;
  readonly interval: string;
  readonly startTime?: number;
  /** Inclusive, as Binance reads it. */
  readonly endTime?: number;
  readonly limit: number;
}

export interface WindowQuery {
  readonly symbol: string;
  readonly interval: string;
  readonly startTime: number;
  /** Inclusive, as Binance reads it. */
  readonly endTime: number;
}

export class RestClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly scrub: (text: string) => string;

  /** `baseUrl` may carry credentials (sent as Basic auth) and a query string (kept on every request). */
  constructor(baseUrl: string, timeoutMs = 10_000) {
    this.baseUrl = baseUrl;
    this.timeoutMs = timeoutMs;
    this.scrub = secretScrubber([baseUrl]);
  }

  private get(path: string, params: URLSearchParams | null, maxBytes: number, signal: AbortSignal | undefined): Promise<RestResult<unknown>> {
    const url = joinUrl(this.baseUrl, path, params ? String(params) : '');
    const request = restRequest(url);
    return getJson(request.url, {
      signal,
      timeoutMs: this.timeoutMs,
      maxBytes,
      headers: request.headers,
      shownUrl: redactUrl(url),
      scrub: this.scrub,
    });
  }

  async serverTime(signal?: AbortSignal): Promise<RestResult<number>> {
    const r = await this.get('/api/v3/time', null, 64 * 1024, signal);
    if (!r.ok) return r;
    const t = (r.value as { serverTime?: unknown } | null)?.serverTime;
    if (!Number.isSafeInteger(t) || (t as number) <= 0) {
      return { ok: false, failure: { kind: 'invalid_answer', message: `GET /api/v3/time: no usable serverTime in the answer (${shown(t)})` } };
    }
    return { ok: true, value: t as number };
  }

  /**
   * One page of klines, every row checked: inside [startTime, endTime] where given, on the grid,
   * close time consistent, strictly increasing, at most `limit` rows.
   */
  async klinePage(q: PageQuery, signal?: AbortSignal): Promise<RestResult<Bar[]>> {
    const params = new URLSearchParams({ symbol: q.symbol, interval: q.interval });
    if (q.startTime !== undefined) params.set('startTime', String(q.startTime));
    if (q.endTime !== undefined) params.set('endTime', String(q.endTime));
    params.set('limit', String(q.limit));
    const r = await this.get('/api/v3/klines', params, MAX_BODY_BYTES, signal);
    if (!r.ok) return r;
    const where = `GET /api/v3/klines ${q.symbol} ${q.interval}${q.startTime !== undefined ? ` from ${isoUtc(q.startTime)}` : ''}${q.endTime !== undefined ? ` to ${isoUtc(q.endTime)}` : ''}`;
    const invalid = (message: string): RestResult<Bar[]> => ({ ok: false, failure: { kind: 'invalid_answer', message: `${where}: ${message}` } });
    if (!Array.isArray(r.value)) return invalid('the answer is not an array');
    if (r.value.length > q.limit) return invalid(`${r.value.length} rows for limit ${q.limit}`);
    const bars: Bar[] = [];
    let previous = -Infinity;
    for (let i = 0; i < r.value.length; i++) {
      const bar = klineRowToBar(r.value[i], q.symbol, q.interval);
      if (typeof bar === 'string') return invalid(`row ${i}: ${bar}`);
      if ((q.startTime !== undefined && bar.openTime < q.startTime) || (q.endTime !== undefined && bar.openTime > q.endTime)) {
        return invalid(`row ${i}: open time ${isoUtc(bar.openTime)} is outside the window asked for`);
      }
      if (bar.openTime <= previous) return invalid(`row ${i}: open time ${isoUtc(bar.openTime)} is not after the row before it`);
      previous = bar.openTime;
      bars.push(bar);
    }
    return { ok: true, value: bars };
  }

  /**
   * Closed klines opening in [startTime, endTime], paged by 1000 from startTime forward. Rows still
   * open at `closedBy` (server time) are dropped: the last row of an answer may be the forming
   * candle. An empty answer is success: Binance makes no klines while a market is suspended.
   * A window needs at most ceil(bars it can hold / 1000) pages; one more is allowed, never more.
   */
  async klines(q: WindowQuery, closedBy: number, signal?: AbortSignal): Promise<RestResult<Bar[]>> {
    const out: Bar[] = [];
    const maxPages = Math.ceil(maxBarsIn(q.interval, q.startTime, q.endTime) / PAGE) + 1;
    let from = q.startTime;
    for (let page = 0; from <= q.endTime; page++) {
      if (page >= maxPages) {
        return {
          ok: false,
          failure: {
            kind: 'invalid_answer',
            message: `GET /api/v3/klines ${q.symbol}: more than ${maxPages} pages for ${isoUtc(q.startTime)} .. ${isoUtc(q.endTime)}, which cannot hold that many`,
          },
        };
      }
      const r = await this.klinePage({ symbol: q.symbol, interval: q.interval, startTime: from, endTime: q.endTime, limit: PAGE }, signal);
      if (!r.ok) return r;
      for (const bar of r.value) if (bar.closeTime <= closedBy) out.push(bar);
      const last = r.value[r.value.length - 1];
      if (r.value.length < PAGE || !last) break;
      // Rows start at or after `from` (checked), so this moves strictly forward.
      from = nextOpenTime(q.interval, last.openTime);
    }
    return { ok: true, value: out };
  }
}
