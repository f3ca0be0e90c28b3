/**
 * The journal: the durable record of a session, one interface whatever stores it. A unit is what
 * the bus emits between two end-of-cycle marks: a cycle (a bar and everything it caused), an
 * operator command and its consequences, or events from outside any cycle (the feed, its halts,
 * alerts, skips). Units are appended whole, several to a transaction, never one split.
 *
 * What a resume and `tradeloop verify` read back is the same: the run's options and run_start, the
 * warm-up history, and every unit in order with its bar (and where the bar came from) or command.
 * SQLite (node:sqlite, one file in the state folder) and PostgreSQL (many sessions in one database,
 * each under its name: postgres-journal.ts) implement it. openJournalStore
 * (open-journal-store.ts) is the one place that names a store; test/journal/journal-store.contract.ts
 * is what every store must pass.
 */
import { TradeloopError } from '../errors.ts';
import type { Bar } from '../domain/types.ts';
import { closeTimeOf } from '../domain/interval.ts';
import { LotSteps } from '../events/lot-steps.ts';
import type { RunStartEvent, TradeEvent } from '../events/types.ts';
import type { RecordedCommand } from '../session/commands.ts';

export type { RecordedCommand } from '../session/commands.ts';

export type UnitKind = 'cycle' | 'command' | 'outside';

/** Where a decided bar came from: a csv file and line, the WebSocket, or a REST backfill. */
export interface Provenance {
  readonly file?: string;
  readonly line?: number;
  /** Realtime: the newest closed bar the feed had accepted when it delivered this one (the stale_bar check reads it). */
  readonly newestOpenTime?: number;
}

export interface SeqEvent {
  readonly seq: number;
  readonly event: TradeEvent;
}

export interface JournalUnit {
  readonly kind: UnitKind;
  readonly events: readonly SeqEvent[];
  /** For a cycle: the bar decided (read back from a journal; a store writes it from the first event), and its provenance. */
  readonly bar?: Bar;
  readonly provenance?: Provenance;
  /** For a command: what was asked, and the prices a flatten filled at (so a replay fills there too). */
  readonly command?: RecordedCommand;
  /**
   * Where the session stood in its upstream when this unit was made (a NATS stream sequence):
   * every message at or before it is decided or was not needed. A session that reads a stream
   * resumes after the last one (the journal is the cursor); a Binance session records none.
   */
  readonly cursor?: number;
}

export interface JournalRun {
  readonly runId: string;
  readonly mode: 'static' | 'realtime';
  /** The options that give a run its meaning, canonical: a resume with other values is refused by name. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly runStart: RunStartEvent;
  /** History before the first decision, per symbol in delivery order. */
  readonly warmupBars: readonly Bar[];
  /** The command line of the run and the folder it ran in: what `tradeloop verify` runs again. */
  readonly argv: readonly string[];
  readonly cwd: string;
}

export interface SegmentStart {
  readonly kind: 'start' | 'resume';
  /** The last seq committed before this segment (0 for the first). */
  readonly afterSeq: number;
  readonly startedAt: number | null;
  readonly restored?: unknown;
}

export interface JournalSegment {
  readonly id: number;
  readonly kind: string;
  readonly afterSeq: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  /** How the segment ended (the summary's status), or null while it runs or when it never ended (a crash). */
  readonly status: string | null;
  readonly summary: unknown;
  /** What a resume had restored when it began, or null. */
  readonly restored: unknown;
}

/** What a store refuses or cannot read: a damaged or newer journal, a unit out of order, a full disk. */
export class JournalError extends TradeloopError {
  override name = 'JournalError';
  constructor(message: string, options?: ErrorOptions) {
    super('TL_JOURNAL', message, undefined, options);
  }
}

/** The journal's session is another live session's (its lock is held): a start refused by name. */
export class JournalHeldError extends JournalError {
  override name = 'JournalHeldError';
}

/**
 * Every method answers with a promise: a store on a server (PostgreSQL) commits across the network,
 * and whoever writes awaits the commit before taking more input. A store that is synchronous
 * underneath (SQLite) answers with promises already settled.
 */
export interface Journal {
  /** Where the journal is, for messages: a file, or a database and session. */
  readonly location: string;
  /**
   * A store that takes each event as the bus emits it, rather than whole units (the SQLite journal's
   * writer thread: threaded-sqlite-journal.ts). The journal sink then writes through it; the store's
   * append and the writer are not used together.
   */
  unitWriter?(): UnitWriter;
  /** The run it holds, or null for a new journal. */
  readRun(): Promise<JournalRun | null>;
  /** A new journal: the run's identity, written once. */
  createRun(run: JournalRun): Promise<void>;
  beginSegment(segment: SegmentStart): Promise<number>;
  /**
   * Whole units, in seq order, in one transaction: all of them or none. A unit whose seqs are already
   * committed is passed over (a retried commit cannot double it); a batch out of seq order, or one
   * that overlaps what is committed, is refused with a JournalError and leaves nothing.
   */
  append(units: readonly JournalUnit[]): Promise<void>;
  /** Warm-up bars loaded after the run began (static --from), before the units they precede. */
  appendWarmup(bars: readonly Bar[]): Promise<void>;
  endSegment(id: number, status: string, summary: unknown): Promise<void>;
  /** The highest seq committed (0 for none). */
  lastSeq(): Promise<number>;
  /** The cursor of the last unit that has one (null: none recorded, as in every journal of a Binance session). */
  lastCursor(): Promise<number | null>;
  /** Every unit, in seq order. */
  units(): AsyncIterable<JournalUnit>;
  /** Every event from this seq on, in seq order. */
  events(fromSeq: number): AsyncIterable<SeqEvent>;
  segments(): Promise<readonly JournalSegment[]>;
  close(): Promise<void>;
}

/** What a store that takes events as they come gives the sink (Journal.unitWriter). */
export interface UnitWriter {
  /** An event of the unit being made. */
  write(seq: number, event: TradeEvent): void;
  /** The unit being made is whole. */
  endUnit(kind: UnitKind, provenance: Provenance | null, command: RecordedCommand | null): void;
  /**
   * Commits the units ended since the last commit, in one transaction, after every commit and
   * warm-up asked for before (those need not have settled: they go in the order asked, and none
   * after one that failed). An event after the last unit's end waits for a later commit.
   */
  commit(): Promise<void>;
}

/** The lot steps a journal's run was written with (its run_start's lotSizes): what writing its events' quantities needs. */
export async function lotStepsOf(journal: Pick<Journal, 'readRun'>): Promise<LotSteps> {
  const run = await journal.readRun();
  return run === null ? new LotSteps(new Map()) : LotSteps.fromLotSizes(run.runStart.lotSizes);
}

/** A cycle's bar event as the bar the engine decided (what a unit's `bar` and a stream cursor read). */
export function barOfEvent(e: Extract<TradeEvent, { type: 'bar' }>): Bar {
  return {
    symbol: e.symbol,
    interval: e.interval,
    openTime: e.openTime,
    closeTime: closeTimeOf(e.interval, e.openTime),
    open: e.open,
    high: e.high,
    low: e.low,
    close: e.close,
    volume: e.volume,
    source: e.source,
  };
}
