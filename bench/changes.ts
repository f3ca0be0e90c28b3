/**
 * `npm run bench:changes`: what each change bought. Checks out each listed commit into a temporary
 * worktree (sharing this checkout's node_modules and bench data), runs the static bench's
 * programs against it the same way (whole process, medians of --reps), and writes the "## What
 * each change bought" section of docs/benchmarks.md: one row per commit, before → after.
 *
 * Usage: npm run bench:changes [-- --reps 3 --no-doc] COMMIT=LABEL ...
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PAIRS } from './lib/generate.ts';
import { ensureDataset } from './lib/dataset.ts';
import { median } from './lib/report.ts';
import { runScenario, type ScenarioName, type ScenarioPlan } from './lib/static-scenarios.ts';
import { writeSection } from './lib/doc-section.ts';
import { describeMachine, machine } from './lib/machine.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  allowNegative: true,
  options: { reps: { type: 'string' }, doc: { type: 'boolean', default: true } },
});
const reps = Number(values.reps ?? 3);
const commits = positionals.map((p) => {
  const at = p.indexOf('=');
  return { commit: p.slice(0, at), label: p.slice(at + 1) };
});
const loadAtStart = loadavg()[0]!;
const pairs = PAIRS.slice(0, 2);
const rows = 1_000_000;
const dataset = ensureDataset(
  join(REPO, 'bench', '.data'),
  { pairs, rowsPerSymbol: rows, sizes: [rows / 4, rows / 2, rows], seed: 20260309, startMs: Date.parse('2024-01-01T00:00:00Z') },
  (l) => process.stdout.write(`${l}\n`),
);
const largest = dataset.sizes[dataset.sizes.length - 1]!;
const base = mkdtempSync(join(tmpdir(), 'tradeloop-changes-'));
const NAMES: readonly ScenarioName[] = ['csv', 'full', 'trading'];
type Row = { label: string; commit: string; rates: Partial<Record<ScenarioName, number>> };
const table: Row[] = [];
try {
  for (const { commit, label } of commits) {
    const dir = join(base, commit);
    execFileSync('git', ['-C', REPO, 'worktree', 'add', '--detach', dir, commit], { stdio: 'ignore' });
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    const plan: ScenarioPlan = { code: dir, dataDir: largest.dir, symbols: dataset.symbols, bars: largest.bars, outDir: join(base, 'out') };
    const rates: Partial<Record<ScenarioName, number>> = {};
    for (const name of NAMES) {
      if (name === 'trading' && !existsSync(join(dir, 'src', 'sinks', 'trading-events.ts'))) continue;
      await runScenario(name, plan); // warm-up: page cache, compile cache
      const got: number[] = [];
      for (let i = 0; i < reps; i++) {
        const r = await runScenario(name, plan);
        got.push(name === 'csv' ? r.bars / (r.readMs! / 1000) : r.bars / (r.wallMs / 1000));
      }
      rates[name] = median(got);
      process.stdout.write(`${commit} ${label}: ${name} ${Math.round(rates[name]!).toLocaleString('en-US')}\n`);
    }
    table.push({ label, commit, rates });
    execFileSync('git', ['-C', REPO, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
  }
} finally {
  rmSync(base, { recursive: true, force: true });
  execFileSync('git', ['-C', REPO, 'worktree', 'prune'], { stdio: 'ignore' });
}
const int = (n: number | undefined): string => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
const body = [
  `_Written by \`npm run bench:changes\` (bench/changes.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: each commit measured in a worktree of its own, ` +
    `on ${largest.bars.toLocaleString('en-US')} bars (2 symbols), median of ${reps}. Machine: ${describeMachine(machine())}; load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end._`,
  '',
  '| change | commit | CSV reading rows/s | full loop bars/s | `--events trading` bars/s |',
  '|---|---|---:|---:|---:|',
  ...table.map((r) => `| ${r.label} | ${r.commit} | ${int(r.rates.csv)} | ${int(r.rates.full)} | ${int(r.rates.trading)} |`),
  '',
  'The full loop and `--events trading` are whole-process figures (start-up included); CSV reading is `CsvBarSource` from `open()` to the last row.',
].join('\n');
process.stdout.write(`${body}\n`);
if (values.doc) writeSection(join(REPO, 'docs', 'benchmarks.md'), '## What each change bought', body);
