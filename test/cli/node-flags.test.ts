/**
 * `npx tradeloop run` re-runs itself with the run's heap flags (Node reads them only at start): the re-run must be invisible, its exit code and its signal handling the
 * session's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isRealtimeRun, nodeFlagsFor, REALTIME_NODE_FLAGS, STATIC_NODE_FLAGS, SWEEP_ALL_CORES_NODE_FLAGS } from '../../src/cli/node-flags.ts';
import { bar, FakeBinance, until } from '../helpers/fake-binance.ts';
import { pidAlive } from '../../src/session/state-dir.ts';
import { scratchDir } from '../helpers/temp-dir.ts';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'tradeloop.js');

test('runs are re-run with their heap flags: realtime and static each their own, other commands none', () => {
  assert.equal(isRealtimeRun(['run', '--source', 'realtime']), true);
  assert.equal(isRealtimeRun(['run', '--symbols', 'A', '--source=realtime']), true);
  assert.equal(isRealtimeRun(['run', '--source', 'nats', '--nats', 'nats://127.0.0.1:4222']), true, 'a session on the fleet stream is a realtime one');
  assert.equal(isRealtimeRun(['run', '--source=nats']), true);
  assert.equal(isRealtimeRun(['run', '--source', 'csv']), false);
  assert.equal(isRealtimeRun(['run']), false);
  assert.equal(isRealtimeRun(['status', '--source', 'realtime']), false);
  assert.deepEqual(nodeFlagsFor(['run', '--source', 'realtime']), REALTIME_NODE_FLAGS);
  assert.deepEqual(nodeFlagsFor(['run', '--data', 'x']), STATIC_NODE_FLAGS);
  assert.deepEqual(nodeFlagsFor(['help', 'run']), []);
  assert.deepEqual(nodeFlagsFor(['run', '--help']), []);
});

test('a sweep that takes every core is re-run with single-threaded GC; one that leaves a core free, or a bad --jobs, is not', () => {
  assert.deepEqual(SWEEP_ALL_CORES_NODE_FLAGS, ['--single-threaded-gc']);
  assert.deepEqual(nodeFlagsFor(['sweep', '--param', 'fast=2..9'], 2), SWEEP_ALL_CORES_NODE_FLAGS, 'the default --jobs is the number of cores');
  assert.deepEqual(nodeFlagsFor(['sweep', '--jobs', '2'], 2), SWEEP_ALL_CORES_NODE_FLAGS);
  assert.deepEqual(nodeFlagsFor(['sweep', '--jobs=3'], 2), SWEEP_ALL_CORES_NODE_FLAGS);
  assert.deepEqual(nodeFlagsFor(['sweep', '--jobs', '1'], 2), [], 'a free core: the GC helpers run on it');
  assert.deepEqual(nodeFlagsFor(['sweep', '--jobs', '4'], 8), []);
  assert.deepEqual(nodeFlagsFor(['sweep', '--jobs', 'many'], 2), [], 'the sweep itself refuses it, by name');
  assert.deepEqual(nodeFlagsFor(['sweep', '--help'], 2), []);
});

test('a static run through npx tradeloop keeps its exit codes through the re-run (a bad flag: exit 2)', () => {
  const r = spawnSync(process.execPath, [BIN, 'run', '--events', 'nope'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--events nope/);
});

test('the re-run keeps the refusal and its exit code (FLAG_REALTIME off: exit 2)', () => {
  const r = spawnSync(process.execPath, [BIN, 'run', '--source', 'realtime'], {
    encoding: 'utf8',
    env: { ...process.env, FLAG_REALTIME: '0' },
    timeout: 30_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /FLAG_REALTIME/);
});

/** `npx tradeloop run --source realtime` against a fake exchange, as a user starts it: the wrapper and its re-run session. */
async function wrapped(prefix: string) {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const out = scratchDir(prefix);
  const wrapper = spawn(
    process.execPath,
    [BIN, 'run', '--source', 'realtime', '--symbols', 'BTCUSDT', '--ws-url', fake.wsUrl, '--rest-url', fake.restUrl, '--out', out],
    { env: { ...process.env, FLAG_REALTIME: '1' }, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let stdout = '';
  wrapper.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((r) => wrapper.on('exit', (code) => r(code)));
  await fake.waitForConnections(1, 20_000);
  return {
    fake,
    out,
    wrapper,
    exited,
    stdout: () => stdout,
    /** One bar decided and on disk. */
    async decided(): Promise<void> {
      fake.sendKline(bar('BTCUSDT', 0, 100), true);
      await until(() => readFileSync(join(out, 'events.ndjson'), 'utf8').includes('"type":"decision"'), 'a decision on disk', 10_000);
    },
    /** The re-run session's pid (control.json). */
    async sessionPid(): Promise<number> {
      await until(() => existsSync(join(out, 'control.json')), 'control.json', 10_000);
      return (JSON.parse(readFileSync(join(out, 'control.json'), 'utf8')) as { pid: number }).pid;
    },
    async end(): Promise<void> {
      wrapper.kill('SIGKILL');
      await fake.close();
    },
  };
}

test('SIGTERM to npx tradeloop reaches the re-run session: clean shutdown, summary written, exit 0', async () => {
  const w = await wrapped('tradeloop-heap-');
  try {
    await w.decided();
    w.wrapper.kill('SIGTERM');
    assert.equal(await w.exited, 0);
    assert.equal(JSON.parse(readFileSync(join(w.out, 'summary.json'), 'utf8')).decisions, 1);
    assert.match(w.stdout(), /tradeloop realtime run/);
  } finally {
    await w.end();
  }
});

test('kill -9 of npx tradeloop (the wrapper) does not orphan the session: it shuts down as on SIGTERM and writes its summary', async () => {
  const w = await wrapped('tradeloop-orphan-');
  let session = 0;
  try {
    await w.decided();
    session = await w.sessionPid();
    assert.notEqual(session, w.wrapper.pid, 'the run is a re-run child of the wrapper');
    w.wrapper.kill('SIGKILL');
    await w.exited;
    // pidAlive counts a zombie as ended: the orphan's new parent may not reap it at once.
    await until(() => !pidAlive(session), 'the orphaned session ended by itself', 15_000);
    const summary = JSON.parse(readFileSync(join(w.out, 'summary.json'), 'utf8')) as { decisions: number; status: string };
    assert.equal(summary.decisions, 1);
    assert.notEqual(summary.status, 'error');
  } finally {
    if (session > 0)
      try {
        process.kill(session, 'SIGKILL');
      } catch {
        /* already gone */
      }
    await w.end();
  }
});

test('a session killed by a signal (kill -9) makes npx tradeloop exit 128 + its number (137), as a shell would', async () => {
  const w = await wrapped('tradeloop-killed-');
  try {
    process.kill(await w.sessionPid(), 'SIGKILL');
    assert.equal(await w.exited, 137);
  } finally {
    await w.end();
  }
});
