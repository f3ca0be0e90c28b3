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
import type { SeqEvent } from '../../src/journal/journal.ts';
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

test('a journal from before stream cursors (no units.cursor column) opens, reads back as it was, and takes units with a cursor', async (t) => {
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
  assert.ok(columns().includes('cursor'), 'opening adds the column');
  db.close();
  assert.equal(await journal.lastCursor(), null, 'its old units have no cursor');
  await journal.append([{ kind: 'outside', events: [{ seq: 2, event: feed }], cursor: 9 }]);
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
