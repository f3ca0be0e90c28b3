/**
 * Where a session stands in a stream it reads (a NATS stream's sequence numbers), for the journal
 * to record with each unit: "the journal is the cursor". The feed tells it each message it read
 * and each bar it handed to the loop; the journal, at the end of each unit, tells it the bar that
 * unit decided and asks for the watermark.
 *
 * The watermark is the highest sequence S such that every message at or before S is decided or
 * was not needed (another symbol's, a duplicate, a malformed one). It is not simply the sequence
 * of the last bar decided: publishers publish each symbol's bar as it closes, so a bar of a later
 * minute can sit at a lower sequence than a bar of the slice just decided, and it may still be
 * waiting in the loop's queue or its slice assembler. So the watermark is the lowest sequence
 * still held, less one, or the last sequence read when nothing is held. A session resumed after a
 * crash reads again from the watermark + 1; what that repeats of bars it had decided, the feed's
 * sequencer (seeded with each symbol's last decided bar) drops.
 *
 * Memory stays flat: bars leave as they are decided, and the held list is compacted as it goes.
 */
interface Held {
  readonly seq: number;
  readonly openTime: number;
  done: boolean;
}

export class StreamCursor {
  /** Where reading starts after (null: after the stream's last message at start, i.e. only what comes next). */
  readonly startAfter: number | null;
  /**
   * startAfter came from a journal: what the stream holds past it was published while the session
   * was away, and is caught up on, not news (a fresh session's startAfter is where its warm-up
   * read ended a moment ago: what follows is live).
   */
  readonly resumed: boolean;
  private lastRead: number | null;
  /** Held bars in sequence order (the feed reads in sequence order), from `head` on. */
  private held: Held[] = [];
  private head = 0;
  private waiting = 0;
  private readonly bySymbol = new Map<string, Held[]>();

  constructor(startAfter: number | null, resumed = false) {
    this.startAfter = startAfter;
    this.resumed = resumed;
    this.lastRead = startAfter;
  }

  /** Reading begins after this sequence (a cursor made with null learns it from the stream; one past the stream's end starts again). */
  begin(after: number): void {
    this.lastRead = after;
  }

  /** A message read and not handed on (not needed, or only a skip): nothing waits for it. */
  passed(seq: number): void {
    this.lastRead = seq;
  }

  /** A bar handed to the loop: held until the unit that decides it. */
  handed(symbol: string, openTime: number, seq: number): void {
    this.lastRead = seq;
    const h: Held = { seq, openTime, done: false };
    this.held.push(h);
    this.waiting++;
    let list = this.bySymbol.get(symbol);
    if (list === undefined) {
      list = [];
      this.bySymbol.set(symbol, list);
    }
    list.push(h);
  }

  /** A unit decided this bar: it and anything older of its symbol hold nothing up any more. */
  decided(symbol: string, openTime: number): void {
    const list = this.bySymbol.get(symbol);
    if (list === undefined) return;
    let n = 0;
    while (n < list.length && list[n]!.openTime <= openTime) list[n++]!.done = true;
    if (n > 0) list.splice(0, n);
    this.waiting -= n;
    while (this.head < this.held.length && this.held[this.head]!.done) this.head++;
    if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
  }

  /** Every message at or before it is decided or not needed; null before anything is known. */
  watermark(): number | null {
    if (this.head < this.held.length) return this.held[this.head]!.seq - 1;
    return this.lastRead;
  }

  /** The last sequence read (for the lag the status shows). */
  get readThrough(): number | null {
    return this.lastRead;
  }

  /** Bars handed on and not yet decided. */
  get holding(): number {
    return this.waiting;
  }
}
