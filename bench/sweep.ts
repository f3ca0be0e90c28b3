/**
 * `npm run bench:sweep`: how a parameter sweep scales with its workers. The same sweep (sma-cross
 * over a grid of --runs points, on generated bars) with --jobs 1 and with --jobs <cores>, each a
 * process of its own, alternating, median of --reps; the figure is runs/s and its ratio between the
 * two (the goal: at least 0.9 × the cores). Checks that both wrote the same sweep.csv and sweep.json.
 * Writes the "## Parameter sweep" section of docs/benchmarks.md.
 *
 * Usage: npm run bench:sweep [-- --rows 100000 --reps 3 --no-doc]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureDataset } from './lib/dataset.ts';
import { writeSection } from './lib/doc-section.ts';
import { PAIRS } from './lib/generate.ts';
import { describeMachine, machine } from './lib/machine.ts';
import { describeProvenance, provenance } from './lib/provenance.ts';
import { median } from './lib/report.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
/** Preloaded into the measured process: its CPU time (every thread's) on fd 3 as it exits. */
const EXIT_REPORT = fileURLToPath(new URL('./lib/exit-report.ts', import.meta.url));
const DOC = join(REPO, 'docs', 'benchmarks.md');
const { values } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, reps: { type: 'string', default: '3' }, 'no-doc': { type: 'boolean' } },
});
const rows = Number(values.rows);
const reps = Number(values.reps);
if (!Number.isInteger(rows) || rows < 1000 || !Number.isInteger(reps) || reps < 1) {
  process.stderr.write('bench:sweep: --rows is a whole number from 1000, --reps from 1.\n');
  process.exit(2);
}
const cores = availableParallelism();
/** 16 runs: fast 2..9 × slow 40, 80. */
const GRID = ['--param', 'fast=2..9', '--param', 'slow=40,80'];
const RUNS = 16;

const before = provenance(REPO);
const loadAtStart = loadavg();
const data = ensureDataset(
  join(REPO, 'bench', '.data'),
  { pairs: PAIRS.slice(0, 2), rowsPerSymbol: rows, sizes: [rows], seed: 20260309, startMs: Date.parse('2024-01-01T00:00:00Z') },
  (l) => console.error(l),
);
const size = data.sizes.at(-1)!;

interface Measure {
  /** The sweep's own figure: from its first worker's start to its last run's end (its stderr end line). */
  readonly sweepSeconds: number;
  /** The whole process: start-up, the strategy check, the workers, the files. */
  readonly processSeconds: number;
  /** CPU time of the whole process, every thread: what the runs cost, whatever the machine's load. */
  readonly cpuSeconds: number;
  readonly files: string;
}

