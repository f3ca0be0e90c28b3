/**
 * `tradeloop replay-server`: the Binance spot market-data protocol, served on 127.0.0.1 from CSV
 * files, so realtime mode runs offline and tests can drive it. One HTTP server on one port takes
 * both the WebSocket upgrades (/ws/..., /stream?streams=...) and REST (/api/v3/...).
 *
 * What it reproduces is binance-protocol.md §6.4; how the tape paces bars is in replay-tape.ts.
 * Test controls (stall, dropAll, sendServerShutdown, sendRaw) fake the failures users report.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { isInterval, INTERVALS } from '../domain/interval.ts';
import { combinedPayload, klinePayload } from './kline-format.ts';
import { loadReplayBars, type BarSeries } from './replay-bars.ts';
import { ReplayConnection, type ConnectionHooks } from './replay-connection.ts';
import { applyControl } from './replay-control.ts';
import { handleRest, type RestContext } from './replay-rest.ts';
import { klineStreamName, parseStreamPath, type StreamPath } from './replay-streams.ts';
import { ReplayTape, type ReplaySpeed, type TapeState } from './replay-tape.ts';

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
  /**
   * The tape starts once this many of the served streams are subscribed (default 1: at the first,
   * as Binance's stream is simply there). A client that SUBSCRIBEs in paced batches can ask for all
   * of them first, so that its later symbols miss nothing (benchmarks).
   */
  readonly startAfterStreams?: number;
  /** Called when the tape starts. */
  readonly onTapeStart?: () => void;
  /** Bars before this openTime are history: closed (and served over REST) before the tape starts. */
  readonly startAt?: number | null;
  /** Default 20000 (Binance since 2025-02). */
  readonly pingIntervalMs?: number;
  /** Default 60000. */
  readonly pongTimeoutMs?: number;
  /** Default 24 h. */
  readonly connectionLifetimeMs?: number;
  /** x:false updates per bar, a floor: raised so that one goes out at least every 2 s. Default 2. */
  readonly updatesPerBar?: number;
  /** Wall clock for E and serverTime (default Date.now). Pacing runs on real timers. */
  readonly now?: () => number;
  /** A malformed CSV row stops the start (default) or is skipped and counted. */
  readonly onBadRow?: 'fail' | 'skip';
  /** How long close() waits for clients to answer the close frame. Default 1000. */
  readonly closeGraceMs?: number;
}

export interface ReplayStats {
  readonly tape: TapeState;
  /** openTime of the slice being sent; null before the start and after the end. */
  readonly tapeOpenTime: number | null;
  readonly slicesClosed: number;
  readonly slicesOnTape: number;
  readonly klineMessagesSent: number;
  readonly connectionsOpened: number;
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

const DAY_MS = 86_400_000;
/** Node timers hold at most this many ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** At speed 'max', the tape waits while a client has more than this much unsent. */
const SEND_HIGH_WATER_BYTES = 1 << 20;

function positiveMs(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v > 0 && v <= MAX_TIMER_MS)) throw new RangeError(`${name} ${v}: expected milliseconds above 0 and at most ${MAX_TIMER_MS}.`);
  return v;
}

