/**
 * The journal in PostgreSQL: many sessions in one schema, each one's rows keyed by its name
 * (postgres-schema.ts). What it stores and reads back is what SQLite's file holds, unit for unit,
 * and it passes the same contract suite.
 *
 * One connection a session, for its life (postgres-connection.ts). On it the session holds
 * `pg_advisory_lock` on its name: a second session of the same name, from this machine or another,
 * is refused by name, and the lock goes when the connection does, however the process ends (no
 * stale lock). Every write goes over that same connection, so a session that lost its lock cannot
 * write either: its next commit fails, and the session halts trading as on any journal failure.
 *
 * Each `append` is one transaction. A realtime journal commits synchronously (on disk on the server
 * before the next turn reads the socket); a static one with synchronous_commit off, as SQLite's
 * NORMAL: a server crash may lose the last commits of a run that is reproducible from its inputs.
 *
 * A reader (verify, export, report: `readOnly`) takes no lock, creates and writes nothing, and
 * reads one snapshot (a REPEATABLE READ transaction): a running session's journal can be read as
 * it was at one instant. Large reads go by pages on the primary key, never loading a run whole.
 */
import type pg from 'pg';
import type { Instrument } from '../broker/instrument.ts';
import { redactUrl } from '../config/redact-url.ts';
import { closeTimeOf } from '../domain/interval.ts';
import type { Bar, BarOrigin } from '../domain/types.ts';
import type { EventType, RunStartEvent } from '../events/types.ts';
import { type ColumnContext, columnName, EVENT_COLUMNS, fromRow, toRow } from './event-columns.ts';
import {
  barOfEvent,
  JournalError,
  type Journal,
  type JournalRun,
  type JournalSegment,
  type JournalUnit,
  type Provenance,
  type RecordedCommand,
  type SegmentStart,
  type SeqEvent,
  type UnitKind,
} from './journal.ts';
import { PgConnection, type Row } from './postgres-connection.ts';
import { checkSchemaName, DEFAULT_SCHEMA, ensureSchema, EVENT_TYPES, eventColumns, pgType, schemaExists, SESSION_NAME } from './postgres-schema.ts';
import { decodeText, encodeText } from './postgres-text.ts';

const VERSION = '1';
/** Rows a reader fetches at a time, per table. */
const PAGE = 5000;

export interface PostgresJournalOptions {
  /** postgres://user:password@host:port/database (the password is never shown). */
  readonly url: string;
  /** The session's name: its rows' key and its lock's. */
  readonly session: string;
  /** Default `tradeloop`. */
  readonly schema?: string;
  /** Commit synchronously (realtime) rather than with synchronous_commit off (static). */
  readonly durable: boolean;
  /** Lot steps per symbol (what the event columns' context asks; PostgreSQL journals hold integers only). */
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** A reader: no lock, nothing created or written, one snapshot. */
  readonly readOnly?: boolean;
}

const num = (v: unknown): number => Number(v as bigint);
const numOrNull = (v: unknown): number | null => (v === null ? null : Number(v as bigint));

export class PostgresJournal implements Journal {
  /** The database (its URL without the password) and the session. */
  readonly location: string;
  private readonly db: PgConnection;
  private readonly session: string;
  private readonly s: string;
  private readonly readOnly: boolean;
  private readonly ctx: ColumnContext;
  /** A reader of a database without the journal's tables: everything reads empty. */
  private absent = false;
  private segment = 0;

  private constructor(o: PostgresJournalOptions, schema: string, db: PgConnection) {
    this.session = o.session;
    this.s = schema;
    this.db = db;
    this.location = db.location;
    this.readOnly = o.readOnly === true;
    this.ctx = {
      instrument: (symbol) => {
        const inst = o.instruments.get(symbol);
        if (!inst) throw new JournalError(`journal: no instrument for ${symbol}`);
        return inst;
      },
    };
  }

