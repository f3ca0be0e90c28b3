/**
 * A write that fails (a full disk, a read-only or vanished file system) must end the run, not hang
 * it or crash it: both writers turn it into an EventLogError naming the file and the cause. Linux's
 * /dev/full fails every write with ENOSPC, like a full disk, on any machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NdjsonWriter } from '../../src/sinks/ndjson-writer.ts';
import { LotSteps } from '../../src/events/lot-steps.ts';
import { ThreadedNdjsonWriter } from '../../src/sinks/threaded-ndjson-writer.ts';
import { EventLogError } from '../../src/sinks/event-log-error.ts';
import { LogGuard } from '../../src/sinks/log-guard.ts';
import type { BarEvent } from '../../src/events/types.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/fake-binance.ts';

const FULL = '/dev/full';
const noDevFull = existsSync(FULL) ? false : 'no /dev/full on this system (Linux has it)';
const FIXTURE = resolve(import.meta.dirname, '..', 'fixtures', 'sinks', 'threaded-writer-to.ts');

const bar = (i: number): BarEvent => ({
  type: 'bar',
  symbol: 'BTCUSDT',
  interval: '1m',
  openTime: i * 60_000,
  open: 150_000_000,
  high: 200_000_000,
  low: 100_000_000,
  close: 175_000_000,
  volume: i,
  source: 'ws',
});

test('a durable writer on a full disk throws an EventLogError at flush, naming the file and ENOSPC', { skip: noDevFull }, () => {
  const w = new NdjsonWriter(FULL, { durable: true });
  w.write(1, bar(1));
  assert.throws(
    () => w.flush(),
    (err: unknown) => err instanceof EventLogError && err.systemCode === 'ENOSPC' && err.path === FULL && err.message.includes(FULL),
  );
  // It stays failed: the next write is refused too, not written past a hole.
  assert.throws(() => w.write(2, bar(2)), EventLogError);
  return w.close().then(
    () => assert.fail('close must reject'),
    (err: unknown) => assert.ok(err instanceof EventLogError),
  );
});

test('an asynchronous write failure surfaces at the next write as an EventLogError', { skip: noDevFull }, async () => {
  const w = new NdjsonWriter(FULL, { batchBytes: 4096, poolSize: 2 });
  let i = 0;
  // Fill one buffer (about 20 lines): it goes to libuv asynchronously, and fails there.
  while (i < 30) w.write(++i, bar(i));
  await until(() => w.failed !== null, 'the write in flight to fail');
  assert.throws(
    () => w.write(++i, bar(i)),
    (err: unknown) => err instanceof EventLogError && err.systemCode === 'ENOSPC',
  );
  await assert.rejects(w.close(), EventLogError);
});

test('a writer on a missing folder is refused when it opens, naming the file', async (t) => {
  const path = join(await tempDir(t), 'no-such-folder', 'events.ndjson');
  assert.throws(
    () => new NdjsonWriter(path),
    (err: unknown) => err instanceof EventLogError && err.systemCode === 'ENOENT' && err.path === path,
  );
  assert.throws(
    () => new ThreadedNdjsonWriter(path, { lots: new LotSteps(new Map()) }),
    (err: unknown) => err instanceof EventLogError && err.systemCode === 'ENOENT' && err.path === path,
  );
});

test('the threaded writer on a full disk fails promptly with an EventLogError instead of hanging', { skip: noDevFull }, () => {
  // In a child process: a writer that blocks its thread forever cannot be timed out from inside it.
  const r = spawnSync(process.execPath, [FIXTURE, FULL, '300000'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null, `the writer hung (killed after 30 s): ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const outcome = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
  assert.equal(outcome.ok, false);
  assert.equal(outcome.name, 'EventLogError');
  assert.equal(outcome.code, 'TL_EVENT_LOG');
  assert.equal(outcome.systemCode, 'ENOSPC');
  assert.equal(outcome.path, FULL);
  assert.ok(String(outcome.message).includes(FULL));
  assert.ok((outcome.written as number) < 300_000, 'the run stopped at the failure, not at the end');
});

test('after the loop (keepFailures), a failure the writer reports late is kept for the summary, not thrown past it', () => {
  const failing = {
    write: () => {
      throw new EventLogError('/x/events.ndjson', 'ENOSPC', 'cannot write /x/events.ndjson: ENOSPC');
    },
  };
  const during = new LogGuard(failing, { rethrow: true });
  assert.throws(() => during.write(1, { type: 'alert', kind: 'stale', message: 'm' }), EventLogError, 'in the loop it unwinds the loop');
  const after = new LogGuard(failing, { rethrow: true });
  after.keepFailures();
  after.write(1, { type: 'run_end', summary: {} as never });
  assert.equal(after.failed?.systemCode, 'ENOSPC', 'kept: the summary is rebuilt with it');
});
