/**
 * Binance's side of a WebSocket live feed (live/ws-protocol.ts): combined-stream URLs with
 * `<symbol>@kline_<interval>` streams, SUBSCRIBE requests paced under Binance's 5 incoming
 * messages a second (pings included), replies `{ id, result | error }`, kline messages checked by
 * kline-message.ts, and a connection replaced ahead of Binance's 24 h cut.
 */
import { redactUrl } from '../../config/redact-url.ts';
import type { ConnectionPlan, RequestReply, WsProtocol } from '../live/ws-protocol.ts';
import { shown } from './kline-fields.ts';
import { parseStreamMessage } from './kline-message.ts';
import { combinedUrl, planConnections, streamName } from './stream-names.ts';

/** Binance closes every connection at 24 h: replaced half an hour before. */
export const BINANCE_LIFETIME_MS = (23 * 60 + 30) * 60_000;

export interface BinanceSubscription {
  readonly wsUrl: string;
  readonly symbols: readonly string[];
  readonly interval: string;
}

export function binanceProtocol(sub: BinanceSubscription): WsProtocol {
  const streams = new Map<string, { symbol: string; interval: string }>();
  for (const symbol of sub.symbols) streams.set(streamName(symbol, sub.interval), { symbol, interval: sub.interval });
  return {
    shownUrl: redactUrl(sub.wsUrl),
    plan: (): ConnectionPlan[] =>
      planConnections([...streams.keys()]).map((p) => ({ url: combinedUrl(sub.wsUrl, p.urlStreams), subscribeBatches: p.subscribeBatches })),
    subscribeFrame: (params, id) => JSON.stringify({ method: 'SUBSCRIBE', params, id }),
    subscribeGapMs: 250,
    readReply,
    parse: (text, exchangeNow) => parseStreamMessage(text, streams, exchangeNow),
    lifetime: { ms: BINANCE_LIFETIME_MS, why: 'connection lifetime (Binance cuts at 24 h)' },
  };
}

function readReply(text: string): RequestReply | null {
  // Kline messages never carry an id: most text is passed over without being parsed twice.
  if (!text.includes('"id"')) return null;
  let msg: { id?: unknown; error?: { code?: unknown; msg?: unknown } };
  try {
    msg = JSON.parse(text) as typeof msg;
  } catch {
    return null;
  }
  if (typeof msg.id !== 'number') return null;
  return { id: msg.id, refusal: msg.error ? `${shown(msg.error.code)} ${shown(msg.error.msg, 200)}` : null };
}
