/**
 * What the fleet's stream holds, and how a publisher and a session agree on it: one subject per
 * interval and symbol, a message id per bar so the server drops a bar published twice (by one
 * publisher repeating its history, or by two publishers), and the bar as JSON. Prices are integer
 * ticks and volume a double: both round-trip a JSON number exactly, so a session decides on the
 * very bar the publisher accepted. nats-server 2.9 takes one filter subject per consumer, so a
 * session reads `tradeloop.bars.<interval>.>` and keeps its own symbols.
 */
import type { Bar, BarOrigin } from '../domain/types.ts';

export const DEFAULT_STREAM = 'TRADELOOP_BARS';
export const SUBJECT_ROOT = 'tradeloop.bars';
/** A publisher's heartbeat, one a second on core NATS (not in the stream): `tradeloop.heartbeat.<publisherId>`. */
export const HEARTBEAT_SUBJECT = 'tradeloop.heartbeat';

export function barSubject(interval: string, symbol: string): string {
  return `${SUBJECT_ROOT}.${interval}.${symbol}`;
}

/** Every symbol's bars of one interval: the filter a session's consumer reads with. */
export function intervalSubjects(interval: string): string {
  return `${SUBJECT_ROOT}.${interval}.>`;
}

/** The stream's subjects: every interval, every symbol. */
export const STREAM_SUBJECTS = `${SUBJECT_ROOT}.>`;

/** JetStream's Nats-Msg-Id: the server drops a second message with the same id inside its duplicate window. */
export function barMessageId(bar: Pick<Bar, 'symbol' | 'interval' | 'openTime'>): string {
  return `${bar.symbol}:${bar.interval}:${bar.openTime}`;
}

/** A bar as published: the bar's fields and the exchange's event time (for latency). */
export interface BarMessage {
  readonly symbol: string;
  readonly interval: string;
  readonly openTime: number;
  readonly closeTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** The exchange's event time of the kline that closed it (its close time for a backfilled bar). */
  readonly eventTime: number;
  /** The publisher's clock when it published: bar published → decided latency. */
  readonly publishedAt: number;
  /** How the publisher's feed got it: off the WebSocket, or a REST backfill of a gap. */
  readonly origin: BarOrigin;
}

export function encodeBarMessage(bar: Bar, eventTime: number, publishedAt: number): string {
  const m: BarMessage = {
    symbol: bar.symbol,
    interval: bar.interval,
    openTime: bar.openTime,
    closeTime: bar.closeTime,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    eventTime,
    publishedAt,
    origin: bar.source,
  };
  return JSON.stringify(m);
}

const NUMBERS = ['openTime', 'closeTime', 'open', 'high', 'low', 'close', 'volume', 'eventTime', 'publishedAt'] as const;

/** A message read back, or the field that makes it unusable (counted and skipped, never thrown). */
export type DecodedBar = { readonly ok: true; readonly message: BarMessage } | { readonly ok: false; readonly reason: string };

export function decodeBarMessage(text: string): DecodedBar {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'not an object' };
  const o = raw as Record<string, unknown>;
  if (typeof o.symbol !== 'string' || o.symbol === '') return { ok: false, reason: 'symbol missing' };
  if (typeof o.interval !== 'string' || o.interval === '') return { ok: false, reason: 'interval missing' };
  for (const k of NUMBERS) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) return { ok: false, reason: `${k} is not a finite number` };
  }
  if (o.origin !== 'ws' && o.origin !== 'rest-backfill') return { ok: false, reason: 'origin is neither ws nor rest-backfill' };
  const m = o as unknown as BarMessage;
  if (m.high < m.low || m.open <= 0 || m.low <= 0 || m.volume < 0 || m.closeTime < m.openTime) return { ok: false, reason: 'prices or times out of order' };
  return { ok: true, message: m };
}

/** The bar a message carries, with the origin the publisher's feed gave it. */
export function barOf(m: BarMessage): Bar {
  return {
    symbol: m.symbol,
    interval: m.interval,
    openTime: m.openTime,
    closeTime: m.closeTime,
    open: m.open,
    high: m.high,
    low: m.low,
    close: m.close,
    volume: m.volume,
    source: m.origin,
  };
}
