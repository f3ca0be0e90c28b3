/**
 * What a live session is built from, in the order it must happen: the state folder locked before
 * any request, the history loaded (a typo refused by name), the journal opened or resumed, the
 * output files, the bus and its sinks, the loop, the journal's replay on a resume, the control
 * endpoint. Each refusal undoes what came before it, so a refused start leaves nothing running.
 */
import { LotSteps } from '../events/lot-steps.ts';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CycleRunner } from '../engine/cycle-runner.ts';
import { CycleWatchdog } from '../engine/cycle-watchdog.ts';
import { RealtimeLoop } from '../engine/realtime-loop.ts';
import { UsageError } from '../errors.ts';
import type { LiveFeed, LiveHistory, WarmupHistory } from '../feed/live-feed.ts';
import { createLiveHistory, type LiveSourceOptions, type LiveUpstream } from '../feed/live-feeds.ts';
import { StreamCursor } from '../feed/stream-cursor.ts';
import { unitTime } from '../journal/replay.ts';
import { EventCounter } from '../sinks/event-counter.ts';
import { EventLogError } from '../sinks/event-log-error.ts';
import { guardedLog, type LogGuard } from '../sinks/log-guard.ts';
import { NdjsonWriter } from '../sinks/ndjson-writer.ts';
import { RunStatistics } from '../stats/run-statistics.ts';
import { systemClock } from '../telemetry/clock.ts';
import { ClockOffset } from '../telemetry/latency.ts';
import { loadHistory, openLiveState } from './live-startup.ts';
import { type Begun, beginOrResume, journalPlace, type OpenedJournal, openJournal, repairLog, runMeaning } from './journal-wiring.ts';
import { buildLoop, type LoopParts, raiseFlagHalt, runStartEvent } from './loop-parts.ts';
import { makeOutDir } from './out-dir.ts';
import { runIdOf } from './run-id.ts';
import { RunOutput } from './run-output.ts';
import type { Session } from './session.ts';
import { journalFailure, type OpenedSession, openSession, openStateDir } from './session-shell.ts';
import { feedCounters, type LiveSessionInput } from './live-session.ts';

/** What open() built, which start() and stop() drive. */
export interface LiveBuilt {
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
  readonly history: WarmupHistory;
  readonly warmupBars: Record<string, number>;
  readonly source: LiveSourceOptions;
  readonly liveHistory: LiveHistory;
  readonly endpoint: { url: string; token: string } | null;
  readonly logFailed: Promise<EventLogError>;
  readonly feedRef: { feed: LiveFeed | null };
  /** A session on the fleet's stream: its position there, which the journal records (null for Binance). */
  readonly cursor: StreamCursor | null;
}

/** The upstream the session's options name: Binance's (or any --ws-url's) endpoints, or the fleet's stream. */
function upstreamOf(opts: LiveSessionInput['config']): LiveUpstream {
  if (opts.feed === 'nats') return { source: 'nats', url: opts.nats!, stream: opts.stream };
  return { source: 'binance', wsUrl: opts.wsUrl, restUrl: opts.restUrl };
}

/**
 * Where a session on a stream reads from: after the journal's last cursor on a resume (the journal
 * is the cursor), else after what the warm-up read. A journal that began but recorded no cursor yet
 * goes on from the warm-up's end too.
 */
async function streamCursorOf(journal: OpenedJournal, history: WarmupHistory): Promise<StreamCursor> {
  const journaled = journal.resume ? await journal.journal.lastCursor() : null;
  return journaled !== null ? new StreamCursor(journaled, true) : new StreamCursor(history.cursor ?? null);
}

