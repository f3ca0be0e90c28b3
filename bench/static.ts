/**
 * `npm run bench`: the static replay benchmark. Generates (once) a large synthetic CSV set, then
 * measures, each run in its own process, the floor (reading and parsing the files, nothing else)
 * and the full loop (`tradeloop run --source csv`, default strategy) on the same files at 1×, 2×
 * and 4× of a quarter of --bars, and writes the "## Static replay" section of docs/benchmarks.md.
 *
 * Usage: npm run bench [-- --bars 5000000 --reps 3 --symbols 10 --seed 20260309 --no-doc]
 * Speed is measured here, never timed in tests.
 */
import { rmSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PAIRS } from './lib/generate.ts';
import { ensureDataset, freeBytes, type SizeDir } from './lib/dataset.ts';
import { measure } from './lib/measure.ts';
import { machine, describeMachine } from './lib/machine.ts';
import { consoleReport, markdownSection, rate, type SizeRuns } from './lib/report.ts';
import { writeSection } from './lib/doc-section.ts';
import { describeProvenance, provenance } from './lib/provenance.ts';
import type { RunResult, RunSpec } from './lib/run-once.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const DATA_BASE = join(REPO, 'bench', '.data');
const DOC = join(REPO, 'docs', 'benchmarks.md');
const START_ISO = '2024-01-01T00:00:00Z';
/** events.ndjson runs ~370 bytes a bar (bar + decision lines); a margin for fills and summary. */
const EVENT_BYTES_PER_BAR = 450;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function wholeNumber(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${flag} ${raw}: expected a whole number from ${min} to ${max}.`);
  return n;
}

const { values } = parseArgs({
  allowNegative: true,
  options: {
    bars: { type: 'string' },
    reps: { type: 'string' },
    symbols: { type: 'string' },
    seed: { type: 'string' },
    doc: { type: 'boolean', default: true },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('Usage: npm run bench [-- --bars N (default 5000000) --reps N (3) --symbols N (1-10, default 10) --seed N --no-doc]\n');
  process.exit(0);
}
const symbolCount = wholeNumber('symbols', values.symbols, 10, 1, PAIRS.length);
const totalBars = wholeNumber('bars', values.bars, 5_000_000, 4 * symbolCount, 100_000_000);
const reps = wholeNumber('reps', values.reps, 3, 1, 50);
const seed = wholeNumber('seed', values.seed, 20260309, 0, 2 ** 32 - 1);

const pairs = PAIRS.slice(0, symbolCount);
const rowsPerSymbol = Math.round(totalBars / symbolCount);
// 1×, 2×, 4×: the largest is --bars, the others are prefixes of it.
const sizes = [Math.round(rowsPerSymbol / 4), Math.round(rowsPerSymbol / 2), rowsPerSymbol];
const log = (line: string): void => { process.stdout.write(`${line}\n`); };

const m = machine();
const codeBefore = provenance(REPO);
// Other work on the machine skews every figure; the load average at the start says how busy it was.
const loadAtStart = loadavg()[0]!;
log(`static replay bench: ${describeMachine(m)}; load average ${loadAtStart.toFixed(2)}`);
const dataset = ensureDataset(DATA_BASE, { pairs, rowsPerSymbol, sizes, seed, startMs: Date.parse(START_ISO) }, log);
log(dataset.reused
  ? `data: reusing ${dataset.root}`
  : `data: generated in ${(dataset.generateMs / 1000).toFixed(1)} s into ${dataset.root}`);

const largest = dataset.sizes[dataset.sizes.length - 1]!;
const outBase = mkdtempSync(join(tmpdir(), 'tradeloop-bench-'));
const needForLog = largest.bars * EVENT_BYTES_PER_BAR;
if (freeBytes(outBase) < needForLog * 1.2) {
  rmSync(outBase, { recursive: true, force: true });
  fail(`the full loop writes about ${(needForLog / 1e9).toFixed(1)} GB of events.ndjson in ${outBase}, and there is ${(freeBytes(outBase) / 1e9).toFixed(1)} GB free. Free some space or pass a smaller --bars.`);
}

let runCount = 0;
async function run(mode: RunSpec['mode'], size: SizeDir): Promise<RunResult> {
  const outDir = join(outBase, `run-${++runCount}`);
  try {
    const result = await measure({ mode, dataDir: size.dir, symbols: dataset.symbols, ...(mode === 'loop' ? { outDir } : {}) });
    if (result.bars !== size.bars) throw new Error(`${mode} run on ${size.dir} saw ${result.bars} bars, expected ${size.bars}`);
    log(`  ${mode.padEnd(5)} ${size.bars.toLocaleString('en-US').padStart(11)} bars  ${Math.round(rate(result)).toLocaleString('en-US').padStart(10)} bars/s  ` +
      `peak RSS ${(result.maxRssKb / 1024).toFixed(0)} MiB`);
    return result;
  } finally {
    // 5M bars of events is ~1.8 GB: never keep it.
    rmSync(outDir, { recursive: true, force: true });
  }
}

const results: SizeRuns[] = dataset.sizes.map((s) => ({ bars: s.bars, rowsPerSymbol: s.rowsPerSymbol, csvBytes: s.bytes, floor: [], loop: [] }));
const started = performance.now();
try {
  log('warm-up (not counted): floor on the largest size, to bring the files into the page cache');
  await run('floor', largest);
  for (let rep = 1; rep <= reps; rep++) {
    log(`repetition ${rep} of ${reps}`);
    for (let i = 0; i < dataset.sizes.length; i++) {
      results[i]!.floor.push(await run('floor', dataset.sizes[i]!));
      results[i]!.loop.push(await run('loop', dataset.sizes[i]!));
    }
  }
} finally {
  rmSync(outBase, { recursive: true, force: true });
}
log(`measured in ${((performance.now() - started) / 1000).toFixed(0)} s`);

const code = describeProvenance(codeBefore, provenance(REPO));
const input = {
  date: new Date(), machine: m, loadAtStart, code, symbols: dataset.symbols, seed, reps, startIso: START_ISO, sizes: results,
};
log(consoleReport(input));
if (values.doc) {
  writeSection(DOC, '## Static replay', markdownSection(input));
  log(`wrote the "## Static replay" section of ${DOC}`);
}
