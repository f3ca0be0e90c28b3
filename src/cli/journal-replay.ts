/**
 * A journaled run, decided again from its journal alone, in this process: the options it ran with
 * (its command line, re-read in the folder it ran in), its strategy (checked against the one
 * journaled), the loop's parts, and a sink that keeps every event the replay emits with its seq.
 * `tradeloop verify` compares them with the journal; `tradeloop export` reads tables off them.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EventBus, type EventSink } from '../events/event-bus.ts';
import { RunStatistics } from '../stats/run-statistics.ts';
import type { TradeEvent } from '../events/types.ts';
import { replay, type ReplayResult } from '../journal/replay.ts';
import { JournalError, type Journal, type JournalRun } from '../journal/journal.ts';
import { openJournalStore } from '../journal/open-journal-store.ts';
import { CliRefusal, EXIT } from './exit-codes.ts';
import { buildLoop, type LoopParts } from '../session/loop-parts.ts';
import { Session } from '../session/session.ts';
import { EventCounter } from '../sinks/event-counter.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import { systemClock } from '../telemetry/clock.ts';
import { JOURNAL_FILE, runMeaning } from '../session/journal-wiring.ts';
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

/** Where the journal is: DIR/journal.sqlite, DIR being --state or a realtime run's folder. */
export function journalPath(dir: string): string {
  const path = join(dir, JOURNAL_FILE);
  if (!existsSync(path)) {
    throw new UsageError(
      `${dir}: no journal (${JOURNAL_FILE}). A session keeps one in its state folder: --state DIR, or a realtime run's --out folder; a static run without --state has none.`,
    );
  }
  return path;
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
export function unreadable(path: string, err: unknown): CliRefusal {
  const message = err instanceof Error ? err.message.replace(`${path}: `, '') : String(err);
  return new CliRefusal(
    `${path}: the journal cannot be read (${message.slice(0, 300)}). Nothing was verified or exported; keep the file for inspection, and restore it from a copy if you have one.`,
    EXIT.unreadable,
  );
}

export function isJournalReadError(err: unknown): boolean {
  return err instanceof JournalError;
}

/** With `tablesDir`, the run's trades.csv and equity.csv are written there as the replay goes. */
export async function replayJournal(dir: string, tablesDir: string | null = null): Promise<Replayed> {
  const path = journalPath(dir);
  try {
    return await replayReadable(path, tablesDir);
  } catch (err) {
    if (isJournalReadError(err)) throw unreadable(path, err);
    throw err;
  }
}

async function replayReadable(path: string, tablesDir: string | null): Promise<Replayed> {
  // The journal's own meta says which lot steps it was written with; read them before opening with instruments.
  const probe = await openJournalStore({ kind: 'sqlite', path, durable: false, instruments: new Map() });
  const run = await probe.readRun();
  await probe.close();
  if (run === null) throw new UsageError(`${path}: the journal holds no run yet.`);
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
  const journal = await openJournalStore({ kind: 'sqlite', path, durable: false, instruments: opts.instruments });
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
