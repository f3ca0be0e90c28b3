/**
 * A real journal store whose commits wait until the test lets each one through: what a store
 * across a network (PostgreSQL) looks like to its writer, a commit still in flight when the next
 * turn comes. Everything else goes straight to the store underneath.
 */
import type { Bar } from '../../src/domain/types.ts';
import type { Journal, JournalRun, JournalSegment, JournalUnit, SegmentStart, SeqEvent } from '../../src/journal/journal.ts';

export class GatedJournal implements Journal {
  readonly inner: Journal;
  /** The seqs of each append as it was asked for, in order. */
  readonly appends: number[][] = [];
  /** Appends asked for and not yet let through. */
  private readonly waiting: Array<() => void> = [];
  private onStart: Array<() => void> = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(inner: Journal) {
    this.inner = inner;
  }

  get location(): string {
    return this.inner.location;
  }

  /** Settles when an append is waiting to be let through (at once if one is). */
  started(): Promise<void> {
    if (this.waiting.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.onStart.push(resolve));
  }

  /** Lets the oldest waiting append through to the store underneath. */
  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) throw new Error('no append is waiting');
    next();
  }

  get pending(): number {
    return this.waiting.length;
  }

  async append(units: readonly JournalUnit[]): Promise<void> {
    this.appends.push(units.flatMap((u) => u.events.map((e) => e.seq)));
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        for (const f of this.onStart.splice(0)) f();
      });
      await this.inner.append(units);
    } finally {
      this.inFlight--;
    }
  }

  readRun(): Promise<JournalRun | null> {
    return this.inner.readRun();
  }

  lastCursor(): Promise<number | null> {
    return this.inner.lastCursor();
  }
  createRun(run: JournalRun): Promise<void> {
    return this.inner.createRun(run);
  }
  beginSegment(segment: SegmentStart): Promise<number> {
    return this.inner.beginSegment(segment);
  }
  appendWarmup(bars: readonly Bar[]): Promise<void> {
    return this.inner.appendWarmup(bars);
  }
  endSegment(id: number, status: string, summary: unknown): Promise<void> {
    return this.inner.endSegment(id, status, summary);
  }
  lastSeq(): Promise<number> {
    return this.inner.lastSeq();
  }
  units(): AsyncIterable<JournalUnit> {
    return this.inner.units();
  }
  events(fromSeq: number): AsyncIterable<SeqEvent> {
    return this.inner.events(fromSeq);
  }
  segments(): Promise<readonly JournalSegment[]> {
    return this.inner.segments();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
