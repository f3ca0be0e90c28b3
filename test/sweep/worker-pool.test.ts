/** The sweep's worker pool: a worker that dies costs its run a row, and a new worker takes the rest. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFlags } from '../../src/config/flags.ts';
import { WorkerPool } from '../../src/sweep/worker-pool.ts';
import { systemClock } from '../../src/telemetry/clock.ts';
import { tempDir } from '../helpers/temp-dir.ts';

test('a worker thread that dies: its run is a failed row, a new worker runs the rest, every index answered once', async (t) => {
  const workDir = await tempDir(t, 'tl-sweep-pool-');
  const ended: number[] = [];
  const pool = new WorkerPool({
    jobs: 1,
    size: 4,
    taskAt: (index) => ({ index, params: {} }),
    setup: { baseArgv: [], flags: readFlags({}), workDir, runsDir: null },
    stallMs: 0,
    clock: systemClock,
    workerUrl: new URL('./fixtures/dying-worker.ts', import.meta.url),
    onResult: (r) => ended.push(r.index),
  });
  const { results, stopped } = await pool.run();
  assert.equal(stopped, false);
  assert.deepEqual(ended, [0, 1, 2, 3]);
  assert.deepEqual(
    results.map((r) => r!.runId),
    ['run0', null, 'run2', 'run3'],
  );
  assert.match(results[1]!.error!, /^the worker thread running it died: it exited$/);
});
