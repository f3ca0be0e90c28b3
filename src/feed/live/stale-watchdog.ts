/**
 * The staleness watchdog: ticks on the injected clock and finds connections silent past
 * staleAfterMs (stale) or staleAlertAfterMs (to be replaced). Its verdict waits until pending
 * socket data has been read: after a blocked turn (a slow strategy), timers run before sockets
 * are read, and the messages that prove a connection fresh may be waiting unread.
 */
import { type Clock, repeatEvery, staleCheckEvery } from '../../telemetry/clock.ts';
import { openConnections, type Slot } from './slot-health.ts';
import { afterPendingIo, type WsConnection } from './ws-connection.ts';

export interface StaleWatchdogOptions {
  readonly clock: Clock;
  readonly slots: readonly Slot[];
  readonly staleAfterMs: number;
  readonly staleAlertAfterMs: number;
  /** While reading is paused (backpressure), silence is ours: nothing is judged. */
  readonly paused: () => boolean;
  /** A connection has been silent staleAfterMs (it is marked stale first). */
  readonly onStale: (slot: Slot, conn: WsConnection, silentMs: number) => void;
  /** A connection has been silent staleAlertAfterMs: it must be replaced. */
  readonly onSilentTooLong: (slot: Slot, conn: WsConnection, silentMs: number) => void;
}

export class StaleWatchdog {
  private readonly o: StaleWatchdogOptions;
  private stopTicks: (() => void) | null = null;
  private verdictPending = false;
  private stopped = false;

  constructor(options: StaleWatchdogOptions) {
    this.o = options;
  }

  start(): void {
    this.stopTicks = repeatEvery(this.o.clock, staleCheckEvery(this.o.staleAfterMs), () => this.check());
  }

  stop(): void {
    this.stopped = true;
    this.stopTicks?.();
  }

  private check(): void {
    if (this.o.paused() || this.verdictPending) return;
    const now = this.o.clock.monotonic();
    const { staleAfterMs, staleAlertAfterMs } = this.o;
    const due = this.o.slots.some((slot) =>
      openConnections(slot).some((c) => {
        const silent = now - c.lastMessageAt;
        return (silent >= staleAfterMs && !c.stale) || (silent >= staleAlertAfterMs && !c.staleAlerted);
      }),
    );
    if (!due) return;
    this.verdictPending = true;
    afterPendingIo(() => {
      this.verdictPending = false;
      if (!this.stopped && !this.o.paused()) this.judge();
    });
  }

  private judge(): void {
    const now = this.o.clock.monotonic();
    const { staleAfterMs, staleAlertAfterMs } = this.o;
    for (const slot of this.o.slots) {
      for (const conn of openConnections(slot)) {
        const silent = now - conn.lastMessageAt;
        if (silent >= staleAfterMs && !conn.stale) {
          conn.stale = true;
          this.o.onStale(slot, conn, silent);
        }
        if (silent >= staleAlertAfterMs && !conn.staleAlerted) {
          conn.staleAlerted = true;
          this.o.onSilentTooLong(slot, conn, silent);
        }
      }
    }
  }
}
