/**
 * The journal's store on a real SQLite file: every event type round-trips to the very line it
 * serialised to, money and quantities are stored as integers, units keep their boundaries, and a
 * unit is committed whole or not at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { makeInstrument, type Instrument } from '../../src/broker/instrument.ts';
import { serializeEvent } from '../../src/events/serialize.ts';
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';
import type { JournalUnit } from '../../src/journal/journal.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { SAMPLE_EVENTS, SAMPLE_LOTS as lots } from '../helpers/event-samples.ts';

const INSTRUMENTS = new Map<string, Instrument>([
  ['A', makeInstrument('A', '1')!],
  ['BTCUSDT', makeInstrument('BTCUSDT', '0.00001')!],
  ['这是测试币456', makeInstrument('这是测试币456', '0.00001')!],
]);
const RUN_START = SAMPLE_EVENTS[0] as Extract<(typeof SAMPLE_EVENTS)[number], { type: 'run_start' }>;

async function open(t: import('node:test').TestContext): Promise<{ path: string; journal: SqliteJournal }> {
  const path = join(await tempDir(t, 'tl-journal-'), 'journal.sqlite');
  const journal = new SqliteJournal(path, { durable: true, instruments: INSTRUMENTS });
  t.after(() => journal.close());
  return { path, journal };
}

test('every event type round-trips: read back, it serialises to the very line it was', async (t) => {
  const { journal } = await open(t);
  journal.createRun({ runId: 'r', mode: 'static', options: { '--cash': '1' }, runStart: RUN_START, warmupBars: [], argv: ['--cash', '1'], cwd: '/tmp' });
  journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  const events = SAMPLE_EVENTS.filter((e) => e.type !== 'run_resume').map((event, i) => ({ seq: i + 1, event }));
  journal.append([{ kind: 'outside', events }]);
  const back = [...journal.events(1)];
  assert.equal(back.length, events.length);
  for (let i = 0; i < events.length; i++) {
    assert.equal(
      serializeEvent(back[i]!.seq, back[i]!.event, lots),
      serializeEvent(events[i]!.seq, events[i]!.event, lots),
      `event ${i + 1} (${events[i]!.event.type})`,
    );
    const { type } = events[i]!.event;
    if (type === 'decision' || type === 'order' || type === 'fill' || type === 'reject') {
      assert.deepEqual(back[i]!.event, events[i]!.event, `event ${i + 1} (${type}) reads back as the integers it carried`);
    }
  }
  assert.equal(journal.lastSeq(), events.length);
  const run = journal.readRun()!;
  assert.equal(run.runId, 'r');
  assert.deepEqual(run.runStart, RUN_START);
});

test('a refused quantity kept as text by a journal from before integer events reads back to the same line', async (t) => {
  const { path, journal } = await open(t);
  journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  const reject = { type: 'reject', openTime: 1, reason: 'invalid_qty', side: 'buy', detail: 'x' } as const;
  const events = [
    { seq: 1, event: { ...reject, symbol: 'BTCUSDT', qty: 50_000 } }, // written "0.5"
    { seq: 2, event: { ...reject, symbol: 'BTCUSDT', qty: 0.5 } }, // a fraction of a lot, written "0.5" too
    { seq: 3, event: { ...reject, symbol: 'A', qty: 1.5 } },
    { seq: 4, event: { ...reject, symbol: 'BTCUSDT', qty: 0.000001 } }, // more decimals than the step has
    { seq: 5, event: { ...reject, symbol: 'A', qty: -3 } },
  ];
  journal.append([{ kind: 'outside', events }]);
  const lines = events.map(({ seq, event }) => serializeEvent(seq, event, lots));
  // What the journal held before: the log's text as a JSON string.
  const db = new DatabaseSync(path);
  const rows = db.prepare('SELECT seq FROM ev_reject ORDER BY seq').all() as Array<{ seq: number | bigint }>;
  for (const [k, row] of rows.entries())
    db.prepare('UPDATE ev_reject SET qty = ? WHERE seq = ?').run(JSON.stringify(/"qty":([^,]+),/.exec(lines[k]!)![1]), row.seq);
  db.close();
  const back = [...journal.events(1)];
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
  journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  journal.append([
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

test('units keep their boundaries and kinds; a cycle carries its bar and provenance', async (t) => {
  const { journal } = await open(t);
  journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  const bar = SAMPLE_EVENTS[1]!;
  const decision = { ...SAMPLE_EVENTS[2]!, symbol: 'BTCUSDT' } as (typeof SAMPLE_EVENTS)[number];
  const units: JournalUnit[] = [
    { kind: 'outside', events: [{ seq: 1, event: RUN_START }] },
    {
      kind: 'cycle',
      events: [
        { seq: 2, event: bar },
        { seq: 3, event: decision },
      ],
      provenance: { file: 'BTC.csv', line: 7 },
    },
    {
      kind: 'command',
      events: [{ seq: 4, event: SAMPLE_EVENTS.find((e) => e.type === 'halt')! }],
      command: { command: { kind: 'halt', detail: null, reducing: false }, op: 1, prices: {} },
    },
  ];
  journal.append(units);
  const back = [...journal.units()];
  assert.deepEqual(
    back.map((u) => [u.kind, u.events.map((e) => e.seq)]),
    [
      ['outside', [1]],
      ['cycle', [2, 3]],
      ['command', [4]],
    ],
  );
  assert.deepEqual(back[1]!.provenance, { file: 'BTC.csv', line: 7 });
  assert.equal(back[1]!.bar!.close, 9_404_947_000_000);
  assert.deepEqual(back[2]!.command!.command, { kind: 'halt', detail: null, reducing: false });
});

test('a transaction holds whole units: one that fails leaves nothing of itself', async (t) => {
  const { journal } = await open(t);
  journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  journal.append([{ kind: 'outside', events: [{ seq: 1, event: RUN_START }] }]);
  const bar = SAMPLE_EVENTS[1]!;
  // The second unit repeats seq 2: the store refuses it, and the first unit of the batch must go with it.
  assert.throws(() =>
    journal.append([
      { kind: 'cycle', events: [{ seq: 2, event: bar }] },
      { kind: 'cycle', events: [{ seq: 2, event: bar }] },
    ]),
  );
  assert.equal(journal.lastSeq(), 1);
  assert.equal([...journal.units()].length, 1);
});
