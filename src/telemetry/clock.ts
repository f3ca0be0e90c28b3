/**
 * Time, injected. Nothing deep inside the loop calls Date.now() or setTimeout: the realtime feed,
 * the watchdog and the slice grace all take a Clock, so tests drive time by hand.
 */

/** Opaque: whatever the clock's setTimer returned. */
export type TimerHandle = object;

export interface Clock {
  /** Wall clock, ms since the epoch: for event times and the network latency segment. */
  now(): number;
  /** Monotonic ms (fractional): for in-process latency segments. */
  monotonic(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle | null): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer(handle) {
    if (handle) clearTimeout(handle as NodeJS.Timeout);
  },
};

/** A clock that moves only when told to: advance() runs the timers that come due, in time order. */
export class VirtualClock implements Clock {
  private wall: number;
  private mono = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startWallMs = Date.UTC(2026, 0, 1)) {
    this.wall = startWallMs;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.mono + Math.max(0, ms), fn });
    return { id };
  }

  clearTimer(handle: TimerHandle | null): void {
    if (handle) this.timers.delete((handle as { id: number }).id);
  }

  /** Moves time forward by ms, running every timer due on the way (timers set meanwhile included). */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= end && (t.at < nextAt || (t.at === nextAt && id < nextId))) {
          nextId = id;
          nextAt = t.at;
        }
      }
      if (nextId < 0) break;
      const timer = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.wall += nextAt - this.mono;
      this.mono = nextAt;
      timer.fn();
    }
    this.wall += end - this.mono;
    this.mono = end;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
