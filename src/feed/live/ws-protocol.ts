/**
 * What a WebSocket venue's feed must be told about the venue, and nothing else: how its streams
 * are spread over connections (URL and later subscriptions), how a subscription request and its
 * reply look, what a message means, and how long a connection may live. The connection state
 * machine, backoff, stale watchdog, slot health and the per-symbol pipeline are the same for
 * every venue (ws-live-feed.ts); feed/binance/binance-protocol.ts is Binance's protocol.
 */
import type { StreamMessage } from './stream-message.ts';

/** One connection's share of the subscription. */
export interface ConnectionPlan {
  /** The URL to open (streams named in it, where the venue allows). */
  readonly url: string;
  /** Streams to subscribe after the connection opens, in batches (one request each, paced). */
  readonly subscribeBatches: ReadonlyArray<readonly string[]>;
}

/** A reply to one of our own requests: its id, and the venue's refusal as text (null: accepted). */
export interface RequestReply {
  readonly id: number;
  readonly refusal: string | null;
}

/** One venue's protocol, for one subscription (its symbols and interval). */
export interface WsProtocol {
  /** The endpoint as it may be shown (credentials and tokens redacted). */
  readonly shownUrl: string;
  /** The subscription (one stream per symbol) spread over connections within the venue's limits. */
  plan(): ConnectionPlan[];
  /** The request frame that subscribes `streams`, with the id its reply will carry. */
  subscribeFrame(streams: readonly string[], id: number): string;
  /** Pause between subscription requests on one connection (the venue's message rate limit). */
  readonly subscribeGapMs: number;
  /** The reply to a request, or null when the text is none (then it is a message). */
  readReply(text: string): RequestReply | null;
  /**
   * What a message is. `exchangeNow` is our clock corrected by the offset estimate: a message
   * from the venue's future is malformed.
   */
  parse(text: string, exchangeNow: number): StreamMessage;
  /** A connection is replaced overlap-first after this long (the venue cuts older ones), and why. */
  readonly lifetime: { readonly ms: number; readonly why: string };
}
