/**
 * A scriptable fake Binance on 127.0.0.1 for realtime tests: combined-stream WebSocket and REST
 * klines on one port. Tests send exactly the messages they want (duplicates, garbage, gaps), and
 * can stall a socket silently (stop reading and answering: no FIN, no pongs), destroy it without a
 * close frame, or make REST fail. Not the replay server: that one plays a tape; this one is driven.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeBar {
  readonly symbol: string;
  readonly openTime: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume?: string;
}

export interface FakeConnection {
  readonly ws: WebSocket;
  readonly streams: string[];
  stalled: boolean;
}

export function klinePayload(bar: FakeBar, closed: boolean, eventTime: number, interval = '1m'): Record<string, unknown> {
  return {
    e: 'kline',
    E: eventTime,
    s: bar.symbol,
    k: {
      t: bar.openTime,
      T: bar.openTime + 59_999,
      s: bar.symbol,
      i: interval,
      f: 1,
      L: 2,
      o: bar.open,
      c: bar.close,
      h: bar.high,
      l: bar.low,
      v: bar.volume ?? '1.00000000',
      n: 2,
      x: closed,
      q: '1.0',
      V: '0.5',
      Q: '0.5',
      B: '0',
    },
  };
}

export function combined(bar: FakeBar, closed: boolean, eventTime: number, interval = '1m'): string {
  return JSON.stringify({ stream: `${bar.symbol.toLowerCase()}@kline_${interval}`, data: klinePayload(bar, closed, eventTime, interval) });
}

export class FakeBinance {
  readonly connections: FakeConnection[] = [];
  /** Bars REST klines serves, per symbol. */
  readonly restBars = new Map<string, FakeBar[]>();
  readonly restRequests: URL[] = [];
  /** Every REST request's headers, in order (klines and time). */
  readonly restHeaders: IncomingMessage['headers'][] = [];
  /** Every WebSocket upgrade request, refused ones included. */
  readonly upgradeRequests: Array<{ url: URL; headers: IncomingMessage['headers'] }> = [];
  /** The next n klines requests fail with HTTP 500. */
  failKlines = 0;
  /** The next n klines requests answer 429 with this Retry-After (s). */
  rateLimitKlines = 0;
  retryAfterSeconds: number | string = 1;
  /**
   * A REST misbehaviour: called for every klines request with the rows an honest server would
   * send; return true when it answered itself (any status, headers or body, streamed or not).
   */
  onKlines: ((url: URL, res: ServerResponse, honest: unknown[][]) => boolean) | null = null;
  /**
   * Called before /api/v3/time answers (a test can step a clock in the middle of the request);
   * a value other than undefined is sent as the body instead of the honest one.
   */
  onTime: (() => unknown) | null = null;
  /** The next n WebSocket upgrades are refused with HTTP 503. */
  refuseUpgrades = 0;
  /** Pings each connection received from the client. */
  readonly pingsReceived = new Map<FakeConnection, number>();
  private server!: Server;
  private wss!: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private waiters: Array<() => void> = [];
  port = 0;

  static async start(symbols: readonly string[]): Promise<FakeBinance> {
    const fake = new FakeBinance();
    for (const s of symbols) fake.restBars.set(s, []);
    await fake.listen();
    return fake;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get restUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async listen(): Promise<void> {
    this.wss = new WebSocketServer({ noServer: true });
    this.server = createServer((req, res) => this.rest(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.upgradeRequests.push({ url, headers: req.headers });
      if (this.refuseUpgrades > 0) {
        this.refuseUpgrades--;
        socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        this.notify();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const conn: FakeConnection = { ws, streams: (url.searchParams.get('streams') ?? '').split('/').filter(Boolean), stalled: false };
        this.connections.push(conn);
        ws.on('ping', () => {
          this.pingsReceived.set(conn, (this.pingsReceived.get(conn) ?? 0) + 1);
          this.notify();
        });
        ws.on('message', (data) => {
          if (conn.stalled) return;
          const msg = JSON.parse(String(data)) as { method: string; params?: string[]; id: number };
          if (msg.method === 'SUBSCRIBE') conn.streams.push(...(msg.params ?? []));
          ws.send(JSON.stringify({ result: null, id: msg.id }));
        });
        this.notify();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Resolves at the fake's next event (connection, upgrade, ping), or after 20 ms. */
  nextEvent(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      setTimeout(resolve, 20);
    });
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `count` connections have been made in total. */
  async waitForConnections(count: number, timeoutMs = 5000): Promise<FakeConnection> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} connections, have ${this.connections.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
    return this.connections[count - 1]!;
  }

  get live(): FakeConnection[] {
    return this.connections.filter((c) => c.ws.readyState === c.ws.OPEN);
  }

  /** Sends a text frame on every open, unstalled connection (or one). */
  send(text: string, conn?: FakeConnection): void {
    for (const c of conn ? [conn] : this.live) if (!c.stalled && c.ws.readyState === c.ws.OPEN) c.ws.send(text);
  }

  sendKline(bar: FakeBar, closed: boolean, eventTime = Date.now(), conn?: FakeConnection): void {
    this.send(combined(bar, closed, eventTime), conn);
  }

  /** A socket that dies silently: no more data, no reading, no pongs, and no FIN. */
  stall(conn: FakeConnection): void {
    conn.stalled = true;
    (conn.ws as unknown as { _socket: Socket })._socket.pause();
  }

  unstall(conn: FakeConnection): void {
    conn.stalled = false;
    (conn.ws as unknown as { _socket: Socket })._socket.resume();
  }

  /** Destroys the TCP socket without a close frame: the client sees 1006. */
  drop(conn: FakeConnection): void {
    (conn.ws as unknown as { _socket: Socket })._socket.destroy();
  }

  private rest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.restUrl);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    this.restHeaders.push(req.headers);
    if (url.pathname === '/api/v3/time') {
      const body = this.onTime?.();
      return json(200, body !== undefined ? body : { serverTime: Date.now() });
    }
    if (url.pathname !== '/api/v3/klines') return json(404, { code: -1, msg: 'not found' });
    this.restRequests.push(url);
    const symbol = url.searchParams.get('symbol') ?? '';
    const bars = this.restBars.get(symbol);
    if (!bars) return json(400, { code: -1121, msg: 'Invalid symbol.' });
    if (this.rateLimitKlines > 0) {
      this.rateLimitKlines--;
      return json(429, { code: -1003, msg: 'Too many requests' }, { 'retry-after': String(this.retryAfterSeconds) });
    }
    if (this.failKlines > 0) {
      this.failKlines--;
      return json(500, { code: -1000, msg: 'An unknown error occurred' });
    }
    const start = Number(url.searchParams.get('startTime') ?? -Infinity);
    const end = Number(url.searchParams.get('endTime') ?? Infinity);
    const limit = Number(url.searchParams.get('limit') ?? 500);
    let rows = bars.filter((b) => b.openTime >= start && b.openTime <= end);
    rows = url.searchParams.has('startTime') ? rows.slice(0, limit) : rows.slice(-limit);
    const honest = rows.map((b) => restRow(b));
    if (this.onKlines?.(url, res, honest)) return;
    json(200, honest);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.ws.terminate();
    for (const s of this.sockets) s.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A bar as a GET /api/v3/klines row (1m). */
export function restRow(b: FakeBar): unknown[] {
  return [b.openTime, b.open, b.high, b.low, b.close, b.volume ?? '1.00000000', b.openTime + 59_999, '1.0', 2, '0.5', '0.5', '0'];
}

/** Waits (on the event loop, real time) for a condition the fake's own events can signal. */
export async function untilFake(fake: FakeBinance, cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await fake.nextEvent();
  }
}

/** A bar at minute `i` after a base time, with prices around `base`. */
export function bar(symbol: string, minute: number, close: number, base = Date.UTC(2026, 0, 5, 0, 0)): FakeBar {
  const c = close.toFixed(2);
  return { symbol, openTime: base + minute * 60_000, open: c, high: (close + 1).toFixed(2), low: (close - 1).toFixed(2), close: c };
}

/** Polls a condition on the event loop (no fixed sleeps); fails after timeoutMs of real time. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let roundTrips = 0;
/**
 * A ping on `conn` and its pong (ws answers pings itself, in stream order): resolves once the
 * client has read and handled every frame sent on `conn` before it, and once every frame the
 * client sent before reading the ping has reached the fake. The marker that makes "it did not
 * happen" an assertion instead of a guess at how long to wait.
 */
export function roundTrip(conn: FakeConnection, timeoutMs = 5000): Promise<void> {
  const payload = `round-trip-${++roundTrips}`;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.ws.off('pong', onPong);
      reject(new Error(`no pong for ${payload} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onPong = (data: Buffer): void => {
      if (data.toString() !== payload) return;
      clearTimeout(timer);
      conn.ws.off('pong', onPong);
      resolve();
    };
    conn.ws.on('pong', onPong);
    conn.ws.ping(payload);
  });
}