  /** Connects; a writer takes its session's lock (refused by name when another session holds it) and creates the tables if missing. */
  static async open(o: PostgresJournalOptions): Promise<PostgresJournal> {
    if (!SESSION_NAME.test(o.session))
      throw new JournalError(`journal: ${JSON.stringify(o.session.slice(0, 80))} is not a session name (letters, digits, . _ -, at most 63)`);
    const schema = checkSchemaName(o.schema ?? DEFAULT_SCHEMA);
    const location = `${redactUrl(o.url)} session ${o.session}${schema === DEFAULT_SCHEMA ? '' : ` (schema ${schema})`}`;
    const db = await PgConnection.connect(o.url, o.session, location);
    const j = new PostgresJournal(o, schema, db);
    try {
      if (j.readOnly) {
        await db.q('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        j.absent = !(await schemaExists(db.pg, schema));
      } else {
        await db.lockSession();
        await ensureSchema(db.pg, schema);
        if (!o.durable) await db.q('SET synchronous_commit TO off');
      }
    } catch (err) {
      await db.close('SELECT 1');
      throw db.failure(err);
    }
    return j;
  }

  private q<R extends pg.QueryResultRow = Row>(text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    return this.db.q<R>(text, values, name);
  }

  private raw<R extends pg.QueryResultRow = Row>(text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    return this.db.raw<R>(text, values, name);
  }

  private writable(): void {
    if (this.readOnly) throw new JournalError(`${this.location}: opened for reading only`);
  }

  private async transaction(body: () => Promise<void>): Promise<void> {
    this.writable();
    await this.db.transaction(body);
  }

  async readRun(): Promise<JournalRun | null> {
    if (this.absent) return null;
    const rows = await this.q(`SELECT * FROM ${this.s}.sessions WHERE session = $1`, [this.session]);
    const meta = rows[0];
    if (meta === undefined) return null;
    if (meta.version !== VERSION) throw new JournalError(`${this.location}: journal version ${String(meta.version)}, this tradeloop reads ${VERSION}`);
    const warmup = await this.q(`SELECT * FROM ${this.s}.warmup WHERE session = $1 ORDER BY ord`, [this.session]);
    return {
      runId: meta.run_id as string,
      mode: meta.mode as 'static' | 'realtime',
      options: JSON.parse(meta.options as string) as Record<string, unknown>,
      runStart: JSON.parse(meta.run_start as string) as RunStartEvent,
      warmupBars: warmup.map((r) => warmupBar(r)),
      argv: JSON.parse(meta.argv as string) as string[],
      cwd: meta.cwd as string,
    };
  }

  async createRun(run: JournalRun): Promise<void> {
    await this.transaction(async () => {
      await this.raw(`INSERT INTO ${this.s}.sessions (session, version, run_id, mode, options, run_start, argv, cwd) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        this.session,
        VERSION,
        run.runId,
        run.mode,
        JSON.stringify(run.options),
        JSON.stringify(run.runStart),
        JSON.stringify(run.argv),
        run.cwd,
      ]);
      await this.insertWarmup(run.warmupBars);
    });
  }

  async appendWarmup(bars: readonly Bar[]): Promise<void> {
    await this.transaction(() => this.insertWarmup(bars));
  }

  private async insertWarmup(bars: readonly Bar[]): Promise<void> {
    if (bars.length === 0) return;
    const [top] = await this.raw<{ n: number | null }>(`SELECT max(ord) AS n FROM ${this.s}.warmup WHERE session = $1`, [this.session]);
    const base = top?.n ?? 0;
    const col = <T>(f: (b: Bar) => T): T[] => bars.map(f);
    await this.raw(
      `INSERT INTO ${this.s}.warmup (session, ord, symbol, interval, open_time, open, high, low, close, volume, source)
       SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::float8[], $11::text[])`,
      [
        this.session,
        bars.map((_b, i) => base + i + 1),
        col((b) => b.symbol),
        col((b) => b.interval),
        col((b) => b.openTime),
        col((b) => b.open),
        col((b) => b.high),
        col((b) => b.low),
        col((b) => b.close),
        col((b) => b.volume),
        col((b) => b.source),
      ],
      'tl_warmup',
    );
  }

  async beginSegment(s: SegmentStart): Promise<number> {
    this.writable();
    const [top] = await this.q<{ n: number | null }>(`SELECT max(id) AS n FROM ${this.s}.segments WHERE session = $1`, [this.session]);
    const id = (top?.n ?? 0) + 1;
    await this.q(`INSERT INTO ${this.s}.segments (session, id, kind, after_seq, started_at, restored) VALUES ($1, $2, $3, $4, $5, $6)`, [
      this.session,
      id,
      s.kind,
      s.afterSeq,
      s.startedAt,
      s.restored === undefined ? null : JSON.stringify(s.restored),
    ]);
    this.segment = id;
    return id;
  }

  async endSegment(id: number, status: string, summary: unknown): Promise<void> {
    this.writable();
    await this.q(`UPDATE ${this.s}.segments SET ended_at = $1, status = $2, summary = $3 WHERE session = $4 AND id = $5`, [
      Date.now(),
      status,
      JSON.stringify(summary),
      this.session,
      id,
    ]);
  }

  async append(units: readonly JournalUnit[]): Promise<void> {
    if (units.length === 0) return;
    await this.transaction(async () => {
      const [top] = await this.raw<{ s: bigint | null }>(`SELECT max(last_seq) AS s FROM ${this.s}.units WHERE session = $1`, [this.session], 'tl_last');
      const committed = top?.s === null || top?.s === undefined ? 0 : Number(top.s);
      const fresh: JournalUnit[] = [];
      let through = 0;
      for (const u of units) {
        if (u.events.length === 0) continue;
        const first = u.events[0]!.seq;
        const last = u.events.at(-1)!.seq;
        // A refusal rolls back the whole batch: the units before it go too.
        if (first <= through) throw new JournalError(`journal: a unit from seq ${first} comes after one through seq ${through}: units go in seq order`);
        through = last;
        if (last <= committed) continue; // committed already: a retried commit
        if (first <= committed) throw new JournalError(`journal: a unit of seqs ${first}-${last} overlaps what is committed (through seq ${committed})`);
        fresh.push(u);
      }
      if (fresh.length > 0) await this.insertUnits(fresh);
    });
  }

  /** The units' rows, then each event type's rows, one statement a table (arrays unnested server-side). */
  private async insertUnits(units: readonly JournalUnit[]): Promise<void> {
    const p = (u: JournalUnit): Provenance | undefined => u.provenance;
    await this.raw(
      `INSERT INTO ${this.s}.units (session, segment, first_seq, last_seq, kind, file, line, newest, command, cursor)
       SELECT $1, $2, * FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::bigint[])`,
      [
        this.session,
        this.segment,
        units.map((u) => u.events[0]!.seq),
        units.map((u) => u.events.at(-1)!.seq),
        units.map((u) => u.kind),
        units.map((u) => p(u)?.file ?? null),
        units.map((u) => p(u)?.line ?? null),
        units.map((u) => p(u)?.newestOpenTime ?? null),
        units.map((u) => (u.command ? JSON.stringify(u.command) : null)),
        units.map((u) => u.cursor ?? null),
      ],
      'tl_units',
    );
    const byType = new Map<EventType, { seq: number[]; unit: number[]; cols: unknown[][] }>();
    for (const u of units) {
      const unit = u.events[0]!.seq;
      for (const { seq, event } of u.events) {
        let t = byType.get(event.type);
        if (!t) {
          t = { seq: [], unit: [], cols: EVENT_COLUMNS[event.type].map(() => []) };
          byType.set(event.type, t);
        }
        t.seq.push(seq);
        t.unit.push(unit);
        const row = toRow(event);
        const columns = EVENT_COLUMNS[event.type];
        for (let i = 0; i < row.length; i++) t.cols[i]!.push(columns[i]!.codec === 'text' ? encodeText(row[i] as string | null) : row[i]);
      }
    }
    for (const [type, t] of byType) {
      const columns = EVENT_COLUMNS[type];
      const arrays = columns.map((c, i) => `$${i + 4}::${pgType(c.codec)}[]`);
      await this.raw(
        `INSERT INTO ${this.s}.ev_${type} (session, seq, unit, ${eventColumns(type).join(', ')}) SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], ${arrays.join(', ')})`,
        [this.session, t.seq, t.unit, ...t.cols],
        `tl_ev_${type}`,
      );
    }
  }

  async lastSeq(): Promise<number> {
    if (this.absent) return 0;
    const [top] = await this.q<{ s: bigint | null }>(`SELECT max(last_seq) AS s FROM ${this.s}.units WHERE session = $1`, [this.session], 'tl_last');
    return top?.s === null || top?.s === undefined ? 0 : Number(top.s);
  }

  async lastCursor(): Promise<number | null> {
    if (this.absent) return null;
    const [top] = await this.q<{ cursor: bigint }>(
      `SELECT cursor FROM ${this.s}.units WHERE session = $1 AND cursor IS NOT NULL ORDER BY first_seq DESC LIMIT 1`,
      [this.session],
      'tl_cursor',
    );
    return top === undefined ? null : num(top.cursor);
  }

  /** A table's rows of this session with `key` above `after`, a page at a time, in key order. */
  private async *paged(table: string, key: string, after: number): AsyncGenerator<Row> {
    if (this.absent) return;
    const text = `SELECT * FROM ${this.s}.${table} WHERE session = $1 AND ${key} > $2 ORDER BY ${key} LIMIT ${PAGE}`;
    for (let from = after; ; ) {
      const rows = await this.q(text, [this.session, from], `tl_page_${table}`);
      yield* rows;
      if (rows.length < PAGE) return;
      from = num(rows.at(-1)![key]);
    }
  }

  /** Every event from a seq on, in seq order: a merge of the per-type tables, each read by pages. */
  private async *ordered(fromSeq: number): AsyncGenerator<SeqEvent & { unit: number }> {
    const heads: Array<{ type: EventType; it: AsyncGenerator<Row>; row: Row | null }> = [];
    for (const type of EVENT_TYPES) {
      const it = this.paged(`ev_${type}`, 'seq', fromSeq - 1);
      const first = await it.next();
      heads.push({ type, it, row: first.done ? null : first.value });
    }
    for (;;) {
      let best: (typeof heads)[number] | null = null;
      for (const h of heads) if (h.row !== null && (best === null || (h.row.seq as bigint) < (best.row!.seq as bigint))) best = h;
      if (best === null) return;
      const row = best.row!;
      const next = await best.it.next();
      best.row = next.done ? null : next.value;
      const named: Row = {};
      for (const col of EVENT_COLUMNS[best.type]) {
        const v = row[columnName(col.field)];
        named[col.field] = col.codec === 'text' ? decodeText(v as string | null) : v;
      }
      yield { seq: num(row.seq), unit: num(row.unit), event: fromRow(best.type, named, this.ctx) };
    }
  }

  async *events(fromSeq: number): AsyncIterable<SeqEvent> {
    for await (const e of this.ordered(fromSeq)) yield { seq: e.seq, event: e.event };
  }

  async *units(): AsyncIterable<JournalUnit> {
    const events = this.ordered(1);
    let pending = await events.next();
    for await (const row of this.paged('units', 'first_seq', 0)) {
      const id = num(row.first_seq);
      const list: SeqEvent[] = [];
      while (!pending.done && pending.value.unit === id) {
        list.push({ seq: pending.value.seq, event: pending.value.event });
        pending = await events.next();
      }
      const kind = row.kind as UnitKind;
      const first = list[0]?.event;
      const provenance: Provenance = {
        ...(row.file !== null ? { file: row.file as string } : {}),
        ...(row.line !== null ? { line: num(row.line) } : {}),
        ...(row.newest !== null ? { newestOpenTime: num(row.newest) } : {}),
      };
      yield {
        kind,
        events: list,
        ...(kind === 'cycle' && first?.type === 'bar' ? { bar: barOfEvent(first), provenance } : {}),
        ...(row.command !== null ? { command: JSON.parse(row.command as string) as RecordedCommand } : {}),
        ...(row.cursor !== null ? { cursor: num(row.cursor) } : {}),
      };
    }
  }

  async segments(): Promise<JournalSegment[]> {
    if (this.absent) return [];
    const rows = await this.q(`SELECT * FROM ${this.s}.segments WHERE session = $1 ORDER BY id`, [this.session]);
    return rows.map((r) => ({
      id: r.id as number,
      kind: r.kind as string,
      afterSeq: num(r.after_seq),
      startedAt: numOrNull(r.started_at),
      endedAt: numOrNull(r.ended_at),
      status: r.status as string | null,
      summary: r.summary === null ? null : (JSON.parse(r.summary as string) as unknown),
      restored: r.restored === null ? null : (JSON.parse(r.restored as string) as unknown),
    }));
  }

  /** Lets go of the lock (ending the connection would too) and the connection; a second call does nothing. */
  async close(): Promise<void> {
    await this.db.close(this.readOnly ? 'COMMIT' : 'SELECT pg_advisory_unlock_all()');
  }
}

function warmupBar(r: Row): Bar {
  const openTime = num(r.open_time);
  const interval = r.interval as string;
  return {
    symbol: r.symbol as string,
    interval,
    openTime,
    closeTime: closeTimeOf(interval, openTime),
    open: num(r.open),
    high: num(r.high),
    low: num(r.low),
    close: num(r.close),
    volume: r.volume as number,
    source: r.source as BarOrigin,
  };
}
