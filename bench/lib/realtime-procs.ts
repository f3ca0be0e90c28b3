/**
 * Spawns the realtime bench's processes: the replay server (a line protocol on stdin/stdout, see
 * realtime-server.ts), the client under test and the floor client (one JSON line each at the end).
 * process.execPath everywhere: the pinned Node 24 that runs the bench, not whatever is on PATH.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT, runnerPath as runner } from './json-process.ts';
import type { ServerMessage, ServerSpec, ServerStats } from './realtime-server.ts';

export interface ServerProcess {
  readonly wsUrl: string;
  readonly restUrl: string;
  /** Resolves with the wall time (ms) the tape started. */
  readonly tapeStarted: Promise<number>;
  stats(): Promise<ServerStats>;
  /** Faults (the soak): 'stall on', 'stall off' (every connection silent), 'drop' (every socket cut). */
  fault(command: 'stall on' | 'stall off' | 'drop'): void;
  /** Closes the server and waits for the process to exit; its final counters. */
  close(): Promise<ServerStats>;
  kill(): void;
}

export function startServerProcess(spec: ServerSpec): Promise<ServerProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [runner('realtime-server.ts'), JSON.stringify(spec)], { cwd: REPO_ROOT });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => {
    stderr += t;
  });
  type Kind = ServerMessage['type'];
  type Of<K extends Kind> = Extract<ServerMessage, { readonly type: K }>;
  const waiting: Array<{ type: Kind; resolve: (m: ServerMessage) => void; reject: (e: Error) => void }> = [];
  let exited: Error | null = null;
  const failAll = (err: Error): void => {
    exited = err;
    for (const w of waiting.splice(0)) w.reject(err);
  };
  /** The next message of this type. */
  const next = <K extends Kind>(type: K): Promise<Of<K>> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(exited);
      waiting.push({ type, resolve: (m) => resolve(m as Of<K>), reject });
    });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const message = JSON.parse(line) as ServerMessage;
    const at = waiting.findIndex((w) => w.type === message.type);
    if (at >= 0) waiting.splice(at, 1)[0]!.resolve(message);
  });
  child.on('exit', (code, signal) => failAll(new Error(`replay server process exited (${code ?? signal})\n${stderr.trim()}`)));
  child.on('error', failAll);

  const tapeStarted = next('tape').then((m) => m.at);
  // Nobody may be waiting for it when the process ends (a run that failed before the tape started).
  tapeStarted.catch(() => {});
  return next('ready').then((ready) => {
    return {
      wsUrl: ready.wsUrl,
      restUrl: ready.restUrl,
      tapeStarted,
      async stats() {
        const reply = next('stats');
        child.stdin.write('stats\n');
        const { type: _type, ...stats } = await reply;
        return stats;
      },
      fault(command) {
        child.stdin.write(`${command}\n`);
      },
      async close() {
        const reply = next('closed');
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.stdin.write('close\n');
        const { type: _type, ...stats } = await reply;
        await gone;
        return stats;
      },
      kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  });
}
