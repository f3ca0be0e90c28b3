/**
 * events.ndjson written by a second thread (static runs). The loop packs bar and decision events
 * into numeric records (event-records.ts) and posts a batch every few thousand events; the writer
 * thread turns them into exactly the text the in-thread writer would, in the same order. At most a
 * few batches are in flight: past that the loop blocks (Atomics.wait) until the writer catches
 * up, so memory stays flat and no event is ever dropped.
 *
 * A failed write must end the run, not hang it: while the loop blocks, no message from the writer
 * thread can be dispatched, so the thread reports a failure through the shared control block
 * (a flag and the message, set before it notifies), and the loop's waits are short and read it.
 */
import { closeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { EventSink } from '../events/event-bus.ts';
import { RECORD_SIZE, RecordPacker } from './event-records.ts';
import type { LotSteps } from '../events/lot-steps.ts';
import { serializeEvent } from '../events/serialize.ts';
import type { TradeEvent } from '../events/types.ts';
import { EventLogError } from './event-log-error.ts';
import { openLogFile } from './ndjson-writer.ts';
import { CONTROL_BYTES, IN_FLIGHT, readFailure } from './writer-control.ts';
import { siblingModule } from '../config/module-url.ts';

const RECORDS_PER_BATCH = 8192;
const MAX_IN_FLIGHT = 4;
/** Each wait is this short, so a failure reported meanwhile is seen at once. */
const WAIT_MS = 50;

export class ThreadedNdjsonWriter implements EventSink {
  readonly path: string;
  private readonly worker: Worker;
  private readonly fd: number;
  private readonly control: Int32Array;
  /**
   * Batches take turns in a few arrays of shared memory rather than a new 700 KB array each: the
   * writer thread allocates next to nothing, so its garbage collector seldom ran, and the arrays
   * handed over piled up outside its heap (peak RSS grew with the input).
   */
  private readonly packer: RecordPacker;
  private failure: EventLogError | null = null;
  private closed = false;
  private readonly finished: Promise<void>;
  private readonly lots: LotSteps;

  /** `lots`: each symbol's lot step, in which events' quantities are written. */
  constructor(path: string, options: { readonly lots: LotSteps; readonly append?: boolean }) {
    this.path = path;
    this.lots = options.lots;
    // Opened here, not in the thread: a folder that cannot hold the file is refused at once.
    this.fd = openLogFile(path, options.append);
    // One more slot than batches in flight and the one being filled: a slot is reused only once done.
    const slots = Array.from({ length: MAX_IN_FLIGHT + 2 }, () => new Float64Array(new SharedArrayBuffer(RECORDS_PER_BATCH * RECORD_SIZE * 8)));
    this.packer = new RecordPacker(RECORDS_PER_BATCH, options.lots, slots);
    const shared = new SharedArrayBuffer(CONTROL_BYTES);
    this.control = new Int32Array(shared);
    this.worker = new Worker(siblingModule('ndjson-thread', import.meta.url), {
      workerData: { path, fd: this.fd, control: shared, append: options.append ?? false },
    });
    this.finished = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (m: { closed?: boolean; error?: string }) => {
        if (m.closed) resolve();
        else if (m.error !== undefined) reject(this.failed() ?? new EventLogError(path, 'EUNKNOWN', m.error));
      });
      this.worker.on('error', (err) => reject(EventLogError.from(path, err)));
      this.worker.on('exit', () =>
        reject(this.failed() ?? new EventLogError(path, 'EUNKNOWN', `the writer thread of ${path} stopped before the log was closed`)),
      );
    });
    this.finished.catch(() => {}); // surfaced by close()
  }

  /** The failure the writer thread reported through shared memory, if any (sticky once seen). */
  private failed(): EventLogError | null {
    this.failure ??= readFailure(this.control, this.path);
    return this.failure;
  }

  write(seq: number, event: TradeEvent): void {
    if (this.failure) throw this.failure;
    if (!this.packer.pack(seq, event)) this.packer.line(serializeEvent(seq, event, this.lots));
    if (this.packer.full) this.send();
  }

  private send(): void {
    const failure = this.failed();
    if (failure) throw failure;
    if (this.packer.count === 0) return;
    const batch = this.packer.take();
    Atomics.add(this.control, IN_FLIGHT, 1);
    this.worker.postMessage({ batch });
    // Backpressure: wait for the writer thread rather than queue without bound.
    for (let n = Atomics.load(this.control, IN_FLIGHT); n > MAX_IN_FLIGHT; n = Atomics.load(this.control, IN_FLIGHT)) {
      Atomics.wait(this.control, IN_FLIGHT, n, WAIT_MS);
      const f = this.failed();
      if (f) throw f;
    }
  }

  async close(): Promise<void> {
    if (this.closed) {
      if (this.failure) throw this.failure;
      return;
    }
    this.closed = true;
    try {
      this.send();
      this.worker.postMessage({ end: true });
      await this.finished;
    } catch (err) {
      this.failure ??= EventLogError.from(this.path, err);
    } finally {
      await this.worker.terminate();
      closeSync(this.fd);
    }
    if (this.failure) throw this.failure;
  }
}
