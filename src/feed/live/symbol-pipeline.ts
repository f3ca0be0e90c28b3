/**
 * Per-symbol ordering between the socket and the loop. Closed bars pass the sequencer (a repeat is
 * a duplicate, an older one out of order), wait in `pending`, and go out only when they follow the
 * last delivered bar. A gap starts a backfill of [expected openTime, first live openTime);
 * live bars wait while it is in flight. An empty answer is success (no klines exist while a market
 * is suspended); only a failed request is retried with backoff, and it halts trading (gap) until
 * the gap is filled.
 *
 * Every closed bar the sequencer accepts is delivered exactly once, or counted by undelivered():
 * held, let go while a backfill failed and still owed, or let go and then missing from the answer.
 */
import { closeTimeOf, nextOpenTime, nominalIntervalMs } from '../../domain/interval.ts';
import { isoUtc } from '../../domain/time.ts';
import type { Bar } from '../../domain/types.ts';
import type { Clock } from '../../telemetry/clock.ts';
import { BarSequencer, type SequenceVerdict } from '../bar-sequencer.ts';
import { Backoff } from './backoff.ts';
import type { ReceivedBar, FeedPort } from '../../engine/feed-port.ts';
import type { Undelivered } from '../live-feed.ts';
import type { Backfill } from './backfill.ts';
import { ReleasedBars } from './released-bars.ts';

interface SymbolState {
  /** openTime of the last bar handed to the loop. */
  lastDelivered: number | undefined;
  /** Gaps up to here were backfilled (possibly with no bars): not to be asked again. */
  coveredUntil: number;
  pending: ReceivedBar[];
  backfilling: boolean;
  /** The window of the backfill under way, and why its last attempt failed (null: none failed). */
  window: string | null;
  lastFailure: string | null;
  /** Held bars let go while a backfill kept failing (pending is bounded): the backfill fetches them again. */
  released: ReleasedBars;
  /** Let go, then missing from the backfill's answer: accepted, never to be decided. */
  lost: number;
  lostWhy: string | null;
  /** The skip said last, and how many identical ones came after it unsaid (see closed()). */
  fold: { openTime: number; reason: 'duplicate' | 'out_of_order'; origin: string; count: number } | null;
}

export interface PipelineStats {
  closedBars: number;
  duplicates: number;
  outOfOrder: number;
  backfills: number;
  backfilledBars: number;
  backfillFailures: number;
  /** Bars of gaps longer than maxBackfillBars: a skip range each, never decided. */
  gapSkippedBars: number;
}

export interface PipelineOptions {
  readonly interval: string;
  readonly clock: Clock;
  /** Where missing windows are fetched from (Binance: REST klines). */
  readonly backfill: Backfill;
  readonly output: FeedPort;
  readonly random: () => number;
  readonly signal: AbortSignal;
  /** Backfill requests in flight at once across symbols. */
  readonly maxConcurrentBackfills?: number;
  /**
   * Closed bars held per symbol behind a failing backfill. Past it, the oldest are let go and
   * fetched again by the backfill: a REST outage (a 418 ban lasts up to days) must not grow
   * memory with every bar of every symbol while the socket keeps delivering. Behind a request
   * that has not failed nothing is let go: it ends by its deadline, and bars let go would come
   * from REST instead of the socket (a replay at full speed outruns any request).
   */
  readonly maxPendingPerSymbol?: number;
  /**
   * The longest gap a backfill fetches, in bars (default 10000). A longer outage (a session resumed
   * after days) is one `gap` skip range, counted and alerted: its bars are not decided, because
   * deciding days of old bars would only make stale orders, and fetching them has no bound.
   */
  readonly maxBackfillBars?: number;
  /** A backfill started or ended: the feed derives its state again (anyBackfilling changed). */
  readonly onBackfillChange: (detail: string) => void;
}

export class SymbolPipeline {
  readonly stats: PipelineStats = { closedBars: 0, duplicates: 0, outOfOrder: 0, backfills: 0, backfilledBars: 0, backfillFailures: 0, gapSkippedBars: 0 };
  private readonly sequencer = new BarSequencer();
  private readonly states = new Map<string, SymbolState>();
  private readonly failing = new Set<string>();
  private readonly options: PipelineOptions;
  private inFlight = 0;
  /** Symbols with a backfill under way: asked on every message, so kept as a count, not a scan. */
  private backfillingCount = 0;
  private readonly waiting: Array<() => void> = [];
  private stopped = false;
  /** Retry waits, cleared on stop so that a failing backfill never keeps the process alive. */
  private readonly retries = new Set<{ handle: object; resolve: () => void }>();

  constructor(options: PipelineOptions) {
    this.options = options;
  }

  private state(symbol: string): SymbolState {
    let s = this.states.get(symbol);
    if (!s) {
      s = {
        lastDelivered: undefined,
        coveredUntil: -Infinity,
        pending: [],
        backfilling: false,
        window: null,
        lastFailure: null,
        released: new ReleasedBars(this.options.interval),
        lost: 0,
        lostWhy: null,
        fold: null,
      };
      this.states.set(symbol, s);
    }
    return s;
  }

