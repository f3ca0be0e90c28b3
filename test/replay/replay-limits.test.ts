import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { startReplayServer, type ReplayServer, type ReplayServerOptions } from '../../src/replay/replay-server.ts';
import type { ReplayLogEvent } from '../../src/replay/replay-log.ts';
import { dataDir, minuteBars, T0, TestClient, type DataDir } from './replay-helpers.ts';
import { rawWebSocket } from './raw-client.ts';

const BARS = 25_000;
/** ETH trades once every SPARSE minutes: a reader of ETH alone keeps up at any speed, while BTC fills a stuck client's buffers. */
const SPARSE = 50;

/** No client can hold more than its share: connections are capped, and a client that does not read is dropped. */
describe('replay server limits', () => {
  let data: DataDir;
  const servers: ReplayServer[] = [];
  const clients: TestClient[] = [];
  const sockets: Socket[] = [];
  const start = async (extra: Partial<ReplayServerOptions>, log?: ReplayLogEvent[]): Promise<ReplayServer> => {
    const s = await startReplayServer({ symbols: ['BTCUSDT', 'ETHUSDT'], dataDir: data.dir, speed: 1200, log: log ? (e) => log.push(e) : undefined, ...extra });
    servers.push(s);
    return s;
  };
  const connect = async (url: string, options?: ConstructorParameters<typeof WebSocket>[2]): Promise<TestClient> => {
    const c = await TestClient.connect(url, options);
    clients.push(c);
    return c;
  };
  const serverDrops = (log: ReplayLogEvent[], client: number): ReplayLogEvent | undefined =>
    log.find((e) => e.kind === 'disconnect' && e.client === client && e.by === 'server');

  before(async () => {
    const eth = minuteBars(T0, BARS / SPARSE, 10).map((b, i) => ({ ...b, t: T0 + i * SPARSE * 60_000 }));
    data = await dataDir({ BTCUSDT: minuteBars(T0, BARS, 100), ETHUSDT: eth });
  });
  after(async () => {
    for (const c of clients) c.terminate();
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => s.close()));
    await data.remove();
  });

  it('answers an upgrade past maxConnections with 503, and takes one again when a connection closes', async () => {
    const log: ReplayLogEvent[] = [];
    const server = await start({ maxConnections: 2 }, log);
    const a = await connect(`${server.wsUrl}/ws`);
    await connect(`${server.wsUrl}/ws`);
    await assert.rejects(TestClient.connect(`${server.wsUrl}/ws`), /HTTP 503/);
    assert.equal(server.stats.connectionsRefused, 1);
    assert.ok(log.some((e) => e.kind === 'refused' && e.status === 503));
    a.ws.close();
    await a.closed;
    await a.until(() => (server.connections === 1 ? true : undefined), 2000, 'the server to see the close');
    await connect(`${server.wsUrl}/ws`);
    assert.equal(server.connections, 2);
  });

  it('closes TCP sockets past maxConnections plus 64 (REST, handshakes) at once', async () => {
    const log: ReplayLogEvent[] = [];
    const server = await start({ maxConnections: 1 }, log);
    let closed = 0;
    let allClosed: () => void = () => {};
    const fiveClosed = new Promise<void>((resolve) => (allClosed = resolve));
    const open = await Promise.all(
      Array.from(
        { length: 70 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = tcpConnect(server.port, '127.0.0.1');
            sockets.push(socket);
            socket.on('error', () => {});
            socket.once('close', () => {
              if (++closed === 5) allClosed();
            });
            socket.once('connect', () => resolve(socket));
          }),
      ),
    );
    // A socket over the cap is closed by the server without a word: 70 - (1 + 64) of them.
    await fiveClosed;
    assert.equal(closed, 5);
    assert.ok(log.some((e) => e.kind === 'refused' && e.status === null));
    for (const s of open) s.destroy();
    // Freed sockets make room again, once the server has seen them close.
    const deadline = performance.now() + 3000;
    for (;;) {
      const status = await fetch(`${server.restUrl}/api/v3/ping`).then(
        (r) => r.status,
        () => null,
      );
      if (status === 200) break;
      assert.ok(performance.now() < deadline, 'REST answers again after the sockets closed');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  it('frees the socket of a refused request even when the client never closes its side', async () => {
    const server = await start({ maxConnections: 1 });
    // 65 sockets fill the cap; each sends garbage, reads the 400, and keeps its own side open.
    const halfOpen = await Promise.all(
      Array.from(
        { length: 65 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = tcpConnect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
            sockets.push(socket);
            socket.on('error', () => {});
            socket.on('data', () => {});
            socket.once('end', () => resolve(socket));
            socket.write('garbage\r\n\r\n');
          }),
      ),
    );
    assert.equal(halfOpen.length, 65);
    const deadline = performance.now() + 3000;
    for (;;) {
      const status = await fetch(`${server.restUrl}/api/v3/ping`).then(
        (r) => r.status,
        () => null,
      );
      if (status === 200) break;
      assert.ok(performance.now() < deadline, 'the refused sockets were let go');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  it('drops a client that stops reading once its send buffer passes maxSendBufferBytes; the others go on', async () => {
    const log: ReplayLogEvent[] = [];
    // The tape waits for both streams: the stuck client's BTC subscription starts it.
    const server = await start({ speed: 1_000_000, maxSendBufferBytes: 256 * 1024, startAfterStreams: 2 }, log);
    const reader = await connect(`${server.wsUrl}/ws/ethusdt@kline_1m`);
    const stuck = await rawWebSocket(server.port, '/ws/btcusdt@kline_1m/ethusdt@kline_1m', true);
    sockets.push(stuck);
    const drop = await reader.until(() => serverDrops(log, 2), 20_000, 'the server to drop the client that does not read');
    assert.equal(drop.kind === 'disconnect' && drop.code, 1006);
    const mark = reader.messages.length;
    await reader.next((j) => j.e === 'kline', mark, 5000);
    assert.equal(server.connections, 1);
  });

  it('at speed max, waits for a slow reader at most maxSendWaitMs, then drops it and plays on', async () => {
    const log: ReplayLogEvent[] = [];
    const server = await start({ speed: 'max', maxSendWaitMs: 300, startAfterStreams: 2 }, log);
    const reader = await connect(`${server.wsUrl}/ws/ethusdt@kline_1m`);
    const stuck = await rawWebSocket(server.port, '/ws/btcusdt@kline_1m/ethusdt@kline_1m', true);
    sockets.push(stuck);
    await reader.finalsReach(BARS / SPARSE, 30_000);
    assert.ok(serverDrops(log, 2), 'the client that never read was dropped');
    // The last bar reaches the reader before the tape's own loop comes round to end: wait for its end, not for the clock.
    await reader.until(() => log.find((e) => e.kind === 'tape_end'), 5000, 'the tape to end');
    assert.equal(server.stats.tape, 'done');
  });

  it('sends random ping payloads: a client that guesses them instead of reading is not kept alive', async () => {
    const server = await start({ pingIntervalMs: 30, pongTimeoutMs: 100 });
    const c = await connect(`${server.wsUrl}/ws`, { autoPong: false });
    // Answers every ping with what a counter would have sent, not with what the ping carried.
    c.ws.on('ping', () => c.ws.pong(String(c.pings.length)));
    assert.equal((await c.closed).code, 1006);
    const payloads = c.pings.map((p) => p.toString('hex'));
    assert.ok(payloads.length >= 1 && payloads.every((p) => p.length >= 16), 'at least 8 random bytes per ping');
    assert.equal(new Set(payloads).size, payloads.length, 'no payload repeats');
  });

  it('judges liveness by the oldest unanswered ping: a late pong for an older ping still counts', async () => {
    const server = await start({ pingIntervalMs: 30, pongTimeoutMs: 150 });
    const c = await connect(`${server.wsUrl}/ws`, { autoPong: false });
    // Each ping is answered one ping late, with the previous ping's payload: ~30 ms behind, well inside 150 ms.
    c.ws.on('ping', () => {
      const previous = c.pings.at(-2);
      if (previous) c.ws.pong(previous);
    });
    await c.until(() => (c.pings.length >= 15 ? true : undefined), 3000, 'fifteen pings');
    assert.equal(c.ws.readyState, WebSocket.OPEN);

    const slow = await connect(`${server.wsUrl}/ws`, { autoPong: false });
    // Answers only every eighth ping (then for that ping): the pings in between go 210 ms unanswered.
    slow.ws.on('ping', (data) => {
      if (slow.pings.length % 8 === 0) slow.ws.pong(data);
    });
    assert.equal((await slow.closed).code, 1006);
  });
});
