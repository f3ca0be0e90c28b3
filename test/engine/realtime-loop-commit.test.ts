/**
 * Intake pauses until a unit is durable: the realtime loop starts no cycle while the journal's
 * commit of the previous turn is in flight. Bars keep queueing meanwhile and are decided in order
 * once it lands; a slice its grace timer lets go meanwhile waits too, and goes first. A backlog let
 * go at once (a backfill's slices) is decided over several turns, each committed before the next.
 */
import { test, type TestContext } from 'node:test';
import type { EventSink } from '../../src/events/event-bus.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeInstrument } from '../../src/broker/instrument.ts';
import { CycleRunner } from '../../src/engine/cycle-runner.ts';
import { RealtimeLoop } from '../../src/engine/realtime-loop.ts';
import type { ReceivedBar } from '../../src/engine/feed-port.ts';
import { JournalSink } from '../../src/journal/journal-sink.ts';
import { openJournalStore } from '../../src/journal/open-journal-store.ts';
import { ClockOffset } from '../../src/telemetry/latency.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import { GatedJournal } from '../helpers/gated-journal.ts';
import { bar, makeLoop, scripted } from '../helpers/loop.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const GRACE_MS = 2_000;

interface SetUpOptions {
  readonly isBackfilling?: (symbol: string) => boolean;
  readonly turnCycles?: number;
}

/** The bars decided between two flushes of the bus, per flush that had any. */
class TurnSizes implements EventSink {
  readonly sizes: number[] = [];
  private bars = 0;
  write(_seq: number, event: { type: string }): void {
    if (event.type === 'bar') this.bars++;
  }
  flush(): void {
    if (this.bars > 0) this.sizes.push(this.bars);
    this.bars = 0;
  }
}

async function setUp(t: TestContext, symbols: readonly string[], o: SetUpOptions = {}) {
  const path = join(await tempDir(t, 'tl-loop-commit-'), 'journal.sqlite');
  const instruments = new Map(symbols.map((s) => [s, makeInstrument(s, '1')!]));
  const store = await openJournalStore({ kind: 'sqlite', path, durable: false, instruments });
  t.after(() => store.close());
  await store.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  const gated = new GatedJournal(store);
  const sink = new JournalSink(gated, (err) => {
    throw err;
  });
  const clock = new VirtualClock();
  const turns = new TurnSizes();
  const { engine, control, bus, rec } = makeLoop(scripted({}), { symbols, sinks: [sink, turns], monotonic: () => clock.monotonic() });
  const loop = new RealtimeLoop({
    engine,
    cycles: new CycleRunner({ engine, bus, recorder: sink }),
    control,
    bus,
    clock,
    symbols,
    sliceGraceMs: GRACE_MS,
    queueSize: 100,
    latencyAlertMs: 1e9,
    clockOffset: new ClockOffset(),
    newest: new Map(),
    isBackfilling: o.isBackfilling ?? (() => false),
    onDrained: () => {},
    pendingCommit: () => sink.pendingCommit(),
    ...(o.turnCycles === undefined ? {} : { turnCycles: o.turnCycles }),
  });
  const received = (i: number, symbol: string): ReceivedBar => {
    const b = bar(i, 100 + i, 99 + i, symbol);
    return { kind: 'bar', bar: b, eventTime: b.closeTime, recvWall: clock.now(), recvMono: clock.monotonic(), newestOpenTime: b.openTime };
  };
  /** The bars decided so far, as SYMBOL@minute. */
  const decided = (): string[] => rec.of('bar').map((b) => `${b.symbol}@${b.openTime / 60_000}`);
  return { gated, sink, loop, clock, received, decided, store, turns };
}

/** Lets every commit through, one at a time, until `done` holds. */
async function releaseUntil(gated: GatedJournal, done: () => boolean): Promise<void> {
  while (!done()) {
    await gated.started();
    gated.release();
  }
}

/** SYMBOL@minute for minutes 1..n of each symbol, slice by slice in --symbols order. */
const inSliceOrder = (symbols: readonly string[], n: number): string[] => Array.from({ length: n }, (_, i) => symbols.map((s) => `${s}@${i + 1}`)).flat();