/** Builds a live session, or refuses by name (UsageError, exit 2; StartupError, exit 1) before the feed connects. */
export async function buildLiveSession(input: LiveSessionInput): Promise<{ runId: string; outDir: string; built: LiveBuilt }> {
  const { config: opts, flags, strategy, strategyHash, terminal } = input;
  const clock = input.clock ?? systemClock;
  const clockOffset = new ClockOffset();
  // The one place a live session names its upstream: the feed and its history come from the factory.
  const source: LiveSourceOptions = {
    upstream: upstreamOf(opts),
    symbols: opts.symbols,
    interval: opts.interval,
    clock,
    clockOffset,
  };
  const liveHistory = createLiveHistory(source);
  // The state folder is locked first: a second session on it is refused before any request. So is
  // a session name in PostgreSQL (--journal): its journal is opened, and its name locked, first.
  // A start refused before the feed connects leaves nothing behind in a folder it made (its lock, an empty journal).
  const made = [opts.stateDir ?? opts.out, opts.out].filter((d, i, all): d is string => d !== null && !existsSync(d) && all.indexOf(d) === i);
  const unmake = (): void => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  };
  const stateDir = openLiveState(opts);
  const meaning = runMeaning(opts, strategy.name, strategyHash, []);
  let failed: ((err: Error) => void) | null = null;
  const onJournalFailure = (err: Error): void => failed?.(err);
  let early: OpenedJournal | null = null;
  let history: WarmupHistory;
  try {
    if (opts.journal !== null) early = await openJournal(journalPlace(opts, null)!, opts, 'realtime', meaning, onJournalFailure);
    history = await loadHistory(liveHistory, strategy.warmup);
  } catch (err) {
    await early?.journal.close();
    stateDir?.release();
    unmake();
    throw err;
  }

  const startedAt = clock.now();
  // The session is journaled in its state folder (or PostgreSQL); a journal that holds this run resumes it, under its own run id.
  let journaled = early ?? (stateDir ? await openJournal({ kind: 'state', dir: stateDir }, opts, 'realtime', meaning, onJournalFailure) : null);
  const runId =
    journaled?.resume?.run.runId ??
    `rt-${new Date(startedAt).toISOString().replace(/[-:]/g, '').slice(0, 15)}-${runIdOf({ opts: { ...opts, files: null, instruments: null }, startedAt }).slice(0, 8)}`;
  const outDir = opts.out ?? join('runs', runId);
  const logPath = join(outDir, 'events.ndjson');
  let state: NonNullable<typeof stateDir>;
  let output: RunOutput;
  let writer: NdjsonWriter;
  let afterSeq: number;
  let cursor: StreamCursor | null;
  if (opts.out === null && !existsSync(outDir)) made.push(outDir);
  let own: typeof stateDir = null;
  try {
    makeOutDir(outDir);
    // A live session always has a state folder: its own --state, or its artifacts folder.
    own = stateDir ?? openStateDir(outDir);
    if (own === null) throw new UsageError(`--out ${outDir}: cannot be the session's state folder`);
    state = own;
    journaled ??= await openJournal({ kind: 'state', dir: state }, opts, 'realtime', meaning, onJournalFailure);
    afterSeq = journaled.resume?.lastSeq ?? 0;
    // A session on a stream records where it stands in it with each unit; a resume reads on after the last one.
    cursor = opts.feed === 'nats' ? await streamCursorOf(journaled, history) : null;
    if (afterSeq > 0) await repairLog(logPath, afterSeq, journaled.journal);
    // Before the feed starts: a folder that cannot take the run's files is refused now (exit 2).
    output = RunOutput.open(outDir, opts.symbols.length, afterSeq > 0);
    try {
      writer = new NdjsonWriter(logPath, { durable: true, append: afterSeq > 0, lots: LotSteps.of(opts.instruments) });
    } catch (err) {
      output.abandon(true);
      throw err instanceof EventLogError ? new UsageError(`--out ${outDir}: ${err.message}`) : err;
    }
  } catch (err) {
    await journaled?.journal.close();
    stateDir?.release();
    if (own !== stateDir) own?.release();
    unmake();
    throw err;
  }
  const journal = journaled;
  if (cursor !== null) {
    journal.sink.stampCursors((decided) => {
      if (decided !== undefined) cursor.decided(decided.symbol, decided.openTime);
      return cursor.watermark();
    });
  }

  const counter = new EventCounter();
  // A failed event log (a full disk) ends the session: it cannot throw out of a socket callback,
  // so the guard reports it here and the shutdown runs as on SIGTERM, then exit 1.
  let onLogFailure!: (failure: EventLogError) => void;
  const logFailed = new Promise<EventLogError>((resolve) => (onLogFailure = resolve));
  const log = guardedLog(writer, { afterSeq, events: opts.events }, { rethrow: false, onFailure: (f) => onLogFailure(f) });
  // trades.csv and equity.csv failing (the same full disk) end the session the same way.
  const statistics = new RunStatistics(outDir, (f) => onLogFailure(f));
  const sinks = [log, statistics, journal.sink, ...(input.sinks ?? [])];
  const opened: OpenedSession = openSession({
    opts,
    runId,
    mode: 'realtime',
    stateDir: state,
    counter,
    io: terminal,
    sinks,
    recorders: [statistics],
    clock,
    muteThrough: afterSeq,
  });
  const { bus } = opened;
  /** A start refused after the session opened (the journal, the control port): nothing may keep the process alive. */
  const abandonStart = async (): Promise<void> => {
    await journal.journal.close();
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

  const feedRef: { feed: LiveFeed | null } = { feed: null };
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
    // Intake pauses while a commit is in flight: no cycle starts until the units before it are durable.
    pendingCommit: () => journal.sink.pendingCommit(),
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
  failed = journalFailure(live, journal.journal.location);

  const warmupBars: Record<string, number> = {};
  let begun: Begun;
  try {
    begun = await beginOrResume({
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
      ...(cursor !== null
        ? {
            resumeNext: `the stream ${opts.stream} is read on after seq ${cursor.startAfter ?? 0} (the journal's cursor); bars already decided are passed over`,
          }
        : {}),
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
  const built: LiveBuilt = {
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
    source,
    liveHistory,
    endpoint: endpoint ? { url: endpoint.url, token: endpoint.token } : null,
    logFailed,
    feedRef,
    cursor,
  };
  return { runId, outDir, built };
}
