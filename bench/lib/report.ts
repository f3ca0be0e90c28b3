/**
 * Turns the static bench's runs into figures (medians, ratios, verdicts), a console table and the
 * "## Static replay" section of docs/benchmarks.md.
 */
import type { RunResult } from './run-once.ts';
import { describeMachine, type Machine } from './machine.ts';

/** The goals and anchor. */
export const GOAL_BARS_PER_S = 1_000_000;
export const MAX_LOOP_TO_FLOOR = 3;
/** Peak RSS may grow this much from the smallest to the largest input and still count as flat. */
export const FLAT_RSS_GROWTH = 1.25;
/** Jesse's published rate for 1-minute candles, as quoted in the issue (not measured here). */
export const JESSE_LOW = 183_000;
export const JESSE_HIGH = 513_000;

export interface SizeRuns {
  readonly bars: number;
  readonly rowsPerSymbol: number;
  readonly csvBytes: number;
  readonly floor: RunResult[];
  readonly loop: RunResult[];
}

export interface BenchInput {
  readonly date: Date;
  readonly machine: Machine;
  /** One-minute load average when the bench started: other work on the machine skews the figures. */
  readonly loadAtStart: number;
  /** Commit measured, and whether src/ had uncommitted changes or changed during the runs. */
  readonly code: string;
  readonly symbols: readonly string[];
  readonly seed: number;
  readonly reps: number;
  readonly startIso: string;
  /** Smallest first; the last is the headline size. */
  readonly sizes: readonly SizeRuns[];
}

