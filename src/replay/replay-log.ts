/**
 * What the replay server tells its operator: one record per thing that happened to a client or to
 * the tape, so nothing happens silently (a tape that ran out looks, from a client, exactly like a
 * dead feed). The server emits records; the command prints each as one line with its time.
 */
import { redactUrl } from '../config/redact-url.ts';

/** Who ended a connection: the client (a close frame or a dropped socket) or this server (and why). */
export type ClosedBy = 'client' | 'server';

export type ReplayLogEvent =
  | { readonly kind: 'connect'; readonly at: number; readonly client: number; readonly remote: string; readonly path: string; readonly connections: number }
  | {
      readonly kind: 'disconnect';
      readonly at: number;
      readonly client: number;
      readonly remote: string;
      readonly code: number;
      readonly reason: string;
      readonly by: ClosedBy;
      readonly durationMs: number;
      readonly messagesSent: number;
    }
  /** An upgrade or socket turned away before it became a connection (cap, bad path, shutdown). */
  | {
      readonly kind: 'refused';
      readonly at: number;
      readonly remote: string;
      readonly path: string;
      readonly status: number | null;
      readonly reason: string;
      readonly repeats: number;
    }
  /** A request that could not be parsed or answered normally (malformed HTTP, a handler error). */
  | { readonly kind: 'bad_request'; readonly at: number; readonly remote: string; readonly reason: string; readonly repeats: number }
  /** client: the connection whose own tape it is (--tape per-client), null for the shared tape. */
  | { readonly kind: 'tape_start'; readonly at: number; readonly client: number | null; readonly slices: number }
  | { readonly kind: 'tape_loop'; readonly at: number; readonly client: number | null; readonly pass: number; readonly shiftMs: number }
  | { readonly kind: 'tape_end'; readonly at: number; readonly client: number | null; readonly bars: number; readonly slices: number };

export type ReplayLog = (event: ReplayLogEvent) => void;

function who(client: number | null): string {
  return client === null ? 'tape' : `client #${client}'s tape`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** A data-time span as days, hours and minutes (seconds when shorter than a minute): 4d 6h 30m. */
function span(ms: number): string {
  if (ms < 60_000) return `${ms / 1000}s`;
  const minutes = Math.round(ms / 60_000);
  const parts: string[] = [];
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) parts.push(`${d}d`);
  if (h > 0) parts.push(`${h}h`);
  if (m > 0) parts.push(`${m}m`);
  return parts.join(' ');
}

function repeated(n: number): string {
  return n > 0 ? ` (and ${n} more like it since the last line)` : '';
}

/** One readable line, without the time (the printer adds it). */
export function describeLogEvent(e: ReplayLogEvent): string {
  switch (e.kind) {
    case 'connect':
      return `client #${e.client} connected from ${e.remote}, path ${redactUrl(e.path)} (${e.connections} open)`;
    case 'disconnect':
      return (
        `client #${e.client} (${e.remote}) disconnected by the ${e.by}: code ${e.code}${e.reason ? `, ${e.reason}` : ''}; ` +
        `connected ${seconds(e.durationMs)}, ${e.messagesSent} messages sent`
      );
    case 'refused':
      return `refused ${e.remote} ${redactUrl(e.path)}: ${e.status === null ? 'closed' : e.status} ${e.reason}${repeated(e.repeats)}`;
    case 'bad_request':
      return `bad request from ${e.remote}: ${e.reason}${repeated(e.repeats)}`;
    case 'tape_start':
      return `${who(e.client)} started: ${e.slices} slices to play`;
    case 'tape_loop':
      return `${who(e.client)} looped: play ${e.pass + 1} starts from the first bar, its bar times ${span(e.pass * e.shiftMs)} later than the file's`;
    case 'tape_end':
      return (
        `${who(e.client)} ended after ${e.bars} bars (${e.slices} slices); ${e.client === null ? 'clients' : 'the client'} will see no more klines; ` +
        'restart, or use --loop'
      );
  }
}

/** ISO time, then the line: what `replay-server` writes to stderr. */
export function formatLogLine(e: ReplayLogEvent): string {
  return `${new Date(e.at).toISOString()} replay-server: ${describeLogEvent(e)}\n`;
}

/**
 * Refusals and bad requests come as fast as a client can make them: at most one line per kind per
 * interval, the rest counted into the next line, so a flood cannot fill the operator's terminal.
 */
export class LogThrottle {
  private readonly intervalMs: number;
  private readonly last = new Map<string, number>();
  private readonly held = new Map<string, number>();

  constructor(intervalMs = 1000) {
    this.intervalMs = intervalMs;
  }

  /** The repeats to report with this line, or null to hold it back (counted). */
  admit(kind: string, now: number): number | null {
    const last = this.last.get(kind);
    if (last !== undefined && now - last < this.intervalMs) {
      this.held.set(kind, (this.held.get(kind) ?? 0) + 1);
      return null;
    }
    this.last.set(kind, now);
    const repeats = this.held.get(kind) ?? 0;
    this.held.delete(kind);
    return repeats;
  }
}
