/**
 * The writer thread of a static run: receives record batches in order, serialises them with the
 * same serializers as everything else, and writes events.ndjson. Turning two events a bar into
 * text was most of a static run's time once parsing was done; here it runs on the other core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NdjsonWriter } from './ndjson-writer.ts';
import { RecordReader, type RecordBatch } from './event-records.ts';

interface Init {
  readonly path: string;
  readonly control: SharedArrayBuffer;
  readonly append: boolean;
}

const { path, control, append } = workerData as Init;
const inFlight = new Int32Array(control);
const writer = new NdjsonWriter(path, { poolSize: 0, append });
const reader = new RecordReader();

parentPort!.on('message', (msg: { batch?: RecordBatch; end?: boolean }) => {
  try {
    if (msg.batch) {
      reader.add(msg.batch);
      reader.each(msg.batch, (line) => writer.writeLine(line), (seq, e) => writer.write(seq, e));
      Atomics.sub(inFlight, 0, 1);
      Atomics.notify(inFlight, 0);
    }
    if (msg.end) {
      void writer.close().then(() => parentPort!.postMessage({ closed: true }), (err: Error) => parentPort!.postMessage({ error: err.message }));
    }
  } catch (err) {
    parentPort!.postMessage({ error: (err as Error).message });
  }
});
