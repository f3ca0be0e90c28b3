/**
 * A live session: the same engine, gate and paper broker as a static one, fed by a live kline
 * feed, as the command line and startSession() both run it. `open()` locks the state folder,
 * checks every symbol and loads the warm-up history (a typo is refused by name instead of looking
 * like a stale feed forever), opens or resumes the journal, and builds the loop; `start()` connects
 * the feed; while it runs the operator's commands go through `status()`, `halt()`, `resume()` and
 * `flatten()` (or the control endpoint); `stop()` closes the feed, drains the queue, decides every
 * held bar, and writes run_end and summary.json.
 */
import { join } from 'node:path';
import type { Flags } from '../config/flags.ts';
import { redactUrl } from '../config/redact-url.ts';
import type { Bar } from '../domain/types.ts';
import { CycleRunner } from '../engine/cycle-runner.ts';
import { CycleWatchdog } from '../engine/cycle-watchdog.ts';
import type { Engine } from '../engine/engine.ts';
import { RealtimeLoop } from '../engine/realtime-loop.ts';
import { TradeloopError, UsageError } from '../errors.ts';
import type { EventSink } from '../events/event-bus.ts';
import type { HaltReason } from '../events/reasons.ts';
import type { RunSummary } from '../events/types.ts';
import { BinanceFeed } from '../feed/binance/binance-feed.ts';
import { refreshClockOffset, syncClock } from '../feed/binance/clock-sync.ts';
import { RestClient } from '../feed/binance/rest-client.ts';
import { loadWarmup } from '../feed/binance/warmup.ts';
import { unitTime } from '../journal/replay.ts';
import { EventCounter } from '../sinks/event-counter.ts';
import { EventLogError } from '../sinks/event-log-error.ts';
import { guardedLog, type LogGuard } from '../sinks/log-guard.ts';
import { NdjsonWriter } from '../sinks/ndjson-writer.ts';
import { RunStatistics } from '../stats/run-statistics.ts';
import type { Strategy } from '../strategy/strategy.ts';
import { type Clock, systemClock } from '../telemetry/clock.ts';
import { ClockOffset } from '../telemetry/latency.ts';
import { buildSummary } from './build-summary.ts';
import type { CommandResult } from './commands.ts';
import { type Begun, beginOrResume, endJournal, type OpenedJournal, openJournal, repairLog, runMeaning } from './journal-wiring.ts';
import { buildLoop, type LoopParts, raiseFlagHalt, runStartEvent } from './loop-parts.ts';
import { makeOutDir } from './out-dir.ts';
import { runIdOf } from './run-id.ts';
import { RunOutput } from './run-output.ts';
import type { Session } from './session.ts';
import type { SessionConfig } from './session-config.ts';
import { journalFailure, type OpenedSession, openSession, openStateDir } from './session-shell.ts';
import type { SessionStatus } from './status.ts';
import type { Terminal } from './terminal.ts';

/** A live session could not start: the REST API unreachable, history not loaded (exit 1). */
export class StartupError extends TradeloopError {
  override name = 'StartupError';
  constructor(message: string) {
    super('TL_STARTUP', message);
  }
}

export interface LiveSessionInput {
  readonly config: SessionConfig;
  readonly flags: Flags;
  readonly strategy: Strategy;
  readonly strategyHash: string | null;
  readonly terminal: Terminal;
  /** Wall and monotonic time (tests: a virtual clock). */
  readonly clock?: Clock;
  /** The reconnect backoff's jitter. */
  readonly random?: () => number;
  /** More sinks on the bus (the benchmark counts decisions with one; startSession's onEvent). */
  readonly sinks?: readonly EventSink[];
  /** A connection's planned lifetime before rotation (Binance closes at 24 h). */
  readonly lifetimeMs?: number;
}

export interface LiveRunResult {
  readonly exitCode: 0 | 1;
  readonly outDir: string;
  readonly runId: string;
  readonly summary: RunSummary;
  /** The session's output could not be written (a full disk): it was ended early. */
  readonly error?: string;
}

interface History {
  readonly bars: Map<string, Bar[]>;
  readonly lastClosed: Map<string, number>;
}

