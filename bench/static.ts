/**
 * `npm run bench`: the static replay benchmark. Generates (once) a synthetic CSV set, then runs,
 * each in a process of its own on the same files, tradeloop's CSV reader alone, `tradeloop run`
 * with the full event log and with `--events trading`, and the peers (a hand-written loop and
 * indicatorts) doing the same job, plus the write floor; the full loop again on a half and a
 * quarter of the data for its memory. Writes the "## Static replay" section of docs/benchmarks.md.
 *
 * Usage: npm run bench [-- --bars 2000000 --symbols 2 --reps 3 --seed 20260309 --code DIR --no-doc]
 * (--code: another tradeloop checkout to measure, for before/after figures.) Speed is measured
 * here, never timed in tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PAIRS } from './lib/generate.ts';
import { ensureDataset, freeBytes } from './lib/dataset.ts';
import { machine, describeMachine } from './lib/machine.ts';
import { consoleReport, markdownSection, rate, type BenchInput, type SizeRuns } from './lib/report.ts';
import { writeSection } from './lib/doc-section.ts';
import { describeProvenance, provenance } from './lib/provenance.ts';
import { runScenario, type ScenarioName, type ScenarioPlan, type ScenarioRun } from './lib/static-scenarios.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const DATA_BASE = join(REPO, 'bench', '.data');
const DOC = join(REPO, 'docs', 'benchmarks.md');
const START_ISO = '2024-01-01T00:00:00Z';
/** events.ndjson runs ~350 bytes a bar (bar + decision lines); a margin for fills and summary. */
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
    code: { type: 'string' },
    doc: { type: 'boolean', default: true },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('Usage: npm run bench [-- --bars N (default 2000000) --symbols N (1-10, default 2) --reps N (3) --seed N --code DIR --no-doc]\n');
  process.exit(0);
}
const symbolCount = wholeNumber('symbols', values.symbols, 2, 1, PAIRS.length);
const totalBars = wholeNumber('bars', values.bars, 2_000_000, 4 * symbolCount, 100_000_000);
const reps = wholeNumber('reps', values.reps, 3, 1, 50);
const seed = wholeNumber('seed', values.seed, 20260309, 0, 2 ** 32 - 1);
const code = resolve(values.code ?? REPO);

const pairs = PAIRS.slice(0, symbolCount);
const rowsPerSymbol = Math.round(totalBars / symbolCount);
const sizes = [Math.round(rowsPerSymbol / 4), Math.round(rowsPerSymbol / 2), rowsPerSymbol];
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const m = machine();
const codeBefore = provenance(code);
const loadAtStart = loadavg()[0]!;
log(`static replay bench: ${describeMachine(m)}; load average ${loadAtStart.toFixed(2)}; measuring ${code}`);
const dataset = ensureDataset(DATA_BASE, { pairs, rowsPerSymbol, sizes, seed, startMs: Date.parse(START_ISO) }, log);
log(dataset.reused ? `data: reusing ${dataset.root}` : `data: generated in ${(dataset.generateMs / 1000).toFixed(1)} s into ${dataset.root}`);

const largest = dataset.sizes[dataset.sizes.length - 1]!;
const outBase = mkdtempSync(join(tmpdir(), 'tradeloop-bench-'));
if (freeBytes(outBase) < largest.bars * EVENT_BYTES_PER_BAR * 2.4) {
  rmSync(outBase, { recursive: true, force: true });
  fail(
    `the full loop writes about ${((largest.bars * EVENT_BYTES_PER_BAR) / 1e9).toFixed(1)} GB of events.ndjson in ${outBase}, and there is ${(freeBytes(outBase) / 1e9).toFixed(1)} GB free. Free some space or pass a smaller --bars.`,
  );
}

const planFor = (dir: string, bars: number): ScenarioPlan => ({ code, dataDir: dir, symbols: dataset.symbols, bars, outDir: join(outBase, 'out') });
const headline = planFor(largest.dir, largest.bars);
const ORDER: readonly ScenarioName[] = ['csv', 'full', 'isolated', 'trading', 'hand', 'indicatorts', 'write'];
const runs: Record<ScenarioName, ScenarioRun[]> = { csv: [], full: [], isolated: [], trading: [], hand: [], indicatorts: [], write: [] };
const sizeRuns: SizeRuns[] = dataset.sizes.map((s) => ({ bars: s.bars, csvBytes: s.bytes, full: [] }));
let logBytes = largest.bars * 350;

async function one(name: ScenarioName, plan: ScenarioPlan): Promise<ScenarioRun> {
  const r = await runScenario(name, plan, logBytes);
  if (name === 'full' && plan === headline) logBytes = r.eventsBytes ?? logBytes;
  log(
    `  ${name.padEnd(11)} ${plan.bars.toLocaleString('en-US').padStart(11)} bars  ${Math.round(rate(r)).toLocaleString('en-US').padStart(10)} bars/s  ` +
      `CPU ${(r.cpuMs / 1000).toFixed(2)} s  peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MiB${r.readMs !== undefined ? `  (reading ${Math.round(r.bars / (r.readMs / 1000)).toLocaleString('en-US')} rows/s)` : ''}`,
  );
  return r;
}

const started = performance.now();
try {
  log('warm-up round (not counted): page cache, compile cache');
  for (const name of ORDER) await one(name, headline);
  for (let rep = 1; rep <= reps; rep++) {
    log(`repetition ${rep} of ${reps}`);
    for (const name of ORDER) runs[name].push(await one(name, headline));
    for (let i = 0; i < dataset.sizes.length - 1; i++) {
      const s = dataset.sizes[i]!;
      sizeRuns[i]!.full.push(await one('full', planFor(s.dir, s.bars)));
    }
  }
} finally {
  rmSync(outBase, { recursive: true, force: true });
}
sizeRuns[sizeRuns.length - 1]!.full.push(...runs.full);
log(`measured in ${((performance.now() - started) / 1000).toFixed(0)} s`);

const input: BenchInput = {
  date: new Date(),
  machine: m,
  loadAtStart,
  loadAtEnd: loadavg()[0]!,
  code: describeProvenance(codeBefore, provenance(code)),
  symbols: dataset.symbols,
  seed,
  reps,
  startIso: START_ISO,
  bars: largest.bars,
  csvBytes: largest.bytes,
  runs,
  sizes: sizeRuns,
};
log(consoleReport(input));
if (values.doc) {
  writeSection(DOC, '## Static replay', markdownSection(input));
  log(`wrote the "## Static replay" section of ${DOC}`);
}
