/**
 * A sweep's worker thread: takes one point at a time from the parent (worker-pool.ts), runs it
 * (run-point.ts) and posts the result back, until told to stop. Progress is a counter in shared
 * memory the parent reads, so a run stuck in its strategy is seen without this thread's help.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type PointResult, type PointSetup, type PointTask, runPoint } from './run-point.ts';

export interface WorkerSetup extends Omit<PointSetup, 'beat'> {
  /** Int32Array[1]: bumped at every cycle and chunk of the run in hand. */
  readonly beats: SharedArrayBuffer;
}

export type ToWorker = { readonly type: 'run'; readonly task: PointTask } | { readonly type: 'stop' };
export type FromWorker = { readonly type: 'ready' } | { readonly type: 'result'; readonly result: PointResult };

const setup = workerData as WorkerSetup;
const beats = new Int32Array(setup.beats);
const port = parentPort!;
const pointSetup: PointSetup = { ...setup, beat: () => Atomics.add(beats, 0, 1) };

port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') {
    port.close();
    return;
  }
  const { task } = message;
  runPoint(pointSetup, task).then(
    (result) => port.postMessage({ type: 'result', result } satisfies FromWorker),
    // Not a refusal but a bug: the row says so, with where it happened, and the sweep goes on.
    (err: unknown) => {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      const result: PointResult = { index: task.index, runId: null, summaryText: null, error: `internal error (a bug in tradeloop): ${text}` };
      port.postMessage({ type: 'result', result } satisfies FromWorker);
    },
  );
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
