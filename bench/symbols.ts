/**
 * `npm run bench:symbols`: a static run over many symbols. The same number of bars spread over
 * 1,000 symbols (one file each) and over 2, each in a process of its own, and the hand-written loop
 * over the 1,000 files: what a wide universe costs a bar, against the narrow run and the peer
 * measured in the same repetition. Writes the "## Many symbols" section of docs/benchmarks.md.
 *
 * Usage: npm run bench:symbols [-- --symbols 1000 --bars 1000 (per symbol) --reps 3 --code DIR --no-doc]
 * (--code: another tradeloop checkout to measure, for before/after figures.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSection } from './lib/doc-section.ts';
import { describeMachine, machine } from './lib/machine.ts';
import { describeProvenance, provenance } from './lib/provenance.ts';
import { ensureRealtimeData } from './lib/realtime-data.ts';
import { median, rate } from './lib/report.ts';
import { runScenario, type ScenarioRun } from './lib/static-scenarios.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const DATA_BASE = join(REPO, 'bench', '.data');
const DOC = join(REPO, 'docs', 'benchmarks.md');
const START_MS = Date.parse('2024-01-01T00:00:00Z');
const SEED = 20260309;

function wholeNumber(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`bench:symbols: --${flag} ${raw}: expected a whole number from ${min} to ${max}.\n`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    symbols: { type: 'string' },
    bars: { type: 'string' },
    reps: { type: 'string' },
    code: { type: 'string' },
    doc: { type: 'boolean', default: true },
    help: { type: 'boolean', short: 'h' },
  },
  allowNegative: true,
});
if (values.help) {
  process.stdout.write('Usage: npm run bench:symbols [-- --symbols N (default 1000) --bars N per symbol (1000) --reps N (3) --code DIR --no-doc]\n');
  process.exit(0);
}
const wide = wholeNumber('symbols', values.symbols, 1000, 4, 5000);
const barsEach = wholeNumber('bars', values.bars, 1000, 100, 100_000);
const reps = wholeNumber('reps', values.reps, 3, 1, 20);
const code = resolve(values.code ?? REPO);
const total = wide * barsEach;

const log = (line: string): void => void process.stdout.write(`${line}\n`);
const m = machine();
const before = provenance(code);
const loadAtStart = loadavg()[0]!;
log(`bench:symbols: ${describeMachine(m)}; load average ${loadAtStart.toFixed(2)}`);
const many = ensureRealtimeData(DATA_BASE, { symbols: wide, rowsPerSymbol: barsEach, seed: SEED, startMs: START_MS });
const two = ensureRealtimeData(DATA_BASE, { symbols: 2, rowsPerSymbol: total / 2, seed: SEED, startMs: START_MS });
const work = mkdtempSync(join(tmpdir(), 'tradeloop-bench-symbols-'));

interface Rep {
  readonly wideRun: ScenarioRun;
  readonly narrowRun: ScenarioRun;
  readonly hand: ScenarioRun;
}
const runs: Rep[] = [];
try {
  const plan = (dataDir: string, symbols: readonly string[]) => ({ code, dataDir, symbols, bars: total, outDir: join(work, 'out') });
  // One unmeasured round: the page cache and Node's compile cache, as a user's second run has them.
  await runScenario('full', plan(many.dir, many.symbols));
  for (let rep = 1; rep <= reps; rep++) {
    const wideRun = await runScenario('full', plan(many.dir, many.symbols));
    const narrowRun = await runScenario('full', plan(two.dir, two.symbols));
    const hand = await runScenario('hand', plan(many.dir, many.symbols));
    runs.push({ wideRun, narrowRun, hand });
    log(
      `  rep ${rep}: ${wide} symbols ${Math.round(rate(wideRun)).toLocaleString('en-US')} bars/s, 2 symbols ${Math.round(rate(narrowRun)).toLocaleString('en-US')}, ` +
        `hand loop (${wide} files) ${Math.round(rate(hand)).toLocaleString('en-US')}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (kb: number): string => `${Math.round(kb / 1024)} MiB`;
const med = (pick: (r: Rep) => number): number => median(runs.map(pick));
const wideRate = med((r) => rate(r.wideRun));
const narrowRate = med((r) => rate(r.narrowRun));
const handRate = med((r) => rate(r.hand));
const vsNarrow = med((r) => rate(r.wideRun) / rate(r.narrowRun));
const vsHand = med((r) => rate(r.wideRun) / rate(r.hand));
const after = provenance(code);
const now = new Date().toISOString().slice(0, 16).replace('T', ' ');
const body = [
  `_Written by \`npm run bench:symbols\` (bench/symbols.ts) on ${now} UTC. Rerun the bench rather than editing these figures._`,
  '',
  `**${fmt(total)} bars over ${wide} symbols run at ${vsNarrow.toFixed(2)}× the bars/s of the same number over 2 symbols** (${fmt(wideRate)} against ${fmt(narrowRate)}), and at ${vsHand.toFixed(2)}× the hand-written loop over the same ${wide} files (${fmt(handRate)}). Peak RSS ${mib(med((r) => r.wideRun.maxRssKb))} over ${wide} symbols, ${mib(med((r) => r.narrowRun.maxRssKb))} over 2.`,
  '',
  `- Machine: ${describeMachine(m)}; load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end.`,
  `- Code: ${describeProvenance(before, after)}.`,
  `- Data: ${wide} synthetic USDT pairs × ${fmt(barsEach)} one-minute bars (one file each) and 2 pairs × ${fmt(total / 2)} (the realtime bench's generator, seed ${SEED}).`,
  `- Runs: \`tradeloop run\` with the full event log, sma-cross 10/30, whole process; the hand-written loop as in "Static replay". Medians of ${reps} repetitions after one unmeasured run; ratios are the median of each repetition's own.`,
  '',
  '| whole process | bars/s | CPU s | peak RSS |',
  '|---|---:|---:|---:|',
  `| tradeloop run, ${wide} symbols | ${fmt(wideRate)} | ${(med((r) => r.wideRun.cpuMs) / 1000).toFixed(2)} | ${mib(med((r) => r.wideRun.maxRssKb))} |`,
  `| tradeloop run, 2 symbols | ${fmt(narrowRate)} | ${(med((r) => r.narrowRun.cpuMs) / 1000).toFixed(2)} | ${mib(med((r) => r.narrowRun.maxRssKb))} |`,
  `| peer: hand-written loop, ${wide} files | ${fmt(handRate)} | ${(med((r) => r.hand.cpuMs) / 1000).toFixed(2)} | ${mib(med((r) => r.hand.maxRssKb))} |`,
  '',
  `Every run, bars/s: ${wide} symbols ${runs.map((r) => fmt(rate(r.wideRun))).join(', ')}; 2 symbols ${runs.map((r) => fmt(rate(r.narrowRun))).join(', ')}; hand ${runs.map((r) => fmt(rate(r.hand))).join(', ')}.`,
  '',
  'Reproduce: `npm run bench:symbols` (options: `-- --symbols N`, `--bars N` per symbol, `--reps N`, `--code DIR` for another checkout, `--no-doc`).',
].join('\n');
log(body);
if (values.doc) writeSection(DOC, '## Many symbols', body);
