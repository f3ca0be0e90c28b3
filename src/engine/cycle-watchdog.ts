/**
 * The cycle watchdog (--cycle-timeout S). A strategy whose onBar never returns blocks the one
 * thread that runs JavaScript: no timer fires, SIGINT and SIGTERM are never handled, --minutes
 * never ends. So the watch runs on a thread of its own: before each cycle the loop bumps a shared
 * counter and marks the cycle active (a few stores, no clock read); the watchdog thread looks
 * several times a timeout, and when one cycle has stayed active for longer than the timeout it
 * writes what was committed of events.ndjson (the cycles before the stuck one), reports the
 * strategy, symbol and bar on stderr with plain syscalls, and ends the process with SIGUSR2 (exit
 * status 140): nothing else gets a process out of a thread stuck in JavaScript.
 */
import { Worker } from 'node:worker_threads';
import { siblingModule } from '../config/module-url.ts';

/** The exit status a stuck cycle ends the process with (128 + SIGUSR2). */
export const WATCHDOG_EXIT_STATUS = 140;

/** What the watchdog thread may write for the loop when it is stuck: the log's committed bytes. */
export interface SharedLog {
  readonly fd: number;
  readonly buffer: SharedArrayBuffer;
  /** Float64 [used, committed, position]: bytes in the buffer, bytes up to the last endCycle, file offset of the buffer. */
  readonly state: SharedArrayBuffer;
}

export interface WatchdogOptions {
  readonly timeoutMs: number;
  readonly strategy: string;
  readonly symbols: readonly string[];
  /** The realtime log, shared so the committed cycles survive; null (static) keeps what its writer thread has. */
  readonly log: SharedLog | null;
  readonly logPath: string;
}

/** Slots of the shared control array (Float64). */
export const W_ACTIVE = 0;
export const W_SEQ = 1;
export const W_SYMBOL = 2;
export const W_OPEN_TIME = 3;

export class CycleWatchdog {
  private readonly control = new Float64Array(new SharedArrayBuffer(4 * 8));
  private readonly index = new Map<string, number>();
  private readonly worker: Worker;

  constructor(options: WatchdogOptions) {
    options.symbols.forEach((s, i) => {
      this.index.set(s, i);
    });
    this.worker = new Worker(siblingModule('cycle-watchdog-thread', import.meta.url), {
      workerData: { ...options, control: this.control.buffer },
    });
    // The watchdog never keeps the process alive, and its own failure must not end a session.
    this.worker.unref();
    this.worker.on('error', () => {});
  }

  begin(symbol: string, openTime: number): void {
    const c = this.control;
    c[W_SYMBOL] = this.index.get(symbol) ?? -1;
    c[W_OPEN_TIME] = openTime;
    c[W_SEQ]!++;
    c[W_ACTIVE] = 1;
  }

  end(): void {
    this.control[W_ACTIVE] = 0;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
