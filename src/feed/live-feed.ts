/**
 * What the realtime driver sees of a live bar source, whatever it reads from (Binance's
 * WebSocket, or the fleet's NATS stream that `tradeloop publish` fills). The shape of NautilusTrader's
 * `DataClient`: start, stop, status, and a history side for what comes before the first live bar.
 *
 * A live feed produces into the loop's port (engine/feed-port.ts) and never throws at run time:
 * a lost upstream, a bad message, a failed backfill are the port's halts, alerts and skips. Every
 * closed bar it accepts reaches the port exactly once, per symbol in openTime order, or is counted
 * by undelivered(). The contract every source must pass is test/feed/live-feed.contract.ts.
 */
import type { Bar } from '../domain/types.ts';
import type { FeedState } from '../events/types.ts';

/** One connection (or subscription) to the upstream, as the session's status shows it. */
export interface LiveConnectionStatus {
  readonly id: number;
  readonly state: string;
  readonly stale: boolean;
  /** Seconds since the connection's last message; null while it is not open. */
  readonly lastMessageAgoSeconds: number | null;
}

/** A feed that reads a stream (NATS JetStream): where it stands in it, and what it hears of the publishers. */
export interface StreamStatus {
  readonly name: string;
  /** The server, its URL's password hidden. */
  readonly server: string;
  /** The stream sequence of the last message read; null before the first. */
  readonly readThrough: number | null;
  /** Messages of the session's interval the stream held after that one when it was read: how far behind the stream the session reads. */
  readonly lag: number;
  /** Publishers heard (by their heartbeats) since start. */
  readonly publishers: number;
  /** Seconds since the last publisher heartbeat; null before the first. */
  readonly heartbeatAgeSeconds: number | null;
  /** Bars missing between two of a symbol's bars in the stream: passed over, never decided. */
  readonly gapBars: number;
}

export interface LiveFeedStatus {
  /** null before start(): no state has been reported yet. */
  readonly state: FeedState | null;
  readonly connections: readonly LiveConnectionStatus[];
  /** A feed reading a stream says where it stands in it; absent for Binance. */
  readonly stream?: StreamStatus;
}

/** The feed's counters since start (the summary's `feed` block and /metrics read them by these names). */
export interface LiveFeedCounters {
  /** Messages received from the upstream, malformed ones included. */
  readonly messages: number;
  readonly malformed: number;
  /** Closed bars accepted (neither a duplicate nor out of order), backfilled ones not included. */
  readonly closedBars: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  /** Gaps backfilled, bars they delivered, and requests that failed (each retried). */
  readonly backfills: number;
  readonly backfilledBars: number;
  readonly backfillFailures: number;
  /** Bars of gaps too long to backfill: a skip range each, never decided. */
  readonly gapSkippedBars: number;
  /** Connections opened (the first ones included), lost, and replaced on purpose. */
  readonly connects: number;
  readonly disconnects: number;
  readonly rotations: number;
  /** Times reading stopped because the loop's queue was full. */
  readonly pauses: number;
}

/** Closed bars the feed accepted but never handed to the loop (behind a backfill, or lost by one). */
export interface Undelivered {
  readonly count: number;
  readonly bySymbol: Readonly<Record<string, number>>;
  /** One line per symbol: how many, and what they wait for. */
  readonly reasons: readonly string[];
}

export interface LiveFeed {
  /** Connections (or subscriptions) the feed keeps open when healthy. */
  readonly connections: number;
  /** Connects and begins delivering; how that goes is reported through the port, never thrown. */
  start(): void;
  /** Closes the upstream and aborts backfills; resolves once nothing more can reach the port. */
  stop(): Promise<void>;
  status(): LiveFeedStatus;
  counters(): LiveFeedCounters;
  /**
   * The last bar already decided for a symbol (the warm-up's newest, or a resumed journal's): the
   * feed goes on from the bar after it, backfilling what is missing before the first live bar, and
   * never delivers that bar or an older one again. Called before start().
   */
  seed(symbol: string, lastDecidedOpenTime: number): void;
  /** What is accepted and still not delivered; read after stop() for the summary. */
  undelivered(): Undelivered;
  /** True while a symbol's bars are held behind a backfill: the slice assembler waits for it. */
  isBackfilling(symbol: string): boolean;
  /** The loop drained its queue after a push returned false: read from the upstream again. */
  resumeReading(): void;
}

/** A refusal at start-up, with a message that says what was wrong and what to do instead. */
export interface StartupRefusal {
  /** invalid_symbol is the user's input (a usage error); the others are the upstream's state. */
  readonly kind: 'unreachable' | 'invalid_symbol' | 'unavailable';
  readonly message: string;
}

export type StartupResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: StartupRefusal };

export interface WarmupHistory {
  /** Up to `warmup` closed bars per symbol, oldest first, in the order of the symbols asked for. */
  readonly bars: Map<string, Bar[]>;
  /** The newest closed bar per symbol at start: what seed() takes on a fresh run. */
  readonly lastClosed: Map<string, number>;
  /**
   * A source read by position (a stream sequence): the warm-up holds everything up to here, and a
   * fresh session's feed reads on after it. Absent for Binance.
   */
  readonly cursor?: number;
}

/** The history side of a source: what the driver needs before the feed starts, and beside it. */
export interface LiveHistory {
  /** Samples the upstream's clock into the offset estimate; the upstream's time now. */
  syncClock(): Promise<StartupResult<number>>;
  /**
   * The newest `warmup` closed bars per symbol (closed by `closedBy`, the upstream's time); it
   * checks every symbol exists, refusing an unknown one by name (invalid_symbol).
   */
  loadWarmup(warmup: number, closedBy: number): Promise<StartupResult<WarmupHistory>>;
  /** Keeps the clock-offset estimate fresh during the session; returns its stop(). */
  refreshClockOffset(): () => void;
}
