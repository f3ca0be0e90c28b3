/**
 * Every measured run happens in a Node process of its own, so that its peak RSS and its heap are
 * its own: a runner script in bench/lib gets its spec as JSON in argv and prints one JSON line
 * when done. This starts one and returns that line, parsed.
 */
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A runner script in bench/lib, by file name. */
export function runnerPath(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

export function runJsonProcess<T>(script: string, spec: unknown, label = script, nodeFlags: readonly string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    // process.execPath: the Node that runs the bench (the pinned Node 24), not whatever is on PATH.
    const child = spawn(process.execPath, [...nodeFlags, runnerPath(script), JSON.stringify(spec)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`${label} failed: exit ${code ?? signal}\n${stderr.trim() || stdout.trim()}`));
        return;
      }
      resolve(JSON.parse(last) as T);
    });
  });
}

/**
 * The runner's side: reads the spec from argv, runs, prints the result as one JSON line, exits.
 * `example` shows the spec's shape in the usage line.
 */
export async function runnerMain<S, R>(script: string, example: string, run: (spec: S) => Promise<R>): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) {
    process.stderr.write(`usage: node bench/lib/${script} '${example}'\n`);
    process.exit(2);
  }
  const result = await run(JSON.parse(raw) as S);
  writeSync(1, JSON.stringify(result) + '\n');
  process.exit(0);
}
