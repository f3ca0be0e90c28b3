/**
 * What `startReplayServer` takes and gives: its options (each with its default), the figures it
 * reports, and the handle with the test controls that fake the failures users report.
 */
import type { ReplayLog } from './replay-log.ts';
import type { ReplaySpeed, TapeState } from './replay-tape.ts';

/** shared: one tape clock for every client (Binance's own behaviour); per-client: each connection plays its own tape from the start. */
export type TapeMode = 'shared' | 'per-client';

export interface ReplayServerOptions {
  /** Uppercase, in slice order (--symbols order). */
  readonly symbols: readonly string[];
  /** Files per symbol, merged in time order; a symbol without an entry reads <dataDir>/<SYMBOL>.csv. */
  readonly files?: ReadonlyMap<string, readonly string[]>;
  readonly dataDir?: string;
  /** Default '1m'. */
  readonly interval?: string;
  /** Default 0: an ephemeral port. The server binds 127.0.0.1 only. */
  readonly port?: number;
  /** Bar time per wall time (60: a 1m bar lasts 1 s), or 'max'. Default 1, Binance's own pace. */
  readonly speed?: ReplaySpeed;
  /** Default 'shared'. */
  readonly tape?: TapeMode;
  /** Play the tape again from its first bar when it ends, each pass later in time. Default false. */
  readonly loop?: boolean;
  /**
   * A tape starts once this many of the served streams are subscribed (default 1: at the first,
   * as Binance's stream is simply there). A client that SUBSCRIBEs in paced batches can ask for all
   * of them first, so that its later symbols miss nothing (benchmarks).
   */
  readonly startAfterStreams?: number;
  /** Called when the first tape starts. */
  readonly onTapeStart?: () => void;
  /** Bars before this openTime are history: closed (and served over REST) before the tape starts. */
  readonly startAt?: number | null;
  /** Default 20000 (Binance since 2025-02). */
  readonly pingIntervalMs?: number;
  /** Default 60000. */
  readonly pongTimeoutMs?: number;
  /** Default 24 h. */
  readonly connectionLifetimeMs?: number;
  /** WebSocket clients at once (default 256); one more is answered 503. */
  readonly maxConnections?: number;
  /** Unsent bytes for one client above which it is dropped as not reading. Default 16 MiB. */
  readonly maxSendBufferBytes?: number;
  /** At speed max, how long the tape waits for one congested client before dropping it. Default 30000. */
  readonly maxSendWaitMs?: number;
  /** x:false updates per bar, a floor: raised so that one goes out at least every 2 s. Default 2. */
  readonly updatesPerBar?: number;
  /** Wall clock for E, serverTime and log times (default Date.now). Pacing runs on real timers. */
  readonly now?: () => number;
  /** A malformed CSV row stops the start (default) or is skipped and counted. */
  readonly onBadRow?: 'fail' | 'skip';
  /** How long close() waits for clients to answer the close frame. Default 1000. */
  readonly closeGraceMs?: number;
  /** Connects, disconnects, refusals and the tape's start, loops and end. Default: nowhere. */
  readonly log?: ReplayLog;
}

export interface ReplayStats {
  /** The shared tape's state; per client, the most advanced connected tape's ('waiting' when none). */
  readonly tape: TapeState;
  /** openTime of the slice being sent; null before the start and after the end. */
  readonly tapeOpenTime: number | null;
  readonly slicesClosed: number;
  readonly slicesOnTape: number;
  readonly klineMessagesSent: number;
  readonly connectionsOpened: number;
  /** Upgrades answered 503 because --max-connections were open. */
  readonly connectionsRefused: number;
  readonly skippedRows: number;
  readonly updatesPerBar: number;
}

export interface ReplayServer {
  /** ws://127.0.0.1:PORT, without a path. */
  readonly wsUrl: string;
  /** http://127.0.0.1:PORT, without a path. */
  readonly restUrl: string;
  readonly port: number;
  /** Close frames to every client, a grace, then terminate; the tape stops. */
  close(): Promise<void>;
  /** On: every connection, open or opened later, goes silent (no data, no pings, no pongs, no reads) without closing. */
  stall(on: boolean): void;
  /** Destroys every client socket without a close frame (the client sees 1006). */
  dropAll(): void;
  /** Binance's serverShutdown event to every client; with closeAfterMs, the connections then close (1001). */
  sendServerShutdown(closeAfterMs?: number): void;
  /** Text sent as is to every client (for malformed-message tests). */
  sendRaw(text: string): void;
  readonly connections: number;
  readonly stats: ReplayStats;
}
