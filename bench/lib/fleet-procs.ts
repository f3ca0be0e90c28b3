/**
 * The fleet bench's processes: a nats-server of its own (JetStream on a temporary store, a free
 * loopback port), the publisher and the sessions (`bin/tradeloop.js` under the Node that runs the
 * bench), each with its stderr kept for the report when it fails.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './json-process.ts';

export interface Proc {
  readonly child: ChildProcess;
  readonly name: string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  readonly exited: Promise<number | string>;
}

export function startProc(name: string, args: readonly string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'tradeloop.js'), ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (t: string) => {
    err = (err + t).slice(-20_000);
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'gone')));
  return { child, name, stderr: () => err, exited };
}

/** Peak resident memory of a live process (VmHWM), in MiB; null once it is gone. */
export function peakRssMiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
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

export interface NatsServer {
  readonly url: string;
  readonly version: string;
  stop(): Promise<void>;
}

/** nats-server from TRADELOOP_NATS_SERVER or PATH, JetStream on, its store in `dir`. */
export async function startNats(dir: string): Promise<NatsServer> {
  const bin = process.env.TRADELOOP_NATS_SERVER?.trim() || spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (!bin) throw new Error('bench:fleet needs nats-server (Debian: apt-get install nats-server), or TRADELOOP_NATS_SERVER naming one');
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const port = await freePort();
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'nats-store')], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on 127.0.0.1:${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    version,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}
