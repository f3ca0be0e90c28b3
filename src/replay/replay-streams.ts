/**
 * Stream names and connection paths, as Binance spells them: `/ws/<s1>/<s2>` gives bare payloads,
 * `/stream?streams=<s1>/<s2>` wraps each as {"stream","data"}. Names are lowercase
 * (`btcusdt@kline_1m`). A well-formed name for a stream that does not exist is accepted and simply
 * yields nothing (binance-protocol.md §3.1, python-binance#1193); only a malformed one is refused.
 */

export const MAX_STREAMS_PER_CONNECTION = 1024;

/** The stream a symbol's klines go out on. */
export function klineStreamName(symbol: string, interval: string): string {
  return `${symbol.toLowerCase()}@kline_${interval}`;
}

const WELL_FORMED = /^!?[^\s@/"]+@[^\s/"]+$/u;

export function isWellFormedStream(name: unknown): name is string {
  return typeof name === 'string' && name.length <= 200 && WELL_FORMED.test(name);
}

export interface StreamPath {
  readonly streams: readonly string[];
  /** true on /stream (wrapped payloads), false on /ws (bare payloads). */
  readonly combined: boolean;
}

/**
 * Reads a WebSocket request URL. null: not a stream path (the caller answers 404). A string: why
 * the request is refused (the caller answers 400).
 */
export function parseStreamPath(url: string): StreamPath | string | null {
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://127.0.0.1');
  } catch {
    return 'the request URL does not parse';
  }
  const path = parsed.pathname;
  let names: string[];
  let combined: boolean;
  if (path === '/ws' || path.startsWith('/ws/')) {
    names = path.slice(3).split('/');
    combined = false;
  } else if (path === '/stream' || path === '/stream/') {
    names = (parsed.searchParams.get('streams') ?? '').split('/');
    combined = true;
  } else return null;
  const streams = new Set<string>();
  for (const raw of names) {
    if (raw === '') continue;
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      return `invalid stream name ${JSON.stringify(raw)}`;
    }
    if (!isWellFormedStream(name)) return `invalid stream name ${JSON.stringify(name)}`;
    streams.add(name);
  }
  if (streams.size > MAX_STREAMS_PER_CONNECTION) return `${streams.size} streams: at most ${MAX_STREAMS_PER_CONNECTION} per connection`;
  return { streams: [...streams], combined };
}
