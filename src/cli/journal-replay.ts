/**
 * A journaled run, decided again from its journal alone, in this process: the options it ran with
 * (its command line, re-read in the folder it ran in), its strategy (checked against the one
 * journaled), the loop's parts, and a sink that keeps every event the replay emits with its seq.
 * `tradeloop verify` compares them with the journal; `tradeloop export` reads tables off them.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EventBus, type EventSink } from '../events/event-bus.ts';
import { RunStatistics } from '../stats/run-statistics.ts';
import type { TradeEvent } from '../events/types.ts';
import { replay, type ReplayResult } from '../journal/replay.ts';
import { JournalError, type Journal, type JournalRun } from '../journal/journal.ts';
import { type JournalSource, noRun, openJournalReader, sourceLabel } from './journal-source.ts';
import { CliRefusal, EXIT } from './exit-codes.ts';
import { buildLoop, type LoopParts } from '../session/loop-parts.ts';
import { Session } from '../session/session.ts';
import { EventCounter } from '../sinks/event-counter.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import { systemClock } from '../telemetry/clock.ts';
import { runMeaning } from '../session/journal-wiring.ts';
import { parseRunOptions, type RunOptions } from './run-options.ts';
import { sha256File } from '../session/run-id.ts';
import { UsageError } from './usage-error.ts';

export interface Replayed {
  readonly journal: Journal;
  readonly run: JournalRun;
  readonly opts: RunOptions;
  readonly parts: LoopParts;
  /** Every event the replay emitted, by seq. */
  readonly emitted: ReadonlyMap<number, TradeEvent>;
  readonly result: ReplayResult;
}

class Keep implements EventSink {
  readonly events = new Map<number, TradeEvent>();
  write(seq: number, event: TradeEvent): void {
    this.events.set(seq, event);
  }
}

/**
 * A journal that cannot be read (damaged, cut short, written by a newer tradeloop) is refused with
 * its own exit status: it is not a divergence (exit 1), and not a usage error.
 */
export function unreadable(src: JournalSource, err: unknown): CliRefusal {
  const label = sourceLabel(src);
  const message = err instanceof Error ? err.message.replace(`${label}: `, '') : String(err);
  return new CliRefusal(
    src.kind === 'sqlite'
      ? `${label}: the journal cannot be read (${message.slice(0, 300)}). Nothing was verified or exported; keep the file for inspection, and restore it from a copy if you have one.`
      : `${label}: the journal cannot be read (${message.slice(0, 300)}). Nothing was verified or exported; check that the server is up and the URL, and that this tradeloop is not older than the one that wrote it.`,
    EXIT.unreadable,
  );
}

export function isJournalReadError(err: unknown): boolean {
  return err instanceof JournalError;
}

/** With `tablesDir`, the run's trades.csv and equity.csv are written there as the replay goes. */
export async function replayJournal(src: JournalSource, tablesDir: string | null = null): Promise<Replayed> {
  try {
    return await replayReadable(src, tablesDir);
  } catch (err) {
    if (isJournalReadError(err)) throw unreadable(src, err);
    throw err;
  }
}

async function replayReadable(src: JournalSource, tablesDir: string | null): Promise<Replayed> {
  const path = sourceLabel(src);
  // The journal's own meta says which lot steps it was written with; read them before opening with instruments.
  const probe = await openJournalReader(src, new Map());
  let run: JournalRun | null;
  try {
    run = await probe.readRun();
  } finally {
    await probe.close();
  }
  if (run === null) throw noRun(src);
  if (!existsSync(run.cwd))
    throw new UsageError(
      `${path}: the run ran in ${run.cwd}, which is not here: a replay reads the run's strategy and inputs again from where it ran (its command line's paths are relative to it). Run this where that folder exists.`,
    );
  const here = process.cwd();
  let opts: RunOptions;
  let strategy: Awaited<ReturnType<typeof loadStrategy>>;
  let strategyHash: string | null = null;
  try {
    // Relative paths in the run's command line (strategy file, data) are the run's own folder's.
    process.chdir(run.cwd);
    const parsed = parseRunOptions(run.argv);
    if (parsed === 'help') throw new UsageError(`${path}: the journaled command line asks for help, not a run.`);
    opts = parsed;
    strategy = await loadStrategy(opts.strategy, opts.params);
    const strategyPath = resolve(opts.strategy);
    if (existsSync(strategyPath)) strategyHash = await sha256File(strategyPath);
  } finally {
    process.chdir(here);
  }
  const journaledStrategy = run.options['--strategy'];
  const nowStrategy = runMeaning(opts, strategy.name, strategyHash, [])['--strategy'];
  if (journaledStrategy !== nowStrategy) {
    throw new UsageError(
      `the strategy is not the one the run used (journaled ${String(journaledStrategy)}, now ${nowStrategy}): a replay with another strategy proves nothing.`,
    );
  }
  const journal = await openJournalReader(src, opts.instruments);
  const keep = new Keep();
  const statistics = tablesDir === null ? null : new RunStatistics(tablesDir);
  const bus = new EventBus([keep, new EventCounter(), ...(statistics ? [statistics] : [])]);
  const newest = new Map<string, number>();
  const parts = buildLoop(opts, strategy, bus, {
    onStrategyError: run.mode === 'static' ? 'throw' : 'halt',
    ...(run.mode === 'realtime' ? { now: () => 0, newestClosed: (s: string) => newest.get(s) } : {}),
  });
  const session = new Session({
    runId: run.runId,
    mode: run.mode,
    symbols: opts.symbols,
    parts,
    counter: new EventCounter(),
    clock: systemClock,
    stateDir: null,
    haltFile: null,
  });
  statistics?.attach(parts.engine.stats);
  const result = await replay(journal.units(), run.warmupBars, { parts, newest, applyCommand: (c) => session.replayCommand(c) });
  parts.engine.finish();
  if (statistics) {
    await statistics.finish(parts.broker);
    // The tables are the export's answer: one cut short by the disk must not pass for the whole.
    if (statistics.failed) throw new UsageError(`cannot write the exported tables: ${statistics.failed.message}`);
  }
  return { journal, run, opts, parts, emitted: keep.events, result };
}
