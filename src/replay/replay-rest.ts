/**
 * The REST side of the replay server: GET /api/v3/klines, /api/v3/time and /api/v3/ping.
 * Klines serves only bars the tape has already closed: Binance cannot serve the future, and a
 * backfill that could see ahead of the stream would make a replayed run better than a live one.
 * Errors carry Binance's codes (rest-api.md "Error codes"), so a client's handling is exercised.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isInterval } from '../domain/interval.ts';
import { klineRow } from './kline-format.ts';
import type { KlineSource } from './replay-timeline.ts';

export const KLINES_DEFAULT_LIMIT = 500;
export const KLINES_MAX_LIMIT = 1000;

export interface ServedKlines {
  readonly source: KlineSource;
  /** Bars [0, closed) of the symbol are closed and may be served. */
  readonly closed: number;
}

export interface RestContext {
  readonly interval: string;
  /** An uppercase symbol's klines, or null when the server does not hold it. */
  readonly klinesOf: (symbol: string) => ServedKlines | null;
  readonly now: () => number;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

function fail(status: number, code: number, msg: string): Answer {
  return { status, body: JSON.stringify({ code, msg }) };
}

const mandatory = (name: string): Answer => fail(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);

/** Binance takes startTime/endTime in ms or µs; decided per value by magnitude. */
function readTime(params: URLSearchParams, name: string): number | null | Answer {
  const raw = params.get(name);
  if (raw === null || raw === '') return null;
  if (!/^[0-9]{1,20}$/.test(raw)) return fail(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`);
  const value = Number(raw);
  return value >= 1e14 ? Math.floor(value / 1000) : value;
}

export function klines(params: URLSearchParams, ctx: RestContext): Answer {
  const symbolText = params.get('symbol');
  if (symbolText === null || symbolText === '') return mandatory('symbol');
  const intervalText = params.get('interval');
  if (intervalText === null || intervalText === '') return mandatory('interval');
  const served = ctx.klinesOf(symbolText.toUpperCase());
  if (!served) return fail(400, -1121, 'Invalid symbol.');
  const series = served.source;
  // Binance would serve any interval; this server holds one, and an empty answer would hide the mistake.
  if (!isInterval(intervalText) || intervalText !== ctx.interval) return fail(400, -1120, 'Invalid interval.');
  const start = readTime(params, 'startTime');
  if (typeof start === 'object' && start !== null) return start;
  const end = readTime(params, 'endTime');
  if (typeof end === 'object' && end !== null) return end;
  if (start !== null && end !== null && start > end) return fail(400, -1023, 'Start time is greater than end time.');
  let limit = KLINES_DEFAULT_LIMIT;
  const limitText = params.get('limit');
  if (limitText !== null && limitText !== '') {
    if (!/^[0-9]{1,10}$/.test(limitText)) return fail(400, -1100, `Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,10}$'.`);
    limit = Number(limitText);
    if (limit < 1) return fail(400, -1130, "Data sent for parameter 'limit' is not valid.");
    limit = Math.min(limit, KLINES_MAX_LIMIT);
  }
  const closed = served.closed;
  // Windowing as rest-api.md "General API Information": from startTime forward when given,
  // otherwise the newest up to endTime (or up to now).
  const hi = end === null ? closed : Math.min(closed, series.lowerBound(end + 1));
  let from: number;
  let to: number;
  if (start !== null) {
    from = series.lowerBound(start);
    to = Math.min(hi, from + limit);
  } else {
    to = hi;
    from = Math.max(0, to - limit);
  }
  const rows: string[] = [];
  for (let i = from; i < to; i++) rows.push(klineRow(series.kline(i, 1)));
  return { status: 200, body: `[${rows.join(',')}]` };
}

/** The request target as a URL, or null when it does not parse (an absolute form with a bad host or port). */
export function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

/** Answers one request; the caller has already routed WebSocket upgrades away. */
export function handleRest(req: IncomingMessage, res: ServerResponse, ctx: RestContext): void {
  const url = parseTarget(req.url);
  const readOnly = req.method === 'GET' || req.method === 'HEAD';
  let answer: Answer;
  if (url === null) answer = fail(400, -1100, 'Illegal characters found in the request URL; it does not parse.');
  else if (!readOnly) answer = fail(405, -1, `Method ${req.method} is not allowed; the replay server is read-only.`);
  else if (url.pathname === '/api/v3/klines') answer = klines(url.searchParams, ctx);
  else if (url.pathname === '/api/v3/time') answer = { status: 200, body: `{"serverTime":${ctx.now()}}` };
  else if (url.pathname === '/api/v3/ping') answer = { status: 200, body: '{}' };
  else
    answer = fail(
      404,
      -1,
      `Not found: ${url.pathname}. The replay server serves /api/v3/klines, /api/v3/time, /api/v3/ping, /ws/<streams> and /stream?streams=.`,
    );
  // A body we will not read is not worth keeping the socket for: close after the answer.
  const headers: Record<string, string | number> = { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(answer.body) };
  if (!readOnly || url === null) headers.connection = 'close';
  res.writeHead(answer.status, headers);
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}
