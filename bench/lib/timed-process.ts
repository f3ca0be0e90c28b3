/**
 * Runs one program in a Node process of its own and times the whole process, from spawn to exit:
 * Node's start, module loading (through the compile cache, as a user's second run gets it), the
 * work, and writes still in flight at the end. Peak RSS and CPU time come from the process itself
 * (exit-report.ts on fd 3).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const EXIT_REPORT = fileURLToPath(new URL('./exit-report.ts', import.meta.url));

export interface TimedRun {
  /** Spawn to exit, as the parent saw it. */
  readonly wallMs: number;
  readonly maxRssKb: number;
  readonly cpuMs: number;
  readonly stdout: string;
}

export function timedProcess(script: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // process.execPath: the pinned Node 24 that runs the bench, for every program alike.
    const child = spawn(process.execPath, ['--import', EXIT_REPORT, script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let report = '';
    child.stdout!.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
    });
    child.stderr!.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
    });
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (t: string) => {
      report += t;
    });
    child.on('error', reject);
    child.on('exit', () => {
      const wallMs = performance.now() - started;
      child.on('close', (code, signal) => {
        if (code !== 0 || report.trim() === '') {
          reject(new Error(`${script} ${args.join(' ')}: exit ${code ?? signal}\n${(stderr || stdout).trim().slice(0, 2000)}`));
          return;
        }
        const r = JSON.parse(report.trim().split('\n')[0]!) as { maxRssKb: number; cpuMs: number };
        resolve({ wallMs, maxRssKb: r.maxRssKb, cpuMs: r.cpuMs, stdout });
      });
    });
  });
}
