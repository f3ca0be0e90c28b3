/**
 * A publisher's heartbeat: a JSON message a second on core NATS (`tradeloop.heartbeat.<publisherId>`,
 * not in the stream: a heartbeat is news, not history). A session halts feed_stale when it hears
 * none for --stale-after, so a heartbeat means "this publisher reads the exchange and the stream
 * takes its bars": it is sent only while the publisher's feed has no halt of its own (stale,
 * disconnected, a failed backfill) and nothing waits for a lost server. With two publishers, one
 * that goes blind falls silent and the other keeps the sessions going.
 */
import type { FeedState } from '../events/types.ts';
import type { Clock, TimerHandle } from '../telemetry/clock.ts';
import { HEARTBEAT_SUBJECT } from './bar-message.ts';

export const HEARTBEAT_EVERY_MS = 1_000;

export interface PublisherHeartbeatMessage {
  readonly publisherId: string;
  /** The publisher's wall clock when it sent this (ms since the epoch). */
  readonly at: number;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly stream: string;
  /** openTime of the newest bar the stream acknowledged per symbol (null before the first). */
  readonly lastOpenTime: Readonly<Record<string, number | null>>;
  /** The publisher's feed state (live while it beats, unless it is backfilling). */
  readonly feed: FeedState | null;
}

export function heartbeatSubject(publisherId: string): string {
  return `${HEARTBEAT_SUBJECT}.${publisherId}`;
}

/** Every publisher's heartbeats: what a session subscribes to. */
export const ALL_HEARTBEATS = `${HEARTBEAT_SUBJECT}.*`;

export type DecodedHeartbeat = { readonly ok: true; readonly message: PublisherHeartbeatMessage } | { readonly ok: false; readonly reason: string };

export function decodeHeartbeat(text: string): DecodedHeartbeat {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'not an object' };
  const o = raw as Record<string, unknown>;
  for (const k of ['publisherId', 'interval', 'stream'] as const) if (typeof o[k] !== 'string' || o[k] === '') return { ok: false, reason: `${k} missing` };
  if (typeof o.at !== 'number' || !Number.isFinite(o.at)) return { ok: false, reason: 'at is not a finite number' };
  if (!Array.isArray(o.symbols) || !o.symbols.every((s) => typeof s === 'string')) return { ok: false, reason: 'symbols is not a list of names' };
  const last = o.lastOpenTime;
  if (last === null || typeof last !== 'object' || Array.isArray(last) || !Object.values(last).every((v) => v === null || typeof v === 'number')) {
    return { ok: false, reason: 'lastOpenTime is not a map of symbol to openTime' };
  }
  return { ok: true, message: o as unknown as PublisherHeartbeatMessage };
}

/** One beat now, then one every `everyMs` on the injected clock, until stop(). */
export class HeartbeatTimer {
  private readonly clock: Clock;
  private readonly everyMs: number;
  private readonly beat: () => void;
  private timer: TimerHandle | null = null;

  constructor(options: { readonly clock: Clock; readonly everyMs?: number; readonly beat: () => void }) {
    this.clock = options.clock;
    this.everyMs = options.everyMs ?? HEARTBEAT_EVERY_MS;
    this.beat = options.beat;
  }

  start(): void {
    if (this.timer !== null) return;
    const tick = (): void => {
      this.timer = this.clock.setTimer(tick, this.everyMs);
      this.beat();
    };
    tick();
  }

  stop(): void {
    this.clock.clearTimer(this.timer);
    this.timer = null;
  }
}
