/**
 * The port a publisher's feed pushes into (engine/feed-port.ts), the one a session's loop
 * implements: the same Binance feed, with its reconnects, duplicate and disorder skips and
 * backfills, feeds the stream instead of a strategy. Closed bars go to the outbox; a push answers
 * false when the outbox is full, and the feed stops reading until resumeReading(). What a session
 * would raise as a halt is said on the publisher's terminal, and it silences the heartbeat while it holds.
 */
import type { FeedHaltReason, FeedItem, FeedPort } from '../engine/feed-port.ts';
import type { AlertKind, FeedState } from '../events/types.ts';
import type { BarOutbox } from './publisher-outbox.ts';

export class PublisherPort implements FeedPort {
  /** Alerts the feed raised (each said on the terminal). */
  alerts = 0;
  /** The feed's halts in force: while any holds, the publisher does not beat. */
  readonly halts = new Map<FeedHaltReason, string>();
  state: FeedState | null = null;
  private readonly outbox: BarOutbox;
  private readonly say: (line: string) => void;

  constructor(outbox: BarOutbox, say: (line: string) => void) {
    this.outbox = outbox;
    this.say = say;
  }

  push(item: FeedItem): boolean {
    // Skips are counted by the feed itself (its counters reach the summary); a gap skip is also alerted.
    if (item.kind === 'skip') return true;
    return this.outbox.add(item.bar, item.eventTime, 'feed');
  }

  feedState(state: FeedState, detail: string): void {
    if (state === this.state) return;
    this.state = state;
    this.say(detail === `feed ${state}` ? detail : `feed ${state}: ${detail}`);
  }

  raiseHalt(reason: FeedHaltReason, detail: string): void {
    if (this.halts.has(reason)) return;
    this.halts.set(reason, detail);
    this.say(`feed ${reason}: ${detail}`);
  }

  liftHalt(reason: FeedHaltReason): void {
    if (!this.halts.delete(reason)) return;
    this.say(`feed ${reason} over`);
  }

  alert(kind: AlertKind, message: string): void {
    this.alerts++;
    this.say(`alert ${kind}: ${message}`);
  }

  /** A publisher publishes closed bars only: the forming bar's price is a session's business. */
  quote(): void {}
}
