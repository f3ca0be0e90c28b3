/**
 * `tradeloop publish`: the fleet's market-data publisher at the command line (fleet/publisher.ts).
 * Its flags are `run`'s where they mean the same (--symbols, --interval, --network or
 * --ws-url/--rest-url, --stale-after, --ping-interval, --max-backfill-bars, --queue-size,
 * --minutes), plus where it publishes. Not gated by FLAG_REALTIME: a publisher reads market data
 * and places no order; the flag gates sessions, which trade.
 */
import { hostname } from 'node:os';
import type { Flags } from '../config/flags.ts';
import { redactUrl } from '../config/redact-url.ts';
import { isoUtc } from '../domain/time.ts';
import { DEFAULT_STREAM } from '../fleet/bar-message.ts';
import { Publisher, type PublisherConfig } from '../fleet/publisher.ts';
import { formatPublisherSummary } from '../fleet/publisher-summary.ts';
import { type Clock, systemClock } from '../telemetry/clock.ts';
import type { CliIo } from './cli-io.ts';
import { parseFlags, parseInterval, parseSymbols } from './common-flags.ts';
import { EXIT } from './exit-codes.ts';
import { numberFlag } from './flag-numbers.ts';
import type { Network } from '../session/session-config.ts';
import { parseExchangeFlags } from './exchange-flags.ts';
import { parseNatsUrl } from './session-options.ts';
import { FORCE_WINDOW_MS, FORCED_EXIT_STATUS } from './stop-signals.ts';
import { UsageError } from './usage-error.ts';

export const DEFAULT_HISTORY = 1000;
const MAX_HISTORY = 100_000;

export const PUBLISH_USAGE = `Usage: tradeloop publish --nats URL [options]
  Reads closed bars from Binance (or any --ws-url/--rest-url) with the realtime feed and publishes each
  into a NATS JetStream stream: subject tradeloop.bars.<interval>.<SYMBOL>, one message per bar (the server
  drops a bar published twice, by this publisher or another). A heartbeat a second on tradeloop.heartbeat.<id>.
  Places no orders, so it needs no FLAG_REALTIME.

  --nats URL               the fleet's nats-server with JetStream, nats:// or tls:// (required)
  --stream NAME            the stream (default ${DEFAULT_STREAM}); created if missing
  --history N              bars of history per symbol published at start (0-${MAX_HISTORY}, default ${DEFAULT_HISTORY})
  --publisher-id ID        names the heartbeat subject (letters, digits, _ and -; default <hostname>-<pid>)
  --symbols A,B            symbols (default BTCUSDT,ETHUSDT)
  --interval I             bar interval (default 1m)
  --network production|testnet   Binance endpoints (default production; market data only, no keys)
  --ws-url URL --rest-url URL    any other server, e.g. a tradeloop replay-server (both together)
  --stale-after S          no message for S seconds (1-3600): the feed is stale and the heartbeat pauses (default 5)
  --stale-alert-after S    stale this long (1-86400 s): alert, and the connection is replaced (default 10, or 2 x --stale-after)
  --ping-interval S        client ping period in seconds (1-3600, default 20)
  --max-backfill-bars N    an outage longer than N bars is a gap, said and skipped, not backfilled (default 10000)
  --queue-size N           bars held for the stream (while it does not ack) before the feed stops reading (default 10000)
  --flush-timeout S        at stop, wait up to S seconds (1-3600) for held bars to be acked (default 10)
  --minutes N              stop after N minutes (default: until SIGINT/SIGTERM)
`;

const PUBLISH_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  nats: { type: 'string' },
  stream: { type: 'string' },
  history: { type: 'string' },
  'publisher-id': { type: 'string' },
  symbols: { type: 'string' },
  interval: { type: 'string' },
  network: { type: 'string' },
  'ws-url': { type: 'string' },
  'rest-url': { type: 'string' },
  'stale-after': { type: 'string' },
  'stale-alert-after': { type: 'string' },
  'ping-interval': { type: 'string' },
  'max-backfill-bars': { type: 'string' },
  'queue-size': { type: 'string' },
  'flush-timeout': { type: 'string' },
  minutes: { type: 'string' },
} as const;

function usage(message: string): UsageError {
  return new UsageError(`${message}\nRun 'tradeloop publish --help' for the options.`);
}

/** A name that is one token of a NATS subject or a stream name: no dots, wildcards or spaces. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** hostname-pid, with whatever a subject token cannot hold (a dotted host name) made an underscore. */
export function defaultPublisherId(host = hostname(), pid = process.pid): string {
  return `${host.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 50) || 'publisher'}-${pid}`;
}

export interface PublishOptions extends PublisherConfig {
  readonly minutes: number | null;
  readonly network: Network;
}

