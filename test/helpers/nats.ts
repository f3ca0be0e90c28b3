/**
 * The nats-server the tests use: TRADELOOP_TEST_NATS, a URL that `.ci/run` sets (through
 * scripts/with-nats.sh, which starts a throwaway server with JetStream). Unset outside CI, a test
 * skips and says why; unset under CI=true, it fails: CI must test the fleet, not pass it by.
 * Tests that kill a server start their own with startNatsServer (TRADELOOP_NATS_SERVER, or
 * nats-server in PATH), on a port and a store of their own, stopped and removed after the test.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

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

/** The nats-server binary for tests that start (and kill) their own; null when there is none. */
export function natsServerBinary(): string | null {
  const named = process.env.TRADELOOP_NATS_SERVER?.trim();
  if (named) return named;
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : null;
}

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** Resolves once the port answers with the server's INFO line. */
async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = netConnect(port, '127.0.0.1');
    c.once('data', (d) => {
      c.destroy();
      resolve(String(d).startsWith('INFO'));
    });
    c.once('error', () => resolve(false));
  });
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
    const c = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'store')], { stdio: 'ignore' });
    child = c;
    const deadline = Date.now() + 10_000;
    // Polling the port is the one wait here with no event to wait on: the server says nothing when ready.
    while (!(await answers(port))) {
      if (c.exitCode !== null) assert.fail(`nats-server exited with ${c.exitCode} before it listened on ${port}`);
      if (Date.now() > deadline) assert.fail(`nats-server did not listen on 127.0.0.1:${port} within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
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
