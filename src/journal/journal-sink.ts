/**
 * The journal on the event bus. It gathers what the bus emits between two end-of-cycle marks into
 * a unit (a cycle when it begins with a bar, a command when the session noted one, else outside),
 * and commits the complete units at each flush: realtime flushes after every turn of cycles, a
 * static run after every chunk of input. Events after the last end-of-cycle mark wait for theirs: a
 * transaction never holds part of a cycle.
 *
 * The bus's flush cannot wait, so a flush starts a commit (one transaction of what is complete)
 * and the driver awaits it (whenCommitted) before it takes more input: realtime before its next
 * turn of cycles, static at each chunk. One commit is in flight at a time: a flush meanwhile is
 * the next transaction, begun when the one before it is done. committedThrough is the highest seq
 * the journal holds: what a feed may acknowledge.
 *
 * When the store fails (disk full, I/O error, locked), the journal stops taking units and says so
 * once through onFailure: the session then halts trading (it never trades what it cannot record).
 */
import type { Bar } from '../domain/types.ts';
import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';
import type { Journal, JournalUnit, Provenance, RecordedCommand, SeqEvent } from './journal.ts';

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
  /** The last commit begun (each begins once the one before it is done), until it is done. */
  private inFlight: Promise<void> | null = null;

  constructor(journal: Journal, onFailure: (err: Error) => void, afterSeq = 0) {
    this.journal = journal;
    this.onFailure = onFailure;
    this.afterSeq = afterSeq;
    this.committedThrough = afterSeq;
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
    this.current.push({ seq, event });
  }

  endCycle(): void {
    const events = this.current;
    const provenance = this.provenance;
    const command = this.command;
    this.provenance = null;
    this.command = null;
    if (events.length === 0) return;
    this.current = [];
    // A cycle's bar is its first event: a store keeps it from there (the unit's `bar` is for reading back).
    this.complete.push(
      command
        ? { kind: 'command', events, command }
        : events[0]!.event.type === 'bar'
          ? provenance
            ? { kind: 'cycle', events, provenance }
            : { kind: 'cycle', events }
          : { kind: 'outside', events },
    );
  }

  /** Starts committing the complete units (the bus's flush, which cannot wait): await whenCommitted() for them. */
  flush(): void {
    if (this.failed || (this.complete.length === 0 && this.warmups.length === 0)) return;
    const units = this.complete;
    const warmups = this.warmups;
    this.complete = [];
    this.warmups = [];
    const before = this.inFlight;
    const commit = before === null ? this.commit(units, warmups) : before.then(() => this.commit(units, warmups));
    this.inFlight = commit;
    // Cleared in a callback, which always runs after the assignment above (a commit may be done at once).
    commit.then(
      () => {
        if (this.inFlight === commit) this.inFlight = null;
      },
      () => {},
    );
  }

  /** Settles once everything flushed so far is committed, or the journal has failed (onFailure has been told). Never rejects. */
  whenCommitted(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  /** The commit in flight, or null: intake waits for it. */
  pendingCommit(): Promise<void> | null {
    return this.inFlight;
  }

  private async commit(units: readonly JournalUnit[], warmups: readonly Bar[]): Promise<void> {
    if (this.failed) return; // a commit before this one failed: the journal takes nothing more
    try {
      if (warmups.length > 0) await this.journal.appendWarmup(warmups);
      if (units.length > 0) await this.journal.append(units);
      this.committed += units.length;
      const last = units.at(-1)?.events.at(-1)?.seq;
      if (last !== undefined) this.committedThrough = last;
    } catch (err) {
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
