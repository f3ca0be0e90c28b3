/** What the realtime feed hands to the loop, and the hooks it raises halts and alerts through. */
import type { Bar } from '../../domain/types.ts';
import type { AlertKind, FeedState, SkipEvent } from '../../events/types.ts';

export interface FeedBar {
  readonly kind: 'bar';
  readonly bar: Bar;
  /** Exchange event time E (ms); for backfilled bars, their close time. */
  readonly eventTime: number;
  /** Local wall clock and monotonic clock at receipt. */
  readonly recvWall: number;
  readonly recvMono: number;
  /** Set by the loop when it takes the bar off the queue: the queue and slice segments split here. */
  dequeuedMono?: number;
}

export interface FeedSkip {
  readonly kind: 'skip';
  readonly event: SkipEvent;
}

export type FeedItem = FeedBar | FeedSkip;

export type FeedHaltReason = 'feed_stale' | 'feed_disconnected' | 'gap';

export interface FeedOutput {
  /** Enqueues for the loop's single consumer; false when the queue is now full (the feed pauses reading). */
  push(item: FeedItem): boolean;
  feedState(state: FeedState, detail: string): void;
  raiseHalt(reason: FeedHaltReason, detail: string): void;
  liftHalt(reason: FeedHaltReason): void;
  alert(kind: AlertKind, message: string): void;
}