export function parsePublishOptions(argv: readonly string[]): PublishOptions | 'help' {
  const v = parseFlags(argv, PUBLISH_FLAGS, usage).values;
  if (v.help) return 'help';
  const nats = parseNatsUrl(v.nats, usage);
  if (nats === null) throw usage('--nats URL is required: the nats-server (with JetStream) to publish to, e.g. --nats nats://127.0.0.1:4222.');
  const stream = v.stream?.trim() ?? DEFAULT_STREAM;
  if (!NAME.test(stream))
    throw usage(`--stream ${JSON.stringify(stream)}: a stream name is letters, digits, _ and - (up to 64), e.g. --stream ${DEFAULT_STREAM}.`);
  const publisherId = v['publisher-id']?.trim() ?? defaultPublisherId();
  if (!NAME.test(publisherId)) {
    throw usage(`--publisher-id ${JSON.stringify(publisherId)}: it names a subject token: letters, digits, _ and - (up to 64), e.g. --publisher-id eu-1.`);
  }
  const symbols = parseSymbols(v.symbols ?? 'BTCUSDT,ETHUSDT', usage);
  if (symbols.length === 0) throw usage('--symbols: name at least one symbol, e.g. --symbols BTCUSDT,ETHUSDT.');
  const bad = symbols.find((s) => !/^[A-Z0-9_-]+$/.test(s));
  if (bad !== undefined) throw usage(`--symbols: ${bad} cannot be a NATS subject token (letters, digits, _ and - only).`);
  const interval = parseInterval(v.interval, usage);

  const { network, wsUrl, restUrl } = parseExchangeFlags(v, usage);

  const seconds = (max: number) => ({ min: 1, max, unit: 'seconds', integer: false });
  const staleAfterMs = numberFlag('--stale-after', v['stale-after'], 5, seconds(3600), usage) * 1000;
  const staleAlertAfterMs = numberFlag('--stale-alert-after', v['stale-alert-after'], Math.max(10, (2 * staleAfterMs) / 1000), seconds(86_400), usage) * 1000;
  if (staleAlertAfterMs < staleAfterMs)
    throw usage(`--stale-alert-after ${staleAlertAfterMs / 1000}: must not be shorter than --stale-after ${staleAfterMs / 1000}.`);
  const count = (max: number, unit = 'bars') => ({ min: 1, max, unit, integer: true });
  return {
    symbols,
    interval,
    network,
    upstream: { source: 'binance', wsUrl, restUrl },
    staleAfterMs,
    staleAlertAfterMs,
    pingIntervalMs: numberFlag('--ping-interval', v['ping-interval'], 20, seconds(3600), usage) * 1000,
    maxBackfillBars: numberFlag('--max-backfill-bars', v['max-backfill-bars'], 10_000, count(1_000_000), usage),
    queueSize: numberFlag('--queue-size', v['queue-size'], 10_000, count(1_000_000), usage),
    nats,
    stream,
    history: numberFlag('--history', v.history, DEFAULT_HISTORY, { min: 0, max: MAX_HISTORY, unit: 'bars', integer: true }, usage),
    publisherId,
    flushTimeoutMs: numberFlag('--flush-timeout', v['flush-timeout'], 10, seconds(3600), usage) * 1000,
    minutes: v.minutes === undefined ? null : numberFlag('--minutes', v.minutes, 0, count(525_600, 'minutes (one year at most)'), usage),
  };
}

export interface PublishHooks {
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Resolves when the publisher should stop (tests); by default SIGINT/SIGTERM or --minutes. */
  readonly stopSignal?: Promise<void>;
  /** The publisher, once it runs (tests). */
  readonly onStarted?: (publisher: Publisher) => void;
  readonly ackTimeoutMs?: number;
}

export async function publishCommand(argv: readonly string[], _flags: Flags, io: CliIo, hooks: PublishHooks = {}): Promise<number> {
  const opts = parsePublishOptions(argv);
  if (opts === 'help') {
    io.stdout(PUBLISH_USAGE);
    return EXIT.ok;
  }
  const clock = hooks.clock ?? systemClock;
  const say = (line: string): void => io.stderr(`${isoUtc(clock.now())} ${line}\n`);
  io.stdout(
    `tradeloop publish ${opts.publisherId}: ${opts.symbols.join(',')} ${opts.interval} from ${redactUrl(opts.upstream.wsUrl)} into stream ${opts.stream} on ${redactUrl(opts.nats)}, history ${opts.history} bars, ${opts.minutes !== null ? `${opts.minutes} min` : 'until SIGINT/SIGTERM'}\n`,
  );
  // Listening before the (slow) start: a signal then stops it instead of killing the process.
  let requested = false;
  let stopRequested!: () => void;
  const stop = new Promise<void>((resolve) => (stopRequested = resolve));
  void hooks.stopSignal?.then(() => stopRequested());
  const signals = hooks.stopSignal ? null : listenForSignals(io, () => stopRequested());
  let minutesTimer: object | null = null;
  if (opts.minutes !== null) minutesTimer = clock.setTimer(() => stopRequested(), opts.minutes * 60_000);
  void stop.then(() => (requested = true));
  let publisher: Publisher;
  try {
    publisher = await Publisher.open(opts, {
      say,
      clock,
      ...(hooks.random ? { random: hooks.random } : {}),
      ...(hooks.ackTimeoutMs !== undefined ? { ackTimeoutMs: hooks.ackTimeoutMs } : {}),
    });
  } catch (err) {
    clock.clearTimer(minutesTimer);
    signals?.dispose();
    throw err;
  }
  if (!requested) {
    publisher.start();
    hooks.onStarted?.(publisher);
    await stop;
  }
  clock.clearTimer(minutesTimer);
  const summary = await publisher.stop();
  io.stdout(formatPublisherSummary(summary));
  signals?.dispose();
  return summary.unpublished === 0 ? EXIT.ok : EXIT.failed;
}

/** SIGINT/SIGTERM: the first stops cleanly; three within a second exit at once (as a run does). */
function listenForSignals(io: CliIo, onStop: () => void): { dispose(): void } {
  const times: number[] = [];
  let first = true;
  const handler = (signal: string): void => {
    const t = performance.now();
    times.push(t);
    while (times.length > 0 && t - times[0]! > FORCE_WINDOW_MS) times.shift();
    if (first) {
      first = false;
      io.stderr(
        `tradeloop: ${signal}: stopping cleanly (the feed closes, held bars are flushed, then the summary). Send it three times within a second to exit at once.\n`,
      );
      onStop();
    } else if (times.length >= 3) {
      io.stderr(`tradeloop: ${signal} again: exiting at once. Bars still held are not published; a publisher started later backfills them.\n`);
      process.exit(FORCED_EXIT_STATUS);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
