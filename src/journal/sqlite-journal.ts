/**
 * The journal in one SQLite file (node:sqlite: built into Node, no native addon to compile), WAL
 * mode. `units` says which events make one cycle, command or outside unit, with a cycle's bar
 * provenance and a command's recorded prices, and holds a cycle's bar and decision in its own row
 * (sqlite-units.ts); every other event is in its type's table of typed columns (event-columns.ts);
 * `warmup` holds the history loaded before the first decision; `segments` each start and resume. A
 * transaction holds whole units only: a crash loses at most what was not yet committed, never half
 * a cycle.
 *
 * Versions: 2 folds bars and decisions into `units`; 3 keeps each run of consecutive cycles of a
 * transaction (units whose first event is a bar, their fills and orders too: those stay in their
 * tables, naming the run's row) in one row (unit-runs.ts). A journal of an earlier version reads as
 * it is, and is made the current one by the first units appended to it (a resume): its old rows
 * read as before, and a tradeloop from before refuses it by its version.
 *
 * Durability: realtime journals are synchronous=FULL (each commit is on disk before the next turn
 * reads the socket); static ones NORMAL (a power cut may lose the last commits; the run is
 * reproducible from its inputs, and a resume simply decides those bars again).
 *
 * node:sqlite is synchronous: each method does its work when called and answers with a settled
 * promise, so a commit is on disk before the call returns. What node:sqlite throws on reading (a
 * damaged file) comes out as a JournalError, as every store's does. The reading of units and events
 * is sqlite-reading.ts; the writing, and the file's layout and versions, are here.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Instrument } from '../broker/instrument.ts';
import { closeTimeOf } from '../domain/interval.ts';
import type { Bar, BarOrigin } from '../domain/types.ts';
import type { EventType, RunStartEvent, TradeEvent } from '../events/types.ts';
import { columnName, EVENT_COLUMNS, sqlType, toRow, type ColumnContext } from './event-columns.ts';
import {
  CURSOR_COLUMN,
  FOLDED_COLUMNS,
  type Folding,
  foldingOf,
  STREAMS_DDL,
  Streams,
  RUN_COLUMNS,
  UNIT_COLUMNS,
  UNIT_INSERT,
  unitOf,
  unitParams,
  UNITS_DDL,
} from './sqlite-units.ts';
import { PackedUnits, type UnitBatch, UnitPacker } from './unit-batch.ts';
import { RUN_KIND, RunPacker, type RowValue } from './unit-runs.ts';
import { reading, settled, type UnitRow, unitRows } from './sqlite-reading.ts';
import { barOfEvent, JournalError, type Journal, type JournalRun, type JournalSegment, type JournalUnit, type SegmentStart, type SeqEvent } from './journal.ts';

const VERSION = '3';
/** The versions this tradeloop reads. */
const READS = new Set(['1', '2', VERSION]);
const RUN_INSERT = `INSERT INTO units (kind, first_seq, last_seq, segment, cursor, cycles, packed) VALUES ('${RUN_KIND}', ?, ?, ?, ?, ?, ?)`;
const TYPES = Object.keys(EVENT_COLUMNS) as EventType[];

export interface SqliteJournalOptions {
  /** fsync every commit (realtime) rather than relying on WAL checkpoints (static). */
  readonly durable: boolean;
  /** Lot steps per symbol. Quantities are stored as the integer lots events carry; this reads back a refused quantity that a journal from before kept as the log's text. */
  readonly instruments: ReadonlyMap<string, Instrument>;
}

