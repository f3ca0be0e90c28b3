/** Spawns bench/lib/run-once.ts in a fresh Node process and returns what it measured. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunResult, RunSpec } from './run-once.ts';

const RUNNER = fileURLToPath(new URL('./run-once.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function measure(spec: RunSpec): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // process.execPath: the Node that runs the bench (the pinned Node 24), not whatever is on PATH.
    const child = spawn(process.execPath, [RUNNER, JSON.stringify(spec)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => { stdout += t; });
    child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr += t; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`bench run (${spec.mode}, ${spec.dataDir}) failed: exit ${code ?? signal}\n${stderr.trim() || stdout.trim()}`));
        return;
      }
      resolve(JSON.parse(last) as RunResult);
    });
  });
}