/** Clock offset, then the warm-up history (feed/binance/warmup.ts), refused by name where it fails. */
async function loadHistory(rest: RestClient, opts: SessionConfig, warmup: number, clockOffset: ClockOffset, clock: Clock): Promise<History> {
  const restUrl = redactUrl(opts.restUrl);
  const time = await syncClock(rest, clock, clockOffset);
  if (!time.ok) throw new StartupError(`cannot reach the REST API at ${restUrl}: ${time.failure.message}. Check --rest-url / --network and the connection.`);
  const r = await loadWarmup(rest, { symbols: opts.symbols, interval: opts.interval, warmup, closedBy: time.value });
  if (r.ok) return r.value;
  if (r.failure.kind === 'invalid_symbol')
    throw new UsageError(`--symbols: ${r.symbol} is not a symbol on ${restUrl} (Binance says: ${r.failure.message}). Check the spelling, e.g. BTCUSDT.`);
  throw new StartupError(`cannot load ${r.symbol} klines from ${restUrl}: ${r.failure.message}`);
}

/** The state folder is --out unless --state names one: a refusal then names the flag that was given. */
function openLiveState(opts: SessionConfig): ReturnType<typeof openStateDir> {
  try {
    return openStateDir(opts.stateDir ?? opts.out ?? null);
  } catch (err) {
    if (err instanceof UsageError && opts.stateDir === null && opts.out !== null) {
      throw new UsageError(err.message.replace(`--state ${opts.out}`, `--out ${opts.out} (the session's state folder too)`));
    }
    throw err;
  }
}

/** What open() built, which start() and stop() drive. */
interface Built {
  readonly opened: OpenedSession;
  readonly journaled: OpenedJournal;
  readonly output: RunOutput;
  readonly log: LogGuard;
  readonly statistics: RunStatistics;
  readonly counter: EventCounter;
  readonly parts: LoopParts;
  readonly session: Session;
  readonly loop: RealtimeLoop;
  readonly watchdog: CycleWatchdog | null;
  readonly begun: Begun;
  readonly history: History;
  readonly warmupBars: Record<string, number>;
  readonly rest: RestClient;
  readonly clockOffset: ClockOffset;
  readonly endpoint: { url: string; token: string } | null;
  readonly logFailed: Promise<EventLogError>;
  readonly feedRef: { feed: BinanceFeed | null };
}

export class LiveSession {
  readonly runId: string;
  readonly outDir: string;
  private readonly input: LiveSessionInput;
  private readonly built: Built;
  private readonly clock: Clock;
  private stopOffsetRefresh: (() => void) | null = null;
  private stopping: Promise<LiveRunResult> | null = null;

  private constructor(input: LiveSessionInput, runId: string, outDir: string, built: Built) {
    this.input = input;
    this.runId = runId;
    this.outDir = outDir;
    this.built = built;
    this.clock = input.clock ?? systemClock;
  }

