/**
 * `tradeloop sweep` options: every flag of `tradeloop run --source csv` (the same table, passed on
 * to each run), with `--param` taking a grid instead of one value, and the sweep's own flags. The
 * run flags are checked once here by the run's own parser, so a bad one is refused as
 * `tradeloop run` refuses it, before any worker starts.
 */
import { availableParallelism } from 'node:os';
import { parseOptions } from '../api/options-argv.ts';
import { nearest, parseFlags } from '../cli/common-flags.ts';
import { numberFlag } from '../cli/flag-numbers.ts';
import { RUN_FLAGS } from '../cli/run-options.ts';
import { UsageError } from '../errors.ts';
import type { SessionConfig } from '../session/session-config.ts';
import { FIGURE_NAMES, FIGURES, type Figure } from './figures.ts';
import { DEFAULT_MAX_RUNS, type Grid, makeGrid, paramArgs, parseAxis, pointAt, readGridFile } from './grid.ts';

export const SWEEP_FLAGS = {
  ...RUN_FLAGS,
  grid: { type: 'string' },
  jobs: { type: 'string' },
  rank: { type: 'string' },
  top: { type: 'string' },
  'keep-runs': { type: 'boolean' },
  'max-runs': { type: 'string' },
} as const;

/** Run flags that are the sweep's, not each run's: read here, never passed on. */
const OWN_RUN_FLAGS = new Set(['help', 'param', 'out', 'quiet', 'cycle-timeout']);
/** Run flags that make no sense for a batch of backtests, each with the reason. */
const REFUSED: Readonly<Record<string, string>> = {
  state: "a sweep's runs are not journaled (a journal is for a session that must survive a restart); drop --state",
  'halt-file': 'a sweep has no operator halt; drop --halt-file (Ctrl-C stops the sweep)',
  'control-port': 'a sweep has no control endpoint; drop --control-port',
  heartbeat: 'a sweep shows its own progress; drop --heartbeat',
  'alert-webhook': "a sweep's runs post no alerts (each run's summary counts them); drop --alert-webhook",
};

export const DEFAULT_TOP = 10;

export interface SweepOptions {
  readonly grid: Grid;
  /** The run options of the grid's first point (every point differs only in its params). */
  readonly base: SessionConfig;
  /** `tradeloop run`'s arguments for every point: the point's --param, and --out, are added per run. */
  readonly baseArgv: readonly string[];
  readonly jobs: number;
  readonly rank: Figure;
  readonly top: number;
  readonly keepRuns: boolean;
  readonly out: string | null;
  readonly quiet: boolean;
  /** --cycle-timeout: a run making no progress this long is ended and its row says so; 0: never. */
  readonly stallMs: number;
}

function usage(message: string): UsageError {
  return new UsageError(`${message}\nRun 'tradeloop sweep --help' for the options.`);
}

