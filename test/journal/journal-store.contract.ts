/**
 * The journal-store contract, written once: what every store behind `Journal` must do, whatever it
 * keeps the journal in. `journalStoreContract(name, makeStore)` defines the tests; a store's own
 * test file calls it with a way to open that store (SQLite on a file today, PostgreSQL later).
 *
 * makeStore gives one fresh, empty journal per test; its open() may be called again after close()
 * and must then open the same journal (persistence).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { makeInstrument, type Instrument } from '../../src/broker/instrument.ts';
import type { Bar } from '../../src/domain/types.ts';
import { serializeEvent } from '../../src/events/serialize.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { JournalError, type Journal, type JournalRun, type JournalUnit, type SeqEvent } from '../../src/journal/journal.ts';
import { SAMPLE_EVENTS, SAMPLE_LOTS as lots } from '../helpers/event-samples.ts';

/** The lot steps the sample events need: a store that stores quantities as lots is given these. */
export const CONTRACT_INSTRUMENTS: ReadonlyMap<string, Instrument> = new Map([
  ['A', makeInstrument('A', '1')!],
  ['BTCUSDT', makeInstrument('BTCUSDT', '0.00001')!],
  ['这是测试币456', makeInstrument('这是测试币456', '0.00001')!],
]);

export interface StoreUnderTest {
  /** Opens the journal: a new one the first time, the same one after a close. */
  open(): Promise<Journal>;
}

const RUN_START = SAMPLE_EVENTS[0] as Extract<TradeEvent, { type: 'run_start' }>;
const BAR_EVENT = SAMPLE_EVENTS.find((e) => e.type === 'bar') as Extract<TradeEvent, { type: 'bar' }>;
const DECISION = SAMPLE_EVENTS.find((e) => e.type === 'decision')!;
const FILL = SAMPLE_EVENTS.find((e) => e.type === 'fill')!;
const HALT = SAMPLE_EVENTS.find((e) => e.type === 'halt')!;
const FEED = SAMPLE_EVENTS.find((e) => e.type === 'feed')!;

function warmupBar(minute: number): Bar {
  const openTime = Date.UTC(2025, 0, 1) + minute * 60_000;
  return {
    symbol: 'BTCUSDT',
    interval: '1m',
    openTime,
    closeTime: openTime + 59_999,
    open: 100 + minute,
    high: 110 + minute,
    low: 90 + minute,
    close: 105 + minute,
    volume: 1.5,
    source: 'rest-backfill',
  };
}

const RUN: JournalRun = {
  runId: 'rt-contract',
  mode: 'realtime',
  options: { '--cash': '100', '--symbols': 'BTCUSDT', inputs: '' },
  runStart: RUN_START,
  warmupBars: [warmupBar(0), warmupBar(1)],
  argv: ['run', '--source', 'realtime', '--symbols', 'BTCUSDT', '--ws-url', 'wss://host'],
  cwd: '/srv/tradeloop',
};

/** A cycle: the bar at `seq`, a decision after it; with a file and line or a realtime stamp. */
function cycle(seq: number, provenance: JournalUnit['provenance'] = { file: 'BTCUSDT.csv', line: seq }): JournalUnit {
  return {
    kind: 'cycle',
    events: [
      { seq, event: { ...BAR_EVENT, openTime: BAR_EVENT.openTime + seq * 60_000 } },
      { seq: seq + 1, event: { ...DECISION, symbol: 'BTCUSDT' } as TradeEvent },
    ],
    bar: { ...BAR_EVENT, openTime: BAR_EVENT.openTime + seq * 60_000, closeTime: BAR_EVENT.openTime + seq * 60_000 },
    ...(provenance ? { provenance } : {}),
  };
}

const COMMAND: JournalUnit = {
  kind: 'command',
  events: [
    { seq: 10, event: HALT },
    { seq: 11, event: FILL },
  ],
  command: { command: { kind: 'flatten', symbols: ['A'] }, op: 3, prices: { A: { price: 948_000_000, source: 'last_update', time: 1_735_689_600_123 } } },
};

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

const seqsOf = (units: readonly JournalUnit[]): number[][] => units.map((u) => u.events.map((e) => e.seq));
const lines = (events: readonly SeqEvent[]): string[] => events.map(({ seq, event }) => serializeEvent(seq, event, lots));