  /** Builds the session, or refuses by name (UsageError, exit 2; StartupError, exit 1) before the feed connects. */
  static async open(input: LiveSessionInput): Promise<LiveSession> {
    const { config: opts, flags, strategy, strategyHash, terminal } = input;
    const clock = input.clock ?? systemClock;
    const rest = new RestClient(opts.restUrl);
    const clockOffset = new ClockOffset();
    // The state folder is locked first: a second session on it is refused before any request.
    const stateDir = openLiveState(opts);
    let history: History;
    try {
      history = await loadHistory(rest, opts, strategy.warmup, clockOffset, clock);
    } catch (err) {
      stateDir?.release();
      throw err;
    }

    const startedAt = clock.now();
    // The session is journaled in its state folder; a journal that holds this run resumes it, under its own run id.
    const meaning = runMeaning(opts, strategy.name, strategyHash, []);
    let failed: ((err: Error) => void) | null = null;
    const onJournalFailure = (err: Error): void => failed?.(err);
    let journaled = stateDir ? openJournal(stateDir, opts, 'realtime', meaning, onJournalFailure) : null;
    const runId =
      journaled?.resume?.run.runId ??
      `rt-${new Date(startedAt).toISOString().replace(/[-:]/g, '').slice(0, 15)}-${runIdOf({ opts: { ...opts, files: null, instruments: null }, startedAt }).slice(0, 8)}`;
    const outDir = opts.out ?? join('runs', runId);
    const logPath = join(outDir, 'events.ndjson');
    let state: NonNullable<typeof stateDir>;
    let output: RunOutput;
    let writer: NdjsonWriter;
    let afterSeq: number;
    try {
      makeOutDir(outDir);
      // A live session always has a state folder: its own --state, or its artifacts folder.
      const own = stateDir ?? openStateDir(outDir);
      if (own === null) throw new UsageError(`--out ${outDir}: cannot be the session's state folder`);
      state = own;
      journaled ??= openJournal(state, opts, 'realtime', meaning, onJournalFailure);
      afterSeq = journaled.resume?.lastSeq ?? 0;
      if (afterSeq > 0) repairLog(logPath, afterSeq, journaled.journal);
      // Before the feed starts: a folder that cannot take the run's files is refused now (exit 2).
      output = RunOutput.open(outDir, opts.symbols.length, afterSeq > 0);
      try {
        writer = new NdjsonWriter(logPath, { durable: true, append: afterSeq > 0 });
      } catch (err) {
        output.abandon(true);
        throw err instanceof EventLogError ? new UsageError(`--out ${outDir}: ${err.message}`) : err;
      }
    } catch (err) {
      journaled?.journal.close();
      stateDir?.release();
      throw err;
    }
    const journal = journaled;

    const counter = new EventCounter();
    // A failed event log (a full disk) ends the session: it cannot throw out of a socket callback,
    // so the guard reports it here and the shutdown runs as on SIGTERM, then exit 1.
    let onLogFailure!: (failure: EventLogError) => void;
    const logFailed = new Promise<EventLogError>((resolve) => (onLogFailure = resolve));
    const log = guardedLog(writer, { afterSeq, events: opts.events }, { rethrow: false, onFailure: (f) => onLogFailure(f) });
    // trades.csv and equity.csv failing (the same full disk) end the session the same way.
    const statistics = new RunStatistics(outDir, (f) => onLogFailure(f));
    const sinks = [log, statistics, journal.sink, ...(input.sinks ?? [])];
    const opened: OpenedSession = openSession({ opts, runId, mode: 'realtime', stateDir: state, counter, io: terminal, sinks, clock, muteThrough: afterSeq });
    const { bus } = opened;
    /** A start refused after the session opened (the journal, the control port): nothing may keep the process alive. */
    const abandonStart = async (): Promise<void> => {
      journal.journal.close();
      await opened.close();
      output.abandon(true);
    };
    const newest = new Map<string, number>();
    // While a resume replays the journal, the trading control's clock is the journaled time of each
    // unit: a halt held for 10 s before the restart counts 10 s out of ACTIVE, not the replay's 0.
    let replayNow: number | null = null;
    const parts = buildLoop(opts, strategy, bus, {
      onStrategyError: 'halt',
      now: () => replayNow ?? clock.now(),
      monotonic: () => clock.monotonic(),
      newestClosed: (s) => newest.get(s),
      onHaltChange: opened.onHaltChange,
    });
    const { broker, engine } = parts;
    statistics.attach(engine.stats);

    const feedRef: { feed: BinanceFeed | null } = { feed: null };
    let session: Session | null = null;
    const watchdog =
      opts.cycleTimeoutMs > 0
        ? new CycleWatchdog({ timeoutMs: opts.cycleTimeoutMs, strategy: strategy.name, symbols: opts.symbols, log: writer.shared(), logPath })
        : null;
    const cycles = new CycleRunner({ engine, bus, beforeCycle: () => session?.applyPending(), recorder: journal.sink, watchdog });
    const loop = new RealtimeLoop({
      engine,
      cycles,
      control: parts.control,
      bus,
      clock,
      symbols: opts.symbols,
      sliceGraceMs: opts.sliceGraceMs,
      queueSize: opts.queueSize,
      latencyAlertMs: opts.latencyAlertMs,
      clockOffset,
      newest,
      isBackfilling: (s) => feedRef.feed?.isBackfilling(s) ?? false,
      onDrained: () => feedRef.feed?.resumeReading(),
    });
    session = opened.attach(parts, {
      // In realtime a flatten fills at the newest price the feed has seen (any kline update), else the last close.
      priceOf: (s) => {
        const q = loop.quotes.get(s);
        if (q) return { price: q.price, source: 'last_update', time: q.eventTime };
        const close = broker.lastMark(s);
        return close > 0 ? { price: close, source: 'last_close', time: engine.barTime(s) } : null;
      },
      latencyP99: () => loop.latency.p99(),
      feedStatus: () => feedRef.feed?.status() ?? { state: null, connections: [] },
      receivedAt: (s) => loop.receivedAt.get(s),
      feedCounters: () => (feedRef.feed ? { ...feedCounters(feedRef.feed, loop, counter), connections: feedRef.feed.connections } : {}),
      queueDepth: () => loop.queued,
      recorder: journal.sink,
    });
    const live = session;
    failed = journalFailure(live, journal.journal.path);

    const warmupBars: Record<string, number> = {};
    let begun: Begun;
    try {
      begun = beginOrResume({
        journaled: journal,
        parts,
        session: live,
        flags,
        mode: 'realtime',
        runId,
        meaning,
        startedAt,
        argv: opts.argv,
        stderr: terminal.stderr,
        warmupBars: [...history.bars.values()].flat(),
        mark: (seq, marker) => writer.write(seq, marker),
        fresh: () => {
          const runStart = runStartEvent(opts, runId, strategy, [], opened.persisted);
          bus.emit(runStart);
          live.restore();
          raiseFlagHalt(parts.control, flags);
          for (const [symbol, bars] of history.bars) {
            for (const bar of bars) engine.warmup(bar);
            warmupBars[symbol] = bars.length;
          }
          return runStart;
        },
        replay: {
          newest,
          onUnit: (unit) => {
            replayNow = unitTime(unit) ?? replayNow;
          },
          onCycle: (bar) => cycles.countReplayed(bar),
          onRecorded: ({ event: e }) => {
            if (e.type === 'latency' && e.source === 'ws') loop.recordLatency(e.networkMs, e.queueMs, e.sliceMs, e.modelMs, e.brokerMs, e.totalMs);
          },
        },
      });
    } catch (err) {
      await abandonStart(); // a journal that cannot be written or replayed
      throw err;
    }
    replayNow = null;
    if (begun.replayed && journal.resume) for (const bar of journal.resume.run.warmupBars) warmupBars[bar.symbol] = (warmupBars[bar.symbol] ?? 0) + 1;
    bus.endCycle();
    bus.flush();
    let endpoint: Awaited<ReturnType<OpenedSession['startControl']>>;
    try {
      endpoint = await opened.startControl();
    } catch (err) {
      await abandonStart(); // a busy --control-port
      throw err;
    }
    const built: Built = {
      opened,
      journaled: journal,
      output,
      log,
      statistics,
      counter,
      parts,
      session: live,
      loop,
      watchdog,
      begun,
      history,
      warmupBars,
      rest,
      clockOffset,
      endpoint: endpoint ? { url: endpoint.url, token: endpoint.token } : null,
      logFailed,
      feedRef,
    };
    return new LiveSession(input, runId, outDir, built);
  }

