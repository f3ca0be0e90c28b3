/**
 * Runs `tradeloop run --source csv` in a child process with a deadline: for failures that used to
 * hang the process (a blocked thread cannot be timed out from inside it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const CLI = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

export interface ChildRun {
  readonly code: number | null;
  /** Set when the deadline killed it. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly summary: Record<string, unknown> | null;
}

export function runCliChild(out: string, args: readonly string[], timeoutMs = 30_000): ChildRun {
  const r = spawnSync(process.execPath, [CLI, 'run', '--source', 'csv', ...args, '--out', out, '--quiet'], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, TZ: 'UTC' },
  });
  const summaryPath = join(out, 'summary.json');
  let summary: Record<string, unknown> | null = null;
  try {
    summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, unknown>) : null;
  } catch {
    summary = { unreadable: readFileSync(summaryPath, 'utf8').slice(0, 200) };
  }
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, summary };
}
