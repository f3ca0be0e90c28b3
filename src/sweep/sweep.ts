/**
 * `tradeloop sweep`: one strategy over a grid of parameters, a backtest per grid point on worker
 * threads, each the run `tradeloop run` makes; then sweep.csv and sweep.json in the sweep's folder
 * and the ranked table on the terminal. Exit 0 when every run is ok, 1 when one or more failed
 * (each failed row says why), 2 for a refusal before any run started.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Flags } from '../config/flags.ts';
import { EXIT } from '../errors.ts';
import { makeDirs } from '../session/make-dirs.ts';
import { makeOutDir } from '../session/out-dir.ts';
import type { Terminal } from '../session/terminal.ts';
import { type Clock, systemClock } from '../telemetry/clock.ts';
import { figureOf } from './figures.ts';
import { pointAt } from './grid.ts';
import type { SweepOptions } from './sweep-options.ts';
import { SweepProgress } from './sweep-progress.ts';
import { ranking, rowOf, type SweepRow, sweepCsv, sweepJson } from './sweep-rows.ts';
import { startSweep } from './sweep-start.ts';
import { formatFailures, formatTable, paramsText } from './sweep-table.ts';
import { WorkerPool } from './worker-pool.ts';

const BUNDLED_SAMPLE = fileURLToPath(new URL('../../data/sample/', import.meta.url));

export interface SweepResult {
  readonly exitCode: number;
  readonly sweepId: string;
  readonly outDir: string;
  /** In grid order; empty when the sweep was stopped. */
  readonly rows: readonly SweepRow[];
}

export async function runSweep(opts: SweepOptions, flags: Flags, io: Terminal, clock: Clock = systemClock): Promise<SweepResult> {
  const { grid, base, rank } = opts;
  const { sweepId, strategy } = await startSweep(base, grid, rank, flags);
  const outDir = opts.out ?? join('sweeps', sweepId);
  makeOutDir(outDir);
  const workDir = join(outDir, '.work');
  rmSync(workDir, { recursive: true, force: true }); // a killed sweep's leftovers
  makeDirs(workDir);
  const runsDir = opts.keepRuns ? join(outDir, 'runs') : null;
  const workers = Math.min(opts.jobs, grid.size);
  const shape = grid.axes.map((a) => `${a.name} ${a.values.length}`).join(' × ');
  const progress = io.stderrTTY ? new SweepProgress(grid.size, io.stderr, clock) : null;
  const started = clock.monotonic();
  const pool = new WorkerPool({
    jobs: opts.jobs,
    size: grid.size,
    taskAt: (index) => ({ index, params: pointAt(grid, index) }),
    setup: { baseArgv: opts.baseArgv, flags, workDir, runsDir },
    stallMs: opts.stallMs,
    clock,
    onResult: (r) => progress?.ran(r.error !== null),
  });
  // SIGINT or SIGTERM ends the runs in hand at once (a run's own stop would still decide its whole input).
  // Listened for before the start line is printed: a signal sent on reading it must find the handler.
  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals): void => {
    signal ??= s;
    pool.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  io.stderr(`tradeloop sweep ${sweepId}: ${grid.size} runs of ${strategy} (${shape}) on ${workers} worker thread${workers === 1 ? '' : 's'}\n`);
  let outcome: Awaited<ReturnType<WorkerPool['run']>>;
  try {
    outcome = await pool.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress?.finish();
    rmSync(workDir, { recursive: true, force: true });
  }
  const seconds = (clock.monotonic() - started) / 1000;
  if (outcome.stopped) {
    const done = outcome.results.filter((r) => r !== undefined).length;
    io.stderr(
      `tradeloop sweep ${sweepId}: stopped by ${signal ?? 'a signal'} after ${done} of ${grid.size} runs; sweep.csv and sweep.json are not written (a part of a grid would rank only what happened to finish). Run it again for the whole grid.\n`,
    );
    return { exitCode: 128 + constants.signals[signal ?? 'SIGINT'], sweepId, outDir, rows: [] };
  }

  const rows = outcome.results.map((r, index) => rowOf(pointAt(grid, index), r!));
  writeFileSync(join(outDir, 'sweep.csv'), sweepCsv(grid, rows));
  writeFileSync(join(outDir, 'sweep.json'), sweepJson({ sweepId, strategy, grid, rank, rows }));
  const failed = rows.filter((r) => r.error !== null).length;
  const order = ranking(rows, rank);
  const rate = seconds > 0 ? grid.size / seconds : 0;
  io.stderr(`tradeloop sweep ${sweepId}: ${grid.size} runs in ${seconds.toFixed(2)} s (${rate.toFixed(1)} runs/s)${failed > 0 ? `, ${failed} failed` : ''}\n`);
  const best = rows[order[0]!]!;
  if (opts.quiet) {
    const lead = best.error === null ? `best by ${rank.name}: ${paramsText(grid, best.params)} (${figureOf(best.summary, rank) ?? '-'})` : 'no run succeeded';
    io.stdout(`tradeloop sweep ${sweepId}: ${grid.size} runs, ${failed} failed; ${lead}; files in ${outDir}\n`);
  } else {
    io.stdout(`tradeloop sweep ${sweepId} (${strategy}, ${grid.size} runs, ${failed} failed)\n`);
    io.stdout(formatTable(grid, rows, order, rank, opts.top));
    io.stdout(formatFailures(grid, rows));
    io.stdout(`  files         ${join(outDir, 'sweep.csv')}, ${join(outDir, 'sweep.json')}${runsDir ? `, each run in ${runsDir}/<run-id>` : ''}\n`);
    if (bundled(opts)) {
      io.stdout(
        `  note          ${relative(process.cwd(), BUNDLED_SAMPLE) || 'data/sample'} is synthetic: a sweep over it finds the parameters that suit made-up bars, nothing about a market.\n`,
      );
    }
  }
  return { exitCode: failed > 0 ? EXIT.failed : EXIT.ok, sweepId, outDir, rows };
}

function bundled(opts: SweepOptions): boolean {
  return opts.base.symbols.some((s) => (opts.base.files.get(s) ?? []).some((f) => resolve(f).startsWith(BUNDLED_SAMPLE)));
}
