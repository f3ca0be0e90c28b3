/**
 * What is SQLite's own in the journal's store, on a real file: money, prices and quantities are
 * integer columns. What every store must do (round trips, unit boundaries, whole units, retries,
 * persistence) is the contract, run on SQLite in sqlite-journal.contract.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeInstrument, type Instrument } from '../../src/broker/instrument.ts';
import { JournalError } from '../../src/journal/journal.ts';
import { openJournalStore } from '../../src/journal/open-journal-store.ts';
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';
import { serializeEvent } from '../../src/events/serialize.ts';
import type { JournalUnit, SeqEvent } from '../../src/journal/journal.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { SAMPLE_EVENTS, SAMPLE_LOTS as lots } from '../helpers/event-samples.ts';

const INSTRUMENTS = new Map<string, Instrument>([
  ['A', makeInstrument('A', '1')!],
  ['BTCUSDT', makeInstrument('BTCUSDT', '0.00001')!],
  ['这是测试币456', makeInstrument('这是测试币456', '0.00001')!],
]);
async function open(t: import('node:test').TestContext): Promise<{ path: string; journal: SqliteJournal }> {
  const path = join(await tempDir(t, 'tl-journal-'), 'journal.sqlite');
  const journal = new SqliteJournal(path, { durable: true, instruments: INSTRUMENTS });
  t.after(() => journal.close());
  return { path, journal };
}

test('a refused quantity kept as text by a journal from before integer events reads back to the same line', async (t) => {
  const { path, journal } = await open(t);
  await journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  const reject = { type: 'reject', openTime: 1, reason: 'invalid_qty', side: 'buy', detail: 'x' } as const;
  const events = [
    { seq: 1, event: { ...reject, symbol: 'BTCUSDT', qty: 50_000 } }, // written "0.5"
    { seq: 2, event: { ...reject, symbol: 'BTCUSDT', qty: 0.5 } }, // a fraction of a lot, written "0.5" too
    { seq: 3, event: { ...reject, symbol: 'A', qty: 1.5 } },
    { seq: 4, event: { ...reject, symbol: 'BTCUSDT', qty: 0.000001 } }, // more decimals than the step has
    { seq: 5, event: { ...reject, symbol: 'A', qty: -3 } },
  ];
  await journal.append([{ kind: 'outside', events }]);
  const lines = events.map(({ seq, event }) => serializeEvent(seq, event, lots));
  // What the journal held before: the log's text as a JSON string.
  const db = new DatabaseSync(path);
  const rows = db.prepare('SELECT seq FROM ev_reject ORDER BY seq').all() as Array<{ seq: number | bigint }>;
  for (const [k, row] of rows.entries())
    db.prepare('UPDATE ev_reject SET qty = ? WHERE seq = ?').run(JSON.stringify(/"qty":([^,]+),/.exec(lines[k]!)![1]), row.seq);
  db.close();
  const back: SeqEvent[] = [];
  for await (const e of journal.events(1)) back.push(e);
  assert.deepEqual(
    back.map(({ seq, event }) => serializeEvent(seq, event, lots)),
    lines,
  );
  // Numbers again, as events carry them: whole lots where the text is within the step's decimals.
  assert.deepEqual(
    back.map(({ event }) => (event as { qty: unknown }).qty),
    [50_000, 50_000, 1.5, 0.000001, -3],
  );
});

test('money, prices and quantities are integer columns, never floats or text', async (t) => {
  const { path, journal } = await open(t);
  const fill = SAMPLE_EVENTS.find((e) => e.type === 'fill' && e.priceSource)!;
  const decision = SAMPLE_EVENTS.find((e) => e.type === 'decision')!;
  await journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  await journal.append([
    {
      kind: 'outside',
      events: [
        { seq: 1, event: fill },
        { seq: 2, event: decision },
      ],
    },
  ]);
  const db = new DatabaseSync(path, { readOnly: true });
  t.after(() => db.close());
  const f = db
    .prepare(
      'SELECT typeof(price) AS p, typeof(fee) AS f, typeof(realized_pnl) AS r, typeof(cash) AS c, typeof(qty) AS q, price, realized_pnl, qty FROM ev_fill',
    )
    .get() as Record<string, unknown>;
  assert.deepEqual([f.p, f.f, f.r, f.c, f.q], ['integer', 'integer', 'integer', 'integer', 'integer']);
  assert.deepEqual([f.price, f.realized_pnl, f.qty], [948_000_000, -1_234_567_891, 7]);
  const d = db.prepare('SELECT typeof(equity) AS e, typeof(qty) AS q, qty, position FROM ev_decision').get() as Record<string, unknown>;
  assert.deepEqual([d.e, d.q, d.qty, d.position], ['integer', 'integer', 123, -300_000], 'lots of 0.00001');
});

test('a file that is not a journal is refused on opening with a JournalError that names it', async (t) => {
  const path = join(await tempDir(t, 'tl-journal-'), 'journal.sqlite');
  writeFileSync(path, 'not a database, only text that runs on and on '.repeat(200));
  await assert.rejects(openJournalStore({ kind: 'sqlite', path, durable: false, instruments: INSTRUMENTS }), (err: unknown) => {
    assert.ok(err instanceof JournalError, `a JournalError, not ${String(err)}`);
    assert.ok(err.message.startsWith(`${path}: cannot open the journal`), err.message);
    return true;
  });
});

test('a journal from before stop orders (no stopPrice or trailBps columns) opens, reads back as it was, and takes stop orders', async (t) => {
  const path = join(await tempDir(t, 'tl-journal-'), 'journal.sqlite');
  const limit = { type: 'order', orderId: 'A-1-0', symbol: 'A', openTime: 1, side: 'buy', orderType: 'limit', qty: 1, limitPrice: 950_000_000 } as const;
  const before = new SqliteJournal(path, { durable: true, instruments: INSTRUMENTS });
  await before.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  await before.append([{ kind: 'outside', events: [{ seq: 1, event: limit }] }]);
  await before.close();
  // The order table as journals wrote it before the columns were added.
  const db = new DatabaseSync(path);
  db.exec('ALTER TABLE ev_order DROP COLUMN stop_price; ALTER TABLE ev_order DROP COLUMN trail_bps');
  const columns = () => (db.prepare('PRAGMA table_info(ev_order)').all() as Array<{ name: string }>).map((r) => r.name);
  assert.ok(!columns().includes('stop_price'));
  const journal = new SqliteJournal(path, { durable: true, instruments: INSTRUMENTS });
  t.after(() => journal.close());
  assert.ok(columns().includes('stop_price') && columns().includes('trail_bps'), 'opening adds the columns');
  db.close();
  const stop = { type: 'order', orderId: 'A-2-0', symbol: 'A', openTime: 2, side: 'sell', orderType: 'stop', qty: 1, stopPrice: 980_000_000 } as const;
  const trailing = { type: 'order', orderId: 'A-2-1', symbol: 'A', openTime: 2, side: 'sell', orderType: 'trailing_stop', qty: 1, trailBps: 150 } as const;
  await journal.append([
    {
      kind: 'outside',
      events: [
        { seq: 2, event: stop },
        { seq: 3, event: trailing },
      ],
    },
  ]);
  const back: SeqEvent[] = [];
  for await (const e of journal.events(1)) back.push(e);
  assert.deepEqual(
    back.map((e) => e.event),
    [limit, stop, trailing],
  );
});

test('a journal from before brackets (no takeProfit, stopLoss, parentId or ocoWith columns) opens, reads back as it was, and takes bracket orders', async (t) => {
  const path = join(await tempDir(t, 'tl-journal-'), 'journal.sqlite');
  const limit = { type: 'order', orderId: 'A-1-0', symbol: 'A', openTime: 1, side: 'buy', orderType: 'limit', qty: 1, limitPrice: 950_000_000 } as const;
  const before = new SqliteJournal(path, { durable: true, instruments: INSTRUMENTS });
  await before.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  await before.append([{ kind: 'outside', events: [{ seq: 1, event: limit }] }]);
  await before.close();
  const db = new DatabaseSync(path);
  const added = ['take_profit', 'stop_loss', 'parent_id', 'oco_with'];
  for (const column of added) db.exec(`ALTER TABLE ev_order DROP COLUMN ${column}`);
  const columns = () => (db.prepare('PRAGMA table_info(ev_order)').all() as Array<{ name: string }>).map((r) => r.name);
  assert.deepEqual(
    added.filter((c) => columns().includes(c)),
    [],
  );
  const journal = new SqliteJournal(path, { durable: true, instruments: INSTRUMENTS });
  t.after(() => journal.close());
  assert.deepEqual(
    added.filter((c) => columns().includes(c)),
    added,
    'opening adds the columns',
  );
  db.close();
  const entry = {
    type: 'order',
    orderId: 'A-2-0',
    symbol: 'A',
    openTime: 2,
    side: 'buy',
    orderType: 'market',
    qty: 2,
    takeProfit: 990_000_000,
    stopLoss: 910_000_000,
  } as const;
  const tp = {
    type: 'order',
    orderId: 'A-2-0-tp',
    symbol: 'A',
    openTime: 3,
    side: 'sell',
    orderType: 'limit',
    qty: 2,
    limitPrice: 990_000_000,
    parentId: 'A-2-0',
    ocoWith: 'A-2-0-sl',
  } as const;
  const sl = {
    type: 'order',
    orderId: 'A-2-0-sl',
    symbol: 'A',
    openTime: 3,
    side: 'sell',
    orderType: 'stop',
    qty: 2,
    stopPrice: 910_000_000,
    parentId: 'A-2-0',
    ocoWith: 'A-2-0-tp',
  } as const;
  await journal.append([{ kind: 'outside', events: [2, 3, 4].map((seq, i) => ({ seq, event: [entry, tp, sl][i]! })) }]);
  const back: SeqEvent[] = [];
  for await (const e of journal.events(1)) back.push(e);
  assert.deepEqual(
    back.map((e) => e.event),
    [limit, entry, tp, sl],
  );
});

test('a journal from before stream cursors (no units.cursor column) opens unchanged, reads back as it was, and takes units with a cursor (the column added by its first append)', async (t) => {
  const path = join(await tempDir(t, 'tl-journal-'), 'journal.sqlite');
  const feed = SAMPLE_EVENTS.find((e) => e.type === 'feed')!;
  const before = new SqliteJournal(path, { durable: true, instruments: INSTRUMENTS });
  await before.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  await before.append([{ kind: 'outside', events: [{ seq: 1, event: feed }] }]);
  await before.close();
  // The units table as journals wrote it before a unit could carry a stream cursor.
  const db = new DatabaseSync(path);
  db.exec('ALTER TABLE units DROP COLUMN cursor');
  const columns = () => (db.prepare('PRAGMA table_info(units)').all() as Array<{ name: string }>).map((r) => r.name);
  assert.ok(!columns().includes('cursor'));
  const journal = new SqliteJournal(path, { durable: true, instruments: INSTRUMENTS });
  t.after(() => journal.close());
  assert.ok(!columns().includes('cursor'), 'opening (to read it) leaves the file as it was');
  assert.equal(await journal.lastCursor(), null, 'its old units have no cursor');
  await journal.append([{ kind: 'outside', events: [{ seq: 2, event: feed }], cursor: 9 }]);
  assert.ok(columns().includes('cursor'), 'its first append adds the column');
  db.close();
  const units = [];
  for await (const u of journal.units()) units.push(u);
  assert.deepEqual(
    units.map((u) => [u.events.map((e) => e.seq), u.cursor]),
    [
      [[1], undefined],
      [[2], 9],
    ],
  );
  assert.equal(await journal.lastCursor(), 9);
});

/** A cycle as the engine journals it: its bar, resting orders' fills, its decision on that bar. */
function cycleOf(seq: number, symbol: string, fills = 0): JournalUnit {
  const openTime = 1_735_689_600_000 + seq * 60_000;
  const bar = { ...(SAMPLE_EVENTS.find((e) => e.type === 'bar') as Extract<TradeEvent, { type: 'bar' }>), symbol, openTime };
  const fill = SAMPLE_EVENTS.find((e) => e.type === 'fill')!;
  const decision = { type: 'decision', symbol, openTime, action: 'sell', qty: 7, intents: 1, position: -300_000, equity: 10_000_012_345_678n } as const;
  const events: SeqEvent[] = [{ seq, event: bar }];
  for (let i = 1; i <= fills; i++) events.push({ seq: seq + i, event: fill });
  events.push({ seq: seq + fills + 1, event: decision });
  return { kind: 'cycle', events, provenance: { file: `${symbol}.csv`, line: seq } };
}

