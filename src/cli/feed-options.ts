/**
 * Where a run's bars come from, as `--source` says it: csv files, Binance's WebSocket (realtime),
 * or the fleet's NATS stream (nats). A nats session is a realtime session in every other way, so
 * its mode stays `realtime` and the feed is a choice beside it. Flags that name another upstream
 * are refused by name with --source nats rather than ignored: its bars come from the stream, and
 * the publisher is what reads the exchange.
 */
import { DEFAULT_STREAM } from '../fleet/bar-message.ts';
import type { LiveFeedKind, SourceKind } from '../session/session-config.ts';
import type { Refuse } from './common-flags.ts';

/** Flags of a Binance session that a nats session has no use for (its publisher takes them instead). */
const BINANCE_ONLY = ['network', 'ws-url', 'rest-url', 'ping-interval', 'max-backfill-bars'] as const;

/** A JetStream stream name: no spaces, dots, wildcards or path separators (the server refuses them). */
const STREAM_NAME = /^[A-Za-z0-9_-]{1,255}$/;

export interface FeedChoice {
  readonly source: SourceKind;
  readonly feed: LiveFeedKind;
  readonly stream: string;
}

type FeedValues = { readonly source?: string; readonly stream?: string; readonly nats?: string } & {
  readonly [K in (typeof BINANCE_ONLY)[number]]?: string;
};

export function parseFeedChoice(v: FeedValues, refuse: Refuse): FeedChoice {
  const given = v.source ?? 'csv';
  if (given !== 'csv' && given !== 'realtime' && given !== 'nats')
    throw refuse(`--source ${given}: expected csv, realtime (Binance, or any --ws-url) or nats (the fleet's stream on --nats).`);
  if (given !== 'nats') {
    if (v.stream !== undefined)
      throw refuse(
        `--stream ${v.stream}: only for --source nats (a session reading the fleet's stream), and this run is --source ${given}. Drop it, or pass --source nats --nats URL.`,
      );
    return { source: given, feed: 'binance', stream: DEFAULT_STREAM };
  }
  const foreign = BINANCE_ONLY.filter((flag) => v[flag] !== undefined).map((flag) => `--${flag}`);
  if (foreign.length > 0) {
    const them = foreign.length > 1 ? 'them' : 'it';
    throw refuse(
      `${foreign.join(', ')}: not for --source nats. Its bars come from the stream on --nats; the publisher reads the exchange (tradeloop publish takes ${them}). Drop ${them}, or run --source realtime.`,
    );
  }
  if (v.nats === undefined)
    throw refuse("--source nats needs --nats URL: the fleet's nats-server, whose stream the session reads, e.g. --nats nats://127.0.0.1:4222.");
  const stream = (v.stream ?? DEFAULT_STREAM).trim();
  if (!STREAM_NAME.test(stream))
    throw refuse(
      `--stream ${JSON.stringify(v.stream).slice(0, 80)}: not a stream name (letters, digits, _ and -), e.g. --stream ${DEFAULT_STREAM} (the default).`,
    );
  // The mode is realtime: the same loop, journal, control endpoint and halts; only the feed differs.
  return { source: 'realtime', feed: 'nats', stream };
}