export function journalStoreContract(name: string, makeStore: (t: TestContext) => Promise<StoreUnderTest>): void {
  /** The store opened for this test, closed after it. */
  async function opened(t: TestContext): Promise<{ store: StoreUnderTest; journal: Journal }> {
    const store = await makeStore(t);
    const journal = await store.open();
    t.after(() => journal.close());
    return { store, journal };
  }

  /** A run and its first segment, as a session begins. */
  async function begun(t: TestContext): Promise<{ store: StoreUnderTest; journal: Journal; segment: number }> {
    const o = await opened(t);
    await o.journal.createRun(RUN);
    const segment = await o.journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: 1_000 });
    return { ...o, segment };
  }

  test(`journal store contract (${name}): a new store holds no run, no segment, no unit`, async (t) => {
    const { journal } = await opened(t);
    assert.equal(await journal.readRun(), null);
    assert.deepEqual(await journal.segments(), []);
    assert.equal(await journal.lastSeq(), 0);
    assert.deepEqual(await all(journal.units()), []);
    assert.deepEqual(await all(journal.events(1)), []);
    assert.equal(typeof journal.location, 'string');
    assert.ok(journal.location.length > 0, 'says where it is, for messages');
  });

  test(`journal store contract (${name}): createRun, then readRun gives the run back whole`, async (t) => {
    const { journal } = await opened(t);
    await journal.createRun(RUN);
    const run = await journal.readRun();
    assert.ok(run !== null);
    assert.equal(run.runId, RUN.runId);
    assert.equal(run.mode, 'realtime');
    assert.deepEqual(run.options, RUN.options);
    assert.deepEqual(run.runStart, RUN_START);
    assert.deepEqual(run.warmupBars, RUN.warmupBars);
    assert.deepEqual(run.argv, RUN.argv);
    assert.equal(run.cwd, RUN.cwd);
  });

  test(`journal store contract (${name}): appendWarmup adds to the run's warm-up bars, after those it began with`, async (t) => {
    const { journal } = await begun(t);
    await journal.appendWarmup([warmupBar(2), warmupBar(3)]);
    await journal.appendWarmup([warmupBar(4)]);
    assert.deepEqual((await journal.readRun())!.warmupBars, [0, 1, 2, 3, 4].map(warmupBar));
  });

  test(`journal store contract (${name}): segments begin and end with their kind, seq, status and summary`, async (t) => {
    const { journal, segment } = await begun(t);
    await journal.append([cycle(1)]);
    await journal.endSegment(segment, 'incomplete', { status: 'incomplete', bars: 1 });
    const second = await journal.beginSegment({ kind: 'resume', afterSeq: 2, startedAt: 5_000, restored: { cycles: 1, cash: '100' } });
    assert.notEqual(second, segment, 'each segment its own id');
    const segments = await journal.segments();
    assert.equal(segments.length, 2);
    const [a, b] = segments;
    assert.deepEqual(
      [a!.id, a!.kind, a!.afterSeq, a!.startedAt, a!.status, a!.summary, a!.restored],
      [segment, 'start', 0, 1_000, 'incomplete', { status: 'incomplete', bars: 1 }, null],
    );
    assert.equal(typeof a!.endedAt, 'number', 'an ended segment says when');
    assert.deepEqual(
      [b!.id, b!.kind, b!.afterSeq, b!.startedAt, b!.endedAt, b!.status, b!.summary, b!.restored],
      [second, 'resume', 2, 5_000, null, null, null, { cycles: 1, cash: '100' }],
    );
  });

  test(`journal store contract (${name}): every event type round-trips: read back, it serialises to the very line it was`, async (t) => {
    const { journal } = await begun(t);
    const events = SAMPLE_EVENTS.filter((e) => e.type !== 'run_resume').map((event, i) => ({ seq: i + 1, event }));
    await journal.append([{ kind: 'outside', events }]);
    const back = await all(journal.events(1));
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
    assert.equal(await journal.lastSeq(), events.length);
  });

  test(`journal store contract (${name}): units come back whole, in seq order, with their kind, bar, provenance and command`, async (t) => {
    const { journal } = await begun(t);
    const outside: JournalUnit = { kind: 'outside', events: [{ seq: 1, event: FEED }] };
    const live = cycle(6, { newestOpenTime: 1_735_689_900_000 });
    // Appended in three transactions of one or more units each.
    await journal.append([outside, cycle(2)]);
    await journal.append([cycle(4), live]);
    await journal.append([COMMAND]);
    const back = await all(journal.units());
    assert.deepEqual(seqsOf(back), [[1], [2, 3], [4, 5], [6, 7], [10, 11]]);
    assert.deepEqual(
      back.map((u) => u.kind),
      ['outside', 'cycle', 'cycle', 'cycle', 'command'],
    );
    assert.deepEqual(back[1]!.provenance, { file: 'BTCUSDT.csv', line: 2 });
    assert.deepEqual(back[3]!.provenance, { newestOpenTime: 1_735_689_900_000 });
    const bar = back[2]!.bar!;
    const sent = cycle(4).events[0]!.event as Extract<TradeEvent, { type: 'bar' }>;
    assert.deepEqual(
      [bar.symbol, bar.interval, bar.openTime, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.source],
      [sent.symbol, sent.interval, sent.openTime, sent.open, sent.high, sent.low, sent.close, sent.volume, sent.source],
    );
    assert.ok(bar.closeTime > bar.openTime, "a cycle's bar comes back with its close time");
    assert.deepEqual(back[4]!.command, COMMAND.command);
    assert.equal(back[0]!.bar, undefined, 'only a cycle carries a bar');
    assert.equal(back[0]!.command, undefined, 'only a command carries one');
    assert.deepEqual(lines(back.flatMap((u) => u.events)), lines([outside, cycle(2), cycle(4), live, COMMAND].flatMap((u) => u.events)));
    assert.equal(await journal.lastSeq(), 11);
  });

  test(`journal store contract (${name}): a unit's stream cursor comes back with it, and lastCursor() is the newest unit's that has one`, async (t) => {
    const { store, journal } = await begun(t);
    assert.equal(await journal.lastCursor(), null, 'a new journal has no cursor');
    // A Binance session's units carry none: lastCursor stays null.
    await journal.append([cycle(1)]);
    assert.equal(await journal.lastCursor(), null);
    const stamped = (u: JournalUnit, cursor: number): JournalUnit => ({ ...u, cursor });
    // Stream sequences pass 2^32 on a long-lived stream: stored as the integers they are.
    const big = 2 ** 40 + 7;
    await journal.append([stamped({ kind: 'outside', events: [{ seq: 3, event: FEED }] }, 41), stamped(cycle(4, { newestOpenTime: 1_735_689_900_000 }), 57)]);
    await journal.append([stamped(COMMAND, big), { kind: 'outside', events: [{ seq: 12, event: FEED }] }]);
    assert.equal(await journal.lastCursor(), big, 'a later unit without a cursor does not hide the last one recorded');
    const back = await all(journal.units());
    assert.deepEqual(
      back.map((u) => u.cursor),
      [undefined, 41, 57, big, undefined],
    );
    assert.deepEqual(back[2]!.provenance, { newestOpenTime: 1_735_689_900_000 }, 'the cursor sits beside the provenance, not in it');
    await journal.close();
    const again = await store.open();
    t.after(() => again.close());
    assert.equal(await again.lastCursor(), big, 'and it is durable');
  });

  test(`journal store contract (${name}): a cycle's events come back with their own seqs, whatever comes between its bar and its decision`, async (t) => {
    const { journal } = await begun(t);
    const at = (seq: number): number => BAR_EVENT.openTime + seq * 60_000;
    const bar = (seq: number): SeqEvent => ({ seq, event: { ...BAR_EVENT, openTime: at(seq) } });
    const decision = (seq: number, openTime: number, over: Partial<Extract<TradeEvent, { type: 'decision' }>> = {}): SeqEvent => ({
      seq,
      event: { ...(DECISION as Extract<TradeEvent, { type: 'decision' }>), symbol: BAR_EVENT.symbol, openTime, ...over },
    });
    const made: JournalUnit[] = [
      // Resting orders filled at the bar's open come between the bar and its decision.
      { kind: 'cycle', events: [bar(1), { seq: 2, event: FILL }, { seq: 3, event: FILL }, decision(4, at(1)), { seq: 5, event: FILL }] },
      // A decision on another bar, then one on this bar: the journal keeps each where it was.
      { kind: 'cycle', events: [bar(6), decision(7, at(1)), decision(8, at(6), { action: 'sell', qty: 7, intents: 2, equity: -(10n ** 15n) })] },
      // A bar and nothing else; a decision the size of a money column.
      { kind: 'cycle', events: [bar(9)] },
      { kind: 'cycle', events: [bar(10), decision(11, at(10), { action: 'hold', equity: 9_223_372_036_854_775_807n })] },
      { kind: 'outside', events: [decision(12, at(10)), bar(13)] },
    ];
    await journal.append(made);
    const back = await all(journal.units());
    assert.deepEqual(seqsOf(back), seqsOf(made));
    assert.deepEqual(
      back.map((u) => u.events.map((e) => e.event)),
      made.map((u) => u.events.map((e) => e.event)),
      'the same events, field for field',
    );
    assert.deepEqual(lines(back.flatMap((u) => u.events)), lines(made.flatMap((u) => u.events)));
    for (const from of [1, 2, 4, 5, 7, 8, 11, 13])
      assert.deepEqual(
        (await all(journal.events(from))).map((e) => e.seq),
        made.flatMap((u) => u.events.map((e) => e.seq)).filter((s) => s >= from),
        `events(${from})`,
      );
    assert.equal(await journal.lastSeq(), 13);
  });

  test(`journal store contract (${name}): events(fromSeq) reads on from the middle of a unit, in seq order`, async (t) => {
    const { journal } = await begun(t);
    await journal.append([cycle(1), cycle(3), COMMAND]);
    assert.deepEqual(
      (await all(journal.events(4))).map((e) => e.seq),
      [4, 10, 11],
    );
    assert.deepEqual(
      (await all(journal.events(5))).map((e) => e.seq),
      [10, 11],
      'a seq the journal skipped: from the next one it holds',
    );
    assert.deepEqual(await all(journal.events(12)), [], 'past the end: nothing');
    assert.deepEqual(lines(await all(journal.events(3))), lines([...cycle(3).events, ...COMMAND.events]));
  });

  test(`journal store contract (${name}): units appended again (a retried commit) are not doubled`, async (t) => {
    const { journal } = await begun(t);
    await journal.append([cycle(1), cycle(3)]);
    await journal.append([cycle(1), cycle(3)]);
    assert.deepEqual(seqsOf(await all(journal.units())), [
      [1, 2],
      [3, 4],
    ]);
    // A batch whose first units are committed and whose last is new: the new one only.
    await journal.append([cycle(3), cycle(5)]);
    assert.deepEqual(seqsOf(await all(journal.units())), [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    assert.equal((await all(journal.events(1))).length, 6);
    assert.equal(await journal.lastSeq(), 6);
  });

  test(`journal store contract (${name}): a transaction holds whole units: one that fails leaves nothing of itself`, async (t) => {
    const { journal } = await begun(t);
    await journal.append([{ kind: 'outside', events: [{ seq: 1, event: FEED }] }]);
    // The second unit repeats the first's seqs: the store refuses the batch, and the first unit of it must go too.
    await assert.rejects(journal.append([cycle(2), cycle(2)]), JournalError);
    assert.equal(await journal.lastSeq(), 1);
    assert.deepEqual(seqsOf(await all(journal.units())), [[1]]);
    assert.deepEqual(
      (await all(journal.events(1))).map((e) => e.seq),
      [1],
    );
    // A batch out of seq order is refused whole; so is a unit that overlaps what is committed (not a retry of it).
    await journal.append([cycle(2)]);
    await assert.rejects(journal.append([cycle(5), { kind: 'outside', events: [{ seq: 4, event: FEED }] }]), JournalError);
    const overlapping: JournalUnit = {
      kind: 'outside',
      events: [
        { seq: 3, event: FEED },
        { seq: 4, event: FEED },
      ],
    };
    await assert.rejects(journal.append([overlapping]), JournalError);
    assert.equal(await journal.lastSeq(), 3);
    await journal.append([cycle(4)]);
    assert.deepEqual(seqsOf(await all(journal.units())), [[1], [2, 3], [4, 5]]);
  });

  test(`journal store contract (${name}): closed and opened again, it holds the same run, segments, units and events`, async (t) => {
    const store = await makeStore(t);
    const first = await store.open();
    await first.createRun(RUN);
    const segment = await first.beginSegment({ kind: 'start', afterSeq: 0, startedAt: 1_000 });
    await first.appendWarmup([warmupBar(2)]);
    await first.append([cycle(1), COMMAND]);
    await first.endSegment(segment, 'ok', { status: 'ok' });
    const before = {
      run: await first.readRun(),
      segments: await first.segments(),
      units: await all(first.units()),
      events: lines(await all(first.events(1))),
    };
    await first.close();
    const again = await store.open();
    t.after(() => again.close());
    assert.deepEqual(await again.readRun(), before.run);
    assert.deepEqual(await again.segments(), before.segments);
    assert.deepEqual(await all(again.units()), before.units);
    assert.deepEqual(lines(await all(again.events(1))), before.events);
    assert.equal(await again.lastSeq(), 11);
    assert.equal(before.run!.warmupBars.length, 3);
    // And it takes more: the next segment's units follow the first's.
    const next = await again.beginSegment({ kind: 'resume', afterSeq: 11, startedAt: 2_000 });
    await again.append([cycle(12)]);
    await again.endSegment(next, 'ok', { status: 'ok' });
    assert.deepEqual(seqsOf(await all(again.units())), [
      [1, 2],
      [10, 11],
      [12, 13],
    ]);
  });
}
