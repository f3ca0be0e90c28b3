/**
 * `run --source realtime`: the same engine, gate and paper broker as a static run, fed by Binance
 * kline streams. Start-up checks every symbol with REST klines (Binance answers -1121 for an
 * unknown one: a typo is refused by name instead of looking like a stale feed forever) and loads
 * the strategy's warm-up history. Runs --minutes of wall-clock time, or until SIGINT/SIGTERM;
 * shutdown drains the queue, closes the sockets, writes the summary, and exits 0.
 */
import { join } from 'node:path';
import type { Engine } from '../engine/engine.ts';
import { RealtimeLoop } from '../engine/realtime-loop.ts';
import { CycleWatchdog } from '../engine/cycle-watchdog.ts';
import { EventCounter } from '../sinks/event-counter.ts';
import type { EventSink } from '../events/event-bus.ts';
import { NdjsonWriter } from '../sinks/ndjson-writer.ts';
import { EventLogError } from '../sinks/event-log-error.ts';
import { guardedLog } from '../sinks/log-guard.ts';
import { RunOutput } from './run-output.ts';
import { BinanceFeed } from '../feed/binance/binance-feed.ts';
import { RestClient } from '../feed/binance/rest-client.ts';
import { refreshClockOffset, syncClock } from '../feed/binance/clock-sync.ts';
import { loadWarmup } from '../feed/binance/warmup.ts';
import { redactUrl } from '../config/redact-url.ts';
import type { Strategy } from '../strategy/strategy.ts';
import type { Flags } from '../config/flags.ts';
import { systemClock, type Clock } from '../telemetry/clock.ts';
import { ClockOffset } from '../telemetry/latency.ts';
import type { Bar } from '../domain/types.ts';
import type { RunOptions } from './run-options.ts';
import { buildSummary, formatSummary, quietLine } from './run-summary.ts';
import { buildLoop, raiseFlagHalt, runStartEvent } from '../session/loop-parts.ts';
import type { Session } from '../session/session.ts';
import { openSession, openStateDir, type OpenedSession } from './session-wiring.ts';
import { listenForStop } from './stop-signals.ts';
import { journalFailure } from './session-wiring.ts';
import { unitTime } from '../journal/replay.ts';
import { beginOrResume, type Begun, endJournal, openJournal, repairLog, runMeaning } from './journal-wiring.ts';
import { runIdOf } from './run-id.ts';
import { makeOutDir, type CliIo } from './static-run.ts';
import { UsageError } from './usage-error.ts';
import { RunStatistics } from '../stats/run-statistics.ts';

export interface RealtimeHooks {
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Resolves when the run should stop (tests); by default SIGINT/SIGTERM or --minutes. */
  readonly stopSignal?: Promise<void>;
  /** Called once the feed is running: the artifacts folder, the engine and the session (tests drive operator commands through it). */
  readonly onStarted?: (info: { outDir: string; runId: string; engine: Engine; session: Session; controlUrl?: string; token?: string }) => void;
  readonly lifetimeMs?: number;
  /** More sinks on the bus (the benchmark counts decisions with one). */
  readonly sinks?: EventSink[];
}

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

interface History {
  readonly bars: Map<string, Bar[]>;
  readonly lastClosed: Map<string, number>;
}

