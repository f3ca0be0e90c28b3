/**
 * Runs `tradeloop run` in-process through main(), always with a fresh temporary --out, and reads
 * back what the run left on disk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { tempDir } from './temp-dir.ts';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly out: string;
  /** events.ndjson as written, or null when the run wrote none. */
  readonly eventsText: string | null;
  readonly events: Array<Record<string, unknown>>;
  readonly summary: Record<string, unknown> | null;
}

export async function runCli(t: TestContext, args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const out = join(await tempDir(t, 'tradeloop-out-'), 'run');
  let stdout = '';
  let stderr = '';
  const code = await main(
    ['run', '--source', 'csv', ...args, '--out', out, '--quiet'],
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    },
    env,
  );
  const eventsPath = join(out, 'events.ndjson');
  const summaryPath = join(out, 'summary.json');
  const eventsText = existsSync(eventsPath) ? readFileSync(eventsPath, 'utf8') : null;
  const events =
    eventsText === null
      ? []
      : eventsText
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, unknown>) : null;
  return { code, stdout, stderr, out, eventsText, events, summary };
}

export function ofType(run: CliRun, type: string): Array<Record<string, unknown>> {
  return run.events.filter((e) => e.type === type);
}