export class SqliteJournal implements Journal {
  /** The file. */
  readonly location: string;
  private readonly db: DatabaseSync;
  private readonly ctx: ColumnContext;
  private readonly insert = new Map<EventType, StatementSync>();
  /** Prepared once the units table has the folded columns (a version-1 journal gets them with its first append). */
  private insertUnit: StatementSync | null = null;
  /** The last unit's last seq: units are appended in seq order, so it is the highest (and found without a scan). */
  private readonly lastUnitSeq: StatementSync;
  private readonly insertWarmup: StatementSync;
  private readonly streams = new Streams();
  /** What append packs units into, and the strings every batch so far has interned (appendBatch). */
  private readonly packer = new UnitPacker();
  private readonly strings: string[] = [];
  private readonly folding: Folding = { bar: -1, decision: -1 };
  private insertStream: StatementSync | null = null;
  /** The units table lacks the folded columns: a version-1 journal, not yet appended to. */
  private v1Layout = false;
  /** Whether the units table has the stream cursor's column (a journal from before has not, until its first append). */
  private cursorColumn = true;
  /** Whether the units table has the column runs of cycles are packed in (a journal before version 3 has not, until its first append). */
  private packedColumn = true;
  private insertRun: StatementSync | null = null;
  /** The cycles (any unit whose first event is a bar) of the transaction being written, until a unit that is not one, or does not follow on in seq, ends the run (or the end, or MAX_RUN). */
  private readonly run = new RunPacker(UNIT_COLUMNS);
  /** The run's first unit's values: a run of one is written as the unit's own row. */
  private runFirst: RowValue[] | null = null;
  /** The run's events that are not folded into its units' values (fills, orders...): seq, event, ..., written to their tables with the run's row. */
  private runEvents: Array<number | TradeEvent> = [];
  private segment = 0;

