/**
 * Stream names and how they are spread over connections. Binance allows 1024 streams per
 * connection; the URL carries at most ~8 KB of names (Binance accepts about that, and Node's HTTP
 * server answers 431 past 16 KB of URL plus headers); the rest is SUBSCRIBEd in paced batches.
 */

import { joinUrl } from './endpoint.ts';

export const MAX_STREAMS_PER_CONNECTION = 1024;
export const MAX_URL_STREAM_CHARS = 8000;
export const SUBSCRIBE_BATCH = 200;

export function streamName(symbol: string, interval: string): string {
  return `${symbol.toLowerCase()}@kline_${interval}`;
}

export interface StreamPlan {
  /** Streams named in the connection URL. */
  readonly urlStreams: readonly string[];
  /** Streams to SUBSCRIBE after the connection opens, in batches. */
  readonly subscribeBatches: ReadonlyArray<readonly string[]>;
}

export function planConnections(streams: readonly string[]): StreamPlan[] {
  const plans: StreamPlan[] = [];
  for (let i = 0; i < streams.length; i += MAX_STREAMS_PER_CONNECTION) {
    const group = streams.slice(i, i + MAX_STREAMS_PER_CONNECTION);
    const urlStreams: string[] = [];
    let chars = 0;
    let at = 0;
    for (; at < group.length; at++) {
      const add = group[at]!.length + (urlStreams.length > 0 ? 1 : 0);
      if (chars + add > MAX_URL_STREAM_CHARS) break;
      urlStreams.push(group[at]!);
      chars += add;
    }
    const rest = group.slice(at);
    const subscribeBatches: string[][] = [];
    for (let j = 0; j < rest.length; j += SUBSCRIBE_BATCH) subscribeBatches.push(rest.slice(j, j + SUBSCRIBE_BATCH));
    plans.push({ urlStreams, subscribeBatches });
  }
  return plans;
}

/** The combined-stream URL; a query string on the base (a token) is kept, before `streams`. */
export function combinedUrl(base: string, streams: readonly string[]): string {
  return joinUrl(base, '/stream', `streams=${streams.join('/')}`);
}
