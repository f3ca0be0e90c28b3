/**
 * backtest(): a static run from code, the same run `tradeloop run --source csv` makes for the same
 * options (the same run id, the same events.ndjson, summary.json, trades.csv and equity.csv), with
 * the summary handed back and, if asked, every event as the run makes it. The options are the
 * command line's, in camelCase; they go through the same parsing, so a bad one is refused the same
 * way (a TradeloopError naming the flag).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readFlags } from '../config/flags.ts';
import type { EventSink } from '../events/event-bus.ts';
import type { RunSummary, TradeEvent } from '../events/types.ts';
import { parseRunOptions, type RunOptions } from '../cli/run-options.ts';
import { nearest } from '../cli/common-flags.ts';
import { sha256File } from '../cli/run-id.ts';
import { runStatic } from '../cli/static-run.ts';
import { loadStrategy, makeStrategy } from '../strategy/load-strategy.ts';
import type { Strategy, StrategyFactory } from '../strategy/strategy.ts';

type Scalar = string | number;

export interface BacktestOptions {
  /** Default: the command line's (SPY,QQQ). A comma-separated string is read as the flag is. */
  readonly symbols?: readonly string[] | string;
  /** A folder of <SYMBOL>.csv files (--data). */
  readonly data?: string;
  /** Files per symbol (--file SYMBOL=PATH, repeatable). */
  readonly files?: Readonly<Record<string, string | readonly string[]>>;
  readonly from?: string;
  readonly to?: string;
  readonly minutes?: number;
  readonly interval?: string;
  readonly tz?: string;
  /** A built-in name, a module path (relative to the working folder), or a factory function. */
  readonly strategy?: string | StrategyFactory;
  readonly params?: Readonly<Record<string, Scalar>>;
  readonly cash?: Scalar;
  readonly feeBps?: Scalar;
  readonly slippageBps?: Scalar;
  readonly maxPositionNotional?: Scalar;
  readonly maxGrossExposure?: Scalar;
  readonly maxOrdersPerMinute?: Scalar;
  readonly priceBandPct?: Scalar;
  readonly maxDailyLoss?: Scalar;
  readonly maxDrawdownPct?: Scalar;
  readonly onLossLimit?: 'reducing' | 'halted';
  readonly marginFloorPct?: Scalar;
  readonly lot?: Readonly<Record<string, string>>;
  readonly onBadRow?: 'fail' | 'skip';
  readonly maxSkipRatio?: Scalar;
  readonly barLabel?: 'start' | 'end';
  readonly dateFormat?: string;
  /** The run's folder (default runs/<run id>, as the command line's). */
  readonly out?: string;
  /** A state folder: the run is journaled (and resumed if the journal holds it). */
  readonly state?: string;
  readonly events?: 'all' | 'trading';
  /**
   * Seconds a strategy's onBar may run before the watchdog ends the process (exit 140). From code
   * the default is 0 (no watchdog): it would end your program, not only the backtest.
   */
  readonly cycleTimeout?: number;
  /** FLAG_TRADING_HALTED for this run (default: the environment's). */
  readonly tradingHalted?: boolean;
  /** Every event as the run makes it (a frozen copy; a throw here is the caller's, not the run's). */
  readonly onEvent?: (event: TradeEvent) => void;
  /** What the command line would print (the summary); default: nothing is printed. */
  readonly stdout?: (text: string) => void;
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

/** A refusal of backtest()'s options or inputs, naming the option as the command line names its flag. */
export class TradeloopError extends Error {
  override readonly name = 'TradeloopError';
}

const FLAG_OF: Readonly<Record<string, string>> = {
  from: '--from',
  to: '--to',
  minutes: '--minutes',
  interval: '--interval',
  tz: '--tz',
  cash: '--cash',
  feeBps: '--fee-bps',
  slippageBps: '--slippage-bps',
  maxPositionNotional: '--max-position-notional',
  maxGrossExposure: '--max-gross-exposure',
  maxOrdersPerMinute: '--max-orders-per-minute',
  priceBandPct: '--price-band-pct',
  maxDailyLoss: '--max-daily-loss',
  maxDrawdownPct: '--max-drawdown-pct',
  onLossLimit: '--on-loss-limit',
  marginFloorPct: '--margin-floor-pct',
  onBadRow: '--on-bad-row',
  maxSkipRatio: '--max-skip-ratio',
  barLabel: '--bar-label',
  dateFormat: '--date-format',
  out: '--out',
  state: '--state',
  events: '--events',
  data: '--data',
  cycleTimeout: '--cycle-timeout',
};

