/**
 * The one place that knows which live sources exist: a feed and its history side are made from
 * an upstream, keyed by its `source` (Binance's WebSocket and REST, or the fleet's NATS stream).
 * The realtime driver holds only the interfaces (live-feed.ts).
 */
import type { FeedPort } from '../engine/feed-port.ts';
import type { Clock } from '../telemetry/clock.ts';
import type { ClockOffset } from '../telemetry/latency.ts';
import { BinanceFeed } from './binance/binance-feed.ts';
import { BinanceHistory } from './binance/binance-history.ts';
import { RestClient } from './binance/rest-client.ts';
import type { LiveFeed, LiveHistory } from './live-feed.ts';
import { NatsFeed } from './nats/nats-feed.ts';
import { NatsHistory } from './nats/nats-history.ts';
import type { StreamCursor } from './stream-cursor.ts';

/** Where a live source reads from; `source` chooses the implementation. */
export type LiveUpstream =
  | { readonly source: 'binance'; readonly wsUrl: string; readonly restUrl: string }
  /** A JetStream stream on a nats-server, filled by `tradeloop publish`. */
  | { readonly source: 'nats'; readonly url: string; readonly stream: string };

export type LiveSource = LiveUpstream['source'];

/** An exchange's endpoints (Binance, or any server speaking its protocol): what a publisher reads. */
export type ExchangeUpstream = Extract<LiveUpstream, { readonly source: 'binance' }>;

export interface LiveSourceOptions {
  readonly upstream: LiveUpstream;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly clock: Clock;
  /** The upstream's clock against ours: sampled by the history side, read by the feed. */
  readonly clockOffset: ClockOffset;
}

export interface LiveFeedOptions extends LiveSourceOptions {
  readonly random: () => number;
  /** No message for this long: the feed is stale (halt feed_stale). */
  readonly staleAfterMs: number;
  /** Stale for this long: alerted, and the connection replaced. */
  readonly staleAlertAfterMs: number;
  readonly pingIntervalMs: number;
  /** The longest gap backfilled, in bars; a longer one is a `gap` skip range. */
  readonly maxBackfillBars: number;
  /** Replace each connection after this long (default: the source's own rule). */
  readonly lifetimeMs?: number;
  /** Reconnect backoff: the first delay is within the base, later ones double up to the cap. */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** A source read by position (nats): where it reads from, and what the journal records of it. */
  readonly cursor?: StreamCursor;
}

export function createLiveHistory(options: LiveSourceOptions): LiveHistory {
  const { upstream } = options;
  switch (upstream.source) {
    case 'binance':
      return new BinanceHistory({ ...options, rest: new RestClient(upstream.restUrl) });
    case 'nats':
      return new NatsHistory({ url: upstream.url, stream: upstream.stream, symbols: options.symbols, interval: options.interval, clock: options.clock });
  }
}

export function createLiveFeed(options: LiveFeedOptions, port: FeedPort): LiveFeed {
  const { upstream, ...common } = options;
  switch (upstream.source) {
    case 'binance':
      return new BinanceFeed({ ...common, wsUrl: upstream.wsUrl, rest: new RestClient(upstream.restUrl) }, port);
    case 'nats':
      // Pings, lifetimes and backfills are the publisher's business; reconnects are the NATS client's, paced by backoffBaseMs.
      return new NatsFeed(
        {
          url: upstream.url,
          stream: upstream.stream,
          symbols: common.symbols,
          interval: common.interval,
          clock: common.clock,
          staleAfterMs: common.staleAfterMs,
          staleAlertAfterMs: common.staleAlertAfterMs,
          ...(common.cursor ? { cursor: common.cursor } : {}),
          ...(common.backoffBaseMs !== undefined ? { reconnectWaitMs: common.backoffBaseMs } : {}),
        },
        port,
      );
  }
}