test("a cycle alone in its transaction is one row: its bar and decision in the unit's columns, the bar's texts once in streams, integers throughout", async (t) => {
  const { path, journal } = await open(t);
  await journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  const units = [cycleOf(1, 'BTCUSDT'), cycleOf(3, 'A', 2), cycleOf(7, 'BTCUSDT')];
  // A realtime turn of one symbol; the cycles of a longer transaction are a run (unit-runs.test.ts).
  for (const u of units) await journal.append([u]);
  const db = new DatabaseSync(path, { readOnly: true });
  t.after(() => db.close());
  const count = (table: string): number => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  assert.deepEqual([count('units'), count('ev_bar'), count('ev_decision'), count('ev_fill'), count('streams')], [3, 0, 0, 2, 2]);
  const rows = db
    .prepare(
      'SELECT first_seq, last_seq, file, line, stream, decision, typeof(equity) AS e, typeof(qty) AS q, typeof(open) AS o, typeof(action) AS a FROM units ORDER BY id',
    )
    .all() as Array<Record<string, unknown>>;
  assert.deepEqual(
    rows.map((r) => [r.first_seq, r.last_seq, r.file, r.line, r.decision]),
    [
      [1, 2, null, 1, 1],
      [3, 6, null, 3, 3],
      [7, 8, null, 7, 1],
    ],
    "the decision's seq as an offset from the unit's first: fills come between",
  );
  assert.equal(rows[0]!.stream, rows[2]!.stream, 'one stream for every bar of a symbol');
  assert.deepEqual([rows[0]!.e, rows[0]!.q, rows[0]!.o, rows[0]!.a], ['integer', 'integer', 'integer', 'integer']);
  assert.deepEqual(
    db
      .prepare('SELECT symbol, interval, source, file FROM streams ORDER BY id')
      .all()
      .map((r) => ({ ...r })),
    [
      { symbol: 'BTCUSDT', interval: '1m', source: 'csv', file: 'BTCUSDT.csv' },
      { symbol: 'A', interval: '1m', source: 'csv', file: 'A.csv' },
    ],
  );
  const back: JournalUnit[] = [];
  for await (const u of journal.units()) back.push(u);
  assert.deepEqual(
    back.map((u) => [u.events, u.provenance]),
    units.map((u) => [u.events, u.provenance]),
  );
});