export function parseSweepOptions(argv: readonly string[]): SweepOptions | 'help' {
  const v = parseFlags(argv, SWEEP_FLAGS, usage).values as Record<string, string | boolean | string[] | undefined>;
  if (v.help) return 'help';
  const source = typeof v.source === 'string' ? v.source.trim().toLowerCase() : 'csv';
  if (source === 'realtime' || source === 'nats')
    throw usage(
      `--source ${source}: a sweep replays the same csv bars once per parameter set (static runs only); a realtime session runs once, on live bars. Drop --source, or give --source csv.`,
    );
  for (const [flag, why] of Object.entries(REFUSED)) if (v[flag] !== undefined) throw usage(`--${flag}: ${why}.`);

  const maxRuns = numberFlag(
    '--max-runs',
    v['max-runs'] as string | undefined,
    DEFAULT_MAX_RUNS,
    { min: 1, max: 10_000_000, unit: 'runs', integer: true },
    usage,
  );
  const axes = [
    ...(typeof v.grid === 'string' ? readGridFile(v.grid) : []),
    ...((v.param as string[] | undefined) ?? []).map((raw) => parseAxis(raw, maxRuns)),
  ];
  const grid = makeGrid(axes, maxRuns);

  const baseArgv: string[] = [];
  for (const [flag, spec] of Object.entries(RUN_FLAGS)) {
    const value = v[flag];
    if (value === undefined || OWN_RUN_FLAGS.has(flag)) continue;
    if (spec.type === 'boolean') baseArgv.push(`--${flag}`);
    // --flag=value: a value such as -5 stays the flag's value, and is refused by the flag's own check.
    else for (const one of Array.isArray(value) ? value : [String(value)]) baseArgv.push(`--${flag}=${one}`);
  }
  // Every run flag checked once, by the run's own parser, with the first point's parameters.
  const base = parseOptions([
    ...baseArgv,
    ...paramArgs(pointAt(grid, 0)),
    ...(typeof v['cycle-timeout'] === 'string' ? [`--cycle-timeout=${v['cycle-timeout']}`] : []),
  ]);

  const rankText = typeof v.rank === 'string' ? v.rank.trim() : 'sharpe';
  const rank = FIGURES.find((f) => f.name === rankText);
  if (rank === undefined) {
    const near = nearest(rankText, FIGURE_NAMES);
    throw usage(`--rank ${rankText}: not a figure of the summary.${near ? ` Did you mean ${near}?` : ''} Rank by one of: ${FIGURE_NAMES.join(', ')}.`);
  }
  const cores = availableParallelism();
  const jobs = numberFlag('--jobs', v.jobs as string | undefined, cores, { min: 1, max: 256, unit: 'worker threads', integer: true }, usage);
  const top = numberFlag('--top', v.top as string | undefined, DEFAULT_TOP, { min: 1, max: 1_000_000, unit: 'rows', integer: true }, usage);
  return {
    grid,
    base,
    baseArgv,
    jobs,
    rank,
    top,
    keepRuns: v['keep-runs'] === true,
    out: typeof v.out === 'string' ? v.out : null,
    quiet: v.quiet === true,
    stallMs: base.cycleTimeoutMs,
  };
}

export const SWEEP_USAGE = `Usage: tradeloop sweep --param NAME=VALUES ... [run options] [--jobs N] [--rank STAT] [--top N] [--out DIR]

Runs one strategy over a grid of parameters, one backtest per grid point, each exactly the run
'tradeloop run --source csv' makes with that point's --param values (the same summary.json, byte for
byte), several at once on worker threads; prints the best runs and writes sweep.csv and sweep.json.

Grid:
  --param NAME=VALUES      one axis: a range FROM..TO:STEP (5..30:5; decimals exact: 0.5..2:0.25; TO
                           included when a step lands on it; FROM..TO alone steps by 1), a list 20,50,100,
                           or one value; repeatable, one per parameter
  --grid FILE.json         axes from a file: {"fast": [5, 10, 15], "slow": [20, 50]} (before any --param)
  --max-runs N             refuse a grid of more than N runs (default ${DEFAULT_MAX_RUNS})
  Grid order: the cartesian product in the order the axes are given, the last varying fastest
  (fast=5 slow=20, fast=5 slow=50, ..., fast=10 slow=20, ...). Rows are in this order whatever --jobs.
Sweep:
  --jobs N                 worker threads, each running one backtest at a time (default: the number of cores)
  --rank STAT              the figure that ranks the table (default sharpe); best first: highest, except
                           rejects, skips, fees, tripFees, losses and maxDrawdownPct (lowest); runs without
                           it (not computed, failed) last; ties in grid order. STAT is one of:
                           ${FIGURE_NAMES.join(', ')}
  --top N                  rows of the ranked table on the terminal (default ${DEFAULT_TOP}; the files hold every run)
  --out DIR                the sweep's folder: sweep.csv, sweep.json (default sweeps/<sweep-id>)
  --keep-runs              also keep each run's own folder (events.ndjson, summary.json, trades.csv,
                           equity.csv) in DIR/runs/<run-id>; by default runs write no event log
  --cycle-timeout S        a run making no progress for S seconds (a strategy stuck in onBar) is ended and
                           its row says so; the sweep goes on (default 30; 0: off)
  --quiet                  one line on stdout instead of the table
Every other option is 'tradeloop run --source csv''s (tradeloop run --help): --symbols, --data, --file,
--from, --to, --minutes, --strategy, --cash, --fee-bps, --maker-fee-bps, --fill-model, --max-participation, --lot, limits... and applies to every
run. Not for a sweep: --source realtime, --state, --halt-file, --control-port, --heartbeat, --alert-webhook.

Exit codes: 0 every run ok; 1 one run or more failed (its row says why; the others are still written);
2 a refusal before any run started (a flag, the grid, a parameter the strategy does not take).
`;
