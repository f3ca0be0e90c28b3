/**
 * What the PostgreSQL journal does beyond the store contract: a session's name is locked for its
 * life (a second session of the name refused by name, admitted once the first closes or loses its
 * connection), tables made once when two sessions start at once, money exact past 64 bits, text a
 * strategy wrote (NUL, backslashes) kept exactly, and readers that take no lock and read one snapshot.
 * Against a real server (TRADELOOP_TEST_PG).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JournalError, JournalHeldError, type Journal, type JournalUnit, type SeqEvent } from '../../src/journal/journal.ts';
import { openJournalStore, type PostgresStoreSpec } from '../../src/journal/open-journal-store.ts';
import { EVENT_TYPES, lockKeyHalves, sessionLockKey } from '../../src/journal/postgres-schema.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { SAMPLE_EVENTS } from '../helpers/event-samples.ts';
import { type PgTest, pgSkip, pgTest, uniqueName } from '../helpers/postgres.ts';
import { CONTRACT_INSTRUMENTS } from './journal-store.contract.ts';

const skip = pgSkip();
const FEED = SAMPLE_EVENTS.find((e) => e.type === 'feed')!;
const RUN_START = SAMPLE_EVENTS[0] as Extract<TradeEvent, { type: 'run_start' }>;

function spec(p: PgTest, schema: string, session: string, more: Partial<PostgresStoreSpec> = {}): PostgresStoreSpec {
  return { kind: 'postgres', url: p.url, session, schema, durable: true, instruments: CONTRACT_INSTRUMENTS, ...more };
}

async function open(p: PgTest, schema: string, session: string, more: Partial<PostgresStoreSpec> = {}): Promise<Journal> {
  return p.track(await openJournalStore(spec(p, schema, session, more)));
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

const outside = (seq: number, event: TradeEvent = FEED): JournalUnit => ({ kind: 'outside', events: [{ seq, event }] });

test('a session name is locked for the session: a second one of that name is refused by name; another name is not; after close it is free', {
  skip,
}, async (t) => {
  const p = await pgTest(t);
  const schema = p.schema();
  const first = await open(p, schema, 'alpha');
  await assert.rejects(openJournalStore(spec(p, schema, 'alpha')), (err: Error) => {
    assert.ok(err instanceof JournalHeldError, String(err));
    assert.match(
      err.message,
      /another tradeloop session named alpha \(tradeloop alpha pid \d+ from 127\.0\.0\.1, connected since [\d-]+T[\d:.]+Z\) holds its lock/,
    );
    assert.match(err.message, /choose another --session/);
    return true;
  });
  const other = await open(p, schema, 'beta');
  await other.append([outside(1)]);
  await first.close();
  const again = await open(p, schema, 'alpha');
  assert.equal(await again.lastSeq(), 0, "alpha's rows are its own: beta's unit is not alpha's");
});

test('a start waits briefly for a session of its name that is ending (a supervisor restarting it): it gets the name once the other lets go', {
  skip,
}, async (t) => {
  const p = await pgTest(t);
  const schema = p.schema();
  const name = uniqueName('handover');
  const first = await open(p, schema, name);
  await first.append([outside(1)]);
  const second = openJournalStore(spec(p, schema, name));
  const { classid, objid } = lockKeyHalves(sessionLockKey(name));
  // Waits for the second start to be queued on the lock (seen in pg_locks), then lets the first go.
  for (;;) {
    const waiting = await p.admin.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1 AND objid = $2", [
      classid,
      objid,
    ]);
    if (waiting.rows[0].n === 1) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await first.close();
  const next = p.track(await second);
  assert.equal(await next.lastSeq(), 1, 'the same journal, under the same name');
});

test('the lock goes with the connection: a session whose connection is cut cannot write, and the name is free for the next', { skip }, async (t) => {
  const p = await pgTest(t);
  const schema = p.schema();
  const name = uniqueName('cut');
  const j = await open(p, schema, name);
  await j.append([outside(1)]);
  // With a timeout, pg_terminate_backend waits until the backend is gone (and its locks with it), not only signalled.
  const killed = await p.admin.query('SELECT pg_terminate_backend(pid, 10000) AS ok FROM pg_stat_activity WHERE application_name = $1', [
    `tradeloop ${name} pid ${process.pid}`,
  ]);
  assert.deepEqual(
    killed.rows.map((r) => r.ok),
    [true],
    'one connection held the session, and it is gone',
  );
  await assert.rejects(j.append([outside(2)]), (err: Error) => err instanceof JournalError && err.message.includes(`session ${name}`));
  const next = await open(p, schema, name);
  assert.equal(await next.lastSeq(), 1, 'what was committed before the cut is there; nothing after');
});

test('two sessions starting at once on an empty database both get their tables (created once)', { skip }, async (t) => {
  const p = await pgTest(t);
  const schema = p.schema();
  const [a, b, c] = await Promise.all(['one', 'two', 'three'].map((s) => open(p, schema, s)));
  await a!.append([outside(1)]);
  await b!.append([outside(1), outside(2)]);
  assert.deepEqual([await a!.lastSeq(), await b!.lastSeq(), await c!.lastSeq()], [1, 2, 0]);
  const tables = await p.admin.query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1', [schema]);
  assert.equal(tables.rows[0].n, 4 + EVENT_TYPES.length, 'sessions, segments, units, warmup and a table per event type');
});

test('money past 64 bits comes back exact, as stored: numeric, never a float', { skip }, async (t) => {
  const p = await pgTest(t);
  const schema = p.schema();
  const j = await open(p, schema, 'rich');
  const huge = 2n ** 70n + 12_345_678n;
  const fill = { ...SAMPLE_EVENTS.find((e) => e.type === 'fill')!, cash: huge, realizedPnl: -huge, fee: 1n } as TradeEvent;
  await j.append([{ kind: 'outside', events: [{ seq: 1, event: fill }] }]);
  const [back] = await all(j.events(1));
  assert.deepEqual(back!.event, fill);
  const raw = await p.admin.query(`SELECT cash::text AS cash FROM ${schema}.ev_fill WHERE session = 'rich'`);
  assert.equal(raw.rows[0].cash, huge.toString());
});

test('text a strategy wrote comes back exactly: NUL (which PostgreSQL text cannot hold) and backslashes', { skip }, async (t) => {
  const p = await pgTest(t);
  const schema = p.schema();
  const j = await open(p, schema, 'odd');
  const ids = ['a\u0000b', 'back\\slash', '\\0 is not NUL', 'both\\\u0000\\\\', 'plain'];
  const events: SeqEvent[] = ids.map((orderId, i) => ({
    seq: i + 1,
    event: { type: 'reject', symbol: 'A', openTime: 1, reason: 'invalid_order', orderId, side: 'buy', qty: 0, detail: `cancel: no resting order ${orderId}` },
  }));
  await j.append([{ kind: 'outside', events }]);
  assert.deepEqual(await all(j.events(1)), events);
  const plain = await p.admin.query(`SELECT order_id FROM ${schema}.ev_reject WHERE session = 'odd' AND seq = 5`);
  assert.equal(plain.rows[0].order_id, 'plain', 'ordinary text is stored as it is');
});

test('a reader takes no lock, writes nothing, and reads one snapshot; a database without the tables reads as empty', { skip }, async (t) => {
  const p = await pgTest(t);
  const schema = p.schema();
  const empty = await open(p, p.schema(), 'nobody', { readOnly: true });
  assert.equal(await empty.readRun(), null);
  assert.deepEqual([await empty.lastSeq(), await all(empty.units()), await empty.segments()], [0, [], []]);
  const writer = await open(p, schema, 'live');
  await writer.createRun({ runId: 'r', mode: 'realtime', options: {}, runStart: RUN_START, warmupBars: [], argv: [], cwd: '/' });
  await writer.append([outside(1)]);
  const reader = await open(p, schema, 'live', { readOnly: true });
  assert.equal((await reader.readRun())?.runId, 'r', 'read while the session holds its lock');
  await writer.append([outside(2)]);
  assert.equal(await reader.lastSeq(), 1, 'the snapshot it opened on');
  await assert.rejects(reader.append([outside(3)]), /opened for reading only/);
  await assert.rejects(reader.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null }), /opened for reading only/);
  assert.equal(await writer.lastSeq(), 2);
});

test('reads go by pages: more rows than a page come back whole and in order', { skip }, async (t) => {
  const p = await pgTest(t);
  const j = await open(p, p.schema(), 'long');
  const units = Array.from({ length: 12_001 }, (_, i) => outside(i + 1));
  await j.append(units);
  const back = await all(j.units());
  assert.equal(back.length, units.length);
  assert.ok(back.every((u, i) => u.events[0]!.seq === i + 1));
  assert.deepEqual(
    (await all(j.events(11_999))).map((e) => e.seq),
    [11_999, 12_000, 12_001],
  );
});

test('a session name that could not key rows safely is refused before connecting', async () => {
  await assert.rejects(
    openJournalStore({ kind: 'postgres', url: 'postgres://u:secret@127.0.0.1:1/db', session: "x'; DROP", durable: true, instruments: new Map() }),
    (err: Error) => err instanceof JournalError && /is not a session name/.test(err.message) && !err.message.includes('secret'),
  );
});

test('a server out of reach is a JournalError naming where, without the password', async () => {
  await assert.rejects(
    openJournalStore({ kind: 'postgres', url: 'postgres://u:secret@127.0.0.1:1/db', session: 's', durable: true, instruments: new Map() }),
    (err: Error) =>
      err instanceof JournalError && /postgres:\/\/\*\*\*@127\.0\.0\.1:1\/db session s: cannot connect/.test(err.message) && !err.message.includes('secret'),
  );
});
