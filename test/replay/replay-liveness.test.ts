import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startReplayServer, type ReplayServer, type ReplayServerOptions } from '../../src/replay/replay-server.ts';
import { dataDir, minuteBars, quietWindow, T0, TestClient, type DataDir, type KlineMessage } from './replay-helpers.ts';

describe('replay server liveness and failure controls', () => {
  let data: DataDir;
  const servers: ReplayServer[] = [];
  const clients: TestClient[] = [];
  const start = async (extra: Partial<ReplayServerOptions> = {}): Promise<ReplayServer> => {
    const s = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: data.dir, speed: 1200, ...extra });
    servers.push(s);
    return s;
  };
  const connect = async (url: string, options?: ConstructorParameters<typeof WebSocket>[2]): Promise<TestClient> => {
    const c = await TestClient.connect(url, options);
    clients.push(c);
    return c;
  };

  before(async () => {
    data = await dataDir({ BTCUSDT: minuteBars(T0, 2000, 100) });
  });
  after(async () => {
    for (const c of clients) c.terminate();
    await Promise.all(servers.map((s) => s.close()));
    await data.remove();
  });

  it('pings every pingIntervalMs, and keeps a connection whose client answers', async () => {
    const server = await start({ pingIntervalMs: 30, pongTimeoutMs: 100 });
    const c = await connect(`${server.wsUrl}/ws`);
    await c.until(() => (c.pings.length >= 3 ? true : undefined), 2000, 'three pings');
    await c.until(() => (c.pings.length >= 10 ? true : undefined), 2000, 'ten pings');
    assert.equal(c.ws.readyState, WebSocket.OPEN, 'answered pings keep the connection past several pong timeouts');
  });

  it('terminates a connection whose pong does not come within pongTimeoutMs', async () => {
    const server = await start({ pingIntervalMs: 30, pongTimeoutMs: 120 });
    const c = await connect(`${server.wsUrl}/ws`, { autoPong: false });
    const closed = await c.closed;
    assert.equal(closed.code, 1006, 'terminated: no close frame');
    assert.ok(c.pings.length >= 1);
    await c.until(() => (server.connections === 0 ? true : undefined), 1000, 'the server to forget the connection');
  });

  it('does not count an unsolicited pong as an answer', async () => {
    const server = await start({ pingIntervalMs: 40, pongTimeoutMs: 150 });
    const c = await connect(`${server.wsUrl}/ws`, { autoPong: false });
    c.ws.pong(Buffer.from('not-a-ping'));
    assert.equal((await c.closed).code, 1006);
  });

  it('stall(): data and pings stop, client pings go unanswered, the socket stays open; stall(false) resumes', async () => {
    const server = await start({ pingIntervalMs: 30, pongTimeoutMs: 60 });
    const c = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await c.next((j) => j.k?.x === true);
    server.stall(true);
    await quietWindow(20); // frames already on the wire may still land
    const messages = c.messages.length;
    const pings = c.pings.length;
    let pongs = 0;
    c.ws.on('pong', () => pongs++);
    c.ws.ping();
    await quietWindow(300);
    assert.equal(c.messages.length, messages, 'no data while stalled');
    assert.equal(c.pings.length, pings, 'no pings while stalled');
    assert.equal(pongs, 0, 'no pong for the client ping');
    assert.equal(c.ws.readyState, WebSocket.OPEN, 'no close frame, no FIN: a silently dead link');
    assert.equal(server.connections, 1, 'the server did not time the stalled connection out either');
    // A connection opened during the stall is just as dead.
    const fresh = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await quietWindow(60);
    assert.equal(fresh.messages.length, 0);

    const lastBefore = (c.messages.at(-1)!.json as KlineMessage).k.t;
    server.stall(false);
    const resumed = (await c.next((j) => j.e === 'kline', messages)).json as KlineMessage;
    // The tape kept running during the stall: what was sent meanwhile is lost, as on Binance.
    assert.ok(resumed.k.t > lastBefore + 60_000, 'bars of the stall are missed, not replayed');
    await c.until(() => (pongs > 0 ? true : undefined), 1000, 'the pong after the stall');
    await fresh.next((j) => j.e === 'kline');
  });

  it('dropAll(): clients see 1006, no close frame', async () => {
    const server = await start();
    const a = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    const b = await connect(`${server.wsUrl}/stream?streams=btcusdt@kline_1m`);
    assert.equal(server.connections, 2);
    server.dropAll();
    assert.equal((await a.closed).code, 1006);
    assert.equal((await b.closed).code, 1006);
    await a.until(() => (server.connections === 0 ? true : undefined), 1000, 'no connections');
  });

  it('sendServerShutdown(): raw and combined formats, then a close when asked', async () => {
    let now = 1_770_123_456_000;
    const server = await start({ now: () => ++now });
    const raw = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    const combined = await connect(`${server.wsUrl}/stream?streams=btcusdt@kline_1m`);
    server.sendServerShutdown(50);
    const rawEvent = (await raw.next((j) => j.e === 'serverShutdown')).json as { e: string; E: number };
    assert.deepEqual(Object.keys(rawEvent), ['e', 'E']);
    assert.ok(rawEvent.E > 1_770_123_456_000 && rawEvent.E <= now);
    const wrapped = (await combined.next((j) => j.stream === '!serverShutdown')).json as { stream: string; data: { e: string; E: number } };
    assert.deepEqual(wrapped.data, rawEvent);
    assert.equal((await raw.closed).code, 1001);
    assert.equal((await combined.closed).code, 1001);
  });

  it('cuts a connection at the end of its lifetime', async () => {
    const server = await start({ connectionLifetimeMs: 80 });
    const c = await connect(`${server.wsUrl}/ws`);
    const closed = await c.closed;
    assert.equal(closed.code, 1001);
  });

  it('sendRaw() reaches every client as is', async () => {
    const server = await start();
    const a = await connect(`${server.wsUrl}/ws`);
    const b = await connect(`${server.wsUrl}/stream`);
    server.sendRaw('{"e":"kline","k":');
    await a.until(() => a.messages.find((m) => m.text === '{"e":"kline","k":'), 1000, 'the raw text');
    await b.until(() => b.messages.find((m) => m.text === '{"e":"kline","k":'), 1000, 'the raw text');
  });

  it('close() sends close frames and stops', async () => {
    const server = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: data.dir, speed: 1200 });
    const c = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await c.next((j) => j.e === 'kline');
    await server.close();
    assert.equal((await c.closed).code, 1001);
    assert.equal(server.stats.tape, 'stopped');
    await assert.rejects(fetch(`${server.restUrl}/api/v3/ping`));
  });
});
