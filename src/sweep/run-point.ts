/**
 * One run of a sweep: the run `tradeloop run` makes with the sweep's flags and this point's
 * `--param`s, through the same parser, strategy loader and StaticSession, so its summary.json is
 * byte for byte the single run's. It runs in a scratch folder of the sweep's; without --keep-runs
 * no events.ndjson is written and the folder is removed once summary.json is read back.
 */
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseOptions } from '../api/options-argv.ts';
import { strategyOf } from '../api/strategy-of.ts';
import type { Flags } from '../config/flags.ts';
import { isTradeloopError } from '../errors.ts';
import type { EventSink } from '../events/event-bus.ts';
import { makeDirs } from '../session/make-dirs.ts';
import { StaticSession } from '../session/static-session.ts';
import type { HostedStrategy, Strategy } from '../strategy/strategy.ts';
import { paramArgs } from './grid.ts';

export interface PointTask {
  readonly index: number;
  readonly params: Readonly<Record<string, string>>;
}

export interface PointSetup {
  /** `tradeloop run`'s arguments for every point (no --param, --out or --cycle-timeout). */
  readonly baseArgv: readonly string[];
  readonly flags: Flags;
  /** Where runs are made (one folder each, by index), removed after. */
  readonly workDir: string;
  /** Each run's folder goes to runsDir/<run-id>, events.ndjson included; null: nothing is kept. */
  readonly runsDir: string | null;
  /** Called as the run makes progress (a cycle, a chunk of input): the sweep's watchdog. */
  readonly beat: () => void;
}

export interface PointResult {
  readonly index: number;
  /** null when the run was refused before it had an id (a parameter value the strategy refuses). */
  readonly runId: string | null;
  /** summary.json as the run wrote it; null when it wrote none. */
  readonly summaryText: string | null;
  /** Why the run failed (its summary's error, or the refusal); null when it did not. */
  readonly error: string | null;
}

/** The point's scratch folder, also what the parent removes when it has to end a stuck run. */
export function scratchOf(workDir: string, index: number): string {
  return join(workDir, String(index));
}

export async function runPoint(setup: PointSetup, task: PointTask): Promise<PointResult> {
  const scratch = scratchOf(setup.workDir, task.index);
  let strategy: Strategy | null = null;
  try {
    // --cycle-timeout 0: the sweep watches its runs itself (one stuck run is a row, not the end of the sweep).
    const opts = parseOptions([...setup.baseArgv, ...paramArgs(task.params), '--out', scratch, '--cycle-timeout', '0']);
    setup.beat();
    const loaded = await strategyOf(undefined, opts);
    strategy = loaded.strategy;
    setup.beat();
    const beat: EventSink = { write: () => {}, endCycle: setup.beat };
    const session = await StaticSession.open({
      config: opts,
      flags: setup.flags,
      strategy,
      strategyHash: loaded.strategyHash,
      terminal: { stdout: () => {}, stderr: () => {} },
      sinks: [beat],
      eventLog: setup.runsDir !== null,
    });
    setup.beat();
    const result = await session.run(setup.beat);
    const summaryText = readFileSync(join(result.outDir, 'summary.json'), 'utf8');
    if (setup.runsDir !== null) {
      const kept = join(setup.runsDir, result.runId);
      makeDirs(setup.runsDir);
      rmSync(kept, { recursive: true, force: true });
      renameSync(scratch, kept);
    }
    return { index: task.index, runId: result.runId, summaryText, error: result.exitCode === 0 ? null : (result.error ?? 'the run failed') };
  } catch (err) {
    // A refusal of this point only (a value the strategy refuses, a module that fails to load): a row, not the sweep's end.
    if (isTradeloopError(err)) return { index: task.index, runId: null, summaryText: null, error: err.message };
    throw err;
  } finally {
    await (strategy as Partial<HostedStrategy> | null)?.dispose?.();
    rmSync(scratch, { recursive: true, force: true });
  }
}
