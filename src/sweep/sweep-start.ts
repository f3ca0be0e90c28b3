/**
 * What a sweep settles before any worker starts: that the strategy takes the grid's parameter
 * names (its own check refuses them, word for word as `tradeloop run` would), that the input files
 * are there, and the sweep's id, a hash of everything that decides its files.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Flags } from '../config/flags.ts';
import { isTradeloopError } from '../errors.ts';
import { runIdOf, sha256File } from '../session/run-id.ts';
import type { SessionConfig } from '../session/session-config.ts';
import { hashInputs, staticRunId } from '../session/static-inputs.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import type { HostedStrategy, Strategy } from '../strategy/strategy.ts';
import type { Figure } from './figures.ts';
import { type Grid, pointAt } from './grid.ts';

export interface SweepStart {
  readonly sweepId: string;
  /** The strategy's own name (its spec, when no point of those probed made one). */
  readonly strategy: string;
}

/** The strategy made with one point's parameters, as `tradeloop run` makes it: its name, or its refusal. */
async function probe(spec: string, params: Readonly<Record<string, string>>): Promise<{ name: string } | { refusal: Error }> {
  let strategy: Strategy;
  try {
    strategy = await loadStrategy(spec, params);
  } catch (err) {
    if (isTradeloopError(err)) return { refusal: err };
    throw err;
  }
  await (strategy as Partial<HostedStrategy>).dispose?.();
  return { name: strategy.name };
}

/**
 * The strategy is made for the grid's first point, and if it refuses, for its last (which differs
 * from the first in every parameter that varies). The same refusal twice does not depend on the
 * values (a name the strategy does not take, a module that does not load): the sweep is refused
 * with it. A refusal of some values only is left to those points' rows.
 */
async function checkStrategy(base: SessionConfig, grid: Grid): Promise<string> {
  const first = await probe(base.strategy, pointAt(grid, 0));
  if ('name' in first) return first.name;
  if (grid.size === 1) throw first.refusal;
  const last = await probe(base.strategy, pointAt(grid, grid.size - 1));
  if ('name' in last) return last.name;
  if (last.refusal.message === first.refusal.message) throw first.refusal;
  return base.strategy;
}

export async function startSweep(base: SessionConfig, grid: Grid, rank: Figure, flags: Flags): Promise<SweepStart> {
  const strategy = await checkStrategy(base, grid);
  // Missing or unreadable input is refused once, here, not once per run.
  const inputs = await hashInputs(base);
  const path = resolve(process.cwd(), base.strategy);
  const strategyHash = existsSync(path) ? await sha256File(path) : null;
  // The run id of the options without parameters, with the grid beside it: the same sweep, the same id.
  const baseId = staticRunId({ ...base, params: {} }, flags, { name: strategy } as Strategy, strategyHash, inputs);
  const sweepId = runIdOf({ v: 1, sweep: baseId, grid: grid.axes.map((a) => [a.name, a.values]), rank: rank.name });
  return { sweepId, strategy };
}
