/**
 * A static session: CSV bars (or an injected bar source) through the loop, start to end, as the
 * command line and backtest() both run it. `open()` builds everything (the inputs hashed into the
 * run id, the state folder and its journal, the output files, the bus and its sinks, the loop, a
 * resume's replay, the control endpoint) and refuses by name before any bar is read; `run()` reads
 * the bars through the one cycle runner and ends with summary.json; `stop()` asks it to end after
 * the batch in hand. Nothing written depends on the wall clock, the machine or the working directory.
 */
import { LotSteps } from '../events/lot-steps.ts';
import { join } from 'node:path';
import { CycleRunner } from '../engine/cycle-runner.ts';
import { CycleWatchdog } from '../engine/cycle-watchdog.ts';
import { StrategyRuntimeError } from '../engine/engine.ts';
import type { Flags } from '../config/flags.ts';
import { UsageError } from '../errors.ts';
import type { EventSink } from '../events/event-bus.ts';
import type { InputFile, RunSummary } from '../events/types.ts';
import type { BarSource } from '../feed/bar-source.ts';
import { DataError } from '../feed/data-error.ts';
import { EventCounter } from '../sinks/event-counter.ts';
import { EventLogError } from '../sinks/event-log-error.ts';
import { guardedLog, type LogGuard } from '../sinks/log-guard.ts';
import { NdjsonWriter } from '../sinks/ndjson-writer.ts';
import { ThreadedNdjsonWriter } from '../sinks/threaded-ndjson-writer.ts';
import { RunStatistics } from '../stats/run-statistics.ts';
import type { Strategy } from '../strategy/strategy.ts';
import { buildSummary, costsOf } from './build-summary.ts';
import { emptyWindowMessage, SessionHoursHint, SkipReasons } from './csv-run-checks.ts';
import { type Begun, beginOrResume, endJournal, journalPlace, type OpenedJournal, openJournal, repairLog, runMeaning } from './journal-wiring.ts';
import { buildLoop, type LoopParts, raiseFlagHalt, runStartEvent } from './loop-parts.ts';
import { makeOutDir } from './out-dir.ts';
import { RunOutput } from './run-output.ts';
import { csvSource, hashInputs, staticRunId } from './static-inputs.ts';
import type { Session } from './session.ts';
import type { SessionConfig } from './session-config.ts';
import { journalFailure, type OpenedSession, openSession, openStateDir } from './session-shell.ts';
import type { Terminal } from './terminal.ts';

/** The log's place on the bus when none is written (eventLog: false). */
const DISCARDED: EventSink = { write: () => {} };

/** A static run's journal transaction holds at most this many cycles (and ends at every chunk of input). */
const COMMIT_EVERY_CYCLES = 1000;
/**
 * Journal commits a static run lets go on while it reads on: a WAL checkpoint holds one up for
 * ~15 ms, while a chunk takes the loop ~2.5 ms; a kill loses at most these, and a resume decides them again.
 */
const COMMITS_IN_FLIGHT = 8;

export interface StaticSessionInput {
  readonly config: SessionConfig;
  readonly flags: Flags;
  readonly strategy: Strategy;
  /** The strategy module's sha256 (a module given by path): part of the run id and of what a resume may not change. */
  readonly strategyHash: string | null;
  /** Where the operator's lines go (halts, alerts, refusals): the terminal, or a program's callback. */
  readonly terminal: Terminal;
  /** More sinks on the bus: they see every event as the run makes it. */
  readonly sinks?: readonly EventSink[];
  /**
   * Another bar source than the config's CSV files (bars in memory, a test's), with what identifies
   * its input in the run id and run_start (a hash of its bars, say): the same inputs, the same id.
   */
  readonly bars?: { readonly source: BarSource; readonly inputs: readonly InputFile[] };
  /** false: no events.ndjson (a sweep's runs; not with --state); summary.json and the tables stay byte for byte the run's. */
  readonly eventLog?: boolean;
}

export interface StaticRunResult {
  readonly exitCode: 0 | 1;
  readonly outDir: string;
  readonly runId: string;
  /** What summary.json holds; null when the journal held this run complete already (nothing ran). */
  readonly summary: RunSummary | null;
  /** The fatal error, when exitCode is 1. */
  readonly error?: string;
  /** The run was complete in its state folder: nothing was read, its files are left as they are. */
  readonly alreadyEnded?: string;
  /** After the run, a hint the operator should read (an equity file whose days look like New York's). */
  readonly hint?: string | null;
}

