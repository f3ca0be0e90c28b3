/**
 * The bus's recorders (realtime: the statistics, the event counter, the observers) get each turn's
 * events and cycle ends at its flush, in order and numbered as emitted; every other sink (the
 * journal's, the engine's readers, a library user's) as they come. Nothing is lost at close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, type EventSink } from '../../src/events/event-bus.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { SAMPLE_EVENTS } from '../helpers/event-samples.ts';

/** Writes down everything it is told, in order. */
class Tape implements EventSink {
  readonly seen: string[] = [];
  write(seq: number, e: TradeEvent): void {
    this.seen.push(`${seq}:${e.type}`);
  }
  endCycle(): void {
    this.seen.push('end');
  }
  flush(): void {
    this.seen.push('flush');
  }
  close(): void {
    this.seen.push('close');
  }
}

const [first, second, third] = SAMPLE_EVENTS;

test('a recorder gets the events and cycle ends at the flush, in order, numbered as emitted; other sinks at once', async () => {
  const journal = new Tape();
  const log = new Tape();
  const observer = new Tape();
  const bus = new EventBus([log, journal], new Set([log]));
  bus.observe(observer);
  bus.emit(first!);
  bus.emit(second!);
  bus.endCycle();
  bus.emit(third!);
  assert.deepEqual(journal.seen, [`1:${first!.type}`, `2:${second!.type}`, 'end', `3:${third!.type}`]);
  assert.deepEqual(observer.seen, journal.seen);
  assert.deepEqual(log.seen, [], 'nothing before the flush');
  bus.flush();
  assert.deepEqual(log.seen, [`1:${first!.type}`, `2:${second!.type}`, 'end', `3:${third!.type}`, 'flush']);
  bus.flush();
  assert.deepEqual(log.seen.slice(5), ['flush'], 'delivered once');
  bus.endCycle();
  bus.emit(first!);
  await bus.close();
  assert.deepEqual(log.seen.slice(6), ['end', `4:${first!.type}`, 'close'], 'close delivers what waited');
  assert.deepEqual(journal.seen.slice(-4), ['flush', 'end', `4:${first!.type}`, 'close']);
});

test('without recorders every sink gets each event as it is emitted (static runs)', () => {
  const log = new Tape();
  const bus = new EventBus([log]);
  bus.emit(first!);
  bus.endCycle();
  assert.deepEqual(log.seen, [`1:${first!.type}`, 'end']);
});
