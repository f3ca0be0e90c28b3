/**
 * `tradeloop replay-server`: the Binance spot market-data protocol, served on 127.0.0.1 from CSV
 * files, so realtime mode runs offline and tests can drive it. One HTTP server on one port takes
 * both the WebSocket upgrades (/ws/..., /stream?streams=...) and REST (/api/v3/...).
 *
 * What it reproduces is binance-protocol.md §6.4; how the tape paces bars is in replay-tape.ts,
 * how a looped tape moves on in time in replay-timeline.ts. Every client is bounded: connections
 * are capped, a client that stops reading is dropped, and malformed input is answered, never
 * thrown (replay-http.ts, replay-connection.ts). Test controls (stall, dropAll,
 * sendServerShutdown, sendRaw) fake the failures users report.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { isInterval, INTERVALS } from '../domain/interval.ts';
import { combinedPayload } from './kline-format.ts';
import { loadReplayBars } from './replay-bars.ts';
import { TapeChannel, type ChannelContext } from './replay-channel.ts';
import { ReplayConnection, type ConnectionHooks } from './replay-connection.ts';
import { applyControl } from './replay-control.ts';
import { answerRaw, createReplayHttp, remoteOf } from './replay-http.ts';
import { LogThrottle, type ReplayLogEvent } from './replay-log.ts';
import { handleRest, type RestContext } from './replay-rest.ts';
import { klineStreamName, parseStreamPath, type StreamPath } from './replay-streams.ts';
import { checkTapeOptions, updatesPerBar } from './replay-tape.ts';
import { TapeTimeline } from './replay-timeline.ts';
import type { ReplayServer, ReplayServerOptions, ReplayStats } from './replay-options.ts';

export type { ReplayServer, ReplayServerOptions, ReplayStats, TapeMode } from './replay-options.ts';

const DAY_MS = 86_400_000;
/** Node timers hold at most this many ms; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** At speed 'max', the tape waits while a client has more than this much unsent. */
const SEND_HIGH_WATER_BYTES = 1 << 20;
/** Sockets beyond --max-connections for REST and handshakes in progress. */
const REST_SOCKETS = 64;

function positiveMs(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v > 0 && v <= MAX_TIMER_MS)) throw new RangeError(`${name} ${v}: expected milliseconds above 0 and at most ${MAX_TIMER_MS}.`);
  return v;
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isSafeInteger(v) && v > 0)) throw new RangeError(`${name} ${v}: expected a whole number above 0.`);
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

