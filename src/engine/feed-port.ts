/**
 * The loop's input port for a live feed: what a realtime bar source hands to the loop, and the
 * hooks through which it reports its state, raises and lifts its own halts, and alerts. The loop
 * owns this contract; live feeds (feed/live-feed.ts: feed/binance today) implement the producer side of it.
 */
import type { Bar } from '../domain/types.ts';
import type { AlertKind, FeedState, SkipEvent } from '../events/types.ts';

/** A closed bar as received: immutable, with the stamps latency telemetry needs. */
export interface ReceivedBar {
  readonly kind: 'bar';
  readonly bar: Bar;
  /** Exchange event time E (ms); for backfilled bars, their close time. */
  readonly eventTime: number;
  /** Local wall clock and monotonic clock at receipt. */
  readonly recvWall: number;
  readonly recvMono: number;
  /**
   * The newest closed bar (openTime) the feed had accepted for this symbol when it delivered this
   * one: the bar itself when it went straight through, a later one when it was held back behind a
   * backfill or came from one. The gate measures a bar's age (stale_bar) against it, so a queue
   * that is merely behind (a replay at full speed) does not make bars stale, an outage does.
   */
  readonly newestOpenTime: number;
}

export interface ReceivedSkip {
  readonly kind: 'skip';
  readonly event: SkipEvent;
}

export type FeedItem = ReceivedBar | ReceivedSkip;

export type FeedHaltReason = 'feed_stale' | 'feed_disconnected' | 'gap';

export interface FeedPort {
  /** Enqueues for the loop's single consumer; false when the queue is now full (the feed pauses reading). */
  push(item: FeedItem): boolean;
  feedState(state: FeedState, detail: string): void;
  raiseHalt(reason: FeedHaltReason, detail: string): void;
  liftHalt(reason: FeedHaltReason): void;
  alert(kind: AlertKind, message: string): void;
  /**
   * The newest price the feed has seen for a symbol (any kline update, closed or not) and the
   * exchange time it was seen at: what an operator's flatten fills at in realtime. Hot path: a store.
   */
  quote(symbol: string, price: number, eventTime: number): void;
}
