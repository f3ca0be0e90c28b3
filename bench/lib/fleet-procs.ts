/**
 * The fleet bench's processes: a nats-server of its own (JetStream on a temporary store, a free
 * loopback port), the publisher and the sessions (`bin/tradeloop.js` under the Node that runs the
 * bench), each with its stderr kept for the report when it fails.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, natsServerBinary, spawnNatsServer } from '../../scripts/nats-server.ts';
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

export interface NatsServer {
  readonly url: string;
  readonly version: string;
  stop(): Promise<void>;
}

/** nats-server from TRADELOOP_NATS_SERVER or PATH, JetStream on, its store in `dir`. */
export async function startNats(dir: string): Promise<NatsServer> {
  const bin = natsServerBinary();
  if (bin === null) throw new Error('bench:fleet needs nats-server (Debian: apt-get install nats-server), or TRADELOOP_NATS_SERVER naming one');
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const port = await freePort();
  const child = await spawnNatsServer(bin, port, join(dir, 'nats-store'));
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
