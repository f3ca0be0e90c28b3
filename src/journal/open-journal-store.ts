/**
 * The one place that chooses the journal's store: everything else holds a `Journal`. A PostgreSQL
 * store for many sessions would be one more kind here (a connection and a session id), and would
 * pass the same contract suite (test/journal/journal-store.contract.ts).
 */
import type { Instrument } from '../broker/instrument.ts';
import type { Journal } from './journal.ts';
import { SqliteJournal } from './sqlite-journal.ts';

export interface SqliteStoreSpec {
  readonly kind: 'sqlite';
  /** The journal's file (created if missing). */
  readonly path: string;
  /** fsync every commit (realtime) rather than relying on WAL checkpoints (static). */
  readonly durable: boolean;
  /** Lot steps per symbol: quantities in events are decimal text, stored as integers of them. */
  readonly instruments: ReadonlyMap<string, Instrument>;
}

export type JournalStoreSpec = SqliteStoreSpec;

/** Opens (or creates) the journal; rejects with a JournalError when the store cannot be opened or read. */
export async function openJournalStore(spec: JournalStoreSpec): Promise<Journal> {
  switch (spec.kind) {
    case 'sqlite':
      return new SqliteJournal(spec.path, { durable: spec.durable, instruments: spec.instruments });
  }
}
