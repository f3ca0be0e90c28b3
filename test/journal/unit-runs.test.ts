/**
 * Runs of cycles (src/journal/unit-runs.ts): a run row reads back as the rows SQLite would have
 * given for its units, and a journal keeps a transaction's consecutive cycles in one row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { JournalError, type JournalUnit, type SeqEvent } from '../../src/journal/journal.ts';
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';
import { RunPacker, type RowValue, SHARED_COLUMNS, unpackRun, type UnitColumn } from '../../src/journal/unit-runs.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { CYCLE_INSTRUMENTS, cycleAt, openedJournal, SAMPLE_FEED, withBar } from '../helpers/journal-cycles.ts';

const COLUMNS: readonly UnitColumn[] = [
  { name: 'kind', affinity: 'TEXT' },
  { name: 'first_seq', affinity: 'INTEGER' },
  { name: 'last_seq', affinity: 'INTEGER' },
  { name: 'segment', affinity: 'INTEGER' },
  { name: 'cursor', affinity: 'INTEGER' },
  { name: 'a', affinity: 'INTEGER' },
  { name: 'b', affinity: 'REAL' },
  { name: 'c', affinity: 'TEXT' },
];

/** Values at the edges of what a row holds: nulls, signs, beyond 2^53, floats where integers go, NaN, text. */
const ROWS: RowValue[][] = [
  ['cycle', 1, 2, 7, null, 0, 0, ''],
  ['cycle', 3, 4, 7, 12, -1, 12, 'SPY.csv'],
  ['cycle', 5, 6, 7, 13, 2 ** 53 - 1, Number.NaN, '这是测试币456'],
  ['cycle', 7, 8, 7, null, -(2n ** 62n), 1.5, null],
  ['cycle', 9, 10, 7, 14, 2.5, -0.000001, 'x'.repeat(300)],
  ['cycle', 11, 12, 7, 14, 2 ** 60, 1e300, 'a'],
  ['cycle', 13, 14, 7, 15, 9_223_372_036_854_775_807n, -3, null],
  // Where an integer's packing changes (a varint below 2^28, six bytes below 2^48, a varint again above).
  ['cycle', 15, 16, 7, 2 ** 28 - 1, 2 ** 28, 2 ** 48 - 1, 'b'],
  ['cycle', 17, 18, 7, -(2 ** 28), 2 ** 48 - 1, 2 ** 48, 'c'],
  ['cycle', 19, 20, 7, 2 ** 48, -(2 ** 48 - 1), -(2 ** 28 - 1), 'd'],
  ['cycle', 21, 22, 7, -(2 ** 53 - 1), 4_200_012_345_678, 127, 'e'],
];

