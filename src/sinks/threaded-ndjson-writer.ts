/**
 * events.ndjson written by a second thread (static runs). The loop packs bar and decision events
 * into numeric records (event-records.ts) and posts a batch every few thousand events; the writer
 * thread turns them into exactly the text the in-thread writer would, in the same order. At most a
 * few batches are in flight: past that the loop blocks (Atomics.wait) until the writer catches
 * up, so memory stays flat and no event is ever dropped.
 */
import { Worker } from 'node:worker_threads';
import type { EventSink } from '../events/event-bus.ts';
import { RecordPacker } from './event-records.ts';
import { serializeEvent } from '../events/serialize.ts';
import type { TradeEvent } from '../events/types.ts';

const RECORDS_PER_BATCH = 8192;
const MAX_IN_FLIGHT = 4;

export class ThreadedNdjsonWriter implements EventSink {
  private readonly worker: Worker;
  private readonly inFlight: Int32Array;
  private readonly packer = new RecordPacker(RECORDS_PER_BATCH);
  private failure: Error | null = null;
  private readonly finished: Promise<void>;

  constructor(path: string, options: { append?: boolean } = {}) {
    const control = new SharedArrayBuffer(4);
    this.inFlight = new Int32Array(control);
    this.worker = new Worker(new URL('./ndjson-thread.ts', import.meta.url), { workerData: { path, control, append: options.append ?? false } });
    this.finished = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (m: { closed?: boolean; error?: string }) => {
        if (m.error) {
          this.failure = new Error(`events.ndjson writer: ${m.error}`);
          reject(this.failure);
        } else if (m.closed) resolve();
      });
      this.worker.on('error', (err) => {
        this.failure = err;
        reject(err);
      });
    });
    this.finished.catch(() => {}); // surfaced by close()
  }

  write(seq: number, event: TradeEvent): void {
    if (!this.packer.pack(seq, event)) this.packer.line(serializeEvent(seq, event));
    if (this.packer.full) this.send();
  }

  private send(): void {
    if (this.failure) throw this.failure;
    if (this.packer.count === 0) return;
    const batch = this.packer.take();
    Atomics.add(this.inFlight, 0, 1);
    this.worker.postMessage({ batch }, [batch.nums.buffer as ArrayBuffer]);
    // Backpressure: wait for the writer thread rather than queue without bound.
    for (let n = Atomics.load(this.inFlight, 0); n > MAX_IN_FLIGHT; n = Atomics.load(this.inFlight, 0)) {
      Atomics.wait(this.inFlight, 0, n, 1000);
      if (this.failure) throw this.failure;
    }
  }

  async close(): Promise<void> {
    this.send();
    this.worker.postMessage({ end: true });
    try {
      await this.finished;
    } finally {
      await this.worker.terminate();
    }
  }
}
