/**
 * The one place that chooses the journal's store: everything else holds a `Journal`. Two kinds: a
 * SQLite file (one session, in its state folder; the default) and PostgreSQL (many sessions in one
 * database, each by its name). Both pass the same contract suite (test/journal/journal-store.contract.ts).
 */
import type { Instrument } from '../broker/instrument.ts';
import type { Journal } from './journal.ts';
import { PostgresJournal } from './postgres-journal.ts';
import { SqliteJournal } from './sqlite-journal.ts';
import { ThreadedSqliteJournal } from './threaded-sqlite-journal.ts';

export interface SqliteStoreSpec {
  readonly kind: 'sqlite';
  /** The journal's file (created if missing). */
  readonly path: string;
  /** fsync every commit (realtime) rather than relying on WAL checkpoints (static). */
  readonly durable: boolean;
  /** Lot steps per symbol: quantities in events are decimal text, stored as integers of them. */
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** Appends on a writer thread of their own, pipelined (static runs: threaded-sqlite-journal.ts). */
  readonly thread?: boolean;
}

export interface PostgresStoreSpec {
  readonly kind: 'postgres';
  /** postgres://user:password@host:port/database; the password is never shown or stored. */
  readonly url: string;
  /** The session's name: its rows are keyed by it, and it holds an advisory lock on it for its life. */
  readonly session: string;
  /** The schema the tables live in (default tradeloop). */
  readonly schema?: string;
  /** Commit synchronously (realtime) rather than with synchronous_commit off (static). */
  readonly durable: boolean;
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** verify, export, report: no lock taken, nothing created or written, one snapshot read. */
  readonly readOnly?: boolean;
}

export type JournalStoreSpec = SqliteStoreSpec | PostgresStoreSpec;

/** Opens (or creates) the journal; rejects with a JournalError when the store cannot be opened or read, or its session is held. */
export async function openJournalStore(spec: JournalStoreSpec): Promise<Journal> {
  switch (spec.kind) {
    case 'sqlite':
      return spec.thread
        ? new ThreadedSqliteJournal(spec.path, { durable: spec.durable, instruments: spec.instruments })
        : new SqliteJournal(spec.path, { durable: spec.durable, instruments: spec.instruments });
    case 'postgres':
      return PostgresJournal.open(spec);
  }
}
