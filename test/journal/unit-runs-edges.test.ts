/**
 * Runs of cycles (src/journal/unit-runs.ts) at their edges: a text that nearly fills the packer's
 * buffer, values SQLite keeps otherwise than they were given, a run whose bytes or count disagree
 * with its row, a transaction that fails inside a run, reads from every seq of a run, retried
 * commits that begin or end inside one, and the writer thread carrying a version-2 journal on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import type { TradeEvent } from '../../src/events/types.ts';
import { JournalError, type Journal, type JournalUnit } from '../../src/journal/journal.ts';
import { openJournalStore } from '../../src/journal/open-journal-store.ts';
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';
import { UNIT_COLUMNS } from '../../src/journal/sqlite-units.ts';
import { MAX_RUN, RunPacker, type RowValue, unpackRun } from '../../src/journal/unit-runs.ts';
import { CYCLE_INSTRUMENTS, cycleAt, openedJournal, SAMPLE_FEED, withBar } from '../helpers/journal-cycles.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const T0 = 1_735_689_600_000;

/** Cycles one after another from this seq. */
function cycles(from: number, n: number, fills = (_k: number) => 0): JournalUnit[] {
  const out: JournalUnit[] = [];
  let seq = from;
  for (let k = 0; k < n; k++) {
    const u = cycleAt(seq, { fills: fills(k) });
    out.push(u);
    seq = u.events.at(-1)!.seq + 1;
  }
  return out;
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

const runRows = (path: string): Array<{ id: number; first_seq: number; last_seq: number; cycles: number }> => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db
      .prepare("SELECT id, first_seq, last_seq, cycles FROM units WHERE kind = 'cycles' ORDER BY id")
      .all()
      .map((r) => ({ ...r }) as { id: number; first_seq: number; last_seq: number; cycles: number });
  } finally {
    db.close();
  }
};

