/**
 * The tape: a clock that plays the slices to its output, started by a subscription. Like Binance,
 * it does not wait for anyone and replays nothing: a client that joins a running tape misses what
 * went before. The server runs one tape for every client (--tape shared) or one per client.
 *
 * Timing. Each slice lasts barWallMs = interval / speed of wall time, whatever the gap to the next
 * slice in data time: nights, weekends and maintenance are jumped, not slept through. A slice's
 * time is cut into `updates` equal ticks; tick p sends every bar of the slice as it stands after
 * p/updates of it (x:false), and the tick after the last one sends the final bars (x:true) then the
 * next slice's first update. Ticks sit on one grid anchored at the start, so timer lateness never
 * accumulates into drift. With a loop the grid runs on through pass after pass (replay-timeline.ts).
 */
import { performance } from 'node:perf_hooks';
import { nominalIntervalMs } from '../domain/interval.ts';
import type { TapeTimeline } from './replay-timeline.ts';

/** Bar time per wall time (60: a 1m bar lasts 1 s), or 'max': as fast as the clients read. */
export type ReplaySpeed = number | 'max';

/** Binance pushes a kline every 2 s; no stream of ours is ever quieter than that. */
export const MAX_QUIET_MS = 2000;

export interface TapeOptions {
  readonly speed: ReplaySpeed;
  /** A floor: raised so that ticks are at most MAX_QUIET_MS apart. Default 2. */
  readonly updatesPerBar?: number;
  /** Monotonic ms for pacing (default performance.now); E stamps use the server's wall clock. */
  readonly clock?: () => number;
}

export interface TapeOutput {
  /** Every bar of slice `slice` of pass `pass` as it stands after `fraction` of it; 1 = final (x:true). */
  slice(slice: number, fraction: number, pass: number): void;
  /** At speed 'max', the tape waits while this is true (a client's send buffer is full). */
  congested(): boolean;
  /** A looped tape starts pass `pass` (1, 2, ...) from its first slice. */
  looped?(pass: number): void;
  /** The last slice closed and there is no loop: nothing more will be sent. */
  ended?(): void;
}

export type TapeState = 'waiting' | 'running' | 'done' | 'stopped';

/** Updates per bar for a speed: at least `floor` (default 2), and no tick longer than MAX_QUIET_MS. */
export function updatesPerBar(interval: string, speed: ReplaySpeed, floor = 2): number {
  if (speed === 'max') return floor;
  return Math.max(floor, Math.ceil(nominalIntervalMs(interval) / speed / MAX_QUIET_MS));
}

/** Throws RangeError for a speed or update floor no tape can run at; returns the floor. */
export function checkTapeOptions(speed: ReplaySpeed, updatesFloor: number | undefined): number {
  const floor = updatesFloor ?? 2;
  if (!Number.isInteger(floor) || floor < 1) throw new RangeError(`updatesPerBar ${floor}: expected a whole number of at least 1.`);
  if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) throw new RangeError(`speed ${speed}: expected a positive number or 'max'.`);
  return floor;
}

/** How long the tape sends before it lets sockets and REST requests in (speed 'max', or catching up). */
const SEND_BATCH_MS = 10;
/** How long the tape waits at speed 'max' before checking a congested client again. */
const CONGESTION_RETRY_MS = 5;

export class ReplayTape {
  readonly updates: number;
  /** Wall ms per tick (0 at speed 'max'). */
  readonly tickMs: number;
  readonly timeline: TapeTimeline;
  private readonly out: TapeOutput;
  private readonly clock: () => number;
  private readonly max: boolean;
  /** Per symbol: virtual bars [0, closed[s]) are closed and may be served over REST. */
  private readonly closed: number[];
  /** Slices per pass. */
  private readonly length: number;
  private stateValue: TapeState = 'waiting';
  private startedAt = 0;
  /** Ticks run so far, counted from the first slice. */
  private tick = 0;
  private slicesClosedValue = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(timeline: TapeTimeline, options: TapeOptions, out: TapeOutput) {
    const speed = options.speed;
    const floor = checkTapeOptions(speed, options.updatesPerBar);
    const interval = timeline.bars.interval;
    this.timeline = timeline;
    this.out = out;
    this.clock = options.clock ?? (() => performance.now());
    this.max = speed === 'max';
    this.updates = updatesPerBar(interval, speed, floor);
    this.tickMs = speed === 'max' ? 0 : nominalIntervalMs(interval) / speed / this.updates;
    this.length = timeline.slicesPerPass;
    this.closed = timeline.bars.series.map((_, i) => timeline.history(i));
  }

