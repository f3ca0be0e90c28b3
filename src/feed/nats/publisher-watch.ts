/**
 * Whether a session on the fleet's stream hears its publishers: each heartbeats every second on
 * `tradeloop.heartbeat.<id>` (core NATS, not in the stream), and each bar the session reads is
 * news of one too. Nothing heard for staleAfterMs on the injected clock: stale (the feed halts
 * feed_stale); for staleAlertAfterMs: said once in an alert. Heard again: fresh. While the feed
 * cannot hear (reading paused for backpressure, the server away) nothing is judged, and the
 * silence counts from when it can again. A verdict waits until pending socket data has been read:
 * after a blocked turn (a slow strategy) Node runs due timers before it reads sockets.
 */
import { HEARTBEAT_SUBJECT } from '../../fleet/bar-message.ts';
import type { Clock, TimerHandle } from '../../telemetry/clock.ts';
import { afterPendingIo } from '../live/ws-connection.ts';

export interface PublisherWatchOptions {
  readonly clock: Clock;
  readonly staleAfterMs: number;
  readonly staleAlertAfterMs: number;
  /** True while silence is no verdict on the publishers (paused, disconnected, stopped). */
  readonly deaf: () => boolean;
  /** Nothing heard for staleAfterMs. */
  readonly onStale: (silentMs: number) => void;
  /** Nor for staleAlertAfterMs (once until heard again). */
  readonly onSilentTooLong: (silentMs: number) => void;
  /** Heard again after being stale; `heartbeat` is the subject when it was a heartbeat. */
  readonly onFresh: (heartbeat: string | null) => void;
}

export class PublisherWatch {
  private readonly o: PublisherWatchOptions;
  /** Monotonic time a publisher was last heard, or when listening began; null before. */
  private heardAt: number | null = null;
  private heartbeatAt: number | null = null;
  /** Publishers heard by their heartbeats, by id, and when each was last. */
  private readonly ids = new Map<string, number>();
  private staleNow = false;
  private alerted = false;
  private verdictPending = false;
  private timer: TimerHandle | null = null;
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

  /** Seconds since anything was heard (0.1 s resolution); null before listening began. */
  get silentSeconds(): number | null {
    return this.ago(this.heardAt);
  }

  /** Seconds since the last heartbeat; null before the first. */
  get heartbeatAgeSeconds(): number | null {
    return this.ago(this.heartbeatAt);
  }

  private ago(t: number | null): number | null {
    return t === null ? null : Math.round((this.o.clock.monotonic() - t) / 100) / 10;
  }

  start(): void {
    const tick = Math.max(10, Math.min(250, this.o.staleAfterMs / 4));
    const loop = (): void => {
      this.check();
      if (!this.stopped) this.timer = this.o.clock.setTimer(loop, tick);
    };
    this.timer = this.o.clock.setTimer(loop, tick);
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimer(this.timer);
  }

  /** Listening (again): the silence counts from now (a silence the feed could not hear is no verdict). */
  listen(): void {
    this.heardAt = Math.max(this.heardAt ?? 0, this.o.clock.monotonic());
  }

  /** A publisher spoke: a heartbeat (its subject names it) or a bar read from the stream (null). */
  heard(heartbeat: string | null): void {
    const now = this.o.clock.monotonic();
    this.heardAt = now;
    if (heartbeat !== null) {
      this.heartbeatAt = now;
      this.ids.set(heartbeat.slice(HEARTBEAT_SUBJECT.length + 1), now);
    }
    if (this.staleNow) {
      this.staleNow = false;
      this.alerted = false;
      this.o.onFresh(heartbeat);
    }
  }

  private check(): void {
    if (this.stopped || this.o.deaf() || this.heardAt === null || this.verdictPending) return;
    const silent = this.o.clock.monotonic() - this.heardAt;
    if (!((silent >= this.o.staleAfterMs && !this.staleNow) || (silent >= this.o.staleAlertAfterMs && !this.alerted))) return;
    this.verdictPending = true;
    afterPendingIo(() => {
      this.verdictPending = false;
      this.judge();
    });
  }

  private judge(): void {
    if (this.stopped || this.o.deaf() || this.heardAt === null) return;
    const silent = this.o.clock.monotonic() - this.heardAt;
    if (silent >= this.o.staleAfterMs && !this.staleNow) {
      this.staleNow = true;
      this.o.onStale(silent);
    }
    if (silent >= this.o.staleAlertAfterMs && !this.alerted) {
      this.alerted = true;
      this.o.onSilentTooLong(silent);
    }
  }
}
