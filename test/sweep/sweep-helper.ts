/** Runs `tradeloop sweep` in-process through main(), with a fresh temporary --out, and reads back its files. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { tempDir } from '../helpers/temp-dir.ts';

export interface SweepJsonDoc {
  readonly sweepId: string;
  readonly strategy: string;
  readonly rank: string;
  readonly runs: number;
  readonly failed: number;
  readonly ranking: number[];
  readonly results: Array<{
    index: number;
    params: Record<string, string>;
    runId: string | null;
    status: string;
    error?: string;
    summary: Record<string, unknown> | null;
  }>;
}

export interface SweepRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly out: string;
  readonly csvText: string | null;
  readonly jsonText: string | null;
  readonly json: SweepJsonDoc | null;
  /** sweep.csv as records: column name → cell. */
  readonly rows: Array<Record<string, string>>;
}

/** Splits sweep.csv (no field in these tests holds a comma or a line break, except quoted errors, which are read whole). */
export function csvRecords(text: string): Array<Record<string, string>> {
  const lines: string[][] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n') {
      cells.push(cell);
      lines.push(cells);
      cells = [];
      cell = '';
    } else cell += c;
  }
  const [header, ...body] = lines;
  return body.map((values) => Object.fromEntries(header!.map((name, i) => [name, values[i] ?? ''])));
}

export async function runSweepCli(t: TestContext, args: readonly string[], options: { tty?: boolean; out?: string } = {}): Promise<SweepRun> {
  const out = options.out ?? join(await tempDir(t, 'tl-sweep-out-'), 'sweep');
  let stdout = '';
  let stderr = '';
  const code = await main(['sweep', ...args, '--out', out], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stderrTTY: options.tty === true,
  });
  const read = (name: string) => (existsSync(join(out, name)) ? readFileSync(join(out, name), 'utf8') : null);
  const csvText = read('sweep.csv');
  const jsonText = read('sweep.json');
  return {
    code,
    stdout,
    stderr,
    out,
    csvText,
    jsonText,
    json: jsonText === null ? null : (JSON.parse(jsonText) as SweepJsonDoc),
    rows: csvText === null ? [] : csvRecords(csvText),
  };
}