test('a text that leaves the packer little room is followed by whole values: every unit reads back, wherever the buffer ends', () => {
  // The journal's own columns; a command's text (kind command, a bar first) is the long one. Each
  // unit's text differs (a repeat is one byte), and the first unit's length moves where the texts
  // fall against the end of the packer's first buffer, 3 bytes at a time.
  const wrong: string[] = [];
  for (let pad = 0; pad < 400; pad += 3) {
    const packer = new RunPacker(UNIT_COLUMNS);
    const rows: RowValue[][] = [];
    for (let k = 0; k < 200; k++) {
      const first = 2 * k + 1;
      const price = 2 ** 50 + k;
      const command = JSON.stringify({ k, note: 'x'.repeat(k === 0 ? 300 + pad : 300) });
      const row: RowValue[] = [
        'command',
        first,
        first + 1,
        1,
        null,
        k,
        T0 + k,
        command,
        2 ** 45 + k,
        1,
        T0 + k * 60_000,
        price,
        price,
        price,
        price,
        1.5,
        1,
        0,
        0,
        0,
        -k,
        2n ** 60n,
      ];
      rows.push(row);
      packer.add(row);
    }
    const want = rows.map((r) => UNIT_COLUMNS.filter((c) => c.name !== 'segment').map((c) => String(r[UNIT_COLUMNS.indexOf(c)])));
    try {
      const back = unpackRun(packer.take(), UNIT_COLUMNS, { id: 1n, segment: 1n });
      const got = back.map((r) => UNIT_COLUMNS.filter((c) => c.name !== 'segment').map((c) => String(r[c.name])));
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`pad ${pad}: other values`);
    } catch (err) {
      wrong.push(`pad ${pad}: ${(err as Error).message}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('a run of units with long commands (a bar first) reads back as appended, wherever their texts fall in the packer', async (t) => {
  const dir = await tempDir(t, 'tl-runs-text-');
  const path = join(dir, 'journal.sqlite');
  (await openedJournal(path)).close();
  const appended: JournalUnit[] = [];
  let seq = 1;
  // Each append on a journal opened anew: a packer with its first buffer each time.
  for (let pad = 0; pad < 400; pad += 8) {
    const journal = new SqliteJournal(path, { durable: false, instruments: CYCLE_INSTRUMENTS });
    journal.useSegment(1);
    const batch: JournalUnit[] = [];
    for (let k = 0; k < 200; k++) {
      const u = cycleAt(seq, { open: 2 ** 50 + k });
      batch.push({
        ...u,
        kind: 'command',
        command: { command: { kind: 'flatten', symbols: [`${'S'.repeat(k === 0 ? 300 + pad : 300)}${k}`] }, op: k, prices: {} },
      });
      seq += 2;
    }
    await journal.append(batch);
    await journal.close();
    appended.push(...batch);
  }
  const journal = new SqliteJournal(path, { durable: false, instruments: CYCLE_INSTRUMENTS });
  t.after(() => journal.close());
  assert.ok(runRows(path).length > 0, 'the units are in runs');
  const back = await all(journal.units());
  assert.equal(back.length, appended.length);
  assert.deepEqual(
    back.map((u) => [u.kind, u.command, u.events]),
    appended.map((u) => [u.kind, u.command, u.events]),
  );
});

test('a run reads back as SQLite keeps the values: -0 in a REAL column as 0 (first, after another value, after a 0), -2^63 given as a number in an INTEGER column as that number', () => {
  const db = new DatabaseSync(':memory:');
  const names = UNIT_COLUMNS.map((c) => c.name);
  db.exec(`CREATE TABLE r (id INTEGER PRIMARY KEY, ${UNIT_COLUMNS.map((c) => `${c.name} ${c.affinity}`).join(', ')})`);
  const insert = db.prepare(`INSERT INTO r (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
  const at = (name: string): number => names.indexOf(name);
  const rows: RowValue[][] = [-0, 2.5, -0, 0, -0].map((volume, k) => {
    const row: RowValue[] = names.map(() => null);
    row[at('kind')] = 'cycle';
    row[at('first_seq')] = 2 * k + 1;
    row[at('last_seq')] = 2 * k + 2;
    row[at('segment')] = 1;
    row[at('stream')] = 1;
    row[at('open')] = k === 3 ? -(2 ** 63) : 100;
    row[at('volume')] = volume;
    return row;
  });
  const packer = new RunPacker(UNIT_COLUMNS);
  for (const row of rows) {
    insert.run(...row);
    packer.add(row);
  }
  const select = db.prepare('SELECT * FROM r ORDER BY id');
  select.setReadBigInts(true);
  const want: Array<Record<string, unknown>> = (select.all() as Array<Record<string, unknown>>).map((r) => ({ ...r, id: 9n }));
  db.close();
  const got = unpackRun(packer.take(), UNIT_COLUMNS, { id: 9n, segment: 1n });
  // deepStrictEqual tells -0 from 0 (Object.is), and a BigInt from a number.
  assert.deepEqual(
    got.map((r) => [r.volume, r.open]),
    want.map((r) => [r.volume, r.open]),
  );
  assert.deepEqual(got, want);
});

test('a bar of volume -0 reads back the same in a run as in a row of its own', async (t) => {
  const path = join(await tempDir(t, 'tl-runs-zero-'), 'journal.sqlite');
  const journal = await openedJournal(path);
  t.after(() => journal.close());
  await journal.append([cycleAt(1, { volume: -0 })]);
  await journal.append([cycleAt(3, { volume: -0 }), cycleAt(5, { volume: 1.5 }), cycleAt(7, { volume: -0 }), cycleAt(9, { volume: 0 })]);
  assert.equal(runRows(path).length, 1);
  const volumes = (await all(journal.units())).map((u) => (u.events[0]!.event as Extract<TradeEvent, { type: 'bar' }>).volume);
  assert.deepEqual(volumes, [0, 0, 1.5, 0, 0], 'as SQLite keeps -0.0 in a REAL column: 0');
});

test('a run whose units disagree with its row (bytes cut at a unit, a unit too many) is refused by name, not read short', async (t) => {
  const path = join(await tempDir(t, 'tl-runs-cut-'), 'journal.sqlite');
  const journal = await openedJournal(path);
  t.after(() => journal.close());
  await journal.append(cycles(1, 4));
  await journal.append(cycles(9, 2));
  const [run] = runRows(path);
  assert.deepEqual(run, { id: 1, first_seq: 1, last_seq: 8, cycles: 4 });
  const db = new DatabaseSync(path);
  t.after(() => db.close());
  const row = db.prepare('SELECT * FROM units WHERE id = 1').get() as Record<string, unknown>;
  const units = unpackRun(row.packed as Uint8Array, UNIT_COLUMNS, row).map((r) => UNIT_COLUMNS.map((c) => r[c.name] as RowValue));
  const pack = (values: readonly RowValue[][]): Uint8Array => {
    const packer = new RunPacker(UNIT_COLUMNS);
    for (const v of values) packer.add(v);
    return packer.take();
  };
  const refused = async (what: string): Promise<void> => {
    await assert.rejects(all(journal.units()), (err: unknown) => {
      assert.ok(err instanceof JournalError, `${what}: ${String(err)}`);
      assert.match(err.message, /a run of cycles \(units row 1\)/, what);
      return true;
    });
    await assert.rejects(all(journal.events(3)), JournalError, what);
  };
  // Its last unit gone, at a unit's end: the bytes read as three whole units.
  db.prepare('UPDATE units SET packed = ? WHERE id = 1').run(pack(units.slice(0, 3)));
  await refused('the last unit cut');
  // Its first unit gone.
  db.prepare('UPDATE units SET packed = ? WHERE id = 1').run(pack(units.slice(1)));
  await refused('the first unit cut');
  // As many units as the row says, but not the seqs it says.
  db.prepare('UPDATE units SET packed = ?, last_seq = 7 WHERE id = 1').run(pack(units));
  await refused('the row says another last seq');
  db.prepare('UPDATE units SET packed = ?, last_seq = 8, cycles = 5 WHERE id = 1').run(pack(units));
  await refused('the row says another count');
  db.prepare('UPDATE units SET cycles = 4 WHERE id = 1').run();
  assert.equal((await all(journal.units())).length, 6, 'as it was: read whole');
});

/** The units table and version as version 2 left them (no run columns), as unit-runs.test.ts makes one. */
function asVersion2(path: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec("ALTER TABLE units DROP COLUMN packed; ALTER TABLE units DROP COLUMN cycles; UPDATE meta SET value = '2' WHERE key = 'version'");
  } finally {
    db.close();
  }
}

const versionOf = (path: string): string => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare("SELECT value FROM meta WHERE key = 'version'").get() as { value: string }).value;
  } finally {
    db.close();
  }
};

