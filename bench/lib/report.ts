/**
 * Turns the static bench's runs into figures (medians, ratios against the peers and the floors,
 * verdicts on the issue's goals), a console table and the "## Static replay" section of
 * docs/benchmarks.md.
 */
import { describeMachine, type Machine } from './machine.ts';
import type { ScenarioName, ScenarioRun } from './static-scenarios.ts';

/**
 * The speed issues' goals: the second round's (issue 22) for the two runs, ratios against the
 * peers of the same run; the first round's CSV floor.
 */
export const GOALS = {
  /** Faster than indicatorts in the same run (1.2 M bars/s when the goal was set). */
  fullToIndicatorts: 1,
  tradingToHand: 0.5,
  csvRowsPerS: 3_000_000,
  /** Peak RSS may grow this much from the smallest to the largest input and still count as flat. */
  flatRss: 1.25,
} as const;

export interface SizeRuns {
  readonly bars: number;
  readonly csvBytes: number;
  readonly full: ScenarioRun[];
}

export interface BenchInput {
  readonly date: Date;
  readonly machine: Machine;
  readonly loadAtStart: number;
  readonly loadAtEnd: number;
  readonly code: string;
  readonly symbols: readonly string[];
  readonly seed: number;
  readonly reps: number;
  readonly startIso: string;
  readonly bars: number;
  readonly csvBytes: number;
  /** Every run at the headline size, by scenario, in the order run. */
  readonly runs: Readonly<Record<ScenarioName, ScenarioRun[]>>;
  /** The full loop at each size, smallest first (the last is the headline size). */
  readonly sizes: readonly SizeRuns[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Bars per second of the whole process. */
export const rate = (r: ScenarioRun): number => r.bars / (r.wallMs / 1000);
const medianRate = (runs: readonly ScenarioRun[]): number => median(runs.map(rate));
const medianRss = (runs: readonly ScenarioRun[]): number => median(runs.map((r) => r.maxRssKb));
/** Paired: each repetition's own ratio (a and b ran back to back), then the median of those. */
function pairedRatio(a: readonly ScenarioRun[], b: readonly ScenarioRun[]): number {
  return median(a.map((r, i) => rate(r) / rate(b[i]!)));
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const rssMib = (kb: number): string => `${(kb / 1024).toFixed(0)} MiB`;
const x = (n: number, digits = 2): string => `${n.toFixed(digits)}×`;
const met = (ok: boolean): string => (ok ? '**met**' : '**not met**');

export interface Figures {
  readonly full: number;
  readonly isolated: number;
  /** The same strategy as a user module on its own thread, over the built-in on the loop's thread. */
  readonly isolatedToFull: number;
  readonly trading: number;
  readonly hand: number;
  readonly indicatorts: number;
  readonly csvRead: number;
  readonly csvWhole: number;
  readonly fullToHand: number;
  readonly fullToIndicatorts: number;
  readonly tradingToHand: number;
  readonly rssGrowth: number;
  readonly inputGrowth: number;
  readonly writeFloorBarsPerS: number;
  readonly eventsBytes: number;
}

export function figures(input: BenchInput): Figures {
  const r = input.runs;
  const small = input.sizes[0]!;
  const big = input.sizes[input.sizes.length - 1]!;
  const eventsBytes = median(r.full.map((f) => f.eventsBytes ?? 0));
  const writeMs = median(r.write.map((w) => w.writeMs ?? NaN));
  return {
    full: medianRate(r.full),
    isolated: medianRate(r.isolated),
    isolatedToFull: pairedRatio(r.isolated, r.full),
    trading: medianRate(r.trading),
    hand: medianRate(r.hand),
    indicatorts: medianRate(r.indicatorts),
    csvRead: median(r.csv.map((c) => c.bars / ((c.readMs ?? NaN) / 1000))),
    csvWhole: medianRate(r.csv),
    fullToHand: pairedRatio(r.full, r.hand),
    fullToIndicatorts: pairedRatio(r.full, r.indicatorts),
    tradingToHand: pairedRatio(r.trading, r.hand),
    rssGrowth: medianRss(big.full) / medianRss(small.full),
    inputGrowth: big.bars / small.bars,
    writeFloorBarsPerS: input.bars / (writeMs / 1000),
    eventsBytes,
  };
}

export function verdicts(input: BenchInput): string[] {
  const f = figures(input);
  return [
    `1. Full event log: ${int(f.full)} bars/s end to end, ${x(f.fullToIndicatorts)} indicatorts (goal: faster than indicatorts in the same run): ${met(f.fullToIndicatorts > GOALS.fullToIndicatorts)}; ` +
      `${x(f.fullToHand)} the hand-written loop; ` +
      `peak RSS ${x(f.rssGrowth)} for ${x(f.inputGrowth, 0)} the input (flat, ≤ ${GOALS.flatRss}×: ${met(f.rssGrowth <= GOALS.flatRss)}).`,
    `2. Lean log (\`--events trading\`): ${int(f.trading)} bars/s, ` +
      `${x(f.tradingToHand)} the hand-written loop (goal ≥ ${GOALS.tradingToHand}×): ${met(f.tradingToHand >= GOALS.tradingToHand)}.`,
    `3. CSV floor: ${int(f.csvRead)} rows/s reading and parsing (goal ≥ ${int(GOALS.csvRowsPerS)}): ${met(f.csvRead >= GOALS.csvRowsPerS)}.`,
    `4. A user module's own thread: the same sma-cross loaded as a module runs at ${int(f.isolated)} bars/s, ${x(f.isolatedToFull)} the built-in on the loop's thread ` +
      `(a bar's round trip to the strategy's thread through shared memory; what the barrier between user code and the gate costs).`,
  ];
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

const LABELS: Readonly<Record<ScenarioName, string>> = {
  full: 'tradeloop run, full event log (default)',
  isolated: 'tradeloop run, the same strategy as a user module',
  trading: 'tradeloop run --events trading',
  hand: 'peer: hand-written loop (bench/peers/hand-loop.ts)',
  indicatorts: 'peer: indicatorts 2.2.2 (bench/peers/indicatorts-sma.ts)',
  csv: "floor: tradeloop's CSV reader alone",
  write: "floor: write(2) of the full log's bytes",
};

function rows(input: BenchInput): string[][] {
  const r = input.runs;
  const hand = medianRate(r.hand);
  return (['full', 'isolated', 'trading', 'hand', 'indicatorts', 'csv'] as const).map((name) => {
    const runs = r[name];
    return [LABELS[name], int(medianRate(runs)), x(medianRate(runs) / hand), (median(runs.map((q) => q.cpuMs)) / 1000).toFixed(2), rssMib(medianRss(runs))];
  });
}

export function consoleReport(input: BenchInput): string {
  const f = figures(input);
  return [
    '',
    pad([['whole process, median', 'bars/s', '÷ hand loop', 'CPU s', 'peak RSS'], ...rows(input)]),
    '',
    `CSV reading and parsing alone: ${int(f.csvRead)} rows/s. Write floor: the full log's ${mib(f.eventsBytes)} at ${int(f.writeFloorBarsPerS)} bars/s.`,
    ...verdicts(input).map((v) => v.replaceAll('**', '')),
    `Load average ${input.loadAtStart.toFixed(2)} at the start, ${input.loadAtEnd.toFixed(2)} at the end. Code: ${input.code}.`,
    '',
  ].join('\n');
}

export function markdownSection(input: BenchInput): string {
  const f = figures(input);
  const when = input.date.toISOString().slice(0, 16).replace('T', ' ');
  const r = input.runs;
  const writeMs = median(r.write.map((w) => w.writeMs ?? NaN));
  const fullSeconds = input.bars / f.full;
  return [
    `_Written by \`npm run bench\` (bench/static.ts) on ${when} UTC. Rerun the bench rather than editing these figures._`,
    '',
    '**Verdicts.**',
    '',
    ...verdicts(input),
    '',
    `- Machine: ${describeMachine(input.machine)}; load average ${input.loadAtStart.toFixed(2)} at the start, ${input.loadAtEnd.toFixed(2)} at the end (the machine is shared: other sessions' work skews every figure).`,
    `- Code: ${input.code}.`,
    `- Data: ${int(input.bars)} bars: ${input.symbols.length} synthetic USDT pairs (${input.symbols.join(', ')}) of one-minute bars, 24/7 from ${input.startIso}, seed ${input.seed}; ` +
      `header CSV (timestamp,open,high,low,close,volume), ${mib(input.csvBytes)}, made by \`bench/lib/generate.ts\`.`,
    `- Runs: every figure is the median of ${input.reps} repetitions; in each, every program runs once, in a Node process of its own, one after the other on the same files, ` +
      "after one unmeasured round that warms the page cache and Node's compile cache. Ratios are the median of each repetition's own ratio.",
    '',
    `| ${int(input.bars)} bars, whole process | bars/s | ÷ hand loop | CPU s | peak RSS |`,
    '|---|---:|---:|---:|---:|',
    ...rows(input).map((row) => `| ${row.join(' | ')} |`),
    '',
    '### Floors',
    '',
    `- **CSV**: tradeloop's reader (\`CsvBarSource\`: reading, the byte parser with every check, the time-ordered merge) into a sink that only counts: ` +
      `${int(f.csvRead)} rows/s from \`open()\` to the last row; ${int(f.csvWhole)} rows/s as a whole process.`,
    `- **Write**: the full log is ${mib(f.eventsBytes)} (${(f.eventsBytes / input.bars).toFixed(0)} bytes a bar). Writing that many bytes to a new file on this disk, ` +
      `in 1 MiB writes and nothing else, takes ${(writeMs / 1000).toFixed(2)} s: ${int(f.writeFloorBarsPerS)} bars/s is as fast as any writer could put this log down here. ` +
      `The full loop took ${fullSeconds.toFixed(2)} s.`,
    '',
    '### Memory as the input grows',
    '',
    '| bars | CSV | full loop bars/s | peak RSS |',
    '|---:|---:|---:|---:|',
    ...input.sizes.map((s) => `| ${int(s.bars)} | ${mib(s.csvBytes)} | ${int(medianRate(s.full))} | ${rssMib(medianRss(s.full))} |`),
    '',
    '### What is measured',
    '',
    "- **Whole process**: from spawning `node` to its exit, as the bench sees it: Node's start, loading the modules, the work, and writes still in flight at the end. " +
      "Peak RSS and CPU time are the process's own (`process.resourceUsage()` at exit, written by `bench/lib/exit-report.ts`).",
    `- **tradeloop run**: \`bin/tradeloop.js run --source csv --symbols … --data DIR --out TMP --quiet ${['--param fast=10', '--param slow=30'].join(' ')}\` (sma-cross 10/30): hashing the inputs for the run id, ` +
      'parsing with every check, the risk gate, the paper broker, `summary.json` and `events.ndjson` (deleted after each run); `--events trading` leaves bar lines and hold decisions out of the log.',
    '- **Hand-written loop**: parses the bytes (no checks), merges the files in time order, running SMA 10/30 sums, market fills at the close ± 1 bp, float cash; nothing else.',
    '- **indicatorts**: each file read whole and split into lines, closes by `parseFloat`, `sma()` with periods 10 and 30, then the same crossings and fills; whole files in memory, float money.',
    `- Every run, bars/s: ${(['full', 'isolated', 'trading', 'hand', 'indicatorts', 'csv'] as const).map((n) => `${n} ${r[n].map((q) => int(rate(q))).join(', ')}`).join('; ')}.`,
    '',
    'Reproduce: `npm run bench` (options: `-- --bars N`, `--symbols N`, `--reps N`, `--no-doc` to leave this file alone). The data set is generated once into `bench/.data/` (git-ignored) and reused.',
  ].join('\n');
}