/** The options that are no flag of their own. */
const OTHER_OPTIONS = ['symbols', 'files', 'params', 'lot', 'strategy', 'tradingHalted', 'onEvent', 'stdout', 'stderr'];
const KNOWN = [...Object.keys(FLAG_OF), ...OTHER_OPTIONS];

/** A key backtest() does not know is refused, not ignored (a typo must not run with a default). */
function checkKeys(o: object): void {
  for (const key of Object.keys(o)) {
    if (KNOWN.includes(key)) continue;
    const near = nearest(key, KNOWN);
    throw new TradeloopError(`backtest(): no option ${JSON.stringify(key).slice(0, 40)}.${near ? ` Did you mean ${near}?` : ''} Options: ${KNOWN.join(', ')}.`);
  }
}

/** The options as the command line's arguments: one parser, one set of refusals. */
export function backtestArgv(o: BacktestOptions): string[] {
  const argv = ['--source', 'csv'];
  if (o.symbols !== undefined)
    argv.push('--symbols', typeof o.symbols === 'string' ? o.symbols : Array.isArray(o.symbols) ? o.symbols.join(',') : String(o.symbols));
  if (o.cycleTimeout === undefined) argv.push('--cycle-timeout', '0');
  for (const [key, flag] of Object.entries(FLAG_OF)) {
    const v = (o as unknown as Record<string, unknown>)[key];
    if (v !== undefined) argv.push(flag, String(v));
  }
  for (const [symbol, paths] of Object.entries(o.files ?? {})) {
    for (const p of typeof paths === 'string' ? [paths] : paths) argv.push('--file', `${symbol}=${p}`);
  }
  for (const [name, value] of Object.entries(o.params ?? {})) argv.push('--param', `${name}=${String(value)}`);
  for (const [symbol, step] of Object.entries(o.lot ?? {})) argv.push('--lot', `${symbol}=${step}`);
  if (typeof o.strategy === 'string') argv.push('--strategy', o.strategy);
  argv.push('--quiet');
  return argv;
}

/** Runs one backtest; resolves when summary.json is written. */
export async function backtest(options: BacktestOptions): Promise<BacktestResult> {
  let opts: RunOptions;
  try {
    checkKeys(options);
    const parsed = parseRunOptions(backtestArgv(options));
    if (parsed === 'help') throw new TradeloopError('backtest(): no options');
    opts = parsed;
  } catch (err) {
    if (err instanceof TradeloopError) throw err;
    throw new TradeloopError(String((err as Error).message));
  }
  let strategy: Strategy;
  let strategyHash: string | null = null;
  try {
    if (typeof options.strategy === 'function') {
      strategy = makeStrategy(options.strategy.name || 'strategy', options.strategy, opts.params);
    } else {
      strategy = await loadStrategy(opts.strategy, opts.params);
      const path = resolve(process.cwd(), opts.strategy);
      if (existsSync(path)) strategyHash = await sha256File(path);
    }
  } catch (err) {
    throw new TradeloopError(String((err as Error).message));
  }
  const flags = { ...readFlags(), ...(options.tradingHalted !== undefined ? { tradingHalted: options.tradingHalted } : {}) };
  const onEvent = options.onEvent;
  const sinks: EventSink[] = onEvent ? [{ write: (_seq, event) => onEvent(Object.freeze({ ...event })) }] : [];
  let result: Awaited<ReturnType<typeof runStatic>>;
  try {
    result = await runStatic(
      opts,
      flags,
      strategy,
      strategyHash,
      {
        stdout: options.stdout ?? (() => {}),
        stderr: options.stderr ?? (() => {}),
      },
      { sinks },
    );
  } catch (err) {
    // The command line's refusals (a missing file, a folder that cannot be written): named, not thrown raw.
    if ((err as Error)?.name === 'UsageError') throw new TradeloopError((err as Error).message);
    throw err;
  } finally {
    const hosted = strategy as Partial<{ dispose(): Promise<void> }>;
    await hosted.dispose?.();
  }
  const summary = JSON.parse(readFileSync(join(result.outDir, 'summary.json'), 'utf8')) as RunSummary;
  return { summary, outDir: result.outDir, runId: result.runId, exitCode: result.exitCode };
}
