/**
 * The Binance kline feed: the WebSocket live feed (live/ws-live-feed.ts) speaking Binance's
 * protocol, with gaps backfilled from REST klines.
 */
import type { FeedPort } from '../../engine/feed-port.ts';
import type { Backfill } from '../live/backfill.ts';
import { WsLiveFeed, type WsLiveFeedOptions } from '../live/ws-live-feed.ts';
import { binanceProtocol } from './binance-protocol.ts';
import type { RestClient } from './rest-client.ts';

export interface BinanceFeedOptions extends Omit<WsLiveFeedOptions, 'protocol' | 'backfill'> {
  readonly wsUrl: string;
  /** Gaps are backfilled from its klines. */
  readonly rest: RestClient;
}

/** A gap's window as REST klines: `to` is the window's last ms, so no bar still forming is asked for. */
export function restBackfill(rest: RestClient, interval: string): Backfill {
  return { fetch: (symbol, from, to, signal) => rest.klines({ symbol, interval, startTime: from, endTime: to }, to, signal) };
}

export class BinanceFeed extends WsLiveFeed {
  constructor(options: BinanceFeedOptions, output: FeedPort) {
    super({ ...options, protocol: binanceProtocol(options), backfill: restBackfill(options.rest, options.interval) }, output);
  }
}
