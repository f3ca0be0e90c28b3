/**
 * Reading the SQLite journal (sqlite-journal.ts): its units in order, each with its events in seq
 * order, merged from the `units` rows (a cycle's bar and decision are its values; a run of cycles
 * is unpacked, unit-runs.ts) and the typed tables (every other event, naming its unit's row). Also
 * the helpers every read goes through: node:sqlite's errors as JournalErrors, and a synchronous
 * reader as the async iterable the Journal interface promises.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { EventType } from '../events/types.ts';
import { columnName, EVENT_COLUMNS, fromRow, type ColumnContext } from './event-columns.ts';
import { JournalError, type SeqEvent } from './journal.ts';
import { foldedEvents, type Streams, UNIT_COLUMNS } from './sqlite-units.ts';
import { unpackRun } from './unit-runs.ts';

const TYPES = Object.keys(EVENT_COLUMNS) as EventType[];

/** A unit's row (or, for a run of cycles, the row SQLite would have given for the unit) and its events in seq order. */
export interface UnitRow {
  readonly row: Record<string, unknown>;
  readonly events: SeqEvent[];
}

/** node:sqlite's own error for a file it cannot read (malformed, not a database) as the journal's. */
function asJournalError(err: unknown): unknown {
  if ((err as { code?: unknown } | null)?.code !== 'ERR_SQLITE_ERROR') return err;
  return new JournalError((err as Error).message, { cause: err });
}

export function reading<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw asJournalError(err);
  }
}

/**
 * A synchronous reader as the async iterable the interface promises, each step an already settled
 * promise. Not an async generator: that costs twice as much a step, which a replay of a million
 * units feels (verify, resume).
 */
export function settled<T>(open: () => Iterator<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const it = open();
      return {
        next: () => {
          try {
            return Promise.resolve(it.next());
          } catch (err) {
            return Promise.reject(asJournalError(err));
          }
        },
        // A reader that stops early (a repair that reached its seq) lets the statements go.
        return: (value?: unknown) => Promise.resolve(it.return?.(value) ?? { done: true, value: undefined as T }),
      };
    },
  };
}

/** Every event in a typed table from this seq on, in seq order: a merge of the tables, each read in order. */
function* typedEvents(db: DatabaseSync, ctx: ColumnContext, fromSeq: number): Generator<SeqEvent & { unit: number }> {
  const heads: Array<{ type: EventType; it: Iterator<Record<string, unknown>>; row: Record<string, unknown> | null }> = [];
  try {
    for (const type of TYPES) {
      const st = db.prepare(`SELECT * FROM ev_${type} WHERE seq >= ? ORDER BY seq`);
      st.setReadBigInts(true);
      const it = st.iterate(fromSeq) as Iterator<Record<string, unknown>>;
      heads.push({ type, it, row: null });
      const first = it.next();
      heads.at(-1)!.row = first.done ? null : first.value;
    }
    for (;;) {
      let best: (typeof heads)[number] | null = null;
      for (const h of heads) if (h.row !== null && (best === null || (h.row.seq as bigint) < (best.row!.seq as bigint))) best = h;
      if (best === null) return;
      const row = best.row!;
      const next = best.it.next();
      best.row = next.done ? null : next.value;
      const named: Record<string, unknown> = {};
      for (const col of EVENT_COLUMNS[best.type]) named[col.field] = row[columnName(col.field)];
      yield { seq: Number(row.seq), unit: Number(row.unit), event: fromRow(best.type, named, ctx) };
    }
  } finally {
    // A statement left unfinished keeps its read transaction open: this connection would go on
    // reading that snapshot, blind to what another (the writer thread's) commits after it.
    for (const h of heads) h.it.return?.();
  }
}

/**
 * Every unit that holds an event at or after this seq, in order, with its events in seq order: the
 * bar and decision of its own row merged with its events in the typed tables. Units are appended
 * in seq order, so the unit rows in id order are in seq order too.
 */
export function* unitRows(db: DatabaseSync, streams: Streams, ctx: ColumnContext, fromSeq: number): Generator<UnitRow> {
  const st = db.prepare('SELECT * FROM units WHERE last_seq >= ? ORDER BY id');
  st.setReadBigInts(true);
  const units = st.iterate(fromSeq) as Iterator<Record<string, unknown>>;
  const typed = typedEvents(db, ctx, fromSeq);
  try {
    let pending = typed.next();
    // A unit's events: the bar and decision of its values merged by seq with its row's events in the typed tables, up to its last seq.
    const eventsOf = (values: Record<string, unknown>, id: number, last: number): SeqEvent[] => {
      const folded = foldedEvents(values, streams);
      const events: SeqEvent[] = [];
      let f = 0;
      while (!pending.done && pending.value.unit === id && pending.value.seq <= last) {
        const { seq, event } = pending.value;
        while (f < folded.length && folded[f]!.seq < seq) events.push(folded[f++]!);
        events.push({ seq, event });
        pending = typed.next();
      }
      while (f < folded.length) events.push(folded[f++]!);
      return events;
    };
    for (let u = units.next(); !u.done; u = units.next()) {
      const row = u.value;
      const id = Number(row.id);
      if (row.packed === null || row.packed === undefined) {
        yield { row, events: eventsOf(row, id, Number.POSITIVE_INFINITY) };
        continue;
      }
      // A run of cycles: the typed events of its row are its units', each unit's up to its last seq.
      for (const r of unpackRun(row.packed as Uint8Array, UNIT_COLUMNS, row)) {
        const last = Number(r.last_seq);
        const events = eventsOf(r, id, last);
        if (last >= fromSeq) yield { row: r, events };
      }
    }
  } finally {
    // A reader that stops early or fails lets its statements go (see typed).
    units.return?.();
    typed.return(undefined);
  }
}
