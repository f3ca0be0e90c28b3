/**
 * The journal sink against a store whose commits take their time (a real SQLite store behind a
 * gate the test opens): a flush starts a commit and whenCommitted() waits for it, committedThrough
 * moves only once the store holds the units, one commit is in flight at a time (a flush meanwhile
 * is the next transaction, in order), and a commit the store refuses is said once and stops it.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { EventBus } from '../../src/events/event-bus.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { JournalSink } from '../../src/journal/journal-sink.ts';
import { openJournalStore } from '../../src/journal/open-journal-store.ts';
import { GatedJournal } from '../helpers/gated-journal.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { SAMPLE_EVENTS } from '../helpers/event-samples.ts';
import { CONTRACT_INSTRUMENTS } from './journal-store.contract.ts';

const FEED = SAMPLE_EVENTS.find((e) => e.type === 'feed')!;
const ALERT = SAMPLE_EVENTS.find((e) => e.type === 'alert')!;

async function setUp(t: TestContext) {
  const path = join(await tempDir(t, 'tl-journal-sink-'), 'journal.sqlite');
  const store = await openJournalStore({ kind: 'sqlite', path, durable: false, instruments: CONTRACT_INSTRUMENTS });
  t.after(() => store.close());
  await store.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  const gated = new GatedJournal(store);
  const failures: Error[] = [];
  const sink = new JournalSink(gated, (err) => failures.push(err));
  const bus = new EventBus([sink]);
  /** One unit of `n` events, its end marked. */
  const unit = (n: number, event: TradeEvent = FEED): void => {
    for (let i = 0; i < n; i++) bus.emit(event);
    bus.endCycle();
  };
  return { store, gated, sink, bus, unit, failures };
}

