/**
 * The in-memory sink the loop tests wait on (test/helpers/memory-sink.ts): on a real bus, it
 * resolves for an event already written or still to come, and a wait that is never met fails
 * naming what it waited for instead of hanging the test.
 */
import { LotSteps } from '../../src/events/lot-steps.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../src/events/event-bus.ts';
import { serializeEvent } from '../../src/events/serialize.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { MemorySink } from '../helpers/memory-sink.ts';

const stale: TradeEvent = { type: 'alert', kind: 'stale', message: 'feed stale', at: 1 };
const later: TradeEvent = { type: 'alert', kind: 'disconnect', message: 'connection 1 closed', at: 2 };

/** These events carry no lots. */
const NO_LOTS = new LotSteps(new Map());

test('waitFor resolves for an event already written and for one still to come, with its seq', async () => {
  const sink = new MemorySink();
  const bus = new EventBus([sink]);
  bus.emit(stale);
  assert.deepEqual(await sink.waitFor((e) => e.type === 'alert' && e.kind === 'stale', 'the stale alert'), { seq: 1, event: stale });
  const pending = sink.waitFor((e) => e.type === 'alert' && e.kind === 'disconnect', 'the disconnect alert');
  bus.emit(later);
  bus.endCycle();
  assert.deepEqual(await pending, { seq: 2, event: later });
  assert.equal(sink.cycles, 1);
  assert.deepEqual(sink.of('alert'), [stale, later]);
  assert.deepEqual(
    sink.lines(),
    [JSON.parse(serializeEvent(1, stale, NO_LOTS)), JSON.parse(serializeEvent(2, later, NO_LOTS))],
    'the lines the log would hold',
  );
});

test('a wait never met fails after its timeout, naming what it waited for', async () => {
  const sink = new MemorySink();
  await assert.rejects(
    sink.waitFor((e) => e.type === 'halt', 'a halt', 20),
    /timed out after 20 ms waiting for a halt; 0 events so far/,
  );
});