export interface Figures {
  readonly bars: number;
  readonly floorRate: number;
  readonly loopRate: number;
  readonly floorRssKb: number;
  readonly loopRssKb: number;
  /** How many times the floor's time the loop takes: median over repetitions of floor rate / loop rate. */
  readonly loopToFloor: number;
  readonly goalRatio: number;
  readonly eventsBytes: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function rate(r: RunResult): number {
  return r.bars / (r.ms / 1000);
}

export function figures(size: SizeRuns): Figures {
  const floorRate = median(size.floor.map(rate));
  const loopRate = median(size.loop.map(rate));
  return {
    bars: size.bars,
    floorRate, loopRate,
    floorRssKb: median(size.floor.map((r) => r.maxRssKb)),
    loopRssKb: median(size.loop.map((r) => r.maxRssKb)),
    // Paired: each loop run against the floor run just before it, which shared the machine's
    // conditions; the median of those ratios is steadier than a ratio of two medians.
    loopToFloor: median(size.loop.map((l, i) => rate(size.floor[i]!) / rate(l))),
    goalRatio: loopRate / GOAL_BARS_PER_S,
    eventsBytes: median(size.loop.map((r) => r.eventsBytes ?? 0)),
  };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const rssMib = (kb: number): string => `${(kb / 1024).toFixed(0)} MiB`;
const x = (n: number, digits = 2): string => `${n.toFixed(digits)}×`;

export interface Verdicts {
  readonly goal: boolean;
  readonly floor: boolean;
  readonly flat: boolean;
  readonly rssGrowth: number;
  readonly inputGrowth: number;
}

export function verdicts(input: BenchInput): Verdicts {
  const all = input.sizes.map(figures);
  const head = all[all.length - 1]!;
  const small = all[0]!;
  const rssGrowth = head.loopRssKb / small.loopRssKb;
  return {
    goal: head.loopRate >= GOAL_BARS_PER_S,
    floor: head.loopToFloor <= MAX_LOOP_TO_FLOOR,
    flat: rssGrowth <= FLAT_RSS_GROWTH,
    rssGrowth,
    inputGrowth: head.bars / small.bars,
  };
}

function verdictLine(input: BenchInput): string {
  const head = figures(input.sizes[input.sizes.length - 1]!);
  const v = verdicts(input);
  const met = (ok: boolean): string => (ok ? '**met**' : '**not met**');
  return `End to end ${int(head.loopRate)} bars/s = ${x(head.goalRatio)} the ${int(GOAL_BARS_PER_S)} bars/s goal: ${met(v.goal)}. ` +
    `The loop takes ${x(head.loopToFloor, 1)} the floor's time (goal ≤ ${MAX_LOOP_TO_FLOOR}×): ${met(v.floor)}. ` +
    `Peak RSS ${x(v.rssGrowth)} for ${x(v.inputGrowth, 0)} the input (flat: ≤ ${FLAT_RSS_GROWTH}×): ${met(v.flat)}.`;
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** The console report. */
export function consoleReport(input: BenchInput): string {
  const all = input.sizes.map(figures);
  const head = all[all.length - 1]!;
  const rows = [['bars', 'floor bars/s', 'floor RSS', 'loop bars/s', 'loop RSS', 'loop ÷ floor time', 'loop ÷ 1M goal']];
  for (const f of all) {
    rows.push([int(f.bars), int(f.floorRate), rssMib(f.floorRssKb), int(f.loopRate), rssMib(f.loopRssKb), x(f.loopToFloor, 1), x(f.goalRatio)]);
  }
  return [
    '',
    pad(rows),
    '',
    `Jesse (published, not measured here): ${int(JESSE_LOW)}–${int(JESSE_HIGH)} candles/s; the loop is ${x(head.loopRate / JESSE_LOW)}–${x(head.loopRate / JESSE_HIGH)} of that.`,
    verdictLine(input).replaceAll('**', ''),
    `Code: ${input.code}.`,
    '',
  ].join('\n');
}

/** The body of "## Static replay" in docs/benchmarks.md. */
export function markdownSection(input: BenchInput): string {
  const all = input.sizes.map(figures);
  const head = all[all.length - 1]!;
  const headSize = input.sizes[input.sizes.length - 1]!;
  const when = input.date.toISOString().slice(0, 16).replace('T', ' ');
  const bytesPerBar = head.eventsBytes / head.bars;
  const seconds = head.bars / head.loopRate;
  const lines: string[] = [
    `_Written by \`npm run bench\` (bench/static.ts) on ${when} UTC. Rerun the bench rather than editing these figures._`,
    '',
    `**Verdict.** ${verdictLine(input)}`,
    '',
    `- Machine: ${describeMachine(input.machine)}; load average ${input.loadAtStart.toFixed(2)} at the start.`,
    `- Code: ${input.code}.`,
    `- Data: ${int(headSize.bars)} bars: ${input.symbols.length} synthetic USDT pairs (${input.symbols.join(', ')}) × ${int(headSize.rowsPerSymbol)} ` +
      `one-minute bars, 24/7 from ${input.startIso}, seed ${input.seed}; header CSV (timestamp,open,high,low,close,volume), ` +
      `${mib(headSize.csvBytes)}, made by \`bench/lib/generate.ts\`. The smaller sizes are prefixes of the same files.`,
    `- Runs: median of ${input.reps} per figure, every run in a Node process of its own; floor and loop alternate on the same files, ` +
      'after one unmeasured floor run that warms the page cache. "Loop ÷ floor time" is the median of each repetition\'s own ratio.',
    '',
    `| ${int(head.bars)} bars | bars/s | loop ÷ floor time | ÷ ${int(GOAL_BARS_PER_S)} bars/s goal | peak RSS |`,
    '|---|---:|---:|---:|---:|',
    `| Floor: read and parse the CSV only | ${int(head.floorRate)} | 1.0× | ${x(head.floorRate / GOAL_BARS_PER_S)} | ${rssMib(head.floorRssKb)} |`,
    `| Full loop, end to end | ${int(head.loopRate)} | ${x(head.loopToFloor, 1)} | ${x(head.goalRatio)} | ${rssMib(head.loopRssKb)} |`,
    '',
    '### Memory as the input grows',
    '',
    '| bars | CSV | floor bars/s | floor peak RSS | loop bars/s | loop peak RSS |',
    '|---:|---:|---:|---:|---:|---:|',
    ...input.sizes.map((s, i) => {
      const f = all[i]!;
      return `| ${int(s.bars)} | ${mib(s.csvBytes)} | ${int(f.floorRate)} | ${rssMib(f.floorRssKb)} | ${int(f.loopRate)} | ${rssMib(f.loopRssKb)} |`;
    }),
    '',
    '### Context',
    '',
    `Jesse, the fastest open Python anchor, publishes about ${int(JESSE_LOW)}–${int(JESSE_HIGH)} one-minute candles/s: its own figures, on its own ` +
      `hardware and workload, not measured here. Against that range this loop runs at ${x(head.loopRate / JESSE_LOW)}–${x(head.loopRate / JESSE_HIGH)}.`,
    '',
    '### What is measured',
    '',
    '- **Floor**: `CsvBarSource` (`src/feed/csv/csv-source.ts`) over the same files, merging the symbols in time order, with a sink ' +
      'that only counts bars. Reading and parsing: the loop cannot be faster than this on these files.',
    `- **Full loop**: \`tradeloop run --source csv --symbols … --data DIR --out TMP --quiet\` through the CLI's \`main()\`: hashing the ` +
      'inputs for the run id, parsing, the default strategy (sma-cross), the risk gate, the paper broker, `summary.json` and `events.ndjson` ' +
      `(${mib(head.eventsBytes)} at this size, ${bytesPerBar.toFixed(0)} bytes a bar, ${(head.eventsBytes / 2 ** 20 / seconds).toFixed(0)} MiB/s; deleted after each run).`,
    '- The clock runs from the call (`main()`, or `open()` for the floor) until the process is about to exit, so event-log writes still in ' +
      'flight and their fsync count; Node start-up and module loading do not, for either.',
    '- **Peak RSS**: `process.resourceUsage().maxRSS` of the run\'s own process.',
    `- Every run, bars/s at ${int(head.bars)} bars: floor ${headSize.floor.map((r) => int(rate(r))).join(', ')}; ` +
      `loop ${headSize.loop.map((r) => int(rate(r))).join(', ')}.`,
    '',
    'Reproduce: `npm run bench` (options: `-- --bars 1000000` for a quick run, `--reps N`, `--no-doc` to leave this file alone). ' +
      'The data set is generated once into `bench/.data/` (git-ignored) and reused.',
  ];
  return lines.join('\n');
}
