/**
 * The nats-server the tests use: TRADELOOP_TEST_NATS, a URL that `.ci/run` sets (through
 * scripts/with-nats.sh, which starts a throwaway server with JetStream). Unset outside CI, a test
 * skips and says why; unset under CI=true, it fails: CI must test the fleet, not pass it by.
 * Tests that kill a server start their own with startNatsServer (TRADELOOP_NATS_SERVER, or
 * nats-server in PATH), on a port and a store of their own, stopped and removed after the test.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort, natsServerBinary, spawnNatsServer } from '../../scripts/nats-server.ts';

export const NATS_URL = process.env.TRADELOOP_TEST_NATS?.trim() || null;

export const NATS_SKIP = 'TRADELOOP_TEST_NATS not set: run the fleet tests through scripts/with-nats.sh (it starts a throwaway nats-server)';

/** The skip option of a NATS test: a reason outside CI; false under CI=true (it runs, and natsUrl fails it). */
export function natsSkip(): string | false {
  return NATS_URL === null && process.env.CI !== 'true' ? NATS_SKIP : false;
}

/** The server's URL; fails under CI=true when it is missing (the caller skips with natsSkip() otherwise). */
export function natsUrl(): string {
  if (NATS_URL === null)
    assert.fail('TRADELOOP_TEST_NATS is not set under CI=true: .ci/run should have started nats-server (scripts/with-nats.sh) and set it.');
  return NATS_URL;
}

export interface OwnNatsServer {
  readonly url: string;
  readonly port: number;
  /** SIGKILL: the server dies mid-stream, its store as it was on disk. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and the same store. */
  restart(): Promise<void>;
}

/** A nats-server of the test's own (JetStream on, store in a temp folder), killed and removed after it. */
export async function startNatsServer(t: Pick<TestContext, 'after'>): Promise<OwnNatsServer> {
  const bin = natsServerBinary();
  if (bin === null) assert.fail('no nats-server binary: set TRADELOOP_NATS_SERVER or install nats-server (Debian: apt-get install nats-server)');
  const dir = mkdtempSync(join(tmpdir(), 'tradeloop-own-nats-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    child = await spawnNatsServer(bin, port, join(dir, 'store'));
  };
  const kill = async (): Promise<void> => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGKILL');
    await exited;
  };
  t.after(async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  });
  await start();
  return { url: `nats://127.0.0.1:${port}`, port, kill, restart: start };
}