test('the writer thread makes a version-2 journal version 3; this thread reads its runs, after a reader that stopped early and one that failed', async (t) => {
  const path = join(await tempDir(t, 'tl-runs-thread-'), 'journal.sqlite');
  const v2 = await openedJournal(path);
  const old = [cycleAt(1, { fills: 1 }), cycleAt(4)];
  for (const u of old) await v2.append([u]); // a row each, as version 2 wrote them
  await v2.close();
  asVersion2(path);
  const journal: Journal = await openJournalStore({ kind: 'sqlite', path, durable: false, instruments: CYCLE_INSTRUMENTS, thread: true });
  t.after(() => journal.close());
  await journal.beginSegment({ kind: 'resume', afterSeq: 5, startedAt: null });
  assert.deepEqual(await all(journal.units()), old.map(withBar));
  const added = cycles(6, 5, (k) => k % 2);
  await journal.append(added);
  assert.equal(versionOf(path), '3');
  assert.equal(runRows(path).length, 1, 'the new cycles in one run');
  // A reader that stops early (a repair that reached its seq) holds nothing open.
  for await (const e of journal.events(1)) if (e.seq >= 2) break;
  const more = cycles(added.at(-1)!.events.at(-1)!.seq + 1, 3, () => 1);
  await journal.append(more);
  assert.deepEqual(await all(journal.units()), [...old, ...added, ...more].map(withBar), 'the units appended after it are read');
  assert.equal(await journal.lastSeq(), more.at(-1)!.events.at(-1)!.seq);
  // Nor does one that failed (here: on a run whose bytes were cut).
  const db = new DatabaseSync(path);
  t.after(() => db.close());
  const runId = runRows(path).at(-1)!.id;
  db.prepare('UPDATE units SET packed = substr(packed, 1, length(packed) - 3) WHERE id = ?').run(runId);
  await assert.rejects(all(journal.units()), JournalError);
  db.prepare('DELETE FROM units WHERE id = ?').run(runId);
  db.prepare('DELETE FROM ev_fill WHERE unit = ?').run(runId);
  const last = cycles(more.at(-1)!.events.at(-1)!.seq + 1, 2);
  await journal.append(last);
  assert.deepEqual(
    (await all(journal.units())).map((u) => u.events[0]!.seq),
    [...old, ...added, ...last].map((u) => u.events[0]!.seq),
  );
});

