/**
 * `run --source csv`: wires the CSV source, the engine, the gate and the paper broker, and writes
 * events.ndjson and summary.json. Nothing written depends on the wall clock, the machine or the
 * working directory: two runs on the same inputs and options give byte-identical files.
 */
import type { EventSink } from '../events/event-bus.ts';
import { statSync } from 'node:fs';
import { makeDirs } from '../session/make-dirs.ts';
import { notRegularFile } from '../config/file-kind.ts';
import { foreignFolder } from '../session/own-folder.ts';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrategyRuntimeError } from '../engine/engine.ts';
import { CycleWatchdog } from '../engine/cycle-watchdog.ts';
import { EventCounter } from '../sinks/event-counter.ts';
import { ThreadedNdjsonWriter } from '../sinks/threaded-ndjson-writer.ts';
import { NdjsonWriter } from '../sinks/ndjson-writer.ts';
import { EventLogError } from '../sinks/event-log-error.ts';
import { guardedLog, type LogGuard } from '../sinks/log-guard.ts';
import { RunOutput } from './run-output.ts';
import type { InputFile } from '../events/types.ts';
import { ZoneOffsets } from '../domain/time.ts';
import { nominalIntervalMs } from '../domain/interval.ts';
import { CsvBarSource } from '../feed/csv/csv-source.ts';
import { DataError } from '../feed/data-error.ts';
import type { Strategy } from '../strategy/strategy.ts';
import type { Flags } from '../config/flags.ts';
import type { RunOptions } from './run-options.ts';
import { buildSummary, formatSummary, quietLine } from './run-summary.ts';
import { buildLoop, lotSizesOf, raiseFlagHalt, runStartEvent } from '../session/loop-parts.ts';
import { openSession, openStateDir, type OpenedSession } from './session-wiring.ts';
import { listenForStop } from './stop-signals.ts';
import { journalFailure } from './session-wiring.ts';
import { beginOrResume, type Begun, endJournal, openJournal, repairLog, runMeaning } from './journal-wiring.ts';
import { limitsKey, runIdOf, sha256File } from './run-id.ts';
import { UsageError } from './usage-error.ts';
import type { CliIo } from './cli-io.ts';

export type { CliIo } from './cli-io.ts';
import { csvReadingKey, emptyWindowMessage, SessionHoursHint, SkipReasons } from './csv-run-checks.ts';
import { RunStatistics } from '../stats/run-statistics.ts';
import { ProgressBar } from '../report/progress.ts';
import { systemClock } from '../telemetry/clock.ts';

/** A stop signal, thrown between two chunks of the replay: the summary is still written. */
class RunStopped extends Error {
  readonly signal: string;
  constructor(signal: string) {
    super(`stopped by ${signal}`);
    this.signal = signal;
  }
}

/** A static run's journal transaction holds at most this many cycles (and ends at every chunk of input). */
const COMMIT_EVERY_CYCLES = 1000;

export interface StaticRunResult {
  readonly exitCode: 0 | 1;
  readonly outDir: string;
  readonly runId: string;
}

/** Creates the artifacts folder, or refuses with the flag named. */
/** The synthetic bars that come with tradeloop (npm start). */
const BUNDLED_SAMPLE = fileURLToPath(new URL('../../data/sample/', import.meta.url));

export function makeOutDir(outDir: string): void {
  try {
    makeDirs(outDir);
  } catch (err) {
    throw new UsageError(`--out ${outDir}: cannot create the artifacts folder (${(err as Error).message}). Choose a writable folder.`);
  }
  const foreign = foreignFolder(outDir, '--out');
  if (foreign !== null) throw new UsageError(foreign);
}

/** --data names a folder of <SYMBOL>.csv: a file or a missing folder is said as such, not as "SPY.csv/SPY.csv not found". */
function checkDataDir(opts: RunOptions): void {
  const fromData = opts.symbols.filter((s) => opts.files.get(s)?.[0] === join(opts.dataDir, `${s}.csv`));
  if (fromData.length === 0) return;
  let isDir: boolean;
  try {
    isDir = statSync(opts.dataDir).isDirectory();
  } catch {
    throw new UsageError(
      `--data ${opts.dataDir}: no such folder. Name the folder that holds ${fromData.map((s) => `${s}.csv`).join(', ')} (relative paths start from ${process.cwd()}).`,
    );
  }
  if (!isDir)
    throw new UsageError(
      `--data ${opts.dataDir} is a file, not a folder: --data names a folder of <SYMBOL>.csv files. For one file, use --file ${fromData[0]}=${opts.dataDir}.`,
    );
}

