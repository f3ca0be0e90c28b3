/**
 * One WebSocket message → what it is. Routing comes before validation: control replies
 * (result/error with an id) and serverShutdown (combined name !serverShutdown, never subscribed)
 * are recognised first, so neither is counted as malformed. Then a kline is validated field by
 * field with the same checks as REST rows (kline-fields.ts), and its times against each other and
 * against our clock: one closed kline stamped years ahead, once accepted, made every later real
 * bar of its symbol an out_of_order skip for the rest of the session.
 *
 * Times from the past are legitimate (a replay server sends historical t/T with E = its wall
 * clock at sending); only the future is impossible: a bar that opens after the event reporting
 * it, a closed bar whose close is after the event, an event ahead of the exchange's clock.
 */
import { isoUtc } from '../../domain/time.ts';
import type { MalformedMessage, StreamMessage } from '../live/stream-message.ts';
import { checkKline, shown, type FieldNames } from './kline-fields.ts';

/** t and T against E, both from the exchange's clock: only rounding-sized slack. */
export const EVENT_TOLERANCE_MS = 1_000;
/**
 * E against our clock corrected by the offset estimate: what that estimate, refreshed every five
 * minutes, can be off by after a local clock step. A bar at most this far ahead costs one bar.
 */
export const MAX_EVENT_AHEAD_MS = 60_000;
/** A kline message is ~500 bytes; text far past that is not one, and is not parsed. */
export const MAX_MESSAGE_CHARS = 64 * 1024;
/** Binance symbols are short; a longer one from the network is not echoed into skip events. */
const MAX_SYMBOL_CHARS = 32;

const K_FIELDS: FieldNames = { t: 'k.t', T: 'k.T', o: 'k.o', h: 'k.h', l: 'k.l', c: 'k.c', v: 'k.v' };

function malformed(message: string, symbol: string | null = null, openTime: number | null = null): MalformedMessage {
  return { kind: 'malformed', symbol, openTime, message };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a message. `streams` maps each subscribed stream name to its symbol (uppercase) and
 * interval; a kline for any other stream is malformed (we did not ask for it). `exchangeNow` is our
 * clock corrected by the offset estimate: an event time far past it is impossible.
 */
export function parseStreamMessage(text: string, streams: ReadonlyMap<string, { symbol: string; interval: string }>, exchangeNow?: number): StreamMessage {
  if (text.length > MAX_MESSAGE_CHARS) return malformed(`a ${text.length}-character message, not a kline (at most ${MAX_MESSAGE_CHARS})`);
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return malformed(`not JSON: ${shown(text, 80)}`);
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
  if (!isObject(data)) return malformed(`stream ${stream === null ? '?' : shown(stream)}: data is not an object`);
  if (data.e === 'serverShutdown') return { kind: 'shutdown', eventTime: typeof data.E === 'number' ? data.E : null };
  if (data.e !== 'kline') return malformed(`unexpected event type ${shown(data.e)}`);
  const k = data.k;
  if (!isObject(k)) return malformed('kline without k');
  const symbolText = typeof data.s === 'string' ? data.s : typeof k.s === 'string' ? k.s : null;
  const t = k.t;
  const openTime = Number.isSafeInteger(t) ? (t as number) : null;
  if (symbolText === null) return malformed('kline without a symbol', null, openTime);
  const name = stream ?? `${symbolText.toLowerCase()}@kline_${String(k.i)}`;
  const sub = streams.get(name);
  if (!sub) {
    const echoed = symbolText.length <= MAX_SYMBOL_CHARS ? symbolText.toUpperCase() : null;
    return malformed(`unknown stream ${shown(name)}`, echoed, openTime);
  }
  const symbol = sub.symbol;
  // The stream decides whose bar it is only if the payload agrees: DOGEUSDT's price on BTCUSDT's stream is no BTCUSDT bar.
  if (symbolText.toUpperCase() !== symbol || (typeof k.s === 'string' && k.s.toUpperCase() !== symbol)) {
    return malformed(
      `the kline names ${shown(typeof k.s === 'string' && k.s.toUpperCase() !== symbol ? k.s : symbolText)}, not ${symbol}, the symbol of its stream ${shown(name)}`,
      symbol,
      openTime,
    );
  }
  if (k.i !== sub.interval) return malformed(`k.i ${shown(k.i)} does not match the stream's interval ${sub.interval}`, symbol, openTime);
  if (!Number.isSafeInteger(data.E)) return malformed(`E (event time) is missing or not an integer: ${shown(data.E)}`, symbol, openTime);
  if (typeof k.x !== 'boolean') return malformed('k.x (closed) is missing or not a boolean', symbol, openTime);
  const checked = checkKline(sub.interval, { t: k.t, T: k.T, o: k.o, h: k.h, l: k.l, c: k.c, v: k.v }, K_FIELDS);
  if (!checked.ok) return malformed(checked.message, symbol, openTime);
  const v = checked.value;
  const eventTime = data.E as number;
  if (exchangeNow !== undefined && eventTime > exchangeNow + MAX_EVENT_AHEAD_MS) {
    return malformed(
      `E ${isoUtc(eventTime)} is ${Math.round((eventTime - exchangeNow) / 1000)} s ahead of the exchange's clock as estimated here`,
      symbol,
      v.openTime,
    );
  }
  if (v.openTime > eventTime + EVENT_TOLERANCE_MS) {
    return malformed(`k.t ${isoUtc(v.openTime)} is after the event time E ${isoUtc(eventTime)}: the bar has not opened yet`, symbol, v.openTime);
  }
  if (k.x && v.closeTime > eventTime + EVENT_TOLERANCE_MS) {
    return malformed(
      `a closed kline's k.T ${isoUtc(v.closeTime)} is after the event time E ${isoUtc(eventTime)}: the bar cannot have closed yet`,
      symbol,
      v.openTime,
    );
  }
  return {
    kind: 'kline',
    stream: name,
    eventTime,
    closed: k.x,
    bar: { symbol, interval: sub.interval, ...v, source: 'ws' },
  };
}