test('a bar stream handed out in a transaction that failed is not taken for written: the next cycle of that symbol writes it', async (t) => {
  const { path, journal } = await open(t);
  await journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  await journal.append([cycleOf(1, 'BTCUSDT')]);
  // The transaction fails at its end, after its units' rows (as a full disk fails the commit): here
  // the new symbol's stream row is refused, once.
  const db = new DatabaseSync(path);
  t.after(() => db.close());
  db.exec("CREATE TRIGGER refuse BEFORE INSERT ON streams WHEN NEW.symbol = 'A' BEGIN SELECT RAISE(ABORT, 'refused'); END");
  await assert.rejects(journal.append([cycleOf(3, 'A')]), /refused/);
  db.exec('DROP TRIGGER refuse');
  await journal.append([cycleOf(3, 'A'), cycleOf(5, 'BTCUSDT')]);
  // Read by another reader, which knows only what the file holds.
  const reader = new SqliteJournal(path, { durable: false, instruments: INSTRUMENTS });
  t.after(() => reader.close());
  const back: SeqEvent[] = [];
  for await (const e of reader.events(1)) back.push(e);
  assert.deepEqual(
    back,
    [cycleOf(1, 'BTCUSDT'), cycleOf(3, 'A'), cycleOf(5, 'BTCUSDT')].flatMap((u) => u.events),
  );
});
