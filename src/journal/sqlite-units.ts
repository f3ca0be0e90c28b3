/**
 * The `units` table of the SQLite journal: one row per unit, and since version 2 a cycle's bar and
 * decision folded into its row. A cycle is the journal's commonest unit by far (a static run has one
 * per bar, most of them a bar and a decision and nothing else); written as three rows (the unit, an
 * ev_bar row, an ev_decision row) it cost SQLite about three times the work of one row. So a unit
 * whose first event is a bar keeps that bar in its own columns, and the first decision after it on
 * the same bar keeps its values there too, with its seq as an offset from the unit's first (the
 * resting orders' fills of a cycle come between the bar and the decision). Everything else (orders,
 * fills, a decision on another bar...) stays in its typed table (event-columns.ts), as in version 1.
 *
 * The columns are compact where the bytes were repeated: a bar's symbol, interval, source and file
 * are one integer, a `streams` row that holds them once; a decision's action is a small integer.
 * Read back, a row gives the very events that went in (the same fields, the same integers, the same
 * seqs). A version-1 row simply has these columns empty, so one reader reads both versions.
 *
 * The insert (unitParams, UNIT_INSERT: from units packed as numbers, unit-batch.ts) and the read
 * (foldedEvents) of a row are each in one place here, for whoever adds a column.
 */
import type { BarEvent, DecisionEvent, TradeEvent } from '../events/types.ts';
import { JournalError, type JournalUnit, type Provenance, type RecordedCommand, type SeqEvent, type UnitKind } from './journal.ts';
import type { PackedUnits } from './unit-batch.ts';
import type { Affinity, UnitColumn } from './unit-runs.ts';

/** The columns a version-1 journal's units table has. */
const V1_COLUMNS = [
  'kind TEXT NOT NULL',
  'first_seq INTEGER NOT NULL',
  'last_seq INTEGER NOT NULL',
  'segment INTEGER NOT NULL',
  'file TEXT',
  'line INTEGER',
  'newest INTEGER',
  'command TEXT',
];

/**
 * Added by version 2 (NULL in a version-1 row, and in a unit with no bar first): the bar's stream
 * (streams.id) and prices; `decision` is the folded decision's seq less the unit's first_seq, NULL
 * when the unit's decision (if any) is in ev_decision.
 */
export const FOLDED_COLUMNS = [
  'stream INTEGER',
  'open_time INTEGER',
  'open INTEGER',
  'high INTEGER',
  'low INTEGER',
  'close INTEGER',
  'volume REAL',
  'decision INTEGER',
  'action INTEGER',
  'qty INTEGER',
  'intents INTEGER',
  'position INTEGER',
  'equity INTEGER',
];

/** A session on the fleet's stream stamps each unit with the stream sequence it was decided through (NULL otherwise). */
export const CURSOR_COLUMN = 'cursor INTEGER';

/** A run of cycles (unit-runs.ts), in a row of kind `cycles`: how many it holds, and their values. NULL in every other row. */
export const RUN_COLUMNS = ['cycles INTEGER', 'packed BLOB'];

export const UNITS_DDL = `CREATE TABLE IF NOT EXISTS units (id INTEGER PRIMARY KEY, ${[...V1_COLUMNS, CURSOR_COLUMN, ...FOLDED_COLUMNS, ...RUN_COLUMNS].join(', ')})`;
export const STREAMS_DDL =
  'CREATE TABLE IF NOT EXISTS streams (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, interval TEXT NOT NULL, source TEXT NOT NULL, file TEXT)';

/** The columns a unit's row is inserted with, and what SQLite makes of each: unitParams' order. */
export const UNIT_COLUMNS: readonly UnitColumn[] = [...V1_COLUMNS, CURSOR_COLUMN, ...FOLDED_COLUMNS].map((d) => {
  const [name, type] = d.split(' ') as [string, Affinity];
  return { name, affinity: type };
});
const INSERTED = UNIT_COLUMNS.map((c) => c.name);
/** The one insert of a unit row; its values are unitParams'. */
export const UNIT_INSERT = `INSERT INTO units (${INSERTED.join(', ')}) VALUES (${INSERTED.map(() => '?').join(', ')})`;

/** A decision's action as stored: an index into this list. */
const ACTIONS = ['hold', 'buy', 'sell'] as const;
type Action = (typeof ACTIONS)[number];

/** One bar stream: what every bar of a symbol repeats, stored once. */
export interface Stream {
  readonly id: number;
  readonly symbol: string;
  readonly interval: string;
  readonly source: string;
  readonly file: string | null;
}

/**
 * The streams a journal holds, by id for reading and by symbol for writing (a handful per symbol at
 * most: a run's bars of a symbol share one). An id handed out in a transaction that then fails is
 * gone with it: the caller reloads (load) after a failed transaction.
 */
export class Streams {
  private byId: Stream[] = [];
  private bySymbol = new Map<string, Stream[]>();
  /** Streams added since the last load, written with the unit that first needs them. */
  private added: Stream[] = [];

  load(rows: ReadonlyArray<Record<string, unknown>>): void {
    this.byId = [];
    this.bySymbol.clear();
    this.added = [];
    for (const r of rows)
      this.remember({
        id: Number(r.id),
        symbol: r.symbol as string,
        interval: r.interval as string,
        source: r.source as string,
        file: r.file as string | null,
      });
  }

  private remember(s: Stream): void {
    this.byId[s.id] = s;
    const list = this.bySymbol.get(s.symbol);
    if (list) list.push(s);
    else this.bySymbol.set(s.symbol, [s]);
  }