test('a transaction that fails inside a run (its fills half written) leaves nothing, and the next append writes each unit once', async (t) => {
  const path = join(await tempDir(t, 'tl-runs-fail-'), 'journal.sqlite');
  const journal = await openedJournal(path);
  t.after(() => journal.close());
  const first = cycles(1, 3, () => 1);
  await journal.append(first);
  const next = cycles(first.at(-1)!.events.at(-1)!.seq + 1, 6, () => 2);
  // Its fourth unit's second fill repeats its first's seq: ev_fill refuses it as the run's row goes in, three fills after the run's first.
  const broken = next.map((u, k) => (k === 3 ? { ...u, events: u.events.map((e, i) => (i === 2 ? { ...e, seq: u.events[1]!.seq } : e)) } : u));
  await assert.rejects(journal.append(broken), /UNIQUE constraint failed: ev_fill.seq/);
  // And one that fails while the run is being made: a unit out of seq order after three of it.
  await assert.rejects(journal.append([...next.slice(0, 3), first[0]!]), JournalError);
  assert.equal(await journal.lastSeq(), first.at(-1)!.events.at(-1)!.seq);
  await journal.append(next);
  assert.deepEqual(await all(journal.units()), [...first, ...next].map(withBar));
  assert.deepEqual(
    runRows(path).map((r) => r.cycles),
    [3, 6],
  );
  const db = new DatabaseSync(path, { readOnly: true });
  t.after(() => db.close());
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM ev_fill').get() as { n: number }).n, 3 + 12, 'each fill once');
});

test('retried commits that begin or end inside a committed run add only what is new; events(seq) from every seq of runs reads on from there', async (t) => {
  const path = join(await tempDir(t, 'tl-runs-retry-'), 'journal.sqlite');
  const journal = await openedJournal(path);
  t.after(() => journal.close());
  const units = cycles(1, 12, (k) => k % 3);
  const feed: JournalUnit = { kind: 'outside', events: [{ seq: units.at(-1)!.events.at(-1)!.seq + 1, event: SAMPLE_FEED }] };
  await journal.append(units.slice(0, 6));
  await journal.append(units.slice(2, 5)); // all committed: inside the run
  await journal.append(units.slice(3, 9)); // begins inside it, ends past it
  await journal.append([...units.slice(8, 12), feed]); // begins at its last unit
  await journal.append(units.slice(10, 12)); // ends at the end of what is committed, but for the feed
  const appended = [...units, feed];
  assert.deepEqual(await all(journal.units()), appended.map(withBar));
  assert.deepEqual(
    runRows(path).map((r) => r.cycles),
    [6, 3, 3],
  );
  const seqs = appended.flatMap((u) => u.events.map((e) => e.seq));
  const lastSeq = seqs.at(-1)!;
  for (let from = 1; from <= lastSeq + 1; from++) {
    const got = await all(journal.events(from));
    assert.deepEqual(
      got.map((e) => e.seq),
      seqs.filter((s) => s >= from),
      `events(${from})`,
    );
  }
  const every = await all(journal.events(1));
  assert.deepEqual(
    every.map((e) => e.event),
    appended.flatMap((u) => u.events.map((e) => e.event)),
  );
});

test('a run holds at most MAX_RUN units: the next one begins another', async (t) => {
  const path = join(await tempDir(t, 'tl-runs-max-'), 'journal.sqlite');
  const journal = await openedJournal(path);
  t.after(() => journal.close());
  const units = cycles(1, MAX_RUN + 3);
  await journal.append(units);
  assert.deepEqual(
    runRows(path).map((r) => r.cycles),
    [MAX_RUN, 3],
  );
  const back = await all(journal.units());
  assert.deepEqual(
    back.map((u) => u.events.map((e) => e.seq)),
    units.map((u) => u.events.map((e) => e.seq)),
  );
});