  get state(): TapeState {
    return this.stateValue;
  }

  get slicesClosed(): number {
    return this.slicesClosedValue;
  }

  /** openTime of the slice being sent (shifted by its pass), or null before the start and after the end. */
  get currentOpenTime(): number | null {
    if (this.stateValue !== 'running' || this.length === 0) return null;
    const at = Math.floor(this.tick / this.updates);
    const t = this.timeline.bars.slices.openTime[this.timeline.firstSlice + (at % this.length)];
    return t === undefined ? null : t + Math.floor(at / this.length) * this.timeline.shiftMs;
  }

  closedCount(symbol: number): number {
    return this.closed[symbol]!;
  }

  /** Starts the clock; later calls do nothing. */
  start(): void {
    if (this.stateValue !== 'waiting') return;
    this.stateValue = 'running';
    this.startedAt = this.clock();
    if (this.length === 0) {
      this.stateValue = 'done';
      this.out.ended?.();
      return;
    }
    if (this.max) this.immediate = setImmediate(this.runMax);
    else this.timer = setTimeout(this.runPaced, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    if (this.stateValue === 'running' || this.stateValue === 'waiting') this.stateValue = 'stopped';
  }

  private readonly runPaced = (): void => {
    this.timer = null;
    const due = Math.floor((this.clock() - this.startedAt) / this.tickMs);
    // Ticks that came due while the loop was held up all go out now, so every bar keeps its updates;
    // in batches, so that at a huge speed sockets and REST still get their turn.
    const until = this.clock() + SEND_BATCH_MS;
    while (this.tick <= due && this.stateValue === 'running') {
      this.step();
      this.tick++;
      if (this.clock() >= until) break;
    }
    if (this.stateValue !== 'running') return;
    const wait = this.startedAt + this.tick * this.tickMs - this.clock();
    this.timer = setTimeout(this.runPaced, Math.max(0, wait));
  };

  private readonly runMax = (): void => {
    this.immediate = null;
    this.timer = null;
    const until = this.clock() + SEND_BATCH_MS;
    while (this.stateValue === 'running') {
      if (this.out.congested()) {
        this.timer = setTimeout(this.runMax, CONGESTION_RETRY_MS);
        return;
      }
      this.step();
      this.tick++;
      if (this.clock() >= until) {
        this.immediate = setImmediate(this.runMax);
        return;
      }
    }
  };

  private step(): void {
    // `at` counts slices from the start across passes; a pass is `length` slices.
    const at = Math.floor(this.tick / this.updates);
    const phase = this.tick % this.updates;
    if (phase === 0 && at > 0) this.close(at - 1);
    const pass = Math.floor(at / this.length);
    if (pass > 0 && !this.timeline.loop) {
      this.stateValue = 'done';
      this.out.ended?.();
      return;
    }
    const slice = this.timeline.firstSlice + (at % this.length);
    if (phase === 0 && pass > 0 && slice === this.timeline.firstSlice) this.out.looped?.(pass);
    this.out.slice(slice, phase / this.updates, pass);
  }

  private close(at: number): void {
    const timeline = this.timeline;
    const slices = timeline.bars.slices;
    const slice = timeline.firstSlice + (at % this.length);
    const pass = Math.floor(at / this.length);
    // Closed for REST before the x:true goes out: a client that asks on receipt finds the bar.
    for (let e = slices.start[slice]!; e < slices.start[slice + 1]!; e++) {
      const s = slices.symbol[e]!;
      this.closed[s] = timeline.index(s, slices.bar[e]!, pass) + 1;
    }
    this.slicesClosedValue++;
    this.out.slice(slice, 1, pass);
  }
}
