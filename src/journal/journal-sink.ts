/**
 * The journal on the event bus. It gathers what the bus emits between two end-of-cycle marks into
 * a unit (a cycle when it begins with a bar, a command when the session noted one, else outside),
 * and commits the complete units at each flush: realtime flushes after every turn of cycles, a
 * static run after every chunk of input. Events after the last end-of-cycle mark wait for theirs: a
 * transaction never holds part of a cycle.
 *
 * The bus's flush cannot wait, so a flush starts a commit (one transaction of what is complete)
 * and the driver awaits it before it takes more input: realtime before its next turn of cycles
 * (whenCommitted), static at each chunk until at most a few commits are still going to disk
 * (whenInFlightAtMost): the static loop decides the next chunks meanwhile. The store takes one
 * commit at a time: a flush meanwhile is the next transaction, begun when the one before it is done.
 * committedThrough is the highest seq the journal holds: what a feed may acknowledge.
 *
 * A store with a unit writer (Journal.unitWriter: the SQLite journal's writer thread) is handed each
 * event as it comes instead, and each unit's end: no unit is kept here, and a flush asks it to commit
 * what has ended at once (it commits in the order asked, after the commits before).
 *
 * When the store fails (disk full, I/O error, locked), the journal stops taking units and says so
 * once through onFailure: the session then halts trading (it never trades what it cannot record).
 */
import type { Bar } from '../domain/types.ts';
import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';
import { barOfEvent, type Journal, type JournalUnit, type Provenance, type RecordedCommand, type SeqEvent, type UnitWriter } from './journal.ts';

export class JournalSink implements EventSink {
  readonly journal: Journal;
  private current: SeqEvent[] = [];
  private complete: JournalUnit[] = [];
  private provenance: Provenance | null = null;
  private command: RecordedCommand | null = null;
  private warmups: Bar[] = [];
  private readonly onFailure: (err: Error) => void;
  /** Events at or below this seq are already in the journal (a resume replays them): not taken again. */
  private readonly afterSeq: number;
  failed: Error | null = null;
  /** Units committed by this sink. */
  committed = 0;
  /** The highest seq durable in the journal (the journal's last seq when the sink began). */
  committedThrough: number;
  /**
   * A session that reads a stream stamps each unit with its cursor: told the unit's bar (a cycle's,
   * now decided), it answers the position every message up to which is decided or not needed
   * (null while it knows none yet). null: no cursor (Binance, static).
   */
  private cursorAfter: ((decided: Bar | undefined) => number | null) | null = null;
  /** The commits begun and not yet done, oldest first: each begins (or is asked for) after the one before it and is done after it. */
  private readonly begun: Promise<void>[] = [];
  /** The store's unit writer, when it has one; then the unit being made is its, and only these are kept here. */
  private readonly writer: UnitWriter | null;
  /** The last seq of the unit being made (0 for none yet), and whether its first event is a bar. */
  private unitSeq = 0;
  private unitIsCycle = false;
  /** Units ended since the last flush, and the last seq among them. */
  private ended = 0;
  private endedThrough = 0;

  constructor(journal: Journal, onFailure: (err: Error) => void, afterSeq = 0) {
    this.journal = journal;
    this.onFailure = onFailure;
    this.afterSeq = afterSeq;
    this.committedThrough = afterSeq;
    this.writer = journal.unitWriter?.() ?? null;
  }

  /** Stamps each unit with the stream cursor `after` answers (see cursorAfter). */
  stampCursors(after: (decided: Bar | undefined) => number | null): void {
    // The writer thread is a static run's (its units are packed as they come, without their bar): no stream there.
    if (this.writer !== null) throw new Error('journal sink: a store with a unit writer (a static run) takes no stream cursor');
    this.cursorAfter = after;
  }

  /** Before a cycle: where its bar came from. */
  noteBar(provenance: Provenance): void {
    this.provenance = provenance;
  }

  /** A history bar before the first decision (static --from, realtime start-up): kept for a replay. */
  noteWarmup(bar: Bar): void {
    if (!this.failed) this.warmups.push(bar);
  }

  /** Before a command is applied: what it was, and the prices a flatten will fill at. */
  noteCommand(command: RecordedCommand): void {
    this.command = command;
  }

  write(seq: number, event: TradeEvent): void {
    // The end of a segment is the segment's own record (endSegment), not part of the run's events.
    if (seq <= this.afterSeq || this.failed || event.type === 'run_end' || event.type === 'run_resume') return;
    if (this.writer === null) {
      this.current.push({ seq, event });
      return;
    }
    if (this.unitSeq === 0) this.unitIsCycle = event.type === 'bar';
    this.unitSeq = seq;
    this.writer.write(seq, event);
  }

