/**
 * How a session connects to the fleet's nats-server, in one place: the history side once at
 * start-up (no reconnect: a server out of reach is a refusal, said now), the feed for its life
 * (reconnecting without end, each loss said through the port). The URL's credentials are never
 * shown: every message names the server by redactUrl.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { redactUrl } from '../../config/redact-url.ts';

/** The nats client's own reconnect pacing (real time: it is the client library's, not the loop's). */
export interface ReconnectPacing {
  /** Wait between attempts (ms); the client adds up to a tenth of it as jitter. */
  readonly waitMs: number;
}

/** A server named in messages: its URL without the password. */
export function shownServer(url: string): string {
  return redactUrl(url);
}

/** One connection for start-up: a server that does not answer within timeoutMs is an error to say. */
export async function connectOnce(url: string, timeoutMs: number): Promise<NatsConnection> {
  return connect({ servers: url, name: 'tradeloop session (start-up)', timeout: timeoutMs, reconnect: false });
}

/**
 * The feed's connection: an attempt that fails fails fast (the feed tries again, and can stop
 * meanwhile); once made, the client reconnects for as long as the session runs. What was lost
 * meanwhile is read again from the stream (the consumer goes on after the last sequence it delivered).
 */
export async function connectForLife(url: string, pacing: ReconnectPacing): Promise<NatsConnection> {
  return connect({
    servers: url,
    name: 'tradeloop session',
    maxReconnectAttempts: -1,
    reconnectTimeWait: pacing.waitMs,
    reconnectJitter: Math.round(pacing.waitMs / 10),
    timeout: 5_000,
  });
}

/** An error's message, short enough for a line of the terminal. */
export function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 200);
}
