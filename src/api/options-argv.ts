/**
 * The options of backtest() and startSession() are the flags of `tradeloop run` in camelCase
 * (`feeBps` is --fee-bps, `state` is --state). They are turned into the command line's arguments
 * and go through its one parser: one set of checks, and every refusal names the flag it came from.
 */
import { nearest } from '../cli/common-flags.ts';
import { parseRunOptions, RUN_FLAGS } from '../cli/run-options.ts';
import { UsageError } from '../errors.ts';
import type { SessionConfig } from '../session/session-config.ts';

type Scalar = string | number;

/** What the flags of both modes are given as from code (each is optional; the command line's default applies). */
export interface CommonOptions {
  /** Default: the command line's. A comma-separated string is read as the flag is. */
  readonly symbols?: readonly string[] | string;
  readonly interval?: string;
  readonly minutes?: number;
  readonly tz?: string;
  /** A built-in name, a module path (relative to the working folder), or a factory function. */
  readonly strategy?: string | ((params: Readonly<Record<string, string>>) => unknown);
  readonly params?: Readonly<Record<string, Scalar>>;
  readonly cash?: Scalar;
  /** Maker and taker alike (default: 10 for crypto pairs, 1 for anything else); not with makerFeeBps or takerFeeBps. */
  readonly feeBps?: Scalar;
  /** A limit that rested and was filled. */
  readonly makerFeeBps?: Scalar;
  /** What took liquidity: market, stop, trailing stop, a stop-limit filled on its trigger bar, a flatten. */
  readonly takerFeeBps?: Scalar;
  readonly slippageBps?: Scalar;
  /** next-open (default): a market order fills at the next bar's open; close: at its own bar's close (optimistic). */
  readonly fillModel?: 'next-open' | 'close';
  /** The share of a bar's volume (0 < R ≤ 1, default 0.1) a symbol's orders may fill in that bar. */
  readonly maxParticipation?: Scalar;
  readonly maxPositionNotional?: Scalar;
  readonly maxGrossExposure?: Scalar;
  readonly maxOrdersPerMinute?: Scalar;
  readonly priceBandPct?: Scalar;
  readonly maxDailyLoss?: Scalar;
  readonly maxDrawdownPct?: Scalar;
  readonly onLossLimit?: 'reducing' | 'halted';
  readonly marginFloorPct?: Scalar;
  readonly lot?: Readonly<Record<string, string>>;
  /** The run's folder (default runs/<run id>, as the command line's). */
  readonly out?: string;
  /** A state folder: the run is journaled (and resumed if the journal holds it). */
  readonly state?: string;
  /** A PostgreSQL URL (postgres://user@host:5432/db): the session's journal there, under `session`, instead of in `state`. */
  readonly journal?: string;
  /** The session's name in `journal`'s database: locked by it while it runs; the same name resumes. */
  readonly session?: string;
  readonly haltFile?: string;
  readonly controlPort?: Scalar;
  readonly alertWebhooks?: readonly string[];
  readonly events?: 'all' | 'trading';
  readonly heartbeat?: Scalar;
  /** The fleet's nats-server (nats://host:4222): the session reads its halts and answers its status. */
  readonly nats?: string;
  /** The fleet to join on `nats` (default tradeloop_fleet). */
  readonly fleetName?: string;
  /** The fleet token's file (default: $XDG_CONFIG_HOME/tradeloop/fleet-token, made on first use). */
  readonly fleetToken?: string;
}

/** Keys that are no flag of their own, or a repeatable flag given as a list or a record. */
const STRUCTURED: Readonly<Record<string, string | null>> = {
  symbols: '--symbols',
  files: '--file',
  params: '--param',
  lot: '--lot',
  alertWebhooks: '--alert-webhook',
  strategy: '--strategy',
};

/**
 * Flags that make no sense from code, or are an option of one function only: the caller picks the
 * mode by the function it calls, and startSession() takes `source` and `stream` itself.
 */
const NOT_FROM_CODE = new Set(['help', 'source', 'quiet', 'file', 'param', 'lot', 'alert-webhook', 'symbols', 'strategy', 'stream']);

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The camelCase options a caller may give: every flag of the command line, plus the structured ones and the API's own. */
export function knownOptions(own: readonly string[]): string[] {
  const flags = Object.keys(RUN_FLAGS)
    .filter((f) => !NOT_FROM_CODE.has(f))
    .map((f) => f.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()));
  return [...flags, ...Object.keys(STRUCTURED), ...own];
}

/** A key the API does not know is refused, not ignored (a typo must not run with a default). */
export function checkKeys(fn: string, o: object, known: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (known.includes(key)) continue;
    const near = nearest(key, known);
    throw new UsageError(`${fn}: no option ${JSON.stringify(key).slice(0, 40)}.${near ? ` Did you mean ${near}?` : ''} Options: ${known.join(', ')}.`);
  }
}

/** The options as the command line's arguments (the API's own keys are left out). */
export function optionsArgv(source: 'csv' | 'realtime' | 'nats', o: Readonly<Record<string, unknown>>, own: readonly string[]): string[] {
  const argv = ['--source', source];
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined || own.includes(key)) continue;
    if (key === 'symbols') argv.push('--symbols', typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : String(value));
    else if (key === 'files') {
      for (const [symbol, paths] of Object.entries(value as Record<string, string | readonly string[]>)) {
        for (const p of typeof paths === 'string' ? [paths] : paths) argv.push('--file', `${symbol}=${p}`);
      }
    } else if (key === 'params') for (const [name, v] of Object.entries(value as Record<string, unknown>)) argv.push('--param', `${name}=${String(v)}`);
    else if (key === 'lot') for (const [symbol, step] of Object.entries(value as Record<string, unknown>)) argv.push('--lot', `${symbol}=${String(step)}`);
    else if (key === 'alertWebhooks') for (const url of value as readonly string[]) argv.push('--alert-webhook', url);
    else if (key === 'strategy') {
      if (typeof value === 'string') argv.push('--strategy', value);
    } else argv.push(`--${kebab(key)}`, String(value));
  }
  argv.push('--quiet');
  return argv;
}

/** Parsed by the command line's own parser: a bad value is refused naming its flag. */
export function parseOptions(argv: readonly string[]): SessionConfig {
  const parsed = parseRunOptions(argv);
  if (parsed === 'help') throw new UsageError('no options');
  return parsed;
}