  constructor(path: string, options: SqliteJournalOptions) {
    this.location = path;
    this.ctx = {
      instrument: (s) => {
        const inst = options.instruments.get(s);
        if (!inst) throw new JournalError(`journal: no instrument for ${s}`);
        return inst;
      },
    };
    try {
      this.db = new DatabaseSync(path);
      this.db.exec(`PRAGMA busy_timeout = 2000; PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.durable ? 'FULL' : 'NORMAL'};`);
      this.createTables();
    } catch (err) {
      throw new JournalError(`${path}: cannot open the journal (${(err as Error).message})`);
    }
    for (const type of TYPES) {
      const cols = EVENT_COLUMNS[type].map((c) => `"${columnName(c.field)}"`);
      this.insert.set(type, this.db.prepare(`INSERT INTO ev_${type} (seq, unit, ${cols.join(', ')}) VALUES (?, ?, ${cols.map(() => '?').join(', ')})`));
    }
    this.lastUnitSeq = this.db.prepare('SELECT last_seq FROM units ORDER BY id DESC LIMIT 1');
    this.insertWarmup = this.db.prepare(
      'INSERT INTO warmup (symbol, interval, open_time, open, high, low, close, volume, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  private createTables(): void {
    // A version-1 journal is read as it is (reading writes nothing): the folded columns come with its first append.
    this.v1Layout = this.hasTable('units') && !this.columnsOf('units').has('stream');
    const ddl = [
      'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
      'CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, after_seq INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER, status TEXT, summary TEXT, restored TEXT)',
      UNITS_DDL,
      'CREATE TABLE IF NOT EXISTS warmup (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, interval TEXT NOT NULL, open_time INTEGER NOT NULL, open INTEGER NOT NULL, high INTEGER NOT NULL, low INTEGER NOT NULL, close INTEGER NOT NULL, volume REAL NOT NULL, source TEXT NOT NULL)',
      ...(this.v1Layout ? [] : [STREAMS_DDL]),
    ];
    for (const type of TYPES) {
      // Quoted: some field names (from, to) are SQL keywords.
      const cols = EVENT_COLUMNS[type].map((c) => `"${columnName(c.field)}" ${sqlType(c.codec)}`);
      ddl.push(`CREATE TABLE IF NOT EXISTS ev_${type} (seq INTEGER PRIMARY KEY, unit INTEGER NOT NULL, ${cols.join(', ')})`);
    }
    this.db.exec(ddl.join(';\n'));
    this.addMissingColumns();
    this.readLayout();
    const v = this.db.prepare("SELECT value FROM meta WHERE key = 'version'").get() as { value?: string } | undefined;
    if (v?.value !== undefined && !READS.has(v.value)) throw new JournalError(`journal version ${v.value}, this tradeloop reads versions 1 to ${VERSION}`);
    this.loadStreams();
  }

  private hasTable(name: string): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  private columnsOf(table: string): Set<string> {
    return new Set((this.db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((r) => r.name));
  }

  /** A version-1 journal about to take units: the folded columns and the streams table, and version 2 (in the append's transaction). */
  private upgrade(): void {
    for (const column of FOLDED_COLUMNS) this.db.exec(`ALTER TABLE units ADD COLUMN ${column}`);
    this.db.exec(STREAMS_DDL);
    this.db.prepare("UPDATE meta SET value = ? WHERE key = 'version'").run(VERSION);
  }

  /**
   * A journal written before a column was added (the order's stopPrice and trailBps came with stop
   * orders) gets it, empty: every added column is optional, so its old rows read back as they were,
   * and the same version reads both.
   */
  private addMissingColumns(): void {
    for (const type of TYPES) {
      const have = this.columnsOf(`ev_${type}`);
      for (const c of EVENT_COLUMNS[type]) {
        const name = columnName(c.field);
        if (!have.has(name)) this.db.exec(`ALTER TABLE ev_${type} ADD COLUMN "${name}" ${sqlType(c.codec)}`);
      }
    }
  }

  async readRun(): Promise<JournalRun | null> {
    return reading(() => this.readRunNow());
  }

  private readRunNow(): JournalRun | null {
    const rows = this.db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>;
    const meta = new Map(rows.map((r) => [r.key, r.value]));
    if (!meta.has('run_id')) return null;
    const warmupBars = (this.db.prepare('SELECT * FROM warmup ORDER BY id').all() as Array<Record<string, unknown>>).map((r) => this.barOf(r));
    return {
      runId: meta.get('run_id')!,
      mode: meta.get('mode') as 'static' | 'realtime',
      options: JSON.parse(meta.get('options')!) as Record<string, unknown>,
      runStart: JSON.parse(meta.get('run_start')!) as RunStartEvent,
      warmupBars,
      argv: JSON.parse(meta.get('argv') ?? '[]') as string[],
      cwd: meta.get('cwd') ?? process.cwd(),
    };
  }

  async createRun(run: JournalRun): Promise<void> {
    const put = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    this.transaction(() => {
      put.run('version', VERSION);
      put.run('run_id', run.runId);
      put.run('mode', run.mode);
      put.run('options', JSON.stringify(run.options));
      put.run('run_start', JSON.stringify(run.runStart));
      put.run('argv', JSON.stringify(run.argv));
      put.run('cwd', run.cwd);
      for (const b of run.warmupBars) this.warmupRow(b);
    });
  }

  private warmupRow(b: Bar): void {
    this.insertWarmup.run(b.symbol, b.interval, b.openTime, b.open, b.high, b.low, b.close, b.volume, b.source);
  }

  async appendWarmup(bars: readonly Bar[]): Promise<void> {
    this.transaction(() => {
      for (const b of bars) this.warmupRow(b);
    });
  }

  async beginSegment(s: SegmentStart): Promise<number> {
    const r = this.db
      .prepare('INSERT INTO segments (kind, after_seq, started_at, restored) VALUES (?, ?, ?, ?)')
      .run(s.kind, s.afterSeq, s.startedAt, s.restored === undefined ? null : JSON.stringify(s.restored));
    this.segment = Number(r.lastInsertRowid);
    return this.segment;
  }

  /** The segment units are appended to when another connection began it (the writer thread's: sqlite-writer-thread.ts). */
  useSegment(id: number): void {
    this.segment = id;
  }

  async endSegment(id: number, status: string, summary: unknown): Promise<void> {
    this.db.prepare('UPDATE segments SET ended_at = ?, status = ?, summary = ? WHERE id = ?').run(Date.now(), status, JSON.stringify(summary), id);
  }

  private transaction(body: () => void): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      body();
      this.db.exec('COMMIT');
    } catch (err) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // The failed statement may already have ended the transaction.
      }
      throw err;
    }
  }

  async append(units: readonly JournalUnit[]): Promise<void> {
    // Through the same packed form the writer thread is handed (unit-batch.ts): one way into the tables.
    for (const u of units) if (u.events.length > 0) this.packer.add(u);
    if (!this.packer.pending) return;
    const batch = this.packer.take();
    try {
      await this.appendBatch(batch);
    } finally {
      this.packer.giveBack(batch.nums, batch.bigs);
    }
  }

  /**
   * Units packed by a UnitPacker (this journal's own, or the loop's for the writer thread: one
   * packer feeds one journal, its strings interned once), in one transaction.
   */
  async appendBatch(batch: UnitBatch): Promise<void> {
    for (const s of batch.strings) this.strings.push(s);
    if (batch.count === 0) return;
    try {
      this.transaction(() => this.appendNow(new PackedUnits(batch, this.strings)));
    } catch (err) {
      // What the failed transaction added is gone: the streams it handed out and, for a version-1 journal, its new columns.
      if (this.v1Layout) {
        this.insertUnit = null;
        this.insertStream = null;
      }
      this.run.take();
      this.runEvents = [];
      this.insertRun = null;
      this.readLayout();
      this.loadStreams();
      throw err;
    }
    this.v1Layout = false;
  }

  /** Another connection (the writer thread) may have appended since: the layout and the streams as the file has them now. */
  private refresh(): void {
    this.readLayout();
    if (this.v1Layout && this.columnsOf('units').has('stream')) {
      this.v1Layout = false;
      this.insertUnit = null;
      this.insertStream = null;
    }
    this.loadStreams();
  }

  /** The columns added since version 2 that this file has (each comes with a journal's first append). */
  private readLayout(): void {
    const columns = this.columnsOf('units');
    this.cursorColumn = columns.has('cursor');
    this.packedColumn = columns.has('packed');
  }

  private loadStreams(): void {
    this.streams.load(this.v1Layout ? [] : (this.db.prepare('SELECT * FROM streams').all() as Array<Record<string, unknown>>));
  }

  private appendNow(p: PackedUnits): void {
    if (this.v1Layout) this.upgrade();
    // A unit's stream cursor came with sessions that read a NATS stream: a journal from before has
    // no column for it, added by its first append (in its transaction), as the folded ones are.
    if (!this.cursorColumn) {
      this.db.exec(`ALTER TABLE units ADD COLUMN ${CURSOR_COLUMN}`);
      this.cursorColumn = true;
      this.insertUnit = null;
    }
    if (!this.packedColumn) {
      for (const column of RUN_COLUMNS) this.db.exec(`ALTER TABLE units ADD COLUMN ${column}`);
      this.db.prepare("UPDATE meta SET value = ? WHERE key = 'version'").run(VERSION);
      this.packedColumn = true;
      this.insertUnit = null;
    }
    const insertUnit = (this.insertUnit ??= this.db.prepare(UNIT_INSERT));
    const insertStream = (this.insertStream ??= this.db.prepare('INSERT INTO streams (id, symbol, interval, source, file) VALUES (?, ?, ?, ?, ?)'));
    const committed = (this.lastUnitSeq.get() as { last_seq: number } | undefined)?.last_seq ?? 0;
    const folding = this.folding;
    let through = 0;
    while (p.nextUnit()) {
      if (p.to === p.from) continue; // a unit of no events: nothing to keep
      const first = p.seq(p.from);
      const last = p.seq(p.to - 1);
      // Checked as the rows go in, not before: a refusal here also takes back the units before it.
      if (first <= through) throw new JournalError(`journal: a unit from seq ${first} comes after one through seq ${through}: units go in seq order`);
      through = last;
      if (last <= committed) continue; // committed already: a retried commit
      if (first <= committed) throw new JournalError(`journal: a unit of seqs ${first}-${last} overlaps what is committed (through seq ${committed})`);
      foldingOf(p, folding);
      if (folding.bar === p.from) {
        // A cycle (its bar folded into its values): into the run; a unit that does not follow on begins the next one.
        if (!this.run.takes(first)) this.endRun(insertUnit);
        const values = unitParams(p, folding, this.segment, this.streams);
        if (this.run.count === 0) this.runFirst = values;
        this.run.add(values);
        for (let i = p.from; i < p.to; i++) if (i !== folding.bar && i !== folding.decision) this.runEvents.push(p.seq(i), p.eventAt(i));
        continue;
      }
      this.endRun(insertUnit);
      const unit = Number(insertUnit.run(...unitParams(p, folding, this.segment, this.streams)).lastInsertRowid);
      for (let i = p.from; i < p.to; i++) {
        if (i === folding.bar || i === folding.decision) continue;
        const event = p.eventAt(i);
        this.insert.get(event.type)!.run(p.seq(i), unit, ...toRow(event));
      }
    }
    this.endRun(insertUnit);
    for (const s of this.streams.takeAdded()) insertStream.run(s.id, s.symbol, s.interval, s.source, s.file);
  }

  /** The run so far as its row (a run of one as the unit's own), and its other events in their tables, naming that row. */
  private endRun(insertUnit: StatementSync): void {
    const run = this.run;
    if (run.count === 0) return;
    let unit: number;
    if (run.count === 1) {
      run.take();
      unit = Number(insertUnit.run(...this.runFirst!).lastInsertRowid);
    } else {
      const { count, firstSeq, lastSeq, cursor } = run;
      const insertRun = (this.insertRun ??= this.db.prepare(RUN_INSERT));
      unit = Number(insertRun.run(firstSeq, lastSeq, this.segment, cursor, count, run.take()).lastInsertRowid);
    }
    const events = this.runEvents;
    for (let i = 0; i < events.length; i += 2) {
      const event = events[i + 1] as TradeEvent;
      this.insert.get(event.type)!.run(events[i] as number, unit, ...toRow(event));
    }
    this.runEvents = [];
  }

  async lastCursor(): Promise<number | null> {
    if (!this.cursorColumn) return null; // a journal from before stream cursors
    // Scanned from the newest unit back: a stream session stamps every unit, so the first row has it.
    const r = reading(
      () => this.db.prepare('SELECT cursor FROM units WHERE cursor IS NOT NULL ORDER BY id DESC LIMIT 1').get() as { cursor: number } | undefined,
    );
    return r === undefined ? null : Number(r.cursor);
  }

  async lastSeq(): Promise<number> {
    const r = reading(() => this.db.prepare('SELECT MAX(last_seq) AS s FROM units').get() as { s: number | null });
    return r.s ?? 0;
  }

  private barOf(r: Record<string, unknown>, source?: string): Bar {
    const openTime = Number(r.open_time);
    const interval = r.interval as string;
    return {
      symbol: r.symbol as string,
      interval,
      openTime,
      closeTime: closeTimeOf(interval, openTime),
      open: Number(r.open),
      high: Number(r.high),
      low: Number(r.low),
      close: Number(r.close),
      volume: r.volume as number,
      source: (source ?? r.source) as BarOrigin,
    };
  }

  /** Every unit that holds an event at or after this seq, in order, with its events (sqlite-reading.ts). */
  private *rows(fromSeq: number): Generator<UnitRow> {
    this.refresh();
    yield* unitRows(this.db, this.streams, this.ctx, fromSeq);
  }

  events(fromSeq: number): AsyncIterable<SeqEvent> {
    return settled(() => this.eventsNow(fromSeq));
  }

  units(): AsyncIterable<JournalUnit> {
    return settled(() => this.unitsNow());
  }

  private *eventsNow(fromSeq: number): Generator<SeqEvent> {
    for (const { events } of this.rows(fromSeq)) for (const e of events) if (e.seq >= fromSeq) yield e;
  }

  private *unitsNow(): Generator<JournalUnit> {
    for (const { row, events } of this.rows(1)) yield unitOf(row, events, this.streams, barOfEvent);
  }

  async segments(): Promise<JournalSegment[]> {
    const rows = reading(() => this.db.prepare('SELECT * FROM segments ORDER BY id').all() as Array<Record<string, unknown>>);
    return rows.map((r) => ({
      id: Number(r.id),
      kind: r.kind as string,
      afterSeq: Number(r.after_seq),
      startedAt: r.started_at === null ? null : Number(r.started_at),
      endedAt: r.ended_at === null ? null : Number(r.ended_at),
      status: r.status as string | null,
      summary: r.summary === null ? null : (JSON.parse(r.summary as string) as unknown),
      restored: r.restored === null ? null : (JSON.parse(r.restored as string) as unknown),
    }));
  }

  async close(): Promise<void> {
    try {
      this.db.close();
    } catch {
      // Closing a database whose file went away must not hide the error that got us here.
    }
  }
}
