/**
 * The sink contract, run against every sink that keeps the log: the in-thread NDJSON writer, the
 * writer thread, and the journal. The same events in give the same lines out (the journal's read
 * back and serialised), nothing is lost on close, and the journal keeps the cycle boundaries the
 * bus marked — a unit is never split across commits, and events after the last mark wait for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeInstrument, type Instrument } from '../../src/broker/instrument.ts';
import { EventBus, type EventSink } from '../../src/events/event-bus.ts';
import { serializeEvent } from '../../src/events/serialize.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { JournalSink } from '../../src/journal/journal-sink.ts';
import type { SeqEvent } from '../../src/journal/journal.ts';
import { openJournalStore } from '../../src/journal/open-journal-store.ts';
import { NdjsonWriter } from '../../src/sinks/ndjson-writer.ts';
import { ThreadedNdjsonWriter } from '../../src/sinks/threaded-ndjson-writer.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { SAMPLE_EVENTS, SAMPLE_LOTS as lots } from '../helpers/event-samples.ts';

const INSTRUMENTS = new Map<string, Instrument>([
  ['A', makeInstrument('A', '1')!],
  ['BTCUSDT', makeInstrument('BTCUSDT', '0.00001')!],
  ['这是测试币456', makeInstrument('这是测试币456', '0.00001')!],
]);
const EVENTS = SAMPLE_EVENTS.filter((e) => e.type !== 'run_resume');

interface Kept {
  readonly name: string;
  sink(dir: string): EventSink | Promise<EventSink>;
  lines(dir: string): Promise<string[]> | string[];
}

const openJournal = (dir: string) => openJournalStore({ kind: 'sqlite', path: join(dir, 'j.sqlite'), durable: false, instruments: INSTRUMENTS });

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

const KEEPERS: Kept[] = [
  {
    name: 'in-thread NDJSON writer',
    sink: (d) => new NdjsonWriter(join(d, 'a.ndjson'), { durable: true, lots }),
    lines: (d) => readFileSync(join(d, 'a.ndjson'), 'utf8').split('\n').filter(Boolean),
  },
  {
    name: 'batched NDJSON writer',
    sink: (d) => new NdjsonWriter(join(d, 'b.ndjson'), { batchBytes: 256, lots }),
    lines: (d) => readFileSync(join(d, 'b.ndjson'), 'utf8').split('\n').filter(Boolean),
  },
  {
    name: 'writer thread',
    sink: (d) => new ThreadedNdjsonWriter(join(d, 'c.ndjson'), { lots }),
    lines: (d) => readFileSync(join(d, 'c.ndjson'), 'utf8').split('\n').filter(Boolean),
  },
  {
    name: 'journal',
    sink: async (d) => {
      const j = await openJournal(d);
      await j.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
      const s = new JournalSink(j, (err) => {
        throw err;
      });
      return {
        write: (q, e) => s.write(q, e),
        endCycle: () => s.endCycle(),
        flush: () => s.flush(),
        close: async () => {
          await s.close();
          await j.close();
        },
      };
    },
    lines: async (d) => {
      const j = await openJournal(d);
      try {
        return (await all(j.events(1))).map(({ seq, event }) => serializeEvent(seq, event, lots));
      } finally {
        await j.close();
      }
    },
  },
];

/** Events in units of three, with a flush now and then: what a run does. */
async function drive(sink: EventSink, events: readonly TradeEvent[]): Promise<void> {
  const bus = new EventBus([sink]);
  events.forEach((e, i) => {
    bus.emit(e);
    if (i % 3 === 2) bus.endCycle();
    if (i % 7 === 6) bus.flush();
  });
  bus.endCycle();
  await bus.close();
}

const expected = EVENTS.map((e, i) => serializeEvent(i + 1, e, lots));

for (const k of KEEPERS) {
  test(`sink contract (${k.name}): the same events give the same lines, nothing lost on close`, async (t) => {
    const dir = await tempDir(t, 'tl-contract-');
    await drive(await k.sink(dir), EVENTS);
    assert.deepEqual(await k.lines(dir), expected);
  });
}

test('sink contract (journal): cycle boundaries are kept; events after the last mark wait for it', async (t) => {
  const dir = await tempDir(t, 'tl-contract-');
  const j = await openJournal(dir);
  t.after(() => j.close());
  await j.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  const sink = new JournalSink(j, (err) => {
    throw err;
  });
  const bus = new EventBus([sink]);
  for (const e of EVENTS.slice(0, 5)) bus.emit(e);
  bus.endCycle();
  bus.emit(EVENTS[5]!);
  bus.emit(EVENTS[6]!);
  bus.flush(); // mid-unit: the open unit must not be written
  await sink.whenCommitted();
  assert.equal(await j.lastSeq(), 5);
  assert.equal(sink.committedThrough, 5);
  bus.endCycle();
  bus.flush();
  await sink.whenCommitted();
  assert.equal(await j.lastSeq(), 7);
  assert.equal(sink.committedThrough, 7);
  assert.deepEqual(
    (await all(j.units())).map((u) => u.events.map((e: SeqEvent) => e.seq)),
    [
      [1, 2, 3, 4, 5],
      [6, 7],
    ],
  );
});