/** What open() built, which run() drives. */
interface Built {
  readonly opened: OpenedSession;
  readonly journaled: OpenedJournal | null;
  readonly output: RunOutput;
  readonly writer: ThreadedNdjsonWriter | NdjsonWriter | null;
  readonly log: LogGuard;
  readonly statistics: RunStatistics;
  readonly counter: EventCounter;
  readonly hours: SessionHoursHint | null;
  readonly parts: LoopParts;
  readonly session: Session;
  readonly begun: Begun;
  readonly warmupBars: Record<string, number>;
  readonly skipReasons: SkipReasons;
  readonly cycles: CycleRunner;
  readonly watchdog: CycleWatchdog | null;
}

export class StaticSession {
  readonly runId: string;
  readonly outDir: string;
  private readonly input: StaticSessionInput;
  private readonly built: Built | null;
  private readonly ended: string | null;
  private stopSignal: string | null = null;
  private source: BarSource | null = null;

  private constructor(input: StaticSessionInput, runId: string, outDir: string, built: Built | null, ended: string | null) {
    this.input = input;
    this.runId = runId;
    this.outDir = outDir;
    this.built = built;
    this.ended = ended;
  }

  /** Builds the session, or refuses by name (a UsageError) before any bar is read. */
  static async open(input: StaticSessionInput): Promise<StaticSession> {
    const { config: opts, flags, strategy, strategyHash, terminal } = input;
    const inputs = input.bars ? [...input.bars.inputs] : await hashInputs(opts);
    const ownId = staticRunId(opts, flags, strategy, strategyHash, inputs);
    const stateDir = openStateDir(opts.stateDir);
    // With a state folder (or --journal) the run is journaled; a journal that already holds this run is resumed.
    let failed: ((err: Error) => void) | null = null;
    const meaning = runMeaning(opts, strategy.name, strategyHash, inputs);
    const place = journalPlace(opts, stateDir);
    const journaled = place ? await openJournal(place, opts, 'static', meaning, (err) => failed?.(err)) : null;
    // A resumed run is the journaled run, whatever else its id would hash (FLAG_TRADING_HALTED may be set for the restart).
    const runId = journaled?.resume?.run.runId ?? ownId;
    const outDir = opts.out ?? join('runs', runId);
    // A static run that ended (not stopped short) has nothing left to decide: the same command again
    // leaves its files as they are, instead of replaying the whole strategy only to append an end.
    const last = journaled?.resume ? (await journaled.journal.segments()).at(-1) : undefined;
    if (journaled && last && last.status !== null && last.status !== 'incomplete') {
      await journaled.journal.close();
      stateDir?.release();
      return new StaticSession(input, runId, outDir, null, last.status);
    }
    makeOutDir(outDir);
    const logPath = join(outDir, 'events.ndjson');
    // A journal that holds the run but no unit yet (killed right after it was created) starts afresh.
    const afterSeq = journaled?.resume?.lastSeq ?? 0;
    if (journaled && afterSeq > 0) await repairLog(logPath, afterSeq, journaled.journal);

    const counter = new EventCounter();
    // Without --tz, an equity file whose days run 09:30-16:00 UTC is probably New York time: said after the run.
    const hours = opts.tz === null && opts.symbols.some((s) => opts.instruments.get(s)?.lotStep === '1') ? new SessionHoursHint() : null;
    let output: RunOutput | null = null;
    let writer: ThreadedNdjsonWriter | NdjsonWriter | null = null;
    let log: LogGuard;
    let statistics: RunStatistics;
    let opened: OpenedSession;
    try {
      // Before any bar is read: a folder that cannot take the run's files is refused now (exit 2).
      output = RunOutput.open(outDir, opts.symbols.length, afterSeq > 0);
      // The full log is two lines a bar: a thread of its own writes it. A trading log is a few lines a
      // trade, cheaper to write here than to hand over (and no thread to start).
      // Lots are written as asset units: the writers need each symbol's lot step.
      const lots = LotSteps.of(opts.instruments);
      writer =
        input.eventLog === false
          ? null
          : opts.events === 'trading'
            ? new NdjsonWriter(logPath, { append: afterSeq > 0, lots })
            : new ThreadedNdjsonWriter(logPath, { append: afterSeq > 0, lots });
      // A failed event log (a full disk) ends the run like a data error: exit 1, summary.json kept.
      log = guardedLog(writer ?? DISCARDED, { afterSeq, events: opts.events }, { rethrow: true });
      statistics = new RunStatistics(outDir);
      opened = openSession({
        opts,
        runId,
        mode: 'static',
        stateDir,
        counter,
        io: terminal,
        sinks: [log, statistics, ...(journaled ? [journaled.sink] : []), ...(hours ? [hours] : []), ...(input.sinks ?? [])],
        muteThrough: afterSeq,
      });
    } catch (err) {
      await writer?.close().catch(() => {});
      output?.abandon(true);
      await journaled?.journal.close();
      stateDir?.release();
      throw err instanceof EventLogError ? new UsageError(`--out ${outDir}: ${err.message}`) : err;
    }
    const { bus } = opened;
    /** A start refused after the session opened (the journal, the control port): nothing may keep the process alive. */
    const abandonStart = async (): Promise<void> => {
      await journaled?.journal.close();
      await opened.close();
      output.abandon(true);
    };
    const parts = buildLoop(opts, strategy, bus, { onStrategyError: 'throw', onHaltChange: opened.onHaltChange });
    const session = opened.attach(parts, journaled ? { recorder: journaled.sink } : {});
    statistics.attach(parts.engine.stats);
    failed = journalFailure(session, journaled?.journal.location ?? '');
    // A static run's log is written by its own thread; a stuck strategy keeps what that thread had.
    const watchdog =
      opts.cycleTimeoutMs > 0
        ? new CycleWatchdog({ timeoutMs: opts.cycleTimeoutMs, strategy: strategy.name, symbols: opts.symbols, log: null, logPath })
        : null;
    const cycles = new CycleRunner({ engine: parts.engine, bus, beforeCycle: () => session.applyPending(), recorder: journaled?.sink ?? null, watchdog });

    // Counted here, not taken from the source's result: a data error must not lose them.
    const warmupBars: Record<string, number> = {};
    const skipReasons = new SkipReasons();
    let begun: Begun;
    try {
      // A resume decides again what the journal holds (its outputs already have it), then reads on.
      begun = await beginOrResume({
        journaled,
        parts,
        session,
        flags,
        mode: 'static',
        runId,
        meaning,
        startedAt: null,
        argv: opts.argv,
        stderr: terminal.stderr,
        mark: (seq, marker) => writer?.write(seq, marker),
        fresh: () => {
          const runStart = runStartEvent(opts, runId, strategy, inputs, opened.persisted);
          bus.emit(runStart);
          session.restore();
          raiseFlagHalt(parts.control, flags);
          bus.endCycle();
          return runStart;
        },
        replay: {
          onCycle: (bar) => cycles.countReplayed(bar),
          onRecorded: (e) => e.event.type === 'skip' && skipReasons.add(e.event),
        },
      });
    } catch (err) {
      await abandonStart(); // a journal that cannot be written or replayed
      throw err;
    }
    if (begun.replayed && journaled?.resume) for (const bar of journaled.resume.run.warmupBars) warmupBars[bar.symbol] = (warmupBars[bar.symbol] ?? 0) + 1;
    try {
      await opened.startControl();
    } catch (err) {
      await abandonStart(); // a busy --control-port
      throw err;
    }
    const built: Built = {
      opened,
      journaled,
      output,
      writer,
      log,
      statistics,
      counter,
      hours,
      parts,
      session,
      begun,
      warmupBars,
      skipReasons,
      cycles,
      watchdog,
    };
    return new StaticSession(input, runId, outDir, built, null);
  }