  /** History loaded at start (warm-up): the first live bar is checked for a gap against it. */
  seed(symbol: string, lastOpenTime: number): void {
    this.state(symbol).lastDelivered = lastOpenTime;
    this.sequencer.check(symbol, lastOpenTime);
  }

  /** True while a symbol has bars held back for a backfill: the slice assembler waits for it. */
  isBackfilling(symbol: string): boolean {
    const s = this.states.get(symbol);
    return s !== undefined && (s.backfilling || s.pending.length > 0);
  }

  get anyBackfilling(): boolean {
    return this.backfillingCount > 0;
  }

  /** A closed kline from the socket; the sequencer's verdict (anything but ok was a skip). */
  closed(item: ReceivedBar, origin: string): SequenceVerdict {
    const { bar } = item;
    const verdict = this.sequencer.check(bar.symbol, bar.openTime);
    const s = this.state(bar.symbol);
    if (verdict !== 'ok') {
      if (verdict === 'duplicate') this.stats.duplicates++;
      else this.stats.outOfOrder++;
      // A server that repeats one closed kline for seconds sends thousands: the first is a skip event,
      // the rest are counted and said in one more event when something else comes (the feed's
      // counters count every one), so the log and the journal stay the size of what happened.
      const f = s.fold;
      if (f !== null && f.openTime === bar.openTime && f.reason === verdict) {
        f.count++;
        return verdict;
      }
      this.sayFolded(bar.symbol);
      s.fold = { openTime: bar.openTime, reason: verdict, origin, count: 0 };
      this.options.output.push({
        kind: 'skip',
        event: {
          type: 'skip',
          symbol: bar.symbol,
          openTime: bar.openTime,
          reason: verdict,
          origin,
          message: verdict === 'duplicate' ? 'a closed bar with this openTime was already accepted' : 'earlier than the last accepted bar',
        },
      });
      return verdict;
    }
    this.sayFolded(bar.symbol);
    s.fold = null;
    this.stats.closedBars++;
    s.pending.push(item);
    if (s.backfilling && s.lastFailure !== null) {
      const max = this.options.maxPendingPerSymbol ?? 1000;
      while (s.pending.length > max) s.released.add(s.pending.shift()!.bar.openTime);
    }
    this.pump(bar.symbol);
    return verdict;
  }

  private pump(symbol: string): void {
    const s = this.state(symbol);
    if (s.backfilling) return;
    while (s.pending.length > 0) {
      const item = s.pending[0]!;
      if (s.lastDelivered !== undefined) {
        const expected = Math.max(nextOpenTime(this.options.interval, s.lastDelivered), s.coveredUntil + 1);
        if (item.bar.openTime > expected) {
          const missing = Math.round((item.bar.openTime - expected) / nominalIntervalMs(this.options.interval));
          if (missing > (this.options.maxBackfillBars ?? 10_000)) this.skipGap(symbol, s, expected, item.bar.openTime, missing);
          else {
            void this.backfill(symbol, expected, item.bar.openTime - 1);
            return;
          }
        }
      }
      s.pending.shift();
      s.lastDelivered = item.bar.openTime;
      // Held back behind a backfill, newer bars may have come meanwhile: say so, for the gate's bar age.
      const newest = this.sequencer.lastOpenTime(symbol) ?? item.bar.openTime;
      this.options.output.push(newest === item.newestOpenTime ? item : { ...item, newestOpenTime: newest });
    }
  }

  private skipGap(symbol: string, s: SymbolState, from: number, until: number, missing: number): void {
    const detail = `${symbol}: ${missing} bars from ${isoUtc(from)} to ${isoUtc(until - 1)} closed while the feed was away, more than --max-backfill-bars ${this.options.maxBackfillBars ?? 10_000}: not backfilled, never decided`;
    this.stats.gapSkippedBars += missing;
    s.coveredUntil = Math.max(s.coveredUntil, until - 1);
    this.options.output.push({ kind: 'skip', event: { type: 'skip', symbol, openTime: from, reason: 'gap', origin: 'backfill', message: detail } });
    this.options.output.alert('backfill', detail);
  }

  private async slot(): Promise<void> {
    const max = this.options.maxConcurrentBackfills ?? 8;
    if (this.inFlight < max) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }

