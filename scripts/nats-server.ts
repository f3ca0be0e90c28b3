/**
 * A nats-server process of one's own, for the tests that kill one (test/helpers/nats.ts) and the
 * fleet bench (bench/lib/fleet-procs.ts): the binary (TRADELOOP_NATS_SERVER, else nats-server in
 * PATH), a free loopback port, and JetStream on a store folder, resolved once it listens.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect as netConnect, createServer } from 'node:net';

/** The nats-server binary; null when there is none. */
export function natsServerBinary(): string | null {
  const named = process.env.TRADELOOP_NATS_SERVER?.trim();
  if (named) return named;
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : null;
}

/** A loopback port nobody listens on now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** Whether the port answers with a nats-server's INFO line. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = netConnect(port, '127.0.0.1');
    c.once('data', (d) => {
      c.destroy();
      resolve(String(d).startsWith('INFO'));
    });
    c.once('error', () => resolve(false));
  });
}

/** Starts `bin` on 127.0.0.1:`port` with JetStream in `storeDir`; resolves once it listens, rejects if it exits or takes over 10 s. */
export async function spawnNatsServer(bin: string, port: number, storeDir: string): Promise<ChildProcess> {
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  // Polling the port is the one wait here with no event to wait on: the server says nothing when ready.
  while (!(await answers(port))) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode} before it listened on ${port}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not listen on 127.0.0.1:${port} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return child;
}