/** Whether a promise has settled, after the turns already queued have run (no timer, no sleep). */
async function settledYet(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

async function seqsIn(store: { units(): AsyncIterable<{ events: readonly { seq: number }[] }> }): Promise<number[][]> {
  const out: number[][] = [];
  for await (const u of store.units()) out.push(u.events.map((e) => e.seq));
  return out;
}

test('a flush starts a commit; whenCommitted waits for it, and committedThrough moves once the store holds it', async (t) => {
  const { store, gated, sink, bus, unit } = await setUp(t);
  unit(2);
  unit(1);
  bus.flush();
  await gated.started();
  const committed = sink.whenCommitted();
  assert.notEqual(sink.pendingCommit(), null, 'a commit is in flight');
  assert.equal(await settledYet(committed), false, 'not committed while the store has not answered');
  assert.equal(sink.committedThrough, 0);
  assert.equal(await store.lastSeq(), 0);
  gated.release();
  await committed;
  assert.equal(sink.committedThrough, 3);
  assert.equal(sink.committed, 2);
  assert.equal(sink.pendingCommit(), null);
  assert.deepEqual(await seqsIn(store), [[1, 2], [3]]);
});

test('a flush while a commit is in flight is the next transaction, begun once that one is done: one at a time, in order', async (t) => {
  const { store, gated, sink, bus, unit } = await setUp(t);
  unit(1);
  bus.flush();
  await gated.started();
  unit(2);
  bus.flush();
  unit(1);
  bus.emit(ALERT); // a unit not yet complete: not in any commit
  bus.flush();
  assert.equal(gated.appends.length, 1, 'the second commit waits for the first');
  gated.release();
  await gated.started();
  assert.deepEqual(gated.appends, [[1], [2, 3]], 'each flush its own transaction');
  assert.equal(sink.committedThrough, 1, 'through the first commit only');
  gated.release();
  await gated.started();
  assert.deepEqual(gated.appends, [[1], [2, 3], [4]]);
  assert.equal(sink.committedThrough, 3);
  gated.release();
  await sink.whenCommitted();
  assert.equal(gated.maxInFlight, 1);
  assert.equal(sink.committedThrough, 4);
  assert.deepEqual(await seqsIn(store), [[1], [2, 3], [4]]);
  // The open unit goes with the last commit, on close.
  const closed = sink.close();
  await gated.started();
  gated.release();
  await closed;
  assert.deepEqual(await seqsIn(store), [[1], [2, 3], [4], [5]]);
  assert.equal(sink.committedThrough, 5);
});

test('whenInFlightAtMost(n) settles once no more than n commits are in flight: the static loop reads on past a slow one', async (t) => {
  const { gated, sink, bus, unit } = await setUp(t);
  for (let i = 0; i < 4; i++) {
    unit(1);
    bus.flush();
  }
  await gated.started();
  assert.equal(await settledYet(sink.whenInFlightAtMost(4)), true, 'four in flight: within four');
  assert.equal(await settledYet(sink.whenInFlightAtMost(0)), false);
  const atMostTwo = sink.whenInFlightAtMost(2);
  assert.equal(await settledYet(atMostTwo), false, 'four in flight, the first held by a checkpoint, say');
  gated.release();
  await gated.started();
  assert.equal(await settledYet(atMostTwo), false, 'three still in flight');
  gated.release();
  await atMostTwo;
  assert.equal(sink.committedThrough, 2, 'the two oldest are done, in order');
  assert.equal(await settledYet(sink.whenInFlightAtMost(2)), true);
  gated.release();
  await gated.started();
  gated.release();
  await sink.whenInFlightAtMost(0);
  assert.equal(sink.committedThrough, 4);
  assert.equal(await settledYet(sink.whenCommitted()), true);
});

test('a commit the store refuses: said once, nothing more is taken, and whenCommitted settles rather than throws', async (t) => {
  const { store, gated, sink, bus, unit, failures } = await setUp(t);
  unit(1);
  bus.flush();
  await gated.started();
  unit(1);
  bus.flush();
  await store.close(); // the store goes away under the commit in flight
  gated.release();
  await sink.whenCommitted();
  assert.equal(failures.length, 1);
  assert.equal(sink.failed, failures[0]);
  assert.equal(sink.committedThrough, 0);
  unit(1);
  bus.flush();
  await sink.close();
  assert.equal(gated.appends.length, 1, 'no commit after the failure');
  assert.equal(failures.length, 1, 'said once');
});

test('a session on a stream stamps every unit with its cursor, told each cycle’s bar first; without stampCursors no unit has one', async (t) => {
  const { store, gated, sink, bus, unit } = await setUp(t);
  unit(1); // before the cursor is known: none
  const asked: Array<string | null> = [];
  let watermark = 40;
  sink.stampCursors((bar) => {
    asked.push(bar === undefined ? null : `${bar.symbol}@${bar.openTime}`);
    return watermark++;
  });
  const bar = SAMPLE_EVENTS.find((e) => e.type === 'bar')!;
  bus.emit(bar);
  bus.emit(SAMPLE_EVENTS.find((e) => e.type === 'decision')!);
  bus.endCycle();
  unit(1, ALERT);
  bus.flush();
  await gated.started();
  gated.release();
  await sink.whenCommitted();
  assert.deepEqual(
    asked,
    [`${(bar as { symbol: string }).symbol}@${(bar as { openTime: number }).openTime}`, null],
    'the cycle’s bar, then an outside unit’s none',
  );
  const cursors: Array<number | undefined> = [];
  for await (const u of store.units()) cursors.push(u.cursor);
  assert.deepEqual(cursors, [undefined, 40, 41]);
  assert.equal(await store.lastCursor(), 41);
});

/** The sink on the SQLite journal's writer thread (static runs): events handed over as they come. */
async function threaded(t: TestContext) {
  const path = join(await tempDir(t, 'tl-journal-sink-thread-'), 'journal.sqlite');
  const store = await openJournalStore({ kind: 'sqlite', path, durable: false, instruments: CONTRACT_INSTRUMENTS, thread: true });
  t.after(() => store.close());
  await store.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  const failures: Error[] = [];
  const sink = new JournalSink(store, (err) => failures.push(err));
  const bus = new EventBus([sink]);
  const unit = (n: number, event: TradeEvent = FEED): void => {
    for (let i = 0; i < n; i++) bus.emit(event);
    bus.endCycle();
  };
  return { path, store, sink, bus, unit, failures };
}

test('through a unit writer: each flush a transaction asked for at once, committed in order; the open unit waits; whenInFlightAtMost(1) leaves one in flight', async (t) => {
  const { store, sink, bus, unit } = await threaded(t);
  assert.equal(typeof store.unitWriter, 'function', 'the writer thread takes events as they come');
  unit(2);
  bus.flush();
  unit(1);
  bus.emit(ALERT); // a unit not yet complete: not in any commit
  bus.flush();
  const second = sink.pendingCommit();
  assert.notEqual(second, null);
  await sink.whenInFlightAtMost(1);
  assert.ok(sink.committedThrough >= 2, 'the first commit is done');
  await sink.whenCommitted();
  assert.equal(sink.committedThrough, 3);
  assert.equal(sink.committed, 2);
  assert.deepEqual(await seqsIn(store), [[1, 2], [3]]);
  unit(1); // ends the open unit, with one more event
  await sink.close();
  assert.deepEqual(await seqsIn(store), [[1, 2], [3], [4, 5]]);
  assert.equal(sink.committedThrough, 5);
});

test('through a unit writer, a commit the store refuses: said once, and nothing asked for after it is committed', async (t) => {
  const { path, store, sink, bus, unit, failures } = await threaded(t);
  const db = new DatabaseSync(path);
  t.after(() => db.close());
  db.exec("CREATE TRIGGER refuse BEFORE INSERT ON units WHEN NEW.first_seq = 2 BEGIN SELECT RAISE(ABORT, 'refused'); END");
  unit(1);
  bus.flush();
  unit(1); // seq 2: refused
  bus.flush();
  unit(1); // asked for before the failure is known: not committed either (it would leave a gap)
  bus.flush();
  await sink.whenCommitted();
  assert.equal(failures.length, 1, 'said once');
  assert.match(failures[0]!.message, /refused/);
  assert.equal(sink.committedThrough, 1);
  unit(1);
  bus.flush();
  await sink.close();
  assert.deepEqual(await seqsIn(store), [[1]]);
  assert.equal(failures.length, 1);
});
