/**
 * `tradeloop` as a child process a test can SIGKILL mid-run (a crash, not a shutdown), and what a
 * test reads off such a run while it goes: its events.ndjson and its SQLite journal's cycles.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { TestContext } from 'node:test';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

export interface CliChild {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exit: Promise<number | null>;
  readonly stderr: () => string;
}

/** `tradeloop ARGS` in a child process, its stderr kept; killed after the test if it still runs (a test that fails midway). */
export function spawnCli(t: Pick<TestContext, 'after'>, args: readonly string[], env: NodeJS.ProcessEnv = process.env): CliChild {
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, exit, stderr: () => stderr };
}

/** The run's events.ndjson as written so far ('' before it exists). */
export function logOf(out: string): string {
  const path = join(out, 'events.ndjson');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Cycles committed in a SQLite journal (0 while it does not exist or cannot be read). */
export function committedCycles(journal: string): number {
  if (!existsSync(journal)) return 0;
  try {
    const db = new DatabaseSync(journal, { readOnly: true });
    try {
      // A row of kind 'cycles' is a run of them (src/journal/unit-runs.ts).
      const sql = "SELECT COALESCE(SUM(CASE kind WHEN 'cycle' THEN 1 WHEN 'cycles' THEN cycles ELSE 0 END), 0) AS n FROM units";
      return Number((db.prepare(sql).get() as { n: number }).n);
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}
