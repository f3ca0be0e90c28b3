/**
 * The SQLite journal's writer thread (static runs): appends what the loop hands over to the journal
 * on a connection of its own, one transaction per batch of units (unit-batch.ts), in the order the
 * batches came, and answers each. Once one fails it appends nothing more that was asked before the
 * loop saw the failure (a later batch would leave a gap in the journal): each request carries the
 * epoch its sender was in, and the sender begins a new one when it is told of a failure.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Bar } from '../domain/types.ts';
import { SqliteJournal } from './sqlite-journal.ts';
import type { UnitBatch } from './unit-batch.ts';

export interface WriterInit {
  readonly path: string;
  readonly durable: boolean;
}

export type WriterRequest = { readonly id: number; readonly epoch: number } & (
  | { readonly op: 'append'; readonly segment: number; readonly batch: UnitBatch }
  | { readonly op: 'warmup'; readonly bars: readonly Bar[] }
  | { readonly op: 'close' }
);

/** Done, or the failure's message; an append's arrays go back for the next batch. */
export interface WriterReply {
  readonly id: number;
  readonly epoch: number;
  readonly error?: string;
  readonly nums?: Float64Array;
  readonly bigs?: BigInt64Array;
}

const port = parentPort!;
const { path, durable } = workerData as WriterInit;
let journal: SqliteJournal | null = null;
/** Why the journal could not be opened: every request fails. */
let broken: string | null = null;
/** The epoch of the request that failed, and why. */
let failedEpoch = -1;
let failure = '';
try {
  // Instruments are only for reading back refused quantities of old journals: this connection only writes.
  journal = new SqliteJournal(path, { durable, instruments: new Map() });
} catch (err) {
  broken = (err as Error).message;
}

async function handle(m: WriterRequest): Promise<WriterReply> {
  if (m.op === 'close') {
    await journal?.close();
    return { id: m.id, epoch: m.epoch };
  }
  const arrays = m.op === 'append' ? { nums: m.batch.nums, bigs: m.batch.bigs } : {};
  let error = broken ?? (m.epoch === failedEpoch ? failure : null);
  if (error === null) {
    try {
      if (m.op === 'append') {
        journal!.useSegment(m.segment);
        await journal!.appendBatch(m.batch);
      } else await journal!.appendWarmup(m.bars);
    } catch (err) {
      error = failure = (err as Error).message;
      failedEpoch = m.epoch;
    }
  }
  return { id: m.id, epoch: m.epoch, ...(error === null ? {} : { error }), ...arrays };
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (m: WriterRequest) => {
  // One at a time, in the order they came: each is a transaction after the one before it.
  queue = queue.then(async () => {
    const reply = await handle(m);
    port.postMessage(reply, reply.nums && reply.bigs ? [reply.nums.buffer as ArrayBuffer, reply.bigs.buffer as ArrayBuffer] : []);
    if (m.op === 'close') port.close();
  });
});
