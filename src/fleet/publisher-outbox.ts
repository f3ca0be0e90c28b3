/**
 * Bars on their way into the stream. One lane per symbol, one publish in flight per lane: a bar
 * is published only once the one before it is acknowledged, so a lost publish retried later can
 * never land behind a newer bar of its symbol (a publish can be lost on a dying connection while
 * the next one, sent after the reconnect, is stored). A publish that fails (server down, ack timed
 * out, JetStream not ready yet after a restart) is retried, with backoff, until the server acks
 * it; the server's duplicate window makes a retry of a publish that did land harmless
 * (ack.duplicate). Nothing is dropped: when the bars held pass `maxHeld`, add() says so and the
 * feed stops reading until the lanes have drained to half of it.
 *
 * Each symbol's subject stays in time order with two publishers too, even ones that started at the
 * same moment with different history windows: each publish expects the subject's last sequence as
 * this lane knows it (JetStream's Nats-Expected-Last-Subject-Sequence). The server checks the
 * message id first, so a bar the stream holds is acked as a duplicate whatever was expected; a new
 * bar behind the subject's newest is published expecting an empty subject, which the server refuses:
 * counted `behind`, never stored out of order. When another publisher got ahead, the server refuses
 * the expectation and the lane reads the subject's newest again before it decides the bar anew.
 */
import type { Bar } from '../domain/types.ts';
import { Backoff } from '../feed/live/backoff.ts';
import type { Clock, TimerHandle } from '../telemetry/clock.ts';
import { barMessageId, barSubject, encodeBarMessage } from './bar-message.ts';

export interface PublishAck {
  readonly duplicate: boolean;
  /** The stream sequence of the message (a duplicate's: of the one the stream holds). */
  readonly seq: number;
}

/** The newest message of a symbol's subject: its stream sequence and its bar's openTime. */
export interface SubjectTip {
  readonly seq: number;
  readonly openTime: number;
}

/**
 * js.publish with the bar's message id, expecting the subject's last sequence to be `expectLastSeq`
 * (0: an empty subject); 'conflict' when the server refused that expectation. Rejects when the server did not answer.
 */
export type PublishBar = (subject: string, data: string, msgID: string, expectLastSeq: number) => Promise<PublishAck | 'conflict'>;

/** Why a bar is published: the history sent at start, bars missed while no publisher ran, or the live feed (its backfills included). */
export type BarKind = 'history' | 'missed' | 'feed';
export const BAR_KINDS: readonly BarKind[] = ['history', 'missed', 'feed'];

export interface OutboxCounts {
  /** Acked as new messages. */
  published: number;
  /** Acked as duplicates: the stream had the bar (another publisher, a repeated history, a retry that had landed). */
  duplicates: number;
  /** Not published: older than the subject's newest bar and not in the stream (another publisher got ahead with a shorter history). */
  behind: number;
}

export interface OutboxOptions {
  readonly interval: string;
  readonly publish: PublishBar;
  /** The subject's newest message, or null for an empty subject; rejects when the server did not answer. */
  readonly tipOf: (subject: string) => Promise<SubjectTip | null>;
  readonly clock: Clock;
  readonly random: () => number;
  /** Bars held, all symbols together, at which add() answers false (the feed pauses reading). */
  readonly maxHeld: number;
  /** Held bars drained to half of maxHeld after add() answered false: the feed may read again. */
  readonly onRoom: () => void;
  /** Publishing failed, the first time since it last worked. */
  readonly onDown: (reason: string, held: number) => void;
  /** A publish started after a failure was acked: the server takes bars again. */
  readonly onUp: (downForMs: number, held: number, retries: number) => void;
  readonly retryBaseMs?: number;
  readonly retryCapMs?: number;
}

interface Held {
  readonly bar: Bar;
  readonly eventTime: number;
  readonly kind: BarKind;
}

interface Lane {
  readonly symbol: string;
  items: Held[];
  head: number;
  busy: boolean;
  readonly backoff: Backoff;
  /** The retry wait under way: cleared by stop(). */
  timer: TimerHandle | null;
  wake: (() => void) | null;
  /** The subject's newest message as this lane last knew it; undefined: to be read from the stream. */
  tip: SubjectTip | null | undefined;
  /** Refusals of this lane's expectation in a row: a few are publishers racing, more is a server to back off from. */
  conflicts: number;
}

export class BarOutbox {
  readonly counts: Record<BarKind, OutboxCounts> = {
    history: { published: 0, duplicates: 0, behind: 0 },
    missed: { published: 0, duplicates: 0, behind: 0 },
    feed: { published: 0, duplicates: 0, behind: 0 },
  };
  /** Publishes that failed and were tried again. */
  retries = 0;
  /** Times publishing was lost (a run of failures counts once). */
  losses = 0;
  /** openTime of the newest bar the stream acknowledged, per symbol (new or duplicate: the stream has it). */
  readonly lastOpenTime = new Map<string, number>();
  private readonly o: OutboxOptions;
  private readonly lanes = new Map<string, Lane>();
  private heldCount = 0;
  private full = false;
  private down: { since: number; retries: number; afterAttempt: number } | null = null;
  /** Publish attempts started, numbered: an ack tells that the server is back only for an attempt started after the failure. */
  private attempts = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(options: OutboxOptions) {
    this.o = options;
  }

