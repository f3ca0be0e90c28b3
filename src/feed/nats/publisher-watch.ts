/**
 * Whether a session on the fleet's stream hears publishers for each of its symbols: a publisher
 * heartbeats every second on `tradeloop.heartbeat.<id>` (core NATS, not in the stream), naming its
 * stream, interval and symbols, and each bar of a symbol the session reads is news of one too. A
 * symbol nothing was heard for in staleAfterMs on the injected clock makes the feed stale (halt
 * feed_stale, naming the symbols): with one publisher per symbol, the one that died is found even
 * while the others beat. Silent for staleAlertAfterMs: said once in an alert. Every symbol heard
 * again: fresh. While the feed cannot hear (reading paused for backpressure, the server away)
 * nothing is judged, and the silence counts from when it can again. A verdict waits until pending
 * socket data has been read: after a blocked turn (a slow strategy) Node runs due timers before it
 * reads sockets.
 */
import { type Clock, repeatEvery, staleCheckEvery } from '../../telemetry/clock.ts';
import { afterPendingIo } from '../live/ws-connection.ts';

export interface PublisherWatchOptions {
  readonly symbols: readonly string[];
  readonly clock: Clock;
  readonly staleAfterMs: number;
  readonly staleAlertAfterMs: number;
  /** True while silence is no verdict on the publishers (paused, disconnected, stopped). */
  readonly deaf: () => boolean;
  /** Nothing heard for these symbols in staleAfterMs (the longest silence of them). */
  readonly onStale: (silentMs: number, symbols: readonly string[]) => void;
  /** Nor in staleAlertAfterMs (once until every symbol is heard again). */
  readonly onSilentTooLong: (silentMs: number, symbols: readonly string[]) => void;
  /** Every symbol heard again after being stale; `publisher` is the id when a heartbeat did it. */
  readonly onFresh: (publisher: string | null) => void;
}

export class PublisherWatch {
  private readonly o: PublisherWatchOptions;
  /** Per symbol, the monotonic time a publisher was last heard for it, or when listening began; empty before. */
  private readonly heardAt = new Map<string, number>();
  private heartbeatAt: number | null = null;
  /** Publishers heard by their heartbeats, by id, and when each was last. */
  private readonly ids = new Map<string, number>();
  private staleNow = false;
  private alerted = false;
  private verdictPending = false;
  private stopTicks: (() => void) | null = null;
  private stopped = false;

  constructor(options: PublisherWatchOptions) {
    this.o = options;
  }

  get stale(): boolean {
    return this.staleNow;
  }

  get publishers(): number {
    return this.ids.size;
  }

  /** Seconds since anything was heard for any symbol (0.1 s resolution); null before listening began. */
  get silentSeconds(): number | null {
    return this.heardAt.size === 0 ? null : this.ago(Math.max(...this.heardAt.values()));
  }

  /** Seconds since the last heartbeat; null before the first. */
  get heartbeatAgeSeconds(): number | null {
    return this.ago(this.heartbeatAt);
  }

  private ago(t: number | null): number | null {
    return t === null ? null : Math.round((this.o.clock.monotonic() - t) / 100) / 10;
  }

  start(): void {
    this.stopTicks = repeatEvery(this.o.clock, staleCheckEvery(this.o.staleAfterMs), () => this.check());
  }

  stop(): void {
    this.stopped = true;
    this.stopTicks?.();
  }

  /** Listening (again): the silence counts from now (a silence the feed could not hear is no verdict). */
  listen(): void {
    const now = this.o.clock.monotonic();
    for (const s of this.o.symbols) this.heardAt.set(s, Math.max(this.heardAt.get(s) ?? 0, now));
  }

  /** A publisher spoke for these symbols: a heartbeat (`publisher` is its id) or a bar read from the stream (null). */
  heard(symbols: readonly string[], publisher: string | null): void {
    const now = this.o.clock.monotonic();
    for (const s of symbols) this.heardAt.set(s, now);
    if (publisher !== null) {
      this.heartbeatAt = now;
      this.ids.set(publisher, now);
    }
    if (this.staleNow && this.silent(now).length === 0) {
      this.staleNow = false;
      this.alerted = false;
      this.o.onFresh(publisher);
    }
  }

  /** The symbols nothing was heard for in staleAfterMs. */
  private silent(now: number, afterMs = this.o.staleAfterMs): string[] {
    return this.o.symbols.filter((s) => now - (this.heardAt.get(s) ?? now) >= afterMs);
  }

  /** The longest silence among the symbols. */
  private longest(now: number): number {
    let oldest = now;
    for (const t of this.heardAt.values()) oldest = Math.min(oldest, t);
    return now - oldest;
  }

  private check(): void {
    if (this.stopped || this.o.deaf() || this.heardAt.size === 0 || this.verdictPending) return;
    const silent = this.longest(this.o.clock.monotonic());
    if (!((silent >= this.o.staleAfterMs && !this.staleNow) || (silent >= this.o.staleAlertAfterMs && !this.alerted))) return;
    this.verdictPending = true;
    afterPendingIo(() => {
      this.verdictPending = false;
      this.judge();
    });
  }

  private judge(): void {
    if (this.stopped || this.o.deaf() || this.heardAt.size === 0) return;
    const now = this.o.clock.monotonic();
    const silent = this.longest(now);
    if (silent >= this.o.staleAfterMs && !this.staleNow) {
      this.staleNow = true;
      this.o.onStale(silent, this.silent(now));
    }
    if (silent >= this.o.staleAlertAfterMs && !this.alerted) {
      this.alerted = true;
      this.o.onSilentTooLong(silent, this.silent(now, this.o.staleAlertAfterMs));
    }
  }
}