  /** The session's clock (its timers: --minutes). */
  clockOf(): Clock {
    return this.clock;
  }

  /** The session's operator side: its inbox and status, as the control endpoint sees it. */
  get session(): Session {
    return this.built.session;
  }

  get engine(): Engine {
    return this.built.parts.engine;
  }

  /** Where the control endpoint listens and its token; null without a state folder. */
  get control(): { readonly url: string; readonly token: string } | null {
    return this.built.endpoint;
  }

  /** The state folder (status, halt file, control.json). */
  get stateDirPath(): string | null {
    return this.built.opened.stateDir?.path ?? null;
  }

  get controlPath(): string | null {
    return this.built.opened.stateDir?.controlPath ?? null;
  }

  /** Resolves when the session's output can no longer be written: it must then be stopped. */
  get failure(): Promise<EventLogError> {
    return this.built.logFailed;
  }

  /** Connects the feed: after a resume each symbol goes on from the last bar it decided (the outage is backfilled). */
  start(): void {
    const { config: opts } = this.input;
    const b = this.built;
    if (b.feedRef.feed !== null) return;
    const feed = new BinanceFeed(
      {
        symbols: opts.symbols,
        interval: opts.interval,
        wsUrl: opts.wsUrl,
        rest: b.rest,
        clock: this.clock,
        random: this.input.random ?? Math.random,
        staleAfterMs: opts.staleAfterMs,
        staleAlertAfterMs: opts.staleAlertAfterMs,
        pingIntervalMs: opts.pingIntervalMs,
        clockOffset: b.clockOffset,
        maxBackfillBars: opts.maxBackfillBars,
        ...(this.input.lifetimeMs !== undefined ? { lifetimeMs: this.input.lifetimeMs } : {}),
      },
      b.loop,
    );
    for (const symbol of opts.symbols) {
      const decided = b.begun.replayed ? b.parts.engine.barTime(symbol) : 0;
      const seed = decided > 0 ? decided : b.history.lastClosed.get(symbol);
      if (seed !== undefined) feed.pipeline.seed(symbol, seed);
    }
    b.feedRef.feed = feed;
    this.stopOffsetRefresh = refreshClockOffset(b.rest, this.clock, b.clockOffset);
    feed.start();
  }