/** One sweep in a process of its own: its times, its CPU, and what it wrote. */
async function once(jobs: number): Promise<Measure> {
  const dir = mkdtempSync(join(tmpdir(), 'tl-bench-sweep-'));
  try {
    const out = join(dir, 'out');
    // As `npx tradeloop sweep` runs it (bin/tradeloop.js): its Node flags (src/cli/node-flags.ts) and its compile cache, which each worker thread reads too.
    const args = [join(REPO, 'bin', 'tradeloop.js'), 'sweep', '--symbols', data.symbols.join(','), '--data', size.dir, ...GRID];
    const env = { ...process.env };
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', EXIT_REPORT, ...args, '--jobs', String(jobs), '--out', out, '--quiet'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let report = '';
    child.stderr!.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
    });
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (t: string) => {
      report += t;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const processSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (code !== 0) throw new Error(`sweep --jobs ${jobs} failed (${code}): ${stderr}`);
    const m = / (\d+) runs in ([\d.]+) s /.exec(stderr);
    if (!m || Number(m[1]) !== RUNS) throw new Error(`sweep --jobs ${jobs}: no end line with ${RUNS} runs in: ${stderr}`);
    const { cpuMs } = JSON.parse(report.trim().split('\n')[0]!) as { cpuMs: number };
    const files = readFileSync(join(out, 'sweep.csv'), 'utf8') + readFileSync(join(out, 'sweep.json'), 'utf8');
    return { sweepSeconds: Number(m[2]), processSeconds, cpuSeconds: cpuMs / 1000, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.error(
  `bench:sweep: ${RUNS} runs of ${size.bars.toLocaleString('en-US')} bars, --jobs 1 and --jobs ${cores}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
);
await once(1); // warm-up (not counted): the compile cache, the page cache
const one: Measure[] = [];
const many: Measure[] = [];
for (let i = 0; i < reps; i++) {
  // Alternating which goes first, so a load that comes and goes falls on both.
  const pair = i % 2 === 0 ? [1, cores] : [cores, 1];
  for (const jobs of pair) (jobs === 1 ? one : many).push(await once(jobs));
  console.error(`rep ${i + 1}: --jobs 1 ${one.at(-1)!.sweepSeconds.toFixed(2)} s, --jobs ${cores} ${many.at(-1)!.sweepSeconds.toFixed(2)} s`);
}
const loadAtEnd = loadavg();
const after = provenance(REPO);
const identical = [...one, ...many].every((m) => m.files === one[0]!.files);
const rateOf = (ms: readonly Measure[], key: 'sweepSeconds' | 'processSeconds'): number => median(ms.map((m) => RUNS / m[key]));
const r1 = rateOf(one, 'sweepSeconds');
const rN = rateOf(many, 'sweepSeconds');
const ratio = rN / r1;
const goal = 0.9 * cores;
const p1 = rateOf(one, 'processSeconds');
const pN = rateOf(many, 'processSeconds');
const cpu1 = median(one.map((m) => m.cpuSeconds / RUNS));
const cpuN = median(many.map((m) => m.cpuSeconds / RUNS));
/** Cores a sweep keeps busy (CPU ÷ wall, whole process): over 1 at --jobs 1 where V8's GC helpers use the free core. */
const busy1 = median(one.map((m) => m.cpuSeconds / m.processSeconds));
const busyN = median(many.map((m) => m.cpuSeconds / m.processSeconds));
/** The most --jobs N can gain here: its CPU spread over every core, against --jobs 1's wall time. */
const ceiling = (cores / busy1) * (cpu1 / cpuN);
const loaded = loadAtStart[0]! >= 0.5 || loadAtEnd[0]! >= 0.5;
const loads = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(', ');

const body = `_Written by \`npm run bench:sweep\` (bench/sweep.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Rerun the bench rather than editing these figures._

**Verdict.** ${RUNS} runs at --jobs ${cores}: ${rN.toFixed(2)} runs/s against ${r1.toFixed(2)} at --jobs 1, ${ratio.toFixed(2)}× (goal ≥ 0.9 × ${cores} cores = ${goal.toFixed(1)}×): **${ratio >= goal ? 'met' : 'not met'}**. sweep.csv and sweep.json identical in every run, whatever --jobs: **${identical ? 'yes' : 'NO'}**.${loaded ? ` Taken under load: the machine is shared (load average ${loads(loadAtStart)} at the start, ${loads(loadAtEnd)} at the end, over 1, 5 and 15 minutes), so a run at --jobs ${cores} competed with other work for the cores it meant to use.` : ''}

- Machine: ${describeMachine(machine())}; load average (1, 5, 15 min) ${loads(loadAtStart)} at the start, ${loads(loadAtEnd)} at the end.
- Code: ${describeProvenance(before, after)}.
- Data: ${data.symbols.join(', ')}, ${rows.toLocaleString('en-US')} one-minute bars each (generated, \`bench/lib/generate.ts\`), ${(size.bytes / 2 ** 20).toFixed(1)} MiB of CSV.
- Sweep: \`npx tradeloop sweep --symbols … --data DIR ${GRID.join(' ')} --jobs J --out TMP --quiet\` (sma-cross, ${RUNS} runs; no event log per run, the default; bin/tradeloop.js, so its Node flags: \`--single-threaded-gc\` when --jobs takes every core, \`src/cli/node-flags.ts\`), each in a process of its own, alternating --jobs 1 and --jobs ${cores}, median of ${reps} after a warm-up.
- Runs/s by the sweep's own clock (its end line: from starting its workers to the last run's end, worker start-up included), and of the whole process (Node's start, the strategy check and input hashing, writing the files).

| | --jobs 1 | --jobs ${cores} | ratio |
|---|---:|---:|---:|
| runs/s, the sweep | ${r1.toFixed(2)} | ${rN.toFixed(2)} | ${ratio.toFixed(2)}× |
| runs/s, whole process | ${p1.toFixed(2)} | ${pN.toFixed(2)} | ${(pN / p1).toFixed(2)}× |
| CPU s per run, every thread of the process | ${cpu1.toFixed(3)} | ${cpuN.toFixed(3)} | ${(cpuN / cpu1).toFixed(2)}× |
| cores busy (CPU s ÷ wall s, whole process) | ${busy1.toFixed(2)} | ${busyN.toFixed(2)} | |

CPU time per run depends far less on the machine's load than wall time does: at --jobs ${cores} a run costs ${(cpuN / cpu1).toFixed(2)}× the CPU it costs at --jobs 1 (the extra workers' start-up and their contention for memory and caches). The wall-clock ratio is that work spread over the cores the machine leaves free: at most ${cores} here, fewer under load. And --jobs 1 is not one core: it keeps ${busy1.toFixed(2)} busy (V8's GC helpers and the file writes run on the free core), so --jobs ${cores} can be at most ${cores} ÷ ${busy1.toFixed(2)} × ${(cpu1 / cpuN).toFixed(2)} (the CPU ratio) = **${ceiling.toFixed(2)}×** faster here, however evenly its workers share the runs: that is the floor this figure is measured against.

Every run, seconds (the sweep's / the process's): --jobs 1 ${one.map((m) => `${m.sweepSeconds.toFixed(2)}/${m.processSeconds.toFixed(2)}`).join(', ')}; --jobs ${cores} ${many.map((m) => `${m.sweepSeconds.toFixed(2)}/${m.processSeconds.toFixed(2)}`).join(', ')}.
`;
console.log(body);
if (!values['no-doc']) writeSection(DOC, '## Parameter sweep', body);