  endCycle(): void {
    const events = this.current;
    const provenance = this.provenance;
    const command = this.command;
    this.provenance = null;
    this.command = null;
    if (this.writer !== null) {
      if (this.unitSeq === 0) return;
      const kind = command ? 'command' : this.unitIsCycle ? 'cycle' : 'outside';
      this.writer.endUnit(kind, kind === 'cycle' ? provenance : null, command);
      this.ended++;
      this.endedThrough = this.unitSeq;
      this.unitSeq = 0;
      return;
    }
    if (events.length === 0) return;
    this.current = [];
    const first = events[0]!.event;
    // A cycle's bar is its first event: a store keeps it from there (the unit's `bar` is for reading back).
    const unit: JournalUnit = command
      ? { kind: 'command', events, command }
      : first.type === 'bar'
        ? provenance
          ? { kind: 'cycle', events, provenance }
          : { kind: 'cycle', events }
        : { kind: 'outside', events };
    const cursor = this.cursorAfter?.(first.type === 'bar' ? barOfEvent(first) : undefined) ?? null;
    this.complete.push(cursor === null ? unit : { ...unit, cursor });
  }

  /** Starts committing the complete units (the bus's flush, which cannot wait): await whenCommitted() for them. */
  flush(): void {
    if (this.failed || (this.complete.length === 0 && this.ended === 0 && this.warmups.length === 0)) return;
    const warmups = this.warmups;
    this.warmups = [];
    const before = this.pendingCommit();
    let commit: Promise<void>;
    if (this.writer !== null) {
      const ended = this.ended;
      this.ended = 0;
      // Both asked for now, in order: the store commits them after the commits before, done or not.
      const done = Promise.all([warmups.length > 0 ? this.journal.appendWarmup(warmups) : null, ended > 0 ? this.writer.commit() : null]);
      commit = this.settle(done, ended, this.endedThrough);
    } else {
      const units = this.complete;
      this.complete = [];
      commit = before === null ? this.commit(units, warmups) : before.then(() => this.commit(units, warmups));
    }
    this.begun.push(commit);
    // Taken off in a callback, which always runs after the push above (a commit may be done at once).
    commit.then(
      () => {
        // Commits end in the order they began: this one is the oldest still listed.
        if (this.begun[0] === commit) this.begun.shift();
      },
      () => {},
    );
  }

  /** Settles once everything flushed so far is committed, or the journal has failed (onFailure has been told). Never rejects. */
  whenCommitted(): Promise<void> {
    return this.pendingCommit() ?? Promise.resolve();
  }

  /**
   * Settles once at most `n` of the commits begun are still in flight (or the journal has failed).
   * Never rejects. A static run lets a few go on while it decides more: SQLite's WAL checkpoint holds
   * a commit up for 13-20 ms every few dozen commits, and waiting for every commit but the last one
   * left the loop idle ~0.5 s of a 1,000,000-bar journaled run.
   */
  whenInFlightAtMost(n: number): Promise<void> {
    const over = this.begun.length - n;
    return over > 0 ? this.begun[over - 1]! : Promise.resolve();
  }

  /** The commit in flight, or null: intake waits for it. */
  pendingCommit(): Promise<void> | null {
    return this.begun.at(-1) ?? null;
  }

  private commit(units: readonly JournalUnit[], warmups: readonly Bar[]): Promise<void> {
    if (this.failed) return Promise.resolve(); // a commit before this one failed: the journal takes nothing more
    const done = (async () => {
      if (warmups.length > 0) await this.journal.appendWarmup(warmups);
      if (units.length > 0) await this.journal.append(units);
    })();
    return this.settle(done, units.length, units.at(-1)?.events.at(-1)?.seq ?? 0);
  }

  /** Counts a commit once it is done; the first failure is told (with a unit writer, the commits after a failed one fail too). */
  private async settle(done: Promise<unknown>, units: number, through: number): Promise<void> {
    try {
      await done;
      this.committed += units;
      if (units > 0) this.committedThrough = through;
    } catch (err) {
      if (this.failed) return;
      this.failed = err as Error;
      this.onFailure(this.failed);
    }
  }

  /** The last complete units committed; the segment may end once this settles. */
  async close(): Promise<void> {
    this.endCycle();
    this.flush();
    await this.whenCommitted();
  }
}