  status(): SessionStatus {
    return this.built.session.status();
  }

  /** The kill switch: every new order refused (REDUCING with `reducing`), resting orders cancelled; applied between two cycles. */
  halt(options: { readonly reason?: string; readonly reducing?: boolean } = {}): Promise<CommandResult> {
    return this.built.session.submit({ kind: 'halt', detail: options.reason ?? null, reducing: options.reducing === true });
  }

  /** Lifts the operator halt, or a latched one named by `halt` (drawdown, strategy_error). */
  resume(options: { readonly halt?: HaltReason } = {}): Promise<CommandResult> {
    return this.built.session.submit({ kind: 'resume', halt: options.halt ?? null });
  }

  /** Cancels resting orders and closes every position (or those named) with market orders, even while halted. */
  flatten(options: { readonly symbols?: readonly string[] } = {}): Promise<CommandResult> {
    return this.built.session.submit({ kind: 'flatten', symbols: options.symbols ?? null });
  }

  /** Closes the feed, decides what it delivered, writes run_end and summary.json. Called twice, it ends once. */
  stop(): Promise<LiveRunResult> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<LiveRunResult> {
    const { config: opts, strategy, terminal } = this.input;
    const { opened, journaled, output, log, statistics, counter, parts, loop, watchdog, begun, warmupBars, feedRef } = this.built;
    const { bus } = opened;
    const { broker, engine } = parts;
    this.stopOffsetRefresh?.();
    const feed = feedRef.feed;
    await feed?.stop();
    loop.drainAll();
    await opened.finish();
    await watchdog?.stop();
    engine.finish();
    // Closed bars the feed accepted but never decided: still behind a backfill, or let go and missing from its answer.
    const undelivered = feed ? feed.pipeline.undelivered() : { count: 0, reasons: [] };
    const stats = await statistics.finish(broker);
    const logError = (log.failed ?? statistics.failed)?.message;
    const summary = buildSummary({
      runId: this.runId,
      symbols: opts.symbols,
      broker,
      engine,
      counter,
      barsBySymbol: loop.barsBySymbol,
      warmupBars,
      control: parts.control,
      warmup: strategy.warmup,
      webhooks: opened.webhookStats(),
      stats,
      ...(logError === undefined ? {} : { error: logError }),
      extra: {
        latency: loop.latency.summary(),
        // The feed's counters are this process's: after a resume (segment > 1) they cover that segment only.
        feed: { ...(feed ? feedCounters(feed, loop, counter) : {}), undelivered: undelivered.count, segment: begun.segment },
      },
      ...(undelivered.count === 0 ? {} : { incomplete: `${undelivered.count} closed bars accepted but never decided: ${undelivered.reasons.join('; ')}` }),
    });
    bus.emit({ type: 'run_end', summary });
    endJournal(journaled, begun.segment, summary.status, summary, terminal.stderr);
    await opened.close();
    let error = (log.failed ?? statistics.failed)?.message;
    const written = error !== undefined && logError === undefined ? { ...summary, status: 'error' as const, error } : summary;
    try {
      // The log failing only as it closed (fsync) is an error too, though run_end could not say so.
      output.writeSummary(`${JSON.stringify(written, null, 2)}\n`);
    } catch (err) {
      if (!(err instanceof EventLogError)) throw err;
      error ??= err.message;
    }
    return { exitCode: error === undefined ? 0 : 1, outDir: this.outDir, runId: this.runId, summary, ...(error === undefined ? {} : { error }) };
  }
}

/** The summary's feed counters; /metrics reads the same while the session runs. */
function feedCounters(f: BinanceFeed, loop: RealtimeLoop, counter: EventCounter): Record<string, number> {
  const p = f.pipeline.stats;
  return {
    messages: f.stats.messages,
    malformed: f.stats.malformed,
    closedBars: p.closedBars,
    duplicates: p.duplicates,
    outOfOrder: p.outOfOrder,
    backfills: p.backfills,
    backfilledBars: p.backfilledBars,
    backfillFailures: p.backfillFailures,
    gapSkippedBars: p.gapSkippedBars,
    lateBars: loop.lateBars,
    connects: f.stats.connects,
    disconnects: f.stats.disconnects,
    rotations: f.stats.rotations,
    pauses: f.stats.pauses,
    alerts: counter.of('alert'),
  };
}