/** The turns already queued (the loop's own setImmediate among them) have run: no timer, no sleep. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("no cycle starts while the previous turn's commit is in flight; the bars queued meanwhile go in order once it lands", async (t) => {
  const { gated, sink, loop, received, decided, store } = await setUp(t, ['SPY']);
  loop.push(received(1, 'SPY'));
  await gated.started(); // the first turn decided bar 1 and its commit is in flight
  assert.deepEqual(decided(), ['SPY@1']);
  loop.push(received(2, 'SPY'));
  loop.push(received(3, 'SPY'));
  await turn();
  await turn();
  assert.deepEqual(decided(), ['SPY@1'], 'bars 2 and 3 wait for the commit');
  assert.equal(loop.queued, 2, 'in the queue');
  gated.release();
  await gated.started(); // the next turn ran, and its own commit is in flight
  assert.deepEqual(decided(), ['SPY@1', 'SPY@2', 'SPY@3']);
  assert.deepEqual(gated.appends.length, 2);
  gated.release();
  await sink.whenCommitted();
  assert.equal(gated.maxInFlight, 1);
  const units: string[] = [];
  for await (const u of store.units()) units.push(`${u.bar!.symbol}@${u.bar!.openTime / 60_000}`);
  assert.deepEqual(units, ['SPY@1', 'SPY@2', 'SPY@3'], 'one unit per cycle, in order');
});

test('a slice its grace timer lets go while a commit is in flight waits for it, and is decided before the bars queued after it', async (t) => {
  const { gated, sink, loop, clock, received, decided } = await setUp(t, ['SPY', 'QQQ']);
  loop.push(received(1, 'SPY'));
  await turn(); // held: QQQ@1 has not come
  assert.deepEqual(decided(), []);
  loop.feedState('live', 'connected'); // a unit of its own, committed at once: in flight
  await gated.started();
  loop.push(received(2, 'QQQ'));
  loop.push(received(2, 'SPY'));
  clock.advance(GRACE_MS); // SPY@1's slice goes without QQQ@1
  await turn();
  await turn();
  assert.deepEqual(decided(), [], 'nothing decided while the commit is in flight');
  gated.release();
  await gated.started();
  assert.deepEqual(decided(), ['SPY@1', 'SPY@2', 'QQQ@2'], 'the released slice first, then the queue, each slice in --symbols order');
  gated.release();
  await sink.whenCommitted();
  await loop.drainAll();
  assert.deepEqual(decided(), ['SPY@1', 'SPY@2', 'QQQ@2']);
});

test('shutdown waits for each commit in flight, then decides everything still queued or held', async (t) => {
  const { gated, sink, loop, received, decided, store } = await setUp(t, ['SPY', 'QQQ']);
  loop.push(received(1, 'SPY'));
  loop.push(received(1, 'QQQ'));
  await gated.started();
  loop.push(received(2, 'SPY'));
  loop.push(received(2, 'QQQ'));
  loop.push(received(3, 'SPY'));
  const drained = loop.drainAll();
  await turn();
  assert.deepEqual(decided(), ['SPY@1', 'QQQ@1'], 'the queue waits for the commit in flight');
  gated.release();
  await gated.started();
  assert.deepEqual(decided(), ['SPY@1', 'QQQ@1', 'SPY@2', 'QQQ@2'], 'the queue decided; the held SPY@3 waits for their commit');
  gated.release();
  await drained;
  assert.deepEqual(decided(), ['SPY@1', 'QQQ@1', 'SPY@2', 'QQQ@2', 'SPY@3'], 'the held slice decided at shutdown');
  await gated.started();
  gated.release();
  await sink.whenCommitted();
  let cycles = 0;
  for await (const u of store.units()) if (u.kind === 'cycle') cycles++;
  assert.equal(cycles, 5, 'all five in the journal');
  assert.equal(sink.committedThrough, await store.lastSeq());
});

test("a backlog let go at once (a backfill's slices) is decided over turns of a bounded number of cycles, whole slices each, every turn committed before the next begins", async (t) => {
  const symbols = ['SPY', 'QQQ', 'IWM'];
  const backfilling = new Set(['IWM']);
  const { gated, sink, loop, received, decided, store, turns } = await setUp(t, symbols, { isBackfilling: (s) => backfilling.has(s), turnCycles: 4 });
  for (let i = 1; i <= 10; i++) {
    loop.push(received(i, 'SPY'));
    loop.push(received(i, 'QQQ'));
  }
  await turn();
  assert.deepEqual(decided(), [], 'held: IWM is being backfilled');
  backfilling.delete('IWM');
  for (let i = 1; i <= 10; i++) loop.push(received(i, 'IWM')); // the backfill's answer: ten slices complete at once
  await releaseUntil(gated, () => decided().length === 30);
  await sink.whenCommitted();
  assert.deepEqual(decided(), inSliceOrder(symbols, 10), 'the order of one long turn');
  // A slice of 3 is never cut: the first slice takes 3 of the 4, the second starts and ends the turn.
  assert.deepEqual(turns.sizes, [6, 6, 6, 6, 6]);
  assert.equal(gated.maxInFlight, 1, 'each turn waited for the commit before it');
  const units: string[] = [];
  for await (const u of store.units()) if (u.kind === 'cycle') units.push(`${u.bar!.symbol}@${u.bar!.openTime / 60_000}`);
  assert.deepEqual(units, inSliceOrder(symbols, 10));
});

test('slices their grace timers let go together are decided over bounded turns too, and shutdown decides what is left over as many', async (t) => {
  const { gated, sink, loop, clock, received, decided, turns } = await setUp(t, ['SPY', 'QQQ'], { turnCycles: 4 });
  for (let i = 1; i <= 10; i++) loop.push(received(i, 'SPY'));
  await turn();
  assert.deepEqual(decided(), [], 'held for QQQ');
  clock.advance(GRACE_MS); // every slice's grace ends at once: ten slices of SPY alone
  assert.deepEqual(decided(), ['SPY@1', 'SPY@2', 'SPY@3', 'SPY@4'], 'the first four at once, the rest wait for a turn');
  await gated.started();
  gated.release();
  await gated.started();
  assert.deepEqual(decided().length, 8);
  for (let i = 11; i <= 16; i++) loop.push(received(i, 'SPY'));
  const drained = loop.drainAll();
  await releaseUntil(gated, () => decided().length === 16);
  await drained;
  while (gated.pending > 0) gated.release();
  await sink.whenCommitted();
  assert.deepEqual(
    decided(),
    Array.from({ length: 16 }, (_, i) => `SPY@${i + 1}`),
  );
  assert.ok(
    turns.sizes.every((n) => n <= 4),
    `turns of ${turns.sizes.join(', ')}`,
  );
  assert.equal(
    turns.sizes.reduce((a, b) => a + b),
    16,
  );
  assert.equal(gated.maxInFlight, 1);
});
