/**
 * `npm run bench:journal`: what the durable journal costs a static run. The same run (sma-cross, the
 * full event log) with and without `--state`, each in a process of its own on the same generated
 * files, alternating, median of N, after one unmeasured pair (the page cache, Node's compile cache);
 * the ratio is the figure (it travels between machines better than the rates do). Runs go through
 * bin/tradeloop.js, as `npx tradeloop run` does (its heap flags and compile cache), like bench/static.ts.
 * Writes the "## Journal" section of docs/benchmarks.md.
 *
 * Usage: npm run bench:journal [-- --bars 1000000 --reps 3 --no-doc]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureDataset } from './lib/dataset.ts';
import { writeSection } from './lib/doc-section.ts';
import { PAIRS } from './lib/generate.ts';
import { describeMachine, machine } from './lib/machine.ts';
import { describeProvenance, provenance } from './lib/provenance.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const DOC = join(REPO, 'docs', 'benchmarks.md');
const { values } = parseArgs({
  options: { bars: { type: 'string', default: '1000000' }, reps: { type: 'string', default: '3' }, 'no-doc': { type: 'boolean' } },
});
const bars = Number(values.bars);
const reps = Number(values.reps);
const pairs = PAIRS.slice(0, 2);
const rows = Math.ceil(bars / pairs.length);
const before = provenance(REPO);
const load = loadavg()[0]!;
const data = ensureDataset(
  join(REPO, 'bench', '.data'),
  { pairs, rowsPerSymbol: rows, sizes: [rows], seed: 20260309, startMs: Date.parse('2024-01-01T00:00:00Z') },
  (l) => console.error(l),
);
const size = data.sizes.at(-1)!;

interface Run {
  readonly seconds: number;
  readonly journalBytes: number;
}

function once(journal: boolean): Run {
  const dir = mkdtempSync(join(tmpdir(), 'tl-bench-journal-'));
  try {
    const args = [
      join(REPO, 'bin', 'tradeloop.js'),
      'run',
      '--symbols',
      data.symbols.join(','),
      '--data',
      size.dir,
      '--out',
      join(dir, 'out'),
      '--quiet',
      ...(journal ? ['--state', join(dir, 'state')] : []),
    ];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`run failed (${r.status}): ${r.stderr}`);
    let journalBytes = 0;
    if (journal)
      for (const f of ['journal.sqlite', 'journal.sqlite-wal']) journalBytes += statSync(join(dir, 'state', f), { throwIfNoEntry: false })?.size ?? 0;
    return { seconds, journalBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const plain: Run[] = [];
const journaled: Run[] = [];
once(false);
once(true);
for (let i = 0; i < reps; i++) {
  plain.push(once(false));
  journaled.push(once(true));
  console.error(`rep ${i + 1}: without ${plain.at(-1)!.seconds.toFixed(2)} s, with --state ${journaled.at(-1)!.seconds.toFixed(2)} s`);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const a = median(plain.map((r) => r.seconds));
const b = median(journaled.map((r) => r.seconds));
const ratios = plain.map((p, i) => journaled[i]!.seconds / p.seconds);
const after = provenance(REPO);
const rate = (s: number): string => Math.round(size.bars / s).toLocaleString('en-US');
const body = `_Written by \`npm run bench:journal\` (bench/journal.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Rerun the bench rather than editing these figures._

**Verdict.** A static run with \`--state\` (every cycle journaled to SQLite, a transaction per 1,000 cycles, committed on the journal's writer thread) takes ${median(ratios).toFixed(2)}× the time of the same run without it (median of ${reps} paired runs), on ${size.bars.toLocaleString('en-US')} bars.

- Machine: ${describeMachine(machine())}; load average ${load.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end (the machine is shared: other work competes for its cores, and a journaled run uses the second one).
- Code: ${describeProvenance(before, after)}.
- Data: ${data.symbols.join(', ')}, ${rows.toLocaleString('en-US')} one-minute bars each (generated, \`bench/lib/generate.ts\`), ${(size.bytes / 2 ** 20).toFixed(0)} MiB of CSV.
- Runs: \`npx tradeloop run --symbols … --data DIR --out TMP --quiet\` (bin/tradeloop.js: its heap flags and compile cache) with and without \`--state TMP/state\`, whole process (start-up included), alternating, after one unmeasured pair.

| ${size.bars.toLocaleString('en-US')} bars | median s | bars/s | journal on disk |
|---|---:|---:|---:|
| without \`--state\` | ${a.toFixed(2)} | ${rate(a)} | – |
| with \`--state\` (journaled) | ${b.toFixed(2)} | ${rate(b)} | ${(median(journaled.map((r) => r.journalBytes)) / 2 ** 20).toFixed(0)} MiB |

Every run, seconds: without ${plain.map((r) => r.seconds.toFixed(2)).join(', ')}; with ${journaled.map((r) => r.seconds.toFixed(2)).join(', ')}.
`;
console.log(body);
if (!values['no-doc']) writeSection(DOC, '## Journal', body);