  private async backfill(symbol: string, from: number, to: number): Promise<void> {
    const { backfill, clock, output, interval, signal } = this.options;
    const s = this.state(symbol);
    s.backfilling = true;
    this.backfillingCount++;
    this.stats.backfills++;
    let window = `${symbol} ${isoUtc(from)} .. ${isoUtc(to)}`;
    s.window = window;
    this.options.onBackfillChange(`backfilling ${window}`);
    const backoff = new Backoff({ baseMs: 500, capMs: 30_000, random: this.options.random });
    let delivered = 0;
    for (;;) {
      await this.slot();
      // Bars let go until now (pending is bounded) are fetched too: the window reaches them.
      const newest = s.released.newest;
      const until = newest === undefined ? to : Math.max(to, closeTimeOf(interval, newest));
      window = `${symbol} ${isoUtc(from)} .. ${isoUtc(until)}`;
      s.window = window;
      s.released.ask();
      const result = await backfill.fetch(symbol, from, until, signal);
      this.release();
      if (this.stopped) return;
      if (result.ok) {
        for (const bar of result.value) delivered += this.deliverBackfilled(bar, s) ? 1 : 0;
        const missing = s.released.settle(result.value.map((bar) => bar.openTime));
        if (missing > 0) this.lose(symbol, s, missing, window);
        s.coveredUntil = Math.max(s.coveredUntil, until);
        // Let go while this request was in flight: one more round for them. `until` is the last
        // ms of this window (a close time), so the next one starts at the very next ms: the
        // openTime of the first bar this one did not ask for.
        if (s.released.newest !== undefined) {
          from = until + 1;
          to = until;
          continue;
        }
        s.backfilling = false;
        s.window = null;
        s.lastFailure = null;
        this.backfillingCount--;
        if (this.failing.delete(symbol) && this.failing.size === 0) output.liftHalt('gap');
        this.pump(symbol);
        this.options.onBackfillChange(`backfilled ${window}: ${delivered} bars`);
        return;
      }
      this.stats.backfillFailures++;
      s.lastFailure = result.failure.message;
      if (!this.failing.has(symbol)) {
        this.failing.add(symbol);
        const detail = `backfill of ${window} failed: ${result.failure.message}`;
        output.alert('backfill', detail);
        output.raiseHalt('gap', detail);
      }
      const delay = result.failure.retryAfterMs ?? backoff.next();
      await new Promise<void>((resolve) => {
        const entry = { handle: {}, resolve };
        entry.handle = clock.setTimer(() => {
          this.retries.delete(entry);
          resolve();
        }, delay);
        this.retries.add(entry);
      });
      if (this.stopped) return;
    }
  }

  /** Bars let go that the answer lacks: the socket closed them, the exchange's REST did not have them. */
  private lose(symbol: string, s: SymbolState, missing: number, window: string): void {
    s.lost += missing;
    s.lostWhy = `let go while the backfill failed, then missing from the answer for ${window}`;
    this.options.output.alert(
      'backfill',
      `${symbol}: ${missing} closed bars accepted from the socket, let go while the backfill failed, are missing from the REST answer for ${window}: they will not be decided`,
    );
  }

  private deliverBackfilled(bar: Bar, s: SymbolState): boolean {
    if (s.lastDelivered !== undefined && bar.openTime <= s.lastDelivered) return false;
    const { clock } = this.options;
    this.stats.backfilledBars++;
    s.lastDelivered = bar.openTime;
    this.options.output.push({
      kind: 'bar',
      bar,
      eventTime: bar.closeTime,
      recvWall: clock.now(),
      recvMono: clock.monotonic(),
      newestOpenTime: this.sequencer.lastOpenTime(bar.symbol) ?? bar.openTime,
    });
    return true;
  }

  /** Closed bars held in memory behind backfills (bounded per symbol). */
  get heldBars(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.pending.length;
    return n;
  }

  /** What is still held at shutdown: bars accepted, never delivered, and why. */
  undelivered(): Undelivered {
    let count = 0;
    const bySymbol: Record<string, number> = {};
    const reasons: string[] = [];
    for (const [symbol, s] of this.states) {
      const owed = s.pending.length + s.released.count;
      const n = owed + s.lost;
      if (n === 0) continue;
      count += n;
      bySymbol[symbol] = n;
      const why: string[] = [];
      if (owed > 0) {
        why.push(
          s.lastFailure !== null
            ? `waiting behind the backfill of ${s.window ?? symbol}, which failed: ${s.lastFailure}`
            : `waiting behind the backfill of ${s.window ?? symbol}, still in flight at shutdown`,
        );
      }
      if (s.lost > 0) why.push(`${s.lost} ${s.lostWhy ?? 'lost by a backfill'}`);
      reasons.push(`${symbol} ${n} (${why.join('; ')})`);
    }
    return { count, bySymbol, reasons };
  }

  /** The identical skips held back since the last one said, as one skip event. */
  private sayFolded(symbol: string): void {
    const f = this.states.get(symbol)?.fold;
    if (!f || f.count === 0) return;
    this.options.output.push({
      kind: 'skip',
      event: {
        type: 'skip',
        symbol,
        openTime: f.openTime,
        reason: f.reason,
        origin: f.origin,
        message: `the same ${f.reason === 'duplicate' ? 'duplicate' : 'out-of-order'} closed bar came ${f.count} more time(s): folded into this one line (the feed's counters count each)`,
      },
    });
    f.count = 0;
  }

  stop(): void {
    for (const symbol of this.states.keys()) this.sayFolded(symbol);
    this.stopped = true;
    for (const resolve of this.waiting.splice(0)) resolve();
    for (const entry of this.retries) {
      this.options.clock.clearTimer(entry.handle);
      entry.resolve();
    }
    this.retries.clear();
  }
}