export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const symbols = options.symbols;
  if (symbols.length === 0) throw new RangeError('symbols: name at least one symbol.');
  for (const s of symbols) if (s !== s.toUpperCase() || s.length === 0) throw new RangeError(`symbol ${JSON.stringify(s)}: expected uppercase, e.g. BTCUSDT.`);
  const interval = options.interval ?? '1m';
  if (!isInterval(interval)) throw new RangeError(`interval ${interval}: expected one of ${INTERVALS.join(' ')}.`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port ${port}: expected 0 (any free port) to 65535.`);
  const mode = options.tape ?? 'shared';
  if (mode !== 'shared' && mode !== 'per-client') throw new RangeError(`tape ${String(mode)}: expected shared or per-client.`);
  const clock = (): number => performance.now();
  const rules = {
    pingIntervalMs: positiveMs('pingIntervalMs', options.pingIntervalMs, 20_000),
    pongTimeoutMs: positiveMs('pongTimeoutMs', options.pongTimeoutMs, 60_000),
    lifetimeMs: positiveMs('connectionLifetimeMs', options.connectionLifetimeMs, DAY_MS),
    maxSendBufferBytes: positiveInt('maxSendBufferBytes', options.maxSendBufferBytes, 16 << 20),
    clock,
  };
  const maxConnections = positiveInt('maxConnections', options.maxConnections, 256);
  const maxSendWaitMs = positiveMs('maxSendWaitMs', options.maxSendWaitMs, 30_000);
  const closeGraceMs = positiveMs('closeGraceMs', options.closeGraceMs, 1000);
  const now = options.now ?? Date.now;
  const sink = options.log ?? ((): void => {});
  const throttle = new LogThrottle();
  const log = (event: ReplayLogEvent): void => {
    if (event.kind === 'refused' || event.kind === 'bad_request') {
      const repeats = throttle.admit(event.kind, clock());
      if (repeats === null) return;
      sink({ ...event, repeats });
    } else sink(event);
  };

  const speed = options.speed ?? 1;
  checkTapeOptions(speed, options.updatesPerBar);

  const bars = await loadReplayBars({ symbols, files: resolveFiles(options), interval, onBadRow: options.onBadRow ?? 'fail' });
  const timeline = new TapeTimeline(bars, options.startAt ?? null, options.loop ?? false);
  const streamNames = symbols.map((s) => klineStreamName(s, interval));

  const connections = new Set<ReplayConnection>();
  let stalled = false;
  let closing = false;
  let klineMessagesSent = 0;
  let connectionsOpened = 0;
  let connectionsRefused = 0;
  let tapeStarted = false;
  const shutdownTimers = new Set<NodeJS.Timeout>();

  const ctx: ChannelContext = {
    timeline,
    speed,
    updatesPerBar: options.updatesPerBar,
    streamNames,
    served: new Set(streamNames),
    // More than the server serves could never be reached: the tape would wait for ever, silently.
    startAfterStreams: Math.min(streamNames.length, Math.max(1, options.startAfterStreams ?? 1)),
    sendHighWaterBytes: SEND_HIGH_WATER_BYTES,
    maxSendWaitMs,
    now,
    clock,
    log,
    counted: (n) => (klineMessagesSent += n),
    onTapeStart: () => {
      if (tapeStarted) return;
      tapeStarted = true;
      options.onTapeStart?.();
    },
  };
  /** The shared tape plays to every connection; per client, each connection's own channel is here while it is open. */
  const shared = mode === 'shared' ? new TapeChannel(ctx, connections, null) : null;
  const ownChannel = new Map<ReplayConnection, TapeChannel>();
  const channelOf = (c: ReplayConnection): TapeChannel => shared ?? ownChannel.get(c)!;

  /** Resolvers waiting for the last connection to go (close()). */
  const emptied: Array<() => void> = [];
  const hooks: ConnectionHooks = {
    message(c, text) {
      const outcome = applyControl(text, c);
      c.send(outcome.reply);
      channelOf(c).subscribed(outcome.added);
    },
    failed(c, err) {
      log({
        kind: 'bad_request',
        at: now(),
        remote: c.remote,
        reason: `client #${c.id}: a message could not be handled (${(err as Error).message})`,
        repeats: 0,
      });
    },
    closed(c, by, code, reason) {
      connections.delete(c);
      ownChannel.get(c)?.stop();
      ownChannel.delete(c);
      log({
        kind: 'disconnect',
        at: now(),
        client: c.id,
        remote: c.remote,
        code,
        reason,
        by,
        durationMs: Math.round(clock() - c.openedAt),
        messagesSent: c.messagesSent,
      });
      if (connections.size === 0) for (const resolve of emptied.splice(0)) resolve();
    },
  };

  /**
   * REST cannot tell which tape asks. Per client it serves what the most advanced open tape has
   * closed (at least the history): every client's backfill lies within what its own tape closed.
   */
  const closedCount = (s: number): number => {
    if (shared) return shared.tape.closedCount(s);
    let most = timeline.history(s);
    for (const ch of ownChannel.values()) most = Math.max(most, ch.tape.closedCount(s));
    return most;
  };
  const symbolIndex = new Map(symbols.map((s, i) => [s, i] as const));
  const rest: RestContext = {
    interval,
    now,
    klinesOf: (symbol) => {
      const i = symbolIndex.get(symbol);
      return i === undefined ? null : { source: timeline.sources[i]!, closed: closedCount(i) };
    },
  };

  const wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false, maxPayload: 64 * 1024 });
  const refuse = (req: IncomingMessage, socket: Duplex, status: number, reason: string): void => {
    log({ kind: 'refused', at: now(), remote: remoteOf(req.socket), path: req.url ?? '', status, reason, repeats: 0 });
    answerRaw(socket, status, reason, 'text/plain');
  };
  const http = createReplayHttp(
    {
      request: (req, res) => handleRest(req, res, rest),
      upgrade(req, socket, head) {
        if (closing) return refuse(req, socket, 503, 'the replay server is shutting down');
        if (connections.size >= maxConnections) {
          connectionsRefused++;
          return refuse(req, socket, 503, `${maxConnections} connections are open, the most this server takes (--max-connections); try again later`);
        }
        const path = parseStreamPath(req.url ?? '/');
        if (path === null) return refuse(req, socket, 404, `no stream endpoint at ${req.url}; use /ws/<stream> or /stream?streams=<a>/<b>`);
        if (typeof path === 'string') return refuse(req, socket, 400, path);
        // ws answers a bad handshake (method, key, version) itself; without verifyClient it calls back synchronously.
        let accepted = false;
        wss.handleUpgrade(req, socket, head, (ws) => {
          accepted = true;
          accept(ws, req, path);
        });
        if (!accepted) {
          log({
            kind: 'refused',
            at: now(),
            remote: remoteOf(req.socket),
            path: req.url ?? '',
            status: req.method === 'GET' ? 400 : 405,
            reason: 'not a valid WebSocket handshake (method, Upgrade, Sec-WebSocket-Key or Sec-WebSocket-Version)',
            repeats: 0,
          });
        }
      },
      badRequest: (remote, reason) => log({ kind: 'bad_request', at: now(), remote, reason, repeats: 0 }),
      refused: (remote, path, status, reason) => log({ kind: 'refused', at: now(), remote, path, status, reason, repeats: 0 }),
    },
    { maxSockets: maxConnections + REST_SOCKETS },
  );

  const accept = (ws: WebSocket, req: IncomingMessage, path: StreamPath): void => {
    ws.on('error', () => {});
    if (closing) return ws.terminate();
    const c = new ReplayConnection(++connectionsOpened, ws, remoteOf(req.socket), req.url ?? '/', path, rules, hooks);
    connections.add(c);
    if (!shared) ownChannel.set(c, new TapeChannel(ctx, new Set([c]), c.id));
    log({ kind: 'connect', at: now(), client: c.id, remote: c.remote, path: c.path, connections: connections.size });
    if (stalled) c.stall(true);
    channelOf(c).subscribed(path.streams);
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
      shared?.stop();
      for (const ch of ownChannel.values()) ch.stop();
      for (const t of shutdownTimers) clearTimeout(t);
      shutdownTimers.clear();
      if (connections.size > 0) {
        const allClosed = new Promise<void>((resolve) => emptied.push(resolve));
        for (const c of connections) {
          if (c.stalled)
            c.terminate(); // it reads nothing, so it would never see the client's close frame
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

  /** The tape stats describe: the shared one, or per client the most advanced open one. */
  const reported = (): TapeChannel | null => {
    if (shared) return shared;
    let best: TapeChannel | null = null;
    for (const ch of ownChannel.values()) if (best === null || ch.tape.slicesClosed > best.tape.slicesClosed) best = ch;
    return best;
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
      const tape = reported()?.tape;
      return {
        tape: tape?.state ?? 'waiting',
        tapeOpenTime: tape?.currentOpenTime ?? null,
        slicesClosed: tape?.slicesClosed ?? 0,
        slicesOnTape: timeline.slicesPerPass,
        klineMessagesSent,
        connectionsOpened,
        connectionsRefused,
        skippedRows: bars.skippedRows,
        updatesPerBar: updatesPerBar(interval, speed, options.updatesPerBar),
      };
    },
  };
}
