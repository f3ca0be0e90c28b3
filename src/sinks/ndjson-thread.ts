/**
 * The writer thread of a static run: receives record batches in order, turns them into the same
 * bytes the serializers give (record-encoder.ts), and writes events.ndjson. Turning two events a bar into
 * text was most of a static run's time once parsing was done; here it runs on the other core.
 * A failed write is reported through the shared control block (writer-control.ts) and ends the
 * thread's work: the loop sees it even while it is blocked waiting for this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NdjsonWriter } from './ndjson-writer.ts';
import type { RecordBatch } from './event-records.ts';
import { RecordEncoder } from './record-encoder.ts';
import { EventLogError } from './event-log-error.ts';
import { IN_FLIGHT, reportFailure } from './writer-control.ts';

interface Init {
  readonly path: string;
  readonly fd: number;
  readonly control: SharedArrayBuffer;
  /** A resumed session: write after what the file holds. */
  readonly append: boolean;
}

const { path, fd, control: shared, append } = workerData as Init;
const control = new Int32Array(shared);
const writer = new NdjsonWriter(path, { poolSize: 0, fd, append });
const encoder = new RecordEncoder();
let failed = false;

function fail(err: unknown): void {
  if (failed) return;
  failed = true;
  const failure = EventLogError.from(path, err);
  reportFailure(control, failure);
  parentPort!.postMessage({ error: failure.message });
}

parentPort!.on('message', (msg: { batch?: RecordBatch; end?: boolean }) => {
  if (failed) return;
  try {
    if (msg.batch) {
      encoder.add(msg.batch);
      encoder.encode(msg.batch, writer);
      Atomics.sub(control, IN_FLIGHT, 1);
      Atomics.notify(control, IN_FLIGHT);
    }
    if (msg.end) void writer.close().then(() => parentPort!.postMessage({ closed: true }), fail);
  } catch (err) {
    fail(err);
  }
});
