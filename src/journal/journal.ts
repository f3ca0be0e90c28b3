/**
 * The journal: the durable record of a session, one interface whatever stores it. A unit is what
 * the bus emits between two end-of-cycle marks: a cycle (a bar and everything it caused), an
 * operator command and its consequences, or events from outside any cycle (the feed, its halts,
 * alerts, skips). Units are appended whole, several to a transaction, never one split.
 *
 * What a resume and `tradeloop verify` read back is the same: the run's options and run_start, the
 * warm-up history, and every unit in order with its bar (and where the bar came from) or command.
 * SQLite (node:sqlite, one file in the state folder) implements it today; a PostgreSQL store for
 * many sessions would implement this same interface (see docs/architecture.md).
 */
import type { Bar } from '../domain/types.ts';
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
  /** For a cycle: the bar decided, and its provenance. */
  readonly bar?: Bar;
  readonly provenance?: Provenance;
  /** For a command: what was asked, and the prices a flatten filled at (so a replay fills there too). */
  readonly command?: RecordedCommand;
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

export interface Journal {
  /** The run it holds, or null for a new journal. */
  readRun(): JournalRun | null;
  /** A new journal: the run's identity, written once. */
  createRun(run: JournalRun): void;
  beginSegment(segment: SegmentStart): number;
  /** Whole units, in one transaction; throws when the store cannot take them. */
  append(units: readonly JournalUnit[]): void;
  /** Warm-up bars loaded after the run began (realtime start-up), before the first unit. */
  appendWarmup(bars: readonly Bar[]): void;
  endSegment(id: number, status: string, summary: unknown): void;
  /** The highest seq committed. */
  lastSeq(): number;
  units(): Iterable<JournalUnit>;
  events(fromSeq: number): Iterable<SeqEvent>;
  segments(): Array<{ id: number; kind: string; afterSeq: number; startedAt: number | null; endedAt: number | null; status: string | null }>;
  close(): void;
}

/** The lot steps a journal's run was written with (its run_start's lotSizes): what writing its events' quantities needs. */
export function lotStepsOf(journal: Pick<Journal, 'readRun'>): LotSteps {
  const run = journal.readRun();
  return run === null ? new LotSteps(new Map()) : LotSteps.fromLotSizes(run.runStart.lotSizes);
}
