/**
 * backtest(): a static session from code, the same run `tradeloop run --source csv` makes for the
 * same options (the same run id, the same events.ndjson, summary.json, trades.csv and equity.csv),
 * with the summary handed back and, if asked, every event as the run makes it. The options are the
 * command line's, in camelCase; they go through the same parsing, so a bad one is refused the same
 * way (a TradeloopError naming the flag).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFlags } from '../config/flags.ts';
import type { EventSink } from '../events/event-bus.ts';
import type { RunSummary, TradeEvent } from '../events/types.ts';
import { StaticSession, type StaticRunResult } from '../session/static-session.ts';
import type { HostedStrategy, StrategyFactory } from '../strategy/strategy.ts';
import { checkKeys, type CommonOptions, knownOptions, optionsArgv, parseOptions } from './options-argv.ts';
import { strategyOf } from './strategy-of.ts';

export { TradeloopError } from '../errors.ts';

type Scalar = string | number;

/** The options of `tradeloop run --source csv`, in camelCase (see CommonOptions for those of both modes). */
export interface BacktestOptions extends Omit<CommonOptions, 'strategy'> {
  /** A folder of <SYMBOL>.csv files (--data). */
  readonly data?: string;
  /** Files per symbol (--file SYMBOL=PATH, repeatable). */
  readonly files?: Readonly<Record<string, string | readonly string[]>>;
  readonly from?: string;
  readonly to?: string;
  /** A built-in name, a module path (relative to the working folder), or a factory function. */
  readonly strategy?: string | StrategyFactory;
  readonly onBadRow?: 'fail' | 'skip';
  readonly maxSkipRatio?: Scalar;
  readonly barLabel?: 'start' | 'end';
  readonly dateFormat?: string;
  /**
   * Seconds a strategy's onBar may run before the watchdog ends the process (exit 140). From code
   * the default is 0 (no watchdog): it would end your program, not only the backtest.
   */
  readonly cycleTimeout?: number;
  /** FLAG_TRADING_HALTED for this run (default: the environment's). */
  readonly tradingHalted?: boolean;
  /** Every event as the run makes it (a frozen copy; a throw here is the caller's, not the run's). */
  readonly onEvent?: (event: TradeEvent) => void;
  /** What the command line would print to stderr (halts, alerts, refusals); default: nothing is printed. */
  readonly stderr?: (text: string) => void;
}

export interface BacktestResult {
  /** Exactly what summary.json holds. */
  readonly summary: RunSummary;
  readonly outDir: string;
  readonly runId: string;
  /** 0 done; 1 a fatal data or strategy error (the summary says which). */
  readonly exitCode: 0 | 1;
}

/** The keys backtest() takes that are no flag of the command line. */
const OWN = ['tradingHalted', 'onEvent', 'stderr'];
const KNOWN = knownOptions(OWN);

/** The options as the command line's arguments: one parser, one set of refusals. */
export function backtestArgv(o: BacktestOptions): string[] {
  const argv = optionsArgv('csv', o as Readonly<Record<string, unknown>>, OWN);
  // From code, no watchdog unless asked: it would end the caller's process.
  return o.cycleTimeout === undefined ? [...argv, '--cycle-timeout', '0'] : argv;
}

/** Runs one backtest; resolves when summary.json is written. A refusal rejects with a TradeloopError (its `code` says which). */
export async function backtest(options: BacktestOptions): Promise<BacktestResult> {
  checkKeys('backtest()', options, KNOWN);
  const opts = parseOptions(backtestArgv(options));
  const { strategy, strategyHash } = await strategyOf(options.strategy, opts);
  const flags = { ...readFlags(), ...(options.tradingHalted !== undefined ? { tradingHalted: options.tradingHalted } : {}) };
  const onEvent = options.onEvent;
  const sinks: EventSink[] = onEvent ? [{ write: (_seq, event) => onEvent(Object.freeze({ ...event })) }] : [];
  let result: StaticRunResult;
  try {
    const session = await StaticSession.open({
      config: opts,
      flags,
      strategy,
      strategyHash,
      terminal: { stdout: () => {}, stderr: options.stderr ?? (() => {}) },
      sinks,
    });
    result = await session.run();
  } finally {
    await (strategy as Partial<HostedStrategy>).dispose?.();
  }
  // Read back from the file: the summary handed over is exactly what summary.json holds.
  const summary = JSON.parse(readFileSync(join(result.outDir, 'summary.json'), 'utf8')) as RunSummary;
  return { summary, outDir: result.outDir, runId: result.runId, exitCode: result.exitCode };
}