  /** Bars accepted and not yet acked. */
  get held(): number {
    return this.heldCount;
  }

  get isDown(): boolean {
    return this.down !== null;
  }

  total(field: keyof OutboxCounts): number {
    return BAR_KINDS.reduce((n, k) => n + this.counts[k][field], 0);
  }

  /** Takes the bar (always: nothing is dropped); false when the outbox is now full and the feed should stop reading. */
  add(bar: Bar, eventTime: number, kind: BarKind): boolean {
    const lane = this.lane(bar.symbol);
    lane.items.push({ bar, eventTime, kind });
    this.heldCount++;
    if (!lane.busy && !this.stopped) void this.drain(lane);
    if (this.heldCount >= this.o.maxHeld) this.full = true;
    return !this.full;
  }

  /** Resolves when every bar taken so far is acked. */
  idle(): Promise<void> {
    if (this.heldCount === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops retrying; what is still held stays counted in `held`. */
  stop(): void {
    this.stopped = true;
    for (const lane of this.lanes.values()) {
      this.o.clock.clearTimer(lane.timer);
      lane.timer = null;
      lane.wake?.();
    }
  }

  private lane(symbol: string): Lane {
    let lane = this.lanes.get(symbol);
    if (!lane) {
      lane = {
        symbol,
        items: [],
        head: 0,
        busy: false,
        backoff: new Backoff({ baseMs: this.o.retryBaseMs ?? 250, capMs: this.o.retryCapMs ?? 5_000, random: this.o.random }),
        timer: null,
        wake: null,
        tip: undefined,
        conflicts: 0,
      };
      this.lanes.set(symbol, lane);
    }
    return lane;
  }

  private async drain(lane: Lane): Promise<void> {
    lane.busy = true;
    const { clock, interval } = this.o;
    const subject = barSubject(interval, lane.symbol);
    while (!this.stopped && lane.head < lane.items.length) {
      const item = lane.items[lane.head]!;
      const attempt = ++this.attempts;
      let answer: PublishAck | 'conflict';
      let behind = false;
      try {
        lane.tip ??= await this.o.tipOf(subject);
        const tip = lane.tip;
        // At or behind the subject's newest bar: only a duplicate may be acked (an empty subject, expected, it is not).
        behind = tip !== null && item.bar.openTime <= tip.openTime;
        const expect = tip === null || behind ? 0 : tip.seq;
        answer = await this.o.publish(subject, encodeBarMessage(item.bar, item.eventTime, clock.now()), barMessageId(item.bar), expect);
      } catch (err) {
        if (this.stopped) break;
        this.failed(err as Error);
        await this.wait(lane, lane.backoff.next());
        continue;
      }
      lane.backoff.reset();
      if (answer === 'conflict' && !behind) {
        // Another publisher went ahead: read the subject's newest again and decide this bar anew.
        lane.tip = undefined;
        if (++lane.conflicts >= 3) {
          this.failed(new Error(`the stream keeps refusing ${subject}'s expected last sequence`));
          await this.wait(lane, lane.backoff.next());
        }
        continue;
      }
      lane.conflicts = 0;
      if (answer !== 'conflict' && !behind) lane.tip = { seq: answer.seq, openTime: item.bar.openTime };
      this.taken(lane, item, answer === 'conflict' ? 'behind' : answer.duplicate ? 'duplicates' : 'published', attempt);
    }
    lane.busy = false;
  }

  private failed(err: Error): void {
    this.retries++;
    if (this.down !== null) {
      this.down.retries++;
      return;
    }
    this.losses++;
    this.down = { since: this.o.clock.now(), retries: 1, afterAttempt: this.attempts };
    this.o.onDown(err.message, this.heldCount);
  }

  private taken(lane: Lane, item: Held, outcome: keyof OutboxCounts, attempt: number): void {
    lane.head++;
    // Compact now and then: the lane's array holds what is still owed, not everything ever sent.
    if (lane.head >= 1024 && lane.head * 2 >= lane.items.length) {
      lane.items = lane.items.slice(lane.head);
      lane.head = 0;
    }
    this.heldCount--;
    this.counts[item.kind][outcome]++;
    // The stream has this bar, or a newer one of the symbol.
    if (outcome !== 'behind' || (this.lastOpenTime.get(lane.symbol) ?? -Infinity) < item.bar.openTime) this.lastOpenTime.set(lane.symbol, item.bar.openTime);
    // An ack for a publish sent before the failure says nothing about the server now.
    if (this.down !== null && attempt > this.down.afterAttempt) {
      const { since, retries } = this.down;
      this.down = null;
      this.o.onUp(this.o.clock.now() - since, this.heldCount, retries);
    }
    if (this.full && this.heldCount <= Math.floor(this.o.maxHeld / 2)) {
      this.full = false;
      this.o.onRoom();
    }
    if (this.heldCount === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private wait(lane: Lane, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      lane.wake = resolve;
      lane.timer = this.o.clock.setTimer(() => {
        lane.timer = null;
        lane.wake = null;
        resolve();
      }, ms);
    });
  }
}
