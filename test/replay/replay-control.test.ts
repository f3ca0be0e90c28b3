import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startReplayServer, type ReplayServer } from '../../src/replay/replay-server.ts';
import { applyControl } from '../../src/replay/replay-control.ts';
import { dataDir, minuteBars, quietWindow, T0, TestClient, type DataDir, type KlineMessage } from './replay-helpers.ts';

describe('replay server control messages', () => {
  let data: DataDir;
  let server: ReplayServer;
  const clients: TestClient[] = [];
  const connect = async (path: string): Promise<TestClient> => {
    const c = await TestClient.connect(`${server.wsUrl}${path}`);
    clients.push(c);
    return c;
  };
  /** Sends a request and waits for the reply carrying its id (or, with no id, the next error). */
  const ask = async (c: TestClient, request: unknown): Promise<any> => {
    const from = c.messages.length;
    c.send(request);
    const id = typeof request === 'object' && request !== null && 'id' in request ? (request as { id: unknown }).id : undefined;
    const reply = await c.next((j) => ('result' in j || 'error' in j) && (id === undefined || j.id === id), from);
    return reply.json;
  };

  before(async () => {
    data = await dataDir({ BTCUSDT: minuteBars(T0, 2000, 100), ETHUSDT: minuteBars(T0, 2000, 10) });
    server = await startReplayServer({ symbols: ['BTCUSDT', 'ETHUSDT'], dataDir: data.dir, speed: 6000 });
  });
  after(async () => {
    for (const c of clients) c.terminate();
    await server.close();
    await data.remove();
  });

  it('answers SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS with the request id', async () => {
    const c = await connect('/ws');
    assert.deepEqual(await ask(c, { method: 'SUBSCRIBE', params: ['btcusdt@kline_1m', 'ethusdt@kline_1m'], id: 1 }), { result: null, id: 1 });
    await c.next((j) => j.e === 'kline' && j.s === 'ETHUSDT');
    assert.deepEqual(await ask(c, { method: 'LIST_SUBSCRIPTIONS', id: 'list-1' }), { result: ['btcusdt@kline_1m', 'ethusdt@kline_1m'], id: 'list-1' });
    assert.deepEqual(await ask(c, { method: 'UNSUBSCRIBE', params: ['ethusdt@kline_1m'], id: 312 }), { result: null, id: 312 });
    assert.deepEqual(await ask(c, { method: 'LIST_SUBSCRIPTIONS', id: 3 }), { result: ['btcusdt@kline_1m'], id: 3 });
    // After the reply, only BTC keeps coming.
    const mark = c.messages.length;
    await c.next((j) => j.e === 'kline' && j.k.x === true, mark);
    await c.next((j) => j.e === 'kline' && j.k.x === true, c.messages.length);
    const later = c.messages
      .slice(mark)
      .map((m) => m.json as KlineMessage)
      .filter((j) => j.e === 'kline');
    assert.ok(later.length > 0 && later.every((k) => k.s === 'BTCUSDT'));
  });

  it('accepts a well-formed stream of an unknown symbol and sends nothing for it', async () => {
    const c = await connect('/ws');
    assert.deepEqual(await ask(c, { method: 'SUBSCRIBE', params: ['xyzusdt@kline_1m'], id: 7 }), { result: null, id: 7 });
    assert.deepEqual(await ask(c, { method: 'LIST_SUBSCRIPTIONS', id: 8 }), { result: ['xyzusdt@kline_1m'], id: 8 });
    // A served stream on the same connection: once a bar of it has closed, whole slices have gone
    // by, and the unknown symbol got nothing in any of them.
    assert.deepEqual(await ask(c, { method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'], id: 9 }), { result: null, id: 9 });
    await c.next((j) => j.e === 'kline' && j.k.x === true);
    assert.ok(c.klines().length > 0);
    assert.deepEqual(new Set(c.klines().map((k) => k.s)), new Set(['BTCUSDT']));
  });

  it('switches framing with SET_PROPERTY combined and reports it with GET_PROPERTY', async () => {
    const c = await connect('/ws/btcusdt@kline_1m');
    assert.deepEqual(await ask(c, { method: 'GET_PROPERTY', params: ['combined'], id: 2 }), { result: false, id: 2 });
    assert.deepEqual(await ask(c, { method: 'SET_PROPERTY', params: ['combined', true], id: 5 }), { result: null, id: 5 });
    const mark = c.messages.length;
    const wrapped = await c.next((j) => 'stream' in j, mark);
    assert.equal((wrapped.json as { stream: string }).stream, 'btcusdt@kline_1m');
    const combined = await connect('/stream?streams=btcusdt@kline_1m');
    assert.deepEqual(await ask(combined, { method: 'GET_PROPERTY', params: ['combined'], id: 9 }), { result: true, id: 9 });
  });

  it('answers bad requests with Binance error objects', async () => {
    const c = await connect('/ws');
    const unknown = await ask(c, { method: 'FOO', params: [], id: 4 });
    assert.equal(unknown.id, 4);
    assert.equal(unknown.error.code, 2);
    assert.match(unknown.error.msg, /^Invalid request: unknown variant `FOO`, expected one of `SUBSCRIBE`/);
    const invalid = await ask(c, '{"method": SUBSCRIBE');
    assert.equal(invalid.error.code, 3);
    assert.match(invalid.error.msg, /^Invalid JSON/);
    assert.equal('id' in invalid, false, 'invalid JSON has no id to echo');
    assert.deepEqual(await ask(c, { method: 'SET_PROPERTY', params: ['nope', true], id: 10 }), { error: { code: 0, msg: 'Unknown property' }, id: 10 });
    assert.deepEqual(await ask(c, { method: 'SET_PROPERTY', params: ['combined', 'yes'], id: 11 }), {
      error: { code: 1, msg: 'Invalid value type: expected Boolean' },
      id: 11,
    });
    assert.deepEqual(await ask(c, { method: 'SUBSCRIBE', params: ['not a stream'], id: 12 }), {
      error: { code: 2, msg: 'Invalid request: invalid stream' },
      id: 12,
    });
    assert.equal(c.ws.readyState, WebSocket.OPEN, 'errors do not close the connection');
  });

  it('names the missing id and the missing method', () => {
    const state = { streams: new Set<string>(), combined: false };
    const noId = JSON.parse(applyControl('{"method":"LIST_SUBSCRIPTIONS"}', state).reply);
    assert.deepEqual(noId, { error: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' }, id: null });
    const noMethod = JSON.parse(applyControl('{"params":[],"id":1}', state).reply);
    assert.equal(noMethod.error.code, 2);
    assert.match(noMethod.error.msg, /missing field `method`/);
    assert.equal(noMethod.id, 1);
    assert.deepEqual(JSON.parse(applyControl('{"method":"GET_PROPERTY","params":["combined","x"],"id":1}', state).reply), {
      error: { code: 2, msg: 'Invalid request: too many parameters' },
      id: 1,
    });
    assert.deepEqual(applyControl('{"method":"SUBSCRIBE","params":["a@b","a@b"],"id":null}', state).added, ['a@b']);
  });

  it('closes a connection that sends more than 5 messages a second with 1008', async () => {
    const c = await connect('/ws');
    for (let i = 1; i <= 6; i++) c.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    const closed = await c.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'Too many requests');
    const replies = c.messages.filter((m) => (m.json as { id?: number }).id !== undefined);
    assert.equal(replies.length, 5, 'the first five were answered');
  });

  it('counts pings toward the 5 messages a second', async () => {
    const c = await connect('/ws');
    for (let i = 0; i < 6; i++) c.ws.ping();
    assert.equal((await c.closed).code, 1008);
  });

  it('keeps a connection that stays within 5 messages a second', async () => {
    const c = await connect('/ws');
    for (let i = 1; i <= 5; i++) c.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    await c.next((j) => j.id === 5);
    await quietWindow(1050);
    for (let i = 6; i <= 10; i++) c.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    await c.next((j) => j.id === 10);
    assert.equal(c.ws.readyState, WebSocket.OPEN);
  });

  it('refuses paths that are not stream endpoints and malformed stream names', async () => {
    await assert.rejects(TestClient.connect(`${server.wsUrl}/api/stream`), /HTTP 404/);
    await assert.rejects(TestClient.connect(`${server.wsUrl}/ws/btcusdt`), /HTTP 400/);
  });
});