  /** The stream of a bar with these texts and file, a new one (to be written: takeAdded) when the journal has none. */
  idOf(symbol: string, interval: string, source: string, file: string | null): number {
    const list = this.bySymbol.get(symbol);
    if (list) for (const s of list) if (s.interval === interval && s.source === source && s.file === file) return s.id;
    const s: Stream = { id: this.byId.length === 0 ? 1 : this.byId.length, symbol, interval, source, file };
    this.remember(s);
    this.added.push(s);
    return s.id;
  }

  /** The streams handed out since the last call, for the caller to insert. */
  takeAdded(): Stream[] {
    const added = this.added;
    this.added = [];
    return added;
  }

  get(id: number): Stream {
    const s = this.byId[id];
    if (s === undefined) throw new JournalError(`journal: a unit names bar stream ${id}, which the streams table does not hold`);
    return s;
  }
}

/**
 * Which records of a batch's current unit go into its row: a first event that is a bar (packed as
 * numbers: the types the columns hold), and the first decision after it if it is on the same bar.
 * Record indexes, -1 for none.
 */
export interface Folding {
  bar: number;
  decision: number;
}

export function foldingOf(p: PackedUnits, out: Folding): Folding {
  out.bar = -1;
  out.decision = -1;
  const first = p.from;
  if (first >= p.to || !p.isBar(first)) return out;
  out.bar = first;
  for (let i = first + 1; i < p.to; i++) {
    if (p.type(i) !== 'decision') continue;
    if (p.isDecision(i) && p.symbol(i) === p.symbol(first) && p.decisionOpenTime(i) === p.barField(first, 0) && ACTIONS.includes(p.decisionAction(i) as Action))
      out.decision = i;
    break;
  }
  return out;
}

type Param = string | number | bigint | null;

/** The row's values, in UNIT_INSERT's order. */
export function unitParams(p: PackedUnits, folding: Folding, segment: number, streams: Streams): Param[] {
  const first = p.seq(p.from);
  const last = p.seq(p.to - 1);
  const kind = p.kind;
  const line = p.line;
  const newest = p.newest;
  const command = p.command;
  const commandText = command === null ? null : JSON.stringify(command);
  const cursor = p.cursor;
  const b = folding.bar;
  if (b < 0) return [kind, first, last, segment, p.file, line, newest, commandText, cursor, ...FOLDED_NULLS];
  const stream = streams.idOf(p.symbol(b), p.barInterval(b), p.barSource(b), p.file);
  const d = folding.decision;
  const folded = d >= 0;
  // One array literal, not pieces spread together: this runs once a cycle.
  return [
    kind,
    first,
    last,
    segment,
    null,
    line,
    newest,
    commandText,
    cursor,
    stream,
    p.barField(b, 0),
    p.barField(b, 1),
    p.barField(b, 2),
    p.barField(b, 3),
    p.barField(b, 4),
    p.barField(b, 5),
    folded ? p.seq(d) - first : null,
    folded ? ACTIONS.indexOf(p.decisionAction(d) as Action) : null,
    folded ? p.decisionField(d, 0) : null,
    folded ? p.decisionField(d, 1) : null,
    folded ? p.decisionField(d, 2) : null,
    folded ? p.decisionEquity(d) : null,
  ];
}

const FOLDED_NULLS: readonly null[] = FOLDED_COLUMNS.map(() => null);

/** The bar and decision a row holds, as the events they were, with their seqs (none for a version-1 row). Integers read as BigInts. */
export function foldedEvents(row: Record<string, unknown>, streams: Streams): SeqEvent[] {
  if (row.stream === null || row.stream === undefined) return [];
  const s = streams.get(Number(row.stream));
  const first = Number(row.first_seq);
  const bar: BarEvent = {
    type: 'bar',
    symbol: s.symbol,
    interval: s.interval,
    openTime: Number(row.open_time),
    open: Number(row.open),
    high: Number(row.high),
    low: Number(row.low),
    close: Number(row.close),
    // NaN is stored as NULL (as a version-1 ev_bar row stored it), and read back as the null that gave.
    volume: row.volume as number,
    source: s.source as BarEvent['source'],
  };
  const out: SeqEvent[] = [{ seq: first, event: bar }];
  if (row.decision !== null && row.decision !== undefined) {
    const decision: DecisionEvent = {
      type: 'decision',
      symbol: s.symbol,
      openTime: bar.openTime,
      action: ACTIONS[Number(row.action)]!,
      qty: Number(row.qty),
      intents: Number(row.intents),
      position: Number(row.position),
      equity: row.equity as bigint,
    };
    out.push({ seq: first + Number(row.decision), event: decision });
  }
  return out;
}

/** A unit row and its events (folded and typed, in seq order) as the unit that was appended. */
export function unitOf(row: Record<string, unknown>, events: readonly SeqEvent[], streams: Streams, barOf: (e: BarEvent) => JournalUnit['bar']): JournalUnit {
  const kind = row.kind as UnitKind;
  const first: TradeEvent | undefined = events[0]?.event;
  const stream = row.stream === null || row.stream === undefined ? null : streams.get(Number(row.stream));
  const file = stream?.file ?? (row.file as string | null | undefined) ?? null;
  const provenance: Provenance = {
    ...(file !== null ? { file } : {}),
    ...(row.line !== null ? { line: Number(row.line) } : {}),
    ...(row.newest !== null ? { newestOpenTime: Number(row.newest) } : {}),
  };
  return {
    kind,
    events,
    ...(kind === 'cycle' && first?.type === 'bar' ? { bar: barOf(first), provenance } : {}),
    ...(row.command !== null ? { command: JSON.parse(row.command as string) as RecordedCommand } : {}),
    ...(row.cursor !== null && row.cursor !== undefined ? { cursor: Number(row.cursor) } : {}),
  };
}