test('a run reads back as the rows SQLite gives for the same values', (t) => {
  const db = new DatabaseSync(':memory:');
  t.after(() => db.close());
  db.exec(`CREATE TABLE r (id INTEGER PRIMARY KEY, ${COLUMNS.map((c) => `${c.name} ${c.affinity}`).join(', ')})`);
  const insert = db.prepare(`INSERT INTO r (${COLUMNS.map((c) => c.name).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
  for (const row of ROWS) insert.run(...row);
  const select = db.prepare('SELECT * FROM r ORDER BY id');
  select.setReadBigInts(true);
  const want = (select.all() as Array<Record<string, unknown>>).map((r) => ({ ...r, id: 99n }));

  const packer = new RunPacker(COLUMNS);
  for (const row of ROWS) {
    assert.ok(packer.takes(Number(row[1])));
    packer.add(row);
  }
  assert.deepEqual([packer.count, packer.firstSeq, packer.lastSeq, packer.cursor], [11, 1, 22, -(2 ** 53 - 1)]);
  assert.ok(!packer.takes(24), 'a unit that does not follow on begins another run');
  const packed = packer.take();
  assert.equal(packer.count, 0);
  assert.deepEqual(unpackRun(packed, COLUMNS, { id: 99n, segment: 7n }), want);
  assert.ok(SHARED_COLUMNS.includes('segment'));
});

test('a run larger than the packer began with (long texts, 2,000 units) reads back whole', () => {
  const columns = COLUMNS.filter((c) => c.name !== 'segment');
  const packer = new RunPacker(columns);
  const rows: RowValue[][] = [];
  for (let k = 0; k < 2000; k++) rows.push(['cycle', 2 * k + 1, 2 * k + 2, k % 3 === 0 ? null : k, -k * 1e6, k / 7, `${'é'.repeat(40)}${k}`]);
  for (const row of rows) packer.add(row);
  const packed = packer.take();
  assert.ok(packed.length > 64 * 1024, `${packed.length} bytes: past the first buffer`);
  const back = unpackRun(packed, columns, { id: 1n });
  assert.deepEqual(
    back.map((r) => columns.map((c) => r[c.name])),
    rows.map((row) => row.map((v, i) => (columns[i]!.affinity === 'INTEGER' && typeof v === 'number' ? BigInt(v) : v))),
  );
});

test('a run whose bytes are damaged is refused with a JournalError that names its row', () => {
  const packer = new RunPacker(COLUMNS);
  for (const row of ROWS.slice(0, 2)) packer.add(row);
  const packed = packer.take();
  assert.throws(
    () => unpackRun(packed.subarray(0, packed.length - 3), COLUMNS, { id: 5n, segment: 1n }),
    (err: unknown) => {
      assert.ok(err instanceof JournalError);
      assert.match(err.message, /a run of cycles \(units row 5\) ends inside a (value|unit)/);
      return true;
    },
  );
  const other = packed.slice();
  other[0] = 9;
  assert.throws(() => unpackRun(other, COLUMNS, { id: 6n, segment: 1n }), /units row 6\) is in packing 9, this tradeloop reads packing 1/);
  const badTag = packed.slice();
  badTag[1] = 77;
  assert.throws(() => unpackRun(badTag, COLUMNS, { id: 7n, segment: 1n }), /units row 7\) holds a value of unknown kind 77 in column kind/);
  assert.throws(() => unpackRun(Uint8Array.of(1, 6), COLUMNS, { id: 8n, segment: 1n }), /units row 8\) repeats a value before its first unit, in column kind/);
  assert.throws(() => new RunPacker(COLUMNS).add(['cycle', 1, 2, 1, null, 2n ** 64n, 0, null]), /does not fit a 64-bit integer column/);
});

test("a transaction's consecutive cycles are one row, their fills in ev_fill naming it; a gap in seqs begins another; a run of one and a unit without a bar are rows of their own; all read back as appended", async (t) => {
  const path = join(await tempDir(t, 'tl-unit-runs-'), 'journal.sqlite');
  const journal = await openedJournal(path);
  t.after(() => journal.close());
  const first = [
    cycleAt(1, { symbol: 'BTCUSDT', cursor: 10 }),
    cycleAt(3, { symbol: 'ETHUSDT', cursor: 11, volume: Number.NaN, line: null }),
    cycleAt(5, { symbol: 'BTCUSDT', cursor: 12 }),
    cycleAt(7, { symbol: 'ETHUSDT', fills: 1, cursor: 13 }), // seqs 7-9: a fill between its bar and decision
    cycleAt(10, { symbol: 'BTCUSDT', cursor: 14, fills: 1 }),
    cycleAt(20, { symbol: 'ETHUSDT', cursor: 15 }), // after a gap in seqs
    cycleAt(22, { symbol: 'BTCUSDT' }),
  ];
  await journal.append(first);
  const second: JournalUnit[] = [
    cycleAt(24, { symbol: 'ETHUSDT', cursor: 16 }),
    { kind: 'outside', events: [{ seq: 26, event: SAMPLE_FEED }], cursor: 17 },
    cycleAt(27, { symbol: 'BTCUSDT' }),
  ];
  await journal.append(second);

  const db = new DatabaseSync(path, { readOnly: true });
  t.after(() => db.close());
  const rows = db
    .prepare('SELECT id, kind, first_seq, last_seq, cursor, cycles, stream IS NOT NULL AS folded, packed IS NOT NULL AS packed FROM units ORDER BY id')
    .all();
  assert.deepEqual(
    rows.map((r) => ({ ...r })),
    [
      { id: 1, kind: 'cycles', first_seq: 1, last_seq: 12, cursor: 14, cycles: 5, folded: 0, packed: 1 },
      { id: 2, kind: 'cycles', first_seq: 20, last_seq: 23, cursor: 15, cycles: 2, folded: 0, packed: 1 },
      { id: 3, kind: 'cycle', first_seq: 24, last_seq: 25, cursor: 16, cycles: null, folded: 1, packed: 0 },
      { id: 4, kind: 'outside', first_seq: 26, last_seq: 26, cursor: 17, cycles: null, folded: 0, packed: 0 },
      { id: 5, kind: 'cycle', first_seq: 27, last_seq: 28, cursor: null, cycles: null, folded: 1, packed: 0 },
    ],
    'the newest cursor of a run is its row’s: a unit without one does not hide it',
  );
  assert.deepEqual(
    db
      .prepare('SELECT seq, unit FROM ev_fill ORDER BY seq')
      .all()
      .map((r) => ({ ...r })),
    [
      { seq: 8, unit: 1 },
      { seq: 11, unit: 1 },
    ],
  );
  assert.equal((db.prepare("SELECT value FROM meta WHERE key = 'version'").get() as { value: string }).value, '3');

  const back: JournalUnit[] = [];
  for await (const u of journal.units()) back.push(u);
  // A NaN volume is kept as NULL and read back as null, in a run as in a row of its own (sqlite-units.ts).
  const nanVolume = (u: JournalUnit): JournalUnit =>
    u === first[1] ? { ...u, events: [{ seq: 3, event: { ...u.events[0]!.event, volume: null } as unknown as TradeEvent }, u.events[1]!] } : u;
  assert.deepEqual(back, [...first, ...second].map(nanVolume).map(withBar));
  const from4: SeqEvent[] = [];
  for await (const e of journal.events(4)) from4.push(e);
  assert.deepEqual(
    from4.map((e) => e.seq),
    [4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 21, 22, 23, 24, 25, 26, 27, 28],
    'read from inside a run: its units before the seq are left out',
  );
  const from9: SeqEvent[] = [];
  for await (const e of journal.events(9)) from9.push(e);
  assert.deepEqual(
    from9.slice(0, 4).map((e) => [e.seq, e.event.type]),
    [
      [9, 'decision'],
      [10, 'bar'],
      [11, 'fill'],
      [12, 'decision'],
    ],
  );
  assert.equal(await journal.lastSeq(), 28);
  assert.equal(await journal.lastCursor(), 17);
});

test('a version-2 journal takes runs with its first append, and becomes version 3; its old rows read as before', async (t) => {
  const path = join(await tempDir(t, 'tl-unit-runs-v2-'), 'journal.sqlite');
  const before = await openedJournal(path);
  const old = [cycleAt(1, { symbol: 'BTCUSDT', fills: 1 }), cycleAt(4, { symbol: 'ETHUSDT', fills: 1 })];
  for (const u of old) await before.append([u]); // a transaction each: a row each, as version 2 wrote them
  await before.close();
  // The units table and version as version 2 left them.
  const db = new DatabaseSync(path);
  t.after(() => db.close());
  db.exec("ALTER TABLE units DROP COLUMN packed; ALTER TABLE units DROP COLUMN cycles; UPDATE meta SET value = '2' WHERE key = 'version'");
  const layout = () => ({
    packed: (db.prepare('PRAGMA table_info(units)').all() as Array<{ name: string }>).some((r) => r.name === 'packed'),
    version: (db.prepare("SELECT value FROM meta WHERE key = 'version'").get() as { value: string } | undefined)?.value,
  });
  const journal = new SqliteJournal(path, { durable: false, instruments: CYCLE_INSTRUMENTS });
  t.after(() => journal.close());
  assert.deepEqual(layout(), { packed: false, version: '2' }, 'opening (to read it) leaves the file as it was');
  const read = async (): Promise<JournalUnit[]> => {
    const out: JournalUnit[] = [];
    for await (const u of journal.units()) out.push(u);
    return out;
  };
  assert.deepEqual(await read(), old.map(withBar));
  const added = [cycleAt(7, { symbol: 'BTCUSDT' }), cycleAt(9, { symbol: 'ETHUSDT' }), cycleAt(11, { symbol: 'BTCUSDT' })];
  await journal.append(added);
  assert.deepEqual(layout(), { packed: true, version: '3' });
  assert.deepEqual(await read(), [...old, ...added].map(withBar));
});