/** Clock offset, then the warm-up history (feed/binance/warmup.ts), refused by name where it fails. */
async function loadHistory(rest: RestClient, opts: RunOptions, warmup: number, clockOffset: ClockOffset, clock: Clock): Promise<History> {
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
function openRealtimeState(opts: RunOptions): ReturnType<typeof openStateDir> {
  try {
    return openStateDir(opts.stateDir ?? opts.out ?? null);
  } catch (err) {
    if (err instanceof UsageError && opts.stateDir === null && opts.out !== null) {
      throw new UsageError(err.message.replace(`--state ${opts.out}`, `--out ${opts.out} (the session's state folder too)`));
    }
    throw err;
  }
}

export async function runRealtime(
  opts: RunOptions,
  flags: Flags,
  strategy: Strategy,
  io: CliIo,
  hooks: RealtimeHooks = {},
  strategyHash: string | null = null,
): Promise<number> {
  const clock = hooks.clock ?? systemClock;
  const rest = new RestClient(opts.restUrl);
  const clockOffset = new ClockOffset();
  // The state folder is locked first: a second session on it is refused before any request.
  const stateDir = openRealtimeState(opts);
  let history: History;
  try {
    history = await loadHistory(rest, opts, strategy.warmup, clockOffset, clock);
  } catch (err) {
    stateDir?.release();
    if (err instanceof StartupError) {
      io.stderr(`tradeloop: ${err.message}\n`);
      return 1;
    }
    throw err;
  }

  const startedAt = clock.now();
  // The session is journaled in its state folder; a journal that holds this run resumes it, under its own run id.
  const meaning = runMeaning(opts, strategy.name, strategyHash, []);
  let failed: ((err: Error) => void) | null = null;
  const onJournalFailure = (err: Error): void => failed?.(err);
  let journaled = stateDir ? await openJournal(stateDir, opts, 'realtime', meaning, onJournalFailure) : null;
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
    // A realtime run always has a state folder: its own --state, or its artifacts folder.
    state = stateDir ?? openStateDir(outDir)!;
    journaled ??= await openJournal(state, opts, 'realtime', meaning, onJournalFailure);
    afterSeq = journaled.resume?.lastSeq ?? 0;
    if (afterSeq > 0) await repairLog(logPath, afterSeq, journaled.journal);
    // Before the feed starts: a folder that cannot take the run's files is refused now (exit 2).
    output = RunOutput.open(outDir, opts.symbols.length, afterSeq > 0);
    try {
      writer = new NdjsonWriter(logPath, { durable: true, append: afterSeq > 0 });
    } catch (err) {
      output.abandon(true);
      throw err instanceof EventLogError ? new UsageError(`--out ${outDir}: ${err.message}`) : err;
    }
  } catch (err) {
    await journaled?.journal.close();
    stateDir?.release();
    throw err;
  }

  const counter = new EventCounter();
  // A failed event log (a full disk) ends the session: it cannot throw out of a socket callback,
  // so the guard reports it here and the shutdown below runs as on SIGTERM, then exit 1.
  let onLogFailure!: (failure: EventLogError) => void;
  const logFailed = new Promise<EventLogError>((resolve) => (onLogFailure = resolve));
  const log = guardedLog(writer, { afterSeq, events: opts.events }, { rethrow: false, onFailure: (f) => onLogFailure(f) });
  // trades.csv and equity.csv failing (the same full disk) end the session the same way.
  const statistics = new RunStatistics(outDir, (f) => onLogFailure(f));
  const own = [log, statistics, journaled.sink, ...(hooks.sinks ?? [])];
  const opened: OpenedSession = openSession({ opts, runId, mode: 'realtime', stateDir: state, counter, io, sinks: own, clock, muteThrough: afterSeq });
  const { bus } = opened;
  /** A start refused after the session opened (the journal, the control port): nothing may keep the process alive. */
  const abandonStart = async (): Promise<void> => {
    await journaled.journal.close();
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

  let feed: BinanceFeed | null = null;
  let session: Session | null = null;
  const watchdog =
    opts.cycleTimeoutMs > 0
      ? new CycleWatchdog({
          timeoutMs: opts.cycleTimeoutMs,
          strategy: strategy.name,
          symbols: opts.symbols,
          log: writer.shared(),
          logPath: join(outDir, 'events.ndjson'),
        })
      : null;
  // The summary's feed counters; /metrics reads the same while the session runs.
  const feedCounters = (f: BinanceFeed): Record<string, number> => {
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
  };
  const loop = new RealtimeLoop({
    engine,
    control: parts.control,
    bus,
    clock,
    symbols: opts.symbols,
    sliceGraceMs: opts.sliceGraceMs,
    queueSize: opts.queueSize,
    latencyAlertMs: opts.latencyAlertMs,
    clockOffset,
    newest,
    beforeCycle: () => session?.applyPending(),
    noteBar: (newestOpenTime) => journaled.sink.noteBar({ newestOpenTime }),
    watchdog,
    isBackfilling: (s) => feed?.isBackfilling(s) ?? false,
    onDrained: () => feed?.resumeReading(),
    pendingCommit: () => journaled.sink.pendingCommit(),
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
    feedStatus: () => feed?.status() ?? { state: null, connections: [] },
    receivedAt: (s) => loop.receivedAt.get(s),
    feedCounters: () => (feed ? { ...feedCounters(feed), connections: feed.connections } : {}),
    queueDepth: () => loop.queued,
    recorder: journaled.sink,
  });
  const live = session;
  failed = journalFailure(live, journaled.journal.location);

  const warmupBars: Record<string, number> = {};
  let begun: Begun;
  try {
    begun = await beginOrResume({
      journaled,
      parts,
      session: live,
      flags,
      mode: 'realtime',
      runId,
      meaning,
      startedAt,
      argv: opts.argv,
      stderr: io.stderr,
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
        onCycle: (bar) => (loop.barsBySymbol[bar.symbol] = (loop.barsBySymbol[bar.symbol] ?? 0) + 1),
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
  if (begun.replayed) for (const bar of journaled.resume!.run.warmupBars) warmupBars[bar.symbol] = (warmupBars[bar.symbol] ?? 0) + 1;
  bus.endCycle();
  bus.flush();
  let endpoint: Awaited<ReturnType<OpenedSession['startControl']>>;
  try {
    endpoint = await opened.startControl();
  } catch (err) {
    await abandonStart(); // a busy --control-port
    throw err;
  }

  feed = new BinanceFeed(
    {
      symbols: opts.symbols,
      interval: opts.interval,
      wsUrl: opts.wsUrl,
      rest,
      clock,
      random: hooks.random ?? Math.random,
      staleAfterMs: opts.staleAfterMs,
      staleAlertAfterMs: opts.staleAlertAfterMs,
      pingIntervalMs: opts.pingIntervalMs,
      clockOffset,
      maxBackfillBars: opts.maxBackfillBars,
      ...(hooks.lifetimeMs !== undefined ? { lifetimeMs: hooks.lifetimeMs } : {}),
    },
    loop,
  );
  // After a resume each symbol goes on from the last bar it decided: the outage is backfilled, each missed bar decided once.
  for (const symbol of opts.symbols) {
    const decided = begun.replayed ? engine.barTime(symbol) : 0;
    const seed = decided > 0 ? decided : history.lastClosed.get(symbol);
    if (seed !== undefined) feed.pipeline.seed(symbol, seed);
  }

  const stopOffsetRefresh = refreshClockOffset(rest, clock, clockOffset);

  // Stop on a signal or at the end of --minutes, whichever comes first; then clear the other, or
  // the process would linger until the timer fired. The signal handlers stay until the summary is
  // written: a second Ctrl-C (npx forwards one too) must not cost it.
  let minutesTimer: object | null = null;
  const signals = hooks.stopSignal
    ? null
    : listenForStop(io, { unwritten: () => `summary.json, run_end, and the cycles of the turn in flight in ${join(outDir, 'events.ndjson')}` });
  const stop =
    hooks.stopSignal ??
    new Promise<void>((resolve) => {
      void signals!.requested.then(() => resolve());
      if (opts.minutes !== null) minutesTimer = clock.setTimer(resolve, opts.minutes * 60_000);
    });
  feed.start();
  if (!opts.quiet) {
    io.stdout(
      `tradeloop realtime run ${runId}: ${opts.symbols.join(',')} ${opts.interval} from ${redactUrl(opts.wsUrl)} (paper only)${opts.minutes !== null ? `, ${opts.minutes} min` : ', until SIGINT/SIGTERM'}\n`,
    );
    if (endpoint && opened.stateDir)
      io.stdout(`  control: ${endpoint.url} (token in ${opened.stateDir.controlPath}); tradeloop status --state ${opened.stateDir.path}\n`);
  }
  hooks.onStarted?.({ outDir, runId, engine, session, ...(endpoint ? { controlUrl: endpoint.url, token: endpoint.token } : {}) });
  await Promise.race([stop, logFailed]);
  clock.clearTimer(minutesTimer);
  stopOffsetRefresh();
  await feed.stop();
  await loop.drainAll();
  await opened.finish();
  await watchdog?.stop();
  engine.finish();
  // Closed bars the feed accepted but never decided: still behind a backfill, or let go and missing from its answer.
  const undelivered = feed.pipeline.undelivered();
  const stats = await statistics.finish(broker);
  const logError = (log.failed ?? statistics.failed)?.message;
  const summary = buildSummary({
    runId,
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
      feed: { ...feedCounters(feed), undelivered: undelivered.count, segment: begun.segment },
    },
    ...(undelivered.count === 0 ? {} : { incomplete: `${undelivered.count} closed bars accepted but never decided: ${undelivered.reasons.join('; ')}` }),
  });
  bus.emit({ type: 'run_end', summary });
  await endJournal(journaled, begun.segment, summary.status, summary, io.stderr);
  await opened.close();
  let error = (log.failed ?? statistics.failed)?.message;
  try {
    // The log failing only as it closed (fsync) is an error too, though run_end could not say so.
    output.writeSummary(JSON.stringify(error !== undefined && logError === undefined ? { ...summary, status: 'error', error } : summary, null, 2) + '\n');
  } catch (err) {
    if (!(err instanceof EventLogError)) throw err;
    error ??= err.message;
  }
  io.stdout(opts.quiet ? quietLine(summary, outDir) : formatSummary(summary, `tradeloop run ${runId} (realtime, ${strategy.name})`, outDir));
  signals?.dispose();
  if (error === undefined) return 0;
  io.stderr(`tradeloop: ${error}. The session was ended: its output could not be written.\n`);
  return 1;
}