function resolveFiles(options: ReplayServerOptions): Map<string, readonly string[]> {
  const files = new Map<string, readonly string[]>();
  for (const symbol of options.symbols) {
    const given = options.files?.get(symbol);
    if (given && given.length > 0) files.set(symbol, given);
    else if (options.dataDir !== undefined) files.set(symbol, [join(options.dataDir, `${symbol}.csv`)]);
    else throw new RangeError(`no file for ${symbol}: give files for it or a dataDir holding ${symbol}.csv.`);
  }
  return files;
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const symbols = options.symbols;
  if (symbols.length === 0) throw new RangeError('symbols: name at least one symbol.');
  for (const s of symbols) if (s !== s.toUpperCase() || s.length === 0) throw new RangeError(`symbol ${JSON.stringify(s)}: expected uppercase, e.g. BTCUSDT.`);
  const interval = options.interval ?? '1m';
  if (!isInterval(interval)) throw new RangeError(`interval ${interval}: expected one of ${INTERVALS.join(' ')}.`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port ${port}: expected 0 (any free port) to 65535.`);
  const rules = {
    pingIntervalMs: positiveMs('pingIntervalMs', options.pingIntervalMs, 20_000),
    pongTimeoutMs: positiveMs('pongTimeoutMs', options.pongTimeoutMs, 60_000),
    lifetimeMs: positiveMs('connectionLifetimeMs', options.connectionLifetimeMs, DAY_MS),
    clock: () => performance.now(),
  };
  const closeGraceMs = options.closeGraceMs ?? 1000;
  const now = options.now ?? Date.now;

  const bars = await loadReplayBars({ symbols, files: resolveFiles(options), interval, onBadRow: options.onBadRow ?? 'fail' });
  const streamNames = symbols.map((s) => klineStreamName(s, interval));
  const served = new Set(streamNames);
  const streamJson = streamNames.map((s) => JSON.stringify(s));
  const symbolJson = symbols.map((s) => JSON.stringify(s));
  const intervalJson = JSON.stringify(interval);

  const connections = new Set<ReplayConnection>();
  let stalled = false;
  let closing = false;
  let klineMessagesSent = 0;
  let connectionsOpened = 0;
  const shutdownTimers = new Set<NodeJS.Timeout>();

  const tape = new ReplayTape(bars, { speed: options.speed ?? 1, updatesPerBar: options.updatesPerBar, startAt: options.startAt ?? null }, {
    slice(slice, fraction) {
      const s = bars.slices;
      const eventTime = now();
      for (let e = s.start[slice]!; e < s.start[slice + 1]!; e++) {
        const sym = s.symbol[e]!;
        const stream = streamNames[sym]!;
        let raw: string | null = null;
        let wrapped: string | null = null;
        for (const c of connections) {
          if (c.stalled || !c.streams.has(stream)) continue;
          // Built once per bar and only if someone listens: the same text goes to every client.
          raw ??= klinePayload(symbolJson[sym]!, intervalJson, bars.series[sym]!.kline(s.bar[e]!, fraction), eventTime, fraction >= 1);
          if (c.combined) c.send((wrapped ??= combinedPayload(streamJson[sym]!, raw)));
          else c.send(raw);
          klineMessagesSent++;
        }
      }
    },
    congested() {
      for (const c of connections) if (!c.stalled && c.ws.bufferedAmount > SEND_HIGH_WATER_BYTES) return true;
      return false;
    },
  });

  /** The tape starts once enough served streams are subscribed (by anyone): by default, the first. */
  const wanted = Math.max(1, options.startAfterStreams ?? 1);
  const seenStreams = new Set<string>();
  let started = false;
  const subscribed = (names: Iterable<string>): void => {
    if (started) return;
    for (const name of names) if (served.has(name)) seenStreams.add(name);
    if (seenStreams.size >= wanted) {
      started = true;
      tape.start();
      options.onTapeStart?.();
    }
  };

  /** Resolvers waiting for the last connection to go (close()). */
  const emptied: Array<() => void> = [];
  const hooks: ConnectionHooks = {
    message(c, text) {
      const outcome = applyControl(text, c);
      c.send(outcome.reply);
      subscribed(outcome.added);
    },
    closed(c) {
      connections.delete(c);
      if (connections.size === 0) for (const resolve of emptied.splice(0)) resolve();
    },
  };

  const seriesBySymbol = new Map<string, BarSeries>(bars.series.map((s) => [s.symbol, s]));
  const symbolIndex = new Map<BarSeries, number>(bars.series.map((s, i) => [s, i]));
  const rest: RestContext = { interval, series: seriesBySymbol, closedCount: (s) => tape.closedCount(symbolIndex.get(s)!), now };

  const wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false, maxPayload: 64 * 1024 });
  const http = createServer((req, res) => handleRest(req, res, rest));
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable', 'the replay server is shutting down');
    const path = parseStreamPath(req.url ?? '/');
    if (path === null) return refuseUpgrade(socket, 404, 'Not Found', `no stream endpoint at ${req.url}; use /ws/<stream> or /stream?streams=<a>/<b>`);
    if (typeof path === 'string') return refuseUpgrade(socket, 400, 'Bad Request', path);
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, path));
  });

  const accept = (ws: WebSocket, path: StreamPath): void => {
    if (closing) return ws.terminate();
    const c = new ReplayConnection(++connectionsOpened, ws, path, rules, hooks);
    connections.add(c);
    if (stalled) c.stall(true);
    subscribed(path.streams);
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      tape.stop();
      for (const t of shutdownTimers) clearTimeout(t);
      shutdownTimers.clear();
      if (connections.size > 0) {
        const allClosed = new Promise<void>((resolve) => emptied.push(resolve));
        for (const c of connections) {
          if (c.stalled) c.terminate(); // it reads nothing, so it would never see the client's close frame
          else c.close(1001, 'Server shutting down');
        }
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([allClosed, new Promise<void>((resolve) => (grace = setTimeout(resolve, closeGraceMs)))]);
        clearTimeout(grace);
        for (const c of connections) c.terminate();
      }
      wss.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    })();
    return closed;
  };

  return {
    wsUrl: `ws://127.0.0.1:${boundPort}`,
    restUrl: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    close,
    stall(on) {
      stalled = on;
      for (const c of connections) c.stall(on);
    },
    dropAll() {
      for (const c of connections) c.terminate();
    },
    sendServerShutdown(closeAfterMs) {
      const eventTime = now();
      const raw = `{"e":"serverShutdown","E":${eventTime}}`;
      const wrapped = combinedPayload('"!serverShutdown"', raw);
      const targets = [...connections];
      for (const c of targets) c.send(c.combined ? wrapped : raw);
      if (closeAfterMs === undefined) return;
      const timer = setTimeout(() => {
        shutdownTimers.delete(timer);
        for (const c of targets) c.close(1001, 'Server shutdown');
      }, closeAfterMs);
      shutdownTimers.add(timer);
    },
    sendRaw(text) {
      for (const c of connections) c.send(text);
    },
    get connections() {
      return connections.size;
    },
    get stats(): ReplayStats {
      return {
        tape: tape.state, tapeOpenTime: tape.currentOpenTime, slicesClosed: tape.slicesClosed,
        slicesOnTape: bars.slices.count - tape.firstSlice, klineMessagesSent, connectionsOpened,
        skippedRows: bars.skippedRows, updatesPerBar: tape.updates,
      };
    },
  };
}
