/**
 * One WebSocket message → what it is. Routing comes before validation: control replies
 * (result/error with an id) and serverShutdown (combined name !serverShutdown, never subscribed)
 * are recognised first, so neither is counted as malformed. Then a kline is validated field by
 * field with the same price parser as csv and REST, so one bar gives the same integers everywhere.
 */
import { parsePrice } from '../../domain/price.ts';
import { parseVolume } from '../../domain/volume.ts';
import type { Bar } from '../../domain/types.ts';

export interface KlineMessage {
  readonly kind: 'kline';
  readonly stream: string;
  /** Exchange event time E (ms). */
  readonly eventTime: number;
  readonly closed: boolean;
  readonly bar: Bar;
}

export interface ControlMessage {
  readonly kind: 'control';
  readonly id: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code?: unknown; readonly msg?: unknown };
}

export interface ShutdownMessage {
  readonly kind: 'shutdown';
  readonly eventTime: number | null;
}

export interface MalformedMessage {
  readonly kind: 'malformed';
  readonly symbol: string | null;
  readonly openTime: number | null;
  readonly message: string;
}

export type StreamMessage = KlineMessage | ControlMessage | ShutdownMessage | MalformedMessage;

function malformed(message: string, symbol: string | null = null, openTime: number | null = null): MalformedMessage {
  return { kind: 'malformed', symbol, openTime, message };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a message. `streams` maps each subscribed stream name to its symbol (uppercase) and
 * interval; a kline for any other stream is malformed (we did not ask for it).
 */
export function parseStreamMessage(text: string, streams: ReadonlyMap<string, { symbol: string; interval: string }>): StreamMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return malformed(`not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (!isObject(msg)) return malformed('not a JSON object');
  if ('id' in msg && ('result' in msg || 'error' in msg)) {
    return { kind: 'control', id: msg.id, result: msg.result, ...(isObject(msg.error) ? { error: msg.error } : {}) };
  }
  let stream: string | null = null;
  let data: unknown = msg;
  if (typeof msg.stream === 'string' && 'data' in msg) {
    stream = msg.stream;
    data = msg.data;
  }
  if (!isObject(data)) return malformed(`stream ${stream ?? '?'}: data is not an object`);
  if (data.e === 'serverShutdown') return { kind: 'shutdown', eventTime: typeof data.E === 'number' ? data.E : null };
  if (data.e !== 'kline') return malformed(`unexpected event type ${JSON.stringify(data.e)}`);
  const k = data.k;
  if (!isObject(k)) return malformed('kline without k');
  const symbolText = typeof data.s === 'string' ? data.s : typeof k.s === 'string' ? k.s : null;
  const t = k.t;
  const openTime = Number.isSafeInteger(t) ? (t as number) : null;
  if (symbolText === null) return malformed('kline without a symbol', null, openTime);
  const name = stream ?? `${symbolText.toLowerCase()}@kline_${String(k.i)}`;
  const sub = streams.get(name);
  if (!sub) return malformed(`unknown stream ${JSON.stringify(name)}`, symbolText.toUpperCase(), openTime);
  const symbol = sub.symbol;
  if (openTime === null) return malformed('k.t (open time) is missing or not an integer', symbol);
  if (k.i !== sub.interval) return malformed(`k.i ${JSON.stringify(k.i)} does not match the stream's interval ${sub.interval}`, symbol, openTime);
  if (!Number.isSafeInteger(k.T) || (k.T as number) <= openTime) return malformed('k.T (close time) is missing or not after k.t', symbol, openTime);
  if (!Number.isSafeInteger(data.E)) return malformed('E (event time) is missing or not an integer', symbol, openTime);
  if (typeof k.x !== 'boolean') return malformed('k.x (closed) is missing or not a boolean', symbol, openTime);
  const prices: Record<'o' | 'h' | 'l' | 'c', number> = { o: 0, h: 0, l: 0, c: 0 };
  for (const f of ['o', 'h', 'l', 'c'] as const) {
    const v = k[f];
    const p = typeof v === 'string' ? parsePrice(v) : NaN;
    if (!(p > 0)) return malformed(`k.${f} is not a positive decimal string: ${JSON.stringify(v)}`, symbol, openTime);
    prices[f] = p;
  }
  const volume = typeof k.v === 'string' ? parseVolume(k.v) : NaN;
  if (!(volume >= 0 && volume !== Infinity)) return malformed(`k.v is not a non-negative number: ${JSON.stringify(k.v)}`, symbol, openTime);
  if (prices.h < prices.l) return malformed(`high ${String(k.h)} is below low ${String(k.l)}`, symbol, openTime);
  if (prices.o > prices.h || prices.o < prices.l || prices.c > prices.h || prices.c < prices.l) {
    return malformed('open or close is outside [low, high]', symbol, openTime);
  }
  return {
    kind: 'kline', stream: name, eventTime: data.E as number, closed: k.x,
    bar: {
      symbol, interval: sub.interval, openTime, closeTime: k.T as number,
      open: prices.o, high: prices.h, low: prices.l, close: prices.c, volume, source: 'ws',
    },
  };
}
