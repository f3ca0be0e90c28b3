/**
 * startSession(): a live paper-trading session from code, the session `tradeloop run --source
 * realtime` (or `--source nats`, on the fleet's stream) runs for the same options, handed back as a handle: its status, the operator's
 * commands (halt, resume, flatten: applied between two cycles, as from the command line), and
 * stop(), which drains, writes summary.json and resolves to it. Realtime stays behind its gate:
 * FLAG_REALTIME in the environment, or `realtime: true` given here on purpose.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFlags } from '../config/flags.ts';
import { UsageError } from '../errors.ts';
import type { EventSink } from '../events/event-bus.ts';
import type { HaltReason } from '../events/reasons.ts';
import type { RunSummary, TradeEvent } from '../events/types.ts';
import type { CommandResult } from '../session/commands.ts';
import { LiveSession } from '../session/live-session.ts';
import type { SessionStatus } from '../session/status.ts';
import type { StrategyFactory } from '../strategy/strategy.ts';
import type { Clock } from '../telemetry/clock.ts';
import { checkKeys, type CommonOptions, knownOptions, optionsArgv, parseOptions } from './options-argv.ts';
import { strategyOf } from './strategy-of.ts';

type Scalar = string | number;

/** The options of `tradeloop run --source realtime|nats`, in camelCase. */
export interface SessionOptions extends Omit<CommonOptions, 'strategy'> {
  readonly strategy?: string | StrategyFactory;
  /**
   * Where bars come from: `realtime` (default), Binance's protocol (or `wsUrl`/`restUrl`); `nats`,
   * the fleet's stream on `nats` that `tradeloop publish` fills (`--source nats`).
   */
  readonly source?: 'realtime' | 'nats';
  /** The fleet's JetStream stream (source nats; default TRADELOOP_BARS). */
  readonly stream?: string;
  readonly network?: 'production' | 'testnet';
  /** Any other server speaking Binance's market-data protocol (a tradeloop replay-server); both or neither. */
  readonly wsUrl?: string;
  readonly restUrl?: string;
  readonly staleAfter?: Scalar;
  readonly staleAlertAfter?: Scalar;
  readonly latencyAlertMs?: Scalar;
  readonly sliceGraceMs?: Scalar;
  readonly queueSize?: Scalar;
  readonly pingInterval?: Scalar;
  readonly maxBarAge?: Scalar;
  readonly maxBackfillBars?: Scalar;
  /** Seconds a strategy's onBar may run before the watchdog ends the process; from code the default is 0 (off). */
  readonly cycleTimeout?: number;
  /** Realtime's gate, given on purpose (default: FLAG_REALTIME in the environment). */
  readonly realtime?: boolean;
  /** FLAG_TRADING_HALTED for this session (default: the environment's). */
  readonly tradingHalted?: boolean;
  /** Every event as the session makes it (a frozen copy). */
  readonly onEvent?: (event: TradeEvent) => void;
  /** The operator's lines (halts, alerts, refusals); default: nothing is printed. */
  readonly stderr?: (text: string) => void;
  /** Wall and monotonic time (tests: a virtual clock). */
  readonly clock?: Clock;
}

export interface SessionHandle {
  readonly runId: string;
  readonly outDir: string;
  /** The control endpoint (127.0.0.1) and its token; the CLI's `tradeloop status --state` reaches it too. */
  readonly control: { readonly url: string; readonly token: string } | null;
  status(): SessionStatus;
  halt(options?: { readonly reason?: string; readonly reducing?: boolean }): Promise<CommandResult>;
  resume(options?: { readonly halt?: HaltReason }): Promise<CommandResult>;
  flatten(options?: { readonly symbols?: readonly string[] }): Promise<CommandResult>;
  /** Closes the feed, decides what it delivered, writes summary.json; resolves to what it holds. */
  stop(): Promise<{ readonly summary: RunSummary; readonly exitCode: 0 | 1; readonly outDir: string; readonly runId: string }>;
  /** Resolves once the session has ended: by stop(), or by itself after `minutes`. */
  readonly done: Promise<Awaited<ReturnType<SessionHandle['stop']>>>;
  /** Resolves when the session's output can no longer be written (a full disk): call stop(). */
  readonly failure: Promise<Error>;
}

const OWN = ['realtime', 'tradingHalted', 'onEvent', 'stderr', 'clock', 'source'];
const KNOWN = [...knownOptions(OWN), 'stream'];
const SOURCES = ['realtime', 'nats'] as const;

export async function startSession(options: SessionOptions): Promise<SessionHandle> {
  checkKeys('startSession()', options, KNOWN);
  const env = readFlags();
  if (!(options.realtime ?? env.realtime))
    throw new UsageError('startSession(): realtime mode is off. It is gated by FLAG_REALTIME (default off): set it, or pass realtime: true.');
  const source = options.source ?? 'realtime';
  if (!SOURCES.includes(source))
    throw new UsageError(`startSession(): source ${JSON.stringify(String(source)).slice(0, 40)} is none of ${SOURCES.join(', ')} (a csv run is backtest()).`);
  const argv = optionsArgv(source, options as Readonly<Record<string, unknown>>, OWN);
  const opts = parseOptions(options.cycleTimeout === undefined ? [...argv, '--cycle-timeout', '0'] : argv);
  const { strategy, strategyHash } = await strategyOf(options.strategy, opts);
  const onEvent = options.onEvent;
  const sinks: EventSink[] = onEvent ? [{ write: (_seq, event) => onEvent(Object.freeze({ ...event })) }] : [];
  const dispose = async (): Promise<void> => (strategy as { dispose?: () => Promise<void> }).dispose?.();
  let live: LiveSession;
  try {
    live = await LiveSession.open({
      config: opts,
      flags: { realtime: true, tradingHalted: options.tradingHalted ?? env.tradingHalted },
      strategy,
      strategyHash,
      terminal: { stdout: () => {}, stderr: options.stderr ?? (() => {}) },
      sinks,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  } catch (err) {
    await dispose();
    throw err;
  }
  let ended: ReturnType<SessionHandle['stop']> | null = null;
  const stop = (): ReturnType<SessionHandle['stop']> => {
    ended ??= (async () => {
      live.clockOf().clearTimer(timer);
      const r = await live.stop();
      await dispose();
      // Exactly what summary.json holds (a log that failed only as it closed says so there).
      const summary = JSON.parse(readFileSync(join(r.outDir, 'summary.json'), 'utf8')) as RunSummary;
      return { summary, exitCode: r.exitCode, outDir: r.outDir, runId: r.runId };
    })();
    void ended.then(resolveDone, () => {});
    return ended;
  };
  // --minutes from code as from the command line: the session ends itself after that much wall-clock time.
  let resolveDone!: (r: Awaited<ReturnType<SessionHandle['stop']>>) => void;
  const done = new Promise<Awaited<ReturnType<SessionHandle['stop']>>>((r) => (resolveDone = r));
  const timer = opts.minutes !== null ? live.clockOf().setTimer(() => void stop(), opts.minutes * 60_000) : null;
  live.start();
  return {
    done,
    runId: live.runId,
    outDir: live.outDir,
    control: live.control,
    status: () => live.status(),
    halt: (o) => live.halt(o),
    resume: (o) => live.resume(o),
    flatten: (o) => live.flatten(o),
    failure: live.failure,
    stop,
  };
}