/** What a program driving a run (backtest()) adds: sinks that see every event as the run makes it. */
export interface StaticRunExtras {
  readonly sinks?: readonly EventSink[];
}

export async function runStatic(
  opts: RunOptions,
  flags: Flags,
  strategy: Strategy,
  strategyHash: string | null,
  io: CliIo,
  extras: StaticRunExtras = {},
): Promise<StaticRunResult> {
  checkDataDir(opts);
  const inputs: InputFile[] = [];
  for (const symbol of opts.symbols) {
    for (const path of opts.files.get(symbol) ?? []) {
      let sha256: string;
      try {
        const st = statSync(path);
        if (st.isDirectory())
          throw new UsageError(
            `${symbol}: ${path} is a folder, not a file. Use --data ${path} for a folder of <SYMBOL>.csv files, or --file ${symbol}=<a file>.`,
          );
        // Hashed before anything reads it: a FIFO or /dev/zero would hang the hash without a word.
        const kind = notRegularFile(st);
        if (kind !== null) throw new UsageError(`--file ${symbol}=${path}: ${kind}, not a regular file. Name a CSV file.`);
        sha256 = await sha256File(path);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        // The advice depends on where the path came from: --data's <SYMBOL>.csv, or the user's own --file.
        const fromData = path === join(opts.dataDir, `${symbol}.csv`);
        throw new UsageError(
          fromData
            ? `no data for ${symbol}: file not found: ${path}. Put ${symbol}.csv in --data ${opts.dataDir}, or name the file with --file ${symbol}=PATH.`
            : `--file ${symbol}=${path}: file not found. Check the path (relative paths start from ${process.cwd()}).`,
        );
      }
      inputs.push({ symbol, file: basename(path), sha256 });
    }
  }
  const lotSizes = lotSizesOf(opts);
  const ownId = runIdOf({
    v: 1,
    source: 'csv',
    symbols: opts.symbols,
    interval: opts.interval,
    minutes: opts.minutes,
    from: opts.from,
    ...(opts.to !== null ? { to: opts.to } : {}),
    tz: opts.tz,
    barLabel: opts.barLabel,
    onBadRow: opts.onBadRow,
    strategy: strategy.name,
    strategyHash,
    params: opts.params,
    cash: opts.cashText,
    fee: String(opts.feeBpsE4),
    slip: String(opts.slippageBpsE4),
    maxPos: String(opts.maxPositionNotional),
    maxGross: String(opts.maxGrossExposure),
    lotSizes,
    inputs,
    halted: flags.tradingHalted,
    ...csvReadingKey(opts),
    ...limitsKey(opts),
    ...(opts.events === 'all' ? {} : { events: opts.events }),
  });
  const stateDir = openStateDir(opts.stateDir);
  // With a state folder the run is journaled; a journal that already holds this run is resumed.
  let failed: ((err: Error) => void) | null = null;
  const journaled = stateDir
    ? await openJournal(stateDir, opts, 'static', runMeaning(opts, strategy.name, strategyHash, inputs), (err) => failed?.(err))
    : null;
  // A resumed run is the journaled run, whatever else its id would hash (FLAG_TRADING_HALTED may be set for the restart).
  const runId = journaled?.resume?.run.runId ?? ownId;
  const outDir = opts.out ?? join('runs', runId);
  // A static run that ended (not stopped short) has nothing left to decide: the same command again
  // leaves its files as they are, instead of replaying the whole strategy only to append an end.
  const ended = journaled?.resume ? (await journaled.journal.segments()).at(-1) : undefined;
  if (ended && ended.status !== null && ended.status !== 'incomplete') {
    await journaled!.journal.close();
    stateDir?.release();
    io.stdout(
      `tradeloop run ${runId}: this run is complete in --state ${opts.stateDir} (ended ${ended.status}): nothing to resume, and its files in ${outDir} are left as they are. For a new run, use another --state.\n`,
    );
    return { exitCode: 0, outDir, runId };
  }
  makeOutDir(outDir);
  const logPath = join(outDir, 'events.ndjson');
  // A journal that holds the run but no unit yet (killed right after it was created) starts afresh.
  const afterSeq = journaled?.resume?.lastSeq ?? 0;
  if (afterSeq > 0) await repairLog(logPath, afterSeq, journaled!.journal);

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
    writer = opts.events === 'trading' ? new NdjsonWriter(logPath, { append: afterSeq > 0 }) : new ThreadedNdjsonWriter(logPath, { append: afterSeq > 0 });
    // A failed event log (a full disk) ends the run like a data error: exit 1, summary.json kept.
    log = guardedLog(writer, { afterSeq, events: opts.events }, { rethrow: true });
    statistics = new RunStatistics(outDir);
    opened = openSession({
      opts,
      runId,
      mode: 'static',
      stateDir,
      counter,
      io,
      sinks: [log, statistics, ...(journaled ? [journaled.sink] : []), ...(hours ? [hours] : []), ...(extras.sinks ?? [])],
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
  const { broker, engine } = parts;
  statistics.attach(engine.stats);
  failed = journalFailure(session, journaled?.journal.location ?? '');

  const barsBySymbol: Record<string, number> = {};
  // Counted here, not taken from the source's result: a data error must not lose them.
  const warmupBars: Record<string, number> = {};
  const skipReasons = new SkipReasons();
  // A resume decides again what the journal holds (its outputs already have it), then reads on.
  const meaning = runMeaning(opts, strategy.name, strategyHash, inputs);
  let begun: Begun;
  try {
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
      stderr: io.stderr,
      mark: (seq, marker) => writer.write(seq, marker),
      fresh: () => {
        const runStart = runStartEvent(opts, runId, strategy, inputs, opened.persisted);
        bus.emit(runStart);
        session.restore();
        raiseFlagHalt(parts.control, flags);
        bus.endCycle();
        return runStart;
      },
      replay: {
        onCycle: (bar) => (barsBySymbol[bar.symbol] = (barsBySymbol[bar.symbol] ?? 0) + 1),
        onRecorded: (e) => e.event.type === 'skip' && skipReasons.add(e.event),
      },
    });
  } catch (err) {
    await abandonStart(); // a journal that cannot be written or replayed
    throw err;
  }
  const segment = begun.segment;
  // What the replay decided again is not read again from the files: those bars, skips and warm-ups are dropped.
  const drop = { bars: begun.replayed?.cycles ?? 0, skips: begun.replayed?.skips ?? 0, warmups: begun.replayed !== null };
  if (begun.replayed) for (const bar of journaled!.resume!.run.warmupBars) warmupBars[bar.symbol] = (warmupBars[bar.symbol] ?? 0) + 1;
  try {
    await opened.startControl();
  } catch (err) {
    await abandonStart(); // a busy --control-port
    throw err;
  }

  // A static run's log is written by its own thread; a stuck strategy keeps what that thread had.
  const watchdog =
    opts.cycleTimeoutMs > 0
      ? new CycleWatchdog({ timeoutMs: opts.cycleTimeoutMs, strategy: strategy.name, symbols: opts.symbols, log: null, logPath: join(outDir, 'events.ndjson') })
      : null;
  let error: string | undefined;
  let sinceCommit = 0;
  const source = new CsvBarSource({
    symbols: opts.symbols,
    files: opts.files,
    interval: opts.interval,
    zone: opts.tz !== null && opts.tz !== 'UTC' ? new ZoneOffsets(opts.tz) : null,
    labelShiftMs: opts.barLabel === 'end' ? nominalIntervalMs(opts.interval) : 0,
    onBadRow: opts.onBadRow,
    from: opts.from,
    windowMs: opts.minutes === null ? null : opts.minutes * 60_000,
    until: opts.to,
    dateOrder: opts.dateFormat,
    maxSkipRatio: opts.maxSkipRatio,
    // Stop signals, the halt file and operator commands get a turn at least every 50 ms.
    turns: { everyMs: 50, monotonic: systemClock.monotonic },
  });
  const progress = io.stderrTTY
    ? new ProgressBar(
        [...opts.files.values()].flat(),
        {
          rows: () => source.cursors.reduce((a, c) => a + c.tally.rows, 0),
          bars: () => counter.of('bar'),
        },
        io.stderr,
        systemClock,
      )
    : null;
  // Ctrl-C stops the replay after the chunk in hand: the summary covers what was decided (status incomplete).
  const signals = listenForStop(io, { unwritten: () => `summary.json and run_end (events.ndjson ends at what its writer thread had received)` });
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
          session.applyPending();
          if (journaled && file !== undefined) journaled.sink.noteBar({ file, ...(line !== undefined ? { line } : {}) });
          barsBySymbol[bar.symbol] = (barsBySymbol[bar.symbol] ?? 0) + 1;
          watchdog?.begin(bar.symbol, bar.openTime);
          engine.cycle(bar);
          watchdog?.end();
          bus.endCycle();
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
        progress?.update();
        bus.flush();
        // Intake waits for the commit: the next chunk is read once this one's units are durable.
        await journaled?.sink.whenCommitted();
        // trades.csv or equity.csv that cannot be written ends the run as the event log would.
        if (statistics.failed) throw statistics.failed;
        if (signals.signal !== null) throw new RunStopped(signals.signal);
      },
    );
  } catch (err) {
    if (err instanceof RunStopped) stoppedBy = err.signal;
    else if (!(err instanceof DataError) && !(err instanceof StrategyRuntimeError) && !(err instanceof EventLogError)) {
      signals.dispose();
      await opened.close();
      output.abandon();
      throw err;
    } else error = err.message;
  }
  progress?.finish();
  log.keepFailures();
  if (error === undefined && counter.of('bar') === 0) {
    error = emptyWindowMessage(opts, skipReasons);
  }
  await opened.finish();
  await watchdog?.stop();
  engine.finish();
  const stats = await statistics.finish(broker);
  if (error === undefined && statistics.failed) error = statistics.failed.message;
  const summaryOf = (e: string | undefined) =>
    buildSummary({
      runId,
      symbols: opts.symbols,
      broker,
      engine,
      counter,
      barsBySymbol,
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
  if (journaled) await endJournal(journaled, segment, summary.status, summary, io.stderr);
  await opened.close();
  // The log may fail only as it closes (its last writes): the run is then an error too.
  if (error === undefined && log.failed) summary = summaryOf((error = log.failed.message));
  try {
    output.writeSummary(JSON.stringify(summary, null, 2) + '\n');
  } catch (err) {
    if (!(err instanceof EventLogError)) throw err;
    io.stderr(`tradeloop: ${err.message}\n`);
    error ??= err.message;
  }
  if (error !== undefined) io.stderr(`tradeloop: ${error}\n`);
  io.stdout(opts.quiet ? quietLine(summary, outDir) : formatSummary(summary, `tradeloop run ${runId} (static, csv, ${strategy.name})`, outDir));
  // `npm start` runs on the bundled sample: its numbers must not be read as a market's.
  const bundled = opts.symbols.some((s) => (opts.files.get(s) ?? []).some((f) => resolve(f).startsWith(BUNDLED_SAMPLE)));
  const hint = hours?.hint() ?? null;
  if (hint !== null && !opts.quiet) io.stdout(hint);
  if (bundled && !opts.quiet)
    io.stdout(
      `  note          ${relative(process.cwd(), BUNDLED_SAMPLE) || 'data/sample'} is synthetic (made by scripts/generate-sample.ts) for trying tradeloop: its results say nothing about a market. Real minutes: --data DIR or --file SYMBOL=PATH.\n`,
    );
  signals.dispose();
  // A clean stop by signal exits 0, as in realtime: status "incomplete" says the input was not all read.
  return { exitCode: error !== undefined ? 1 : 0, outDir, runId };
}
