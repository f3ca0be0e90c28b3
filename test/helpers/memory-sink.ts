/**
 * An event sink that keeps what the bus emits in memory, for tests about the loop rather than the
 * log file (pino's test/helper.js sink()): a test waits for the event it expects instead of
 * polling events.ndjson on disk or sleeping.
 */
import { LotSteps } from '../../src/events/lot-steps.ts';
import type { EventSink } from '../../src/events/event-bus.ts';
import { serializeEvent } from '../../src/events/serialize.ts';
import type { TradeEvent } from '../../src/events/types.ts';

export interface Seen {
  readonly seq: number;
  readonly event: TradeEvent;
}

interface Waiter {
  readonly match: (seen: Seen) => boolean;
  readonly resolve: (seen: Seen) => void;
}

export class MemorySink implements EventSink {
  /** Every event written, in order, as the bus numbered it. */
  readonly seen: Seen[] = [];
  /** endCycle marks received: the units a journal would have committed. */
  cycles = 0;
  private readonly records: Array<Record<string, unknown>> = [];
  private waiters: Waiter[] = [];
  private listeners: Array<() => void> = [];
  /** Each symbol's lot step: lines() writes lots as asset units, as the log does. */
  private readonly lots: LotSteps;

  constructor(lots: LotSteps = new LotSteps(new Map())) {
    this.lots = lots;
  }

  write(seq: number, event: TradeEvent): void {
    const seen = { seq, event };
    this.seen.push(seen);
    // Matched on write; the waiting test goes on once the writer's turn (the whole cycle) is done.
    const left: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.match(seen)) w.resolve(seen);
      else left.push(w);
    }
    this.waiters = left;
    for (const l of this.listeners.splice(0)) l();
  }

  endCycle(): void {
    this.cycles++;
  }

  /** The typed events of one type. */
  of<K extends TradeEvent['type']>(type: K): Array<Extract<TradeEvent, { type: K }>> {
    return this.seen.filter((s) => s.event.type === type).map((s) => s.event as Extract<TradeEvent, { type: K }>);
  }

  /**
   * Each event as its events.ndjson line reads back (seq, type, prices and money as JSON numbers):
   * tests written against the log keep their assertions. Serialised once per event, on demand.
   */
  lines(): ReadonlyArray<Record<string, unknown>> {
    for (let i = this.records.length; i < this.seen.length; i++) {
      const { seq, event } = this.seen[i]!;
      this.records.push(JSON.parse(serializeEvent(seq, event, this.lots)) as Record<string, unknown>);
    }
    return this.records;
  }

  /**
   * Resolves with the first event, already written or still to come, that `match` accepts; fails
   * after timeoutMs of real time, naming what it waited for.
   */
  waitFor(match: (event: TradeEvent, seq: number) => boolean, what: string, timeoutMs = 5000): Promise<Seen> {
    const test = (s: Seen): boolean => match(s.event, s.seq);
    const already = this.seen.find(test);
    if (already) return Promise.resolve(already);
    return new Promise<Seen>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.seen.length} events so far`));
      }, timeoutMs);
      const waiter: Waiter = {
        match: test,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves at the next event written (or after maxMs): lets a condition on other state be looked at again. */
  nextWrite(maxMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      this.listeners.push(done);
    });
  }
}
