/**
 * The sweep's workers: N threads (sweep-worker.ts), each running one point at a time, handed the
 * next point of the grid as it finishes one, so a slow point never holds up the rest. Results are
 * kept by grid index: the order they finish in changes nothing written.
 *
 * A run can fail without ending the sweep: a strategy that throws or a value it refuses is a row
 * with its error (run-point.ts). A run that makes no progress for `stallMs` (a strategy stuck in
 * onBar: its thread never returns, so nothing inside that thread can end it) is ended from here,
 * by terminating its worker, which ends the strategy's own thread too; its row says so, and a new
 * worker takes the slot. So does a worker that dies (out of memory).
 */
import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { siblingModule } from '../config/module-url.ts';
import type { Clock, TimerHandle } from '../telemetry/clock.ts';
import { type PointResult, type PointSetup, type PointTask, scratchOf } from './run-point.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './sweep-worker.ts';

export interface PoolInput {
  readonly jobs: number;
  readonly size: number;
  readonly taskAt: (index: number) => PointTask;
  readonly setup: Omit<PointSetup, 'beat'>;
  /** A run with no cycle and no chunk of input read for this long is ended; 0: never. */
  readonly stallMs: number;
  readonly clock: Clock;
  /** The worker's module (default sweep-worker.ts): a test's stand-in. */
  readonly workerUrl?: URL;
  /** Called as each run ends (in the order they end): the progress bar. */
  readonly onResult?: (result: PointResult) => void;
}

export interface PoolOutcome {
  /** By grid index; a hole where a run never ran (the sweep was stopped). */
  readonly results: ReadonlyArray<PointResult | undefined>;
  readonly stopped: boolean;
}

/**
 * A static run's heap flags (cli/node-flags.ts: --max-semi-space-size=32) as a worker's limits:
 * V8's young generation is three semi-spaces, and a worker cannot be given Node flags of its own.
 */
const YOUNG_GENERATION_MB = 96;

interface Slot {
  worker: Worker;
  beats: Int32Array;
  task: PointTask | null;
  lastBeat: number;
  lastChange: number;
  /** Ended from here (stalled, or the sweep stopped): its exit is expected. */
  ending: boolean;
}

export class WorkerPool {
  private readonly input: PoolInput;
  private readonly results: Array<PointResult | undefined>;
  private readonly slots = new Set<Slot>();
  private next = 0;
  private done = 0;
  private stopped = false;
  private timer: TimerHandle | null = null;
  private finished!: (outcome: PoolOutcome) => void;

  constructor(input: PoolInput) {
    this.input = input;
    this.results = new Array<PointResult | undefined>(input.size);
  }

  run(): Promise<PoolOutcome> {
    const outcome = new Promise<PoolOutcome>((resolve) => {
      this.finished = resolve;
    });
    const workers = Math.max(1, Math.min(this.input.jobs, this.input.size));
    for (let i = 0; i < workers; i++) this.startWorker();
    this.watch();
    return outcome;
  }

  /** Ends the sweep now (a signal): the runs in hand are abandoned, their rows left out. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const slot of this.slots) this.end(slot);
    this.settleIfDone();
  }

  private startWorker(): void {
    const beats = new Int32Array(new SharedArrayBuffer(4));
    const workerData: WorkerSetup = { ...this.input.setup, beats: beats.buffer as SharedArrayBuffer };
    const worker = new Worker(this.input.workerUrl ?? siblingModule('sweep-worker', import.meta.url), {
      workerData,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    const slot: Slot = { worker, beats, task: null, lastBeat: 0, lastChange: this.input.clock.monotonic(), ending: false };
    this.slots.add(slot);
    worker.on('message', (message: FromWorker) => {
      // The first point goes once the worker has loaded: its start-up is no run's time.
      if (message.type === 'ready') {
        this.dispatch(slot);
        return;
      }
      if (slot.ending || slot.task === null || message.result.index !== slot.task.index) return;
      slot.task = null;
      this.record(message.result);
      this.dispatch(slot);
    });
    // 'error' is followed by 'exit', which settles the slot; the error's text goes in the row.
    let failure: string | null = null;
    worker.on('error', (err) => {
      failure = err.message;
    });
    worker.on('exit', () => {
      this.slots.delete(slot);
      const task = slot.task;
      if (task !== null && !this.stopped) {
        rmSync(scratchOf(this.input.setup.workDir, task.index), { recursive: true, force: true });
        // A stalled run's row was recorded when it was ended; this is a worker that died on its own.
        if (!slot.ending)
          this.record({ index: task.index, runId: null, summaryText: null, error: `the worker thread running it died: ${failure ?? 'it exited'}` });
      }
      if (!this.stopped && this.next < this.input.size) this.startWorker();
      this.settleIfDone();
    });
  }

  private dispatch(slot: Slot): void {
    if (this.stopped || this.next >= this.input.size) {
      slot.worker.postMessage({ type: 'stop' } satisfies ToWorker);
      return;
    }
    const task = this.input.taskAt(this.next++);
    slot.task = task;
    slot.lastBeat = Atomics.load(slot.beats, 0);
    slot.lastChange = this.input.clock.monotonic();
    slot.worker.postMessage({ type: 'run', task } satisfies ToWorker);
  }

  private record(result: PointResult): void {
    if (this.results[result.index] !== undefined) return;
    this.results[result.index] = result;
    this.done++;
    this.input.onResult?.(result);
  }

  /** Looked at a few times a timeout: a stalled run is ended between stallMs and 1.25 × stallMs. */
  private watch(): void {
    if (this.input.stallMs <= 0) return;
    this.timer = this.input.clock.setTimer(
      () => {
        this.checkStalls();
        if (this.timer !== null) this.watch();
      },
      Math.max(50, Math.min(1000, this.input.stallMs / 4)),
    );
  }

  private checkStalls(): void {
    const now = this.input.clock.monotonic();
    for (const slot of this.slots) {
      if (slot.task === null || slot.ending) continue;
      const beat = Atomics.load(slot.beats, 0);
      if (beat !== slot.lastBeat) {
        slot.lastBeat = beat;
        slot.lastChange = now;
      } else if (now - slot.lastChange > this.input.stallMs) {
        const seconds = this.input.stallMs / 1000;
        this.record({
          index: slot.task.index,
          runId: null,
          summaryText: null,
          error: `no progress for ${seconds} s (--cycle-timeout ${seconds}): the strategy's onBar (or its loading) did not return, and the run was ended`,
        });
        this.end(slot);
      }
    }
  }

  private end(slot: Slot): void {
    slot.ending = true;
    void slot.worker.terminate();
  }

  private settleIfDone(): void {
    if (this.slots.size > 0 || (!this.stopped && this.done < this.input.size)) return;
    this.input.clock.clearTimer(this.timer);
    this.timer = null;
    this.finished({ results: this.results, stopped: this.stopped });
  }
}
