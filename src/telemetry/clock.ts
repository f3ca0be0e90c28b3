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

/** Node's longest timer: a setTimeout past it fires after 1 ms (with a TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Every clock reads a delay the same way: NaN and negative mean now (as Node does), Infinity
 * means never. Delays can come from a server (Retry-After) or a flag: none may fire early.
 */
export function timerDelay(ms: number): number {
  return Number.isNaN(ms) ? 0 : Math.max(0, ms);
}

/**
 * Calls `tick` every `periodMs` on `clock` until the returned stop() is called (a staleness check's
 * beat: each tick is set after the one before has run, so a slow tick never stacks up).
 */
export function repeatEvery(clock: Clock, periodMs: number, tick: () => void): () => void {
  let stopped = false;
  let timer: TimerHandle | null = null;
  const loop = (): void => {
    tick();
    if (!stopped) timer = clock.setTimer(loop, periodMs);
  };
  timer = clock.setTimer(loop, periodMs);
  return () => {
    stopped = true;
    clock.clearTimer(timer);
  };
}

/** How often a watch looks for silence: a quarter of the stale limit, between 10 and 250 ms. */
export function staleCheckEvery(staleAfterMs: number): number {
  return Math.max(10, Math.min(250, staleAfterMs / 4));
}

/** A system timer handle: the current link of a chain of Node timers, for delays past MAX_TIMER_MS. */
interface SystemTimer {
  current: NodeJS.Timeout | null;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer(fn, ms) {
    const timer: SystemTimer = { current: null };
    // Past Node's limit, wait in links of at most MAX_TIMER_MS, measured on the monotonic clock.
    const due = performance.now() + timerDelay(ms);
    const arm = (): void => {
      const left = due - performance.now();
      if (left > MAX_TIMER_MS) {
        timer.current = setTimeout(arm, MAX_TIMER_MS);
      } else {
        timer.current = setTimeout(
          () => {
            timer.current = null;
            fn();
          },
          Math.max(0, left),
        );
      }
    };
    arm();
    return timer;
  },
  clearTimer(handle) {
    const timer = handle as SystemTimer | null;
    if (timer?.current) clearTimeout(timer.current);
    if (timer) timer.current = null;
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
    this.timers.set(id, { at: this.mono + timerDelay(ms), fn });
    return { id };
  }

  clearTimer(handle: TimerHandle | null): void {
    if (handle) this.timers.delete((handle as { id: number }).id);
  }

  /** A wall-clock step (NTP, an operator): the wall moves, the monotonic clock and timers do not. */
  stepWall(ms: number): void {
    this.wall += ms;
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