  /** The session's operator side (status, commands); null when the run was already complete. */
  get session(): Session | null {
    return this.built?.session ?? null;
  }

  /** Events counted so far, by type. */
  get counter(): EventCounter | null {
    return this.built?.counter ?? null;
  }

  /** Rows read so far over all input files (the progress bar's figure). */
  rowsRead(): number {
    return this.source?.rowsRead() ?? 0;
  }

  /** Ends the run after the chunk in hand (a signal): the summary covers what was decided, status incomplete. */
  stop(reason: string): void {
    this.stopSignal ??= reason;
  }

  /**
   * Reads the bars to the end of the window (or a stop), writes run_end and summary.json, and
   * releases everything. `onChunk` runs between two chunks of input (a progress bar).
   */
  async run(onChunk?: () => void): Promise<StaticRunResult> {
    const { runId, outDir } = this;
    if (this.built === null) return { exitCode: 0, outDir, runId, summary: null, alreadyEnded: this.ended ?? 'ended' };
    const { config: opts, strategy, terminal } = this.input;
    const { opened, journaled, output, log, statistics, counter, parts, begun, warmupBars, skipReasons, cycles, watchdog } = this.built;
    const { bus } = opened;
    const { engine, broker } = parts;
    // What the replay decided again is not read again from the files: those bars, skips and warm-ups are dropped.
    const drop = { bars: begun.replayed?.cycles ?? 0, skips: begun.replayed?.skips ?? 0, warmups: begun.replayed !== null };
    let error: string | undefined;
    let sinceCommit = 0;
    const source = this.input.bars?.source ?? csvSource(opts);
    this.source = source;
    let stoppedBy: string | null = null;
    try {
      await source.open();
      await source.run(
        {
          warmup: (bar) => {
            if (drop.warmups) return;
            warmupBars[bar.symbol] = (warmupBars[bar.symbol] ?? 0) + 1;
            journaled?.sink.noteWarmup(bar);
            engine.warmup(bar);
          },
          bar: (bar, file, line) => {
            if (drop.bars > 0) {
              drop.bars--;
              return;
            }
            cycles.run(bar, journaled && file !== undefined ? (line !== undefined ? { file, line } : { file }) : null);
            // The journal commits every so many cycles as well as between chunks: a crash loses few.
            if (journaled && ++sinceCommit >= COMMIT_EVERY_CYCLES) {
              sinceCommit = 0;
              bus.flush();
            }
          },
          skip: (event) => {
            if (drop.skips > 0) {
              drop.skips--;
              return;
            }
            skipReasons.add(event);
            engine.skip(event);
            bus.endCycle();
          },
        },
        async () => {
          onChunk?.();
          bus.flush();
          // Intake waits only when more commits than COMMITS_IN_FLIGHT are still going to disk (on the
          // journal's writer thread): the next chunks are decided meanwhile.
          await journaled?.sink.whenInFlightAtMost(COMMITS_IN_FLIGHT);
          // trades.csv or equity.csv that cannot be written ends the run as the event log would.
          if (statistics.failed) throw statistics.failed;
          if (this.stopSignal !== null) throw new RunStopped(this.stopSignal);
        },
      );
    } catch (err) {
      if (err instanceof RunStopped) stoppedBy = err.reason;
      else if (!(err instanceof DataError) && !(err instanceof StrategyRuntimeError) && !(err instanceof EventLogError)) {
        await opened.close();
        output.abandon();
        throw err;
      } else error = err.message;
    }
    log.keepFailures();
    if (error === undefined && counter.of('bar') === 0) error = emptyWindowMessage(opts, skipReasons);
    await opened.finish();
    await watchdog?.stop();
    engine.finish();
    const stats = await statistics.finish(broker);
    if (error === undefined && statistics.failed) error = statistics.failed.message;
    const summaryOf = (e: string | undefined): RunSummary =>
      buildSummary({
        runId,
        fillModel: opts.fillModel,
        costs: costsOf(opts),
        maxParticipation: opts.maxParticipation,
        symbols: opts.symbols,
        broker,
        engine,
        counter,
        barsBySymbol: cycles.barsBySymbol,
        warmupBars,
        control: parts.control,
        warmup: strategy.warmup,
        webhooks: opened.webhookStats(),
        stats,
        ...(e === undefined ? {} : { error: e }),
        ...(stoppedBy === null ? {} : { incomplete: `stopped by ${stoppedBy} after ${counter.of('bar')} bars: the rest of the input was not read` }),
      });
    let summary = summaryOf(error);
    bus.emit({ type: 'run_end', summary });
    if (journaled) await endJournal(journaled, begun.segment, summary.status, summary, terminal.stderr);
    await opened.close();
    // The log may fail only as it closes (its last writes): the run is then an error too.
    if (error === undefined && log.failed) summary = summaryOf((error = log.failed.message));
    try {
      output.writeSummary(`${JSON.stringify(summary, null, 2)}\n`);
    } catch (err) {
      if (!(err instanceof EventLogError)) throw err;
      terminal.stderr(`tradeloop: ${err.message}\n`);
      error ??= err.message;
    }
    // A clean stop by signal exits 0, as in realtime: status "incomplete" says the input was not all read.
    return {
      exitCode: error !== undefined ? 1 : 0,
      outDir,
      runId,
      summary,
      ...(error !== undefined ? { error } : {}),
      hint: this.built.hours?.hint() ?? null,
    };
  }
}

/** A stop asked between two chunks of the input: the summary is still written. */
class RunStopped extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`stopped by ${reason}`);
    this.reason = reason;
  }
}
