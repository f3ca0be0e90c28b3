/**
 * The SQLite journal with its appends on a thread of their own (static runs). The SQLite work of a
 * commit (a row a cycle, the transaction, the WAL and its checkpoints) was most of what the journal
 * cost the loop's thread; here the loop packs each event into numbers as the bus emits it (the unit
 * writer, unit-batch.ts), posts the ended units at each commit, and reads on while the writer thread
 * (sqlite-writer-thread.ts) commits them on its own connection. Commits and warm-ups are pipelined:
 * each is posted at once and committed in order, none after one that failed (of those asked before
 * the failure was told here), so a driver may keep one in flight while it decides more; whoever
 * needs a commit on disk awaits its promise.
 *
 * Everything else (the run, segments, reads) is done on this thread's connection once every append
 * posted before it is committed, so it sees them. Realtime keeps the in-thread store: each turn's
 * commit must be on disk before the socket is read again, and a hop to a thread would only add to it.
 */
import { Worker } from 'node:worker_threads';
import { siblingModule } from '../config/module-url.ts';
import type { Bar } from '../domain/types.ts';
import {
  JournalError,
  type Journal,
  type JournalRun,
  type JournalSegment,
  type JournalUnit,
  type SegmentStart,
  type SeqEvent,
  type UnitWriter,
} from './journal.ts';
import { SqliteJournal, type SqliteJournalOptions } from './sqlite-journal.ts';
import type { WriterInit, WriterReply, WriterRequest } from './sqlite-writer-thread.ts';
import { UnitPacker } from './unit-batch.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

export class ThreadedSqliteJournal implements Journal {
  readonly location: string;
  private readonly inner: SqliteJournal;
  private readonly worker: Worker;
  private readonly packer = new UnitPacker();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Begun anew when a failure is told: the thread refuses what was asked in the epoch that failed. */
  private epoch = 0;
  /** The last request posted: settled once it (and so every one before it) is done. */
  private last: Promise<void> = Promise.resolve();
  private segment = 0;
  /** Why the writer thread is gone, once it is. */
  private gone: JournalError | null = null;

  constructor(path: string, options: SqliteJournalOptions) {
    this.location = path;
    // Opened here first: a file that cannot be a journal is refused at once, and the tables exist before the thread opens it.
    this.inner = new SqliteJournal(path, options);
    const init: WriterInit = { path, durable: options.durable };
    this.worker = new Worker(siblingModule('sqlite-writer-thread', import.meta.url), { workerData: init });
    this.worker.unref();
    this.worker.on('message', (m: WriterReply) => {
      if (m.nums && m.bigs) this.packer.giveBack(m.nums, m.bigs);
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (m.error === undefined) p?.resolve();
      else {
        if (m.epoch === this.epoch) this.epoch++;
        p?.reject(new JournalError(m.error));
      }
    });
    const lost = (why: string): void => {
      this.gone ??= new JournalError(`${path}: the journal's writer thread ${why}`);
      for (const p of this.pending.values()) p.reject(this.gone);
      this.pending.clear();
    };
    this.worker.on('error', (err) => lost(`failed (${err.message})`));
    this.worker.on('exit', () => lost('stopped'));
  }

  private request(message: DistributiveOmit<WriterRequest, 'epoch'>, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.gone) return Promise.reject(this.gone);
    // The thread keeps the process alive only while it has work: a session that ends without closing the journal still exits.
    if (this.pending.size === 0) this.worker.ref();
    const done = new Promise<void>((resolve, reject) => this.pending.set(message.id, { resolve, reject }));
    this.worker.postMessage({ ...message, epoch: this.epoch }, transfer);
    // What runs on this thread's connection waits for it, failed or not.
    this.last = done.then(
      () => {},
      () => {},
    );
    return done;
  }

  append(units: readonly JournalUnit[]): Promise<void> {
    if (this.packer.unitOpen) return Promise.reject(new JournalError('journal: append while the unit writer is making a unit: use one or the other'));
    for (const u of units) if (u.events.length > 0) this.packer.add(u);
    return this.commitPacked();
  }

  unitWriter(): UnitWriter {
    const packer = this.packer;
    return {
      write: (seq, event) => packer.write(seq, event),
      endUnit: (kind, provenance, command) => packer.endUnit(kind, provenance, command),
      commit: () => this.commitPacked(),
    };
  }

  /** Posts the units packed and ended so far, one transaction. */
  private commitPacked(): Promise<void> {
    if (!this.packer.pending) return this.last;
    const batch = this.packer.take();
    return this.request({ id: this.nextId++, op: 'append', segment: this.segment, batch }, [
      batch.nums.buffer as ArrayBuffer,
      batch.bigs.buffer as ArrayBuffer,
    ]);
  }

  appendWarmup(bars: readonly Bar[]): Promise<void> {
    return this.request({ id: this.nextId++, op: 'warmup', bars });
  }

  /** Every request posted so far done: what this thread's connection does next sees them. */
  private settled(): Promise<void> {
    return this.last;
  }

  async readRun(): Promise<JournalRun | null> {
    await this.settled();
    return this.inner.readRun();
  }

  async createRun(run: JournalRun): Promise<void> {
    await this.settled();
    return this.inner.createRun(run);
  }

  async beginSegment(segment: SegmentStart): Promise<number> {
    await this.settled();
    this.segment = await this.inner.beginSegment(segment);
    return this.segment;
  }

  async endSegment(id: number, status: string, summary: unknown): Promise<void> {
    await this.settled();
    return this.inner.endSegment(id, status, summary);
  }

  async lastSeq(): Promise<number> {
    await this.settled();
    return this.inner.lastSeq();
  }

  async lastCursor(): Promise<number | null> {
    await this.settled();
    return this.inner.lastCursor();
  }

  units(): AsyncIterable<JournalUnit> {
    return this.after(() => this.inner.units());
  }

  events(fromSeq: number): AsyncIterable<SeqEvent> {
    return this.after(() => this.inner.events(fromSeq));
  }

  /** A reader begun once the appends posted before it are committed (not an async generator: a replay of a million units feels each step's cost). */
  private after<T>(open: () => AsyncIterable<T>): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<T> => {
        let it: AsyncIterator<T> | null = null;
        const ready = this.settled().then(() => (it = open()[Symbol.asyncIterator]()));
        return {
          next: () => (it !== null ? it.next() : ready.then((i) => i.next())),
          return: async (value?: unknown) => (await ready).return?.(value) ?? { done: true, value: undefined as T },
        };
      },
    };
  }

  async segments(): Promise<readonly JournalSegment[]> {
    await this.settled();
    return this.inner.segments();
  }

  async close(): Promise<void> {
    await this.settled();
    if (!this.gone) await this.request({ id: this.nextId++, op: 'close' }).catch(() => {});
    await this.worker.terminate();
    await this.inner.close();
  }
}
