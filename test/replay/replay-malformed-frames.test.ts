import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startReplayServer, type ReplayServer } from '../../src/replay/replay-server.ts';
import type { ReplayLogEvent } from '../../src/replay/replay-log.ts';
import { dataDir, minuteBars, T0, TestClient, type DataDir } from './replay-helpers.ts';
import { clientFrame, rawWebSocket } from './raw-client.ts';

/** Whatever a client sends over its socket is answered as Binance answers it, or the connection is closed; never a throw. */
describe('replay server: malformed frames', () => {
  let data: DataDir;
  let server: ReplayServer;
  const log: ReplayLogEvent[] = [];
  const clients: TestClient[] = [];
  const connect = async (path = '/ws'): Promise<TestClient> => {
    const c = await TestClient.connect(`${server.wsUrl}${path}`);
    clients.push(c);
    return c;
  };
  type ErrorReply = { error: { code: number; msg: string }; id?: unknown };
  /** Sends raw text and waits for the next error reply. */
  const errorFor = async (c: TestClient, text: string): Promise<ErrorReply> => {
    const from = c.messages.length;
    c.send(text);
    return (await c.next((j) => j !== null && typeof j === 'object' && 'error' in j, from)).json as ErrorReply;
  };
  /** The error replies to each text, on a fresh connection every 5 messages (Binance's cap per second). */
  const errorsFor = async (texts: readonly string[]): Promise<ErrorReply[]> => {
    const replies: ErrorReply[] = [];
    let c: TestClient | null = null;
    for (let i = 0; i < texts.length; i++) {
      if (i % 5 === 0) {
        c?.terminate();
        c = await connect();
      }
      replies.push(await errorFor(c!, texts[i]!));
    }
    assert.equal(c!.ws.readyState, WebSocket.OPEN, 'errors do not close the connection');
    return replies;
  };

  before(async () => {
    data = await dataDir({ BTCUSDT: minuteBars(T0, 500, 100) });
    server = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: data.dir, speed: 6000, log: (e) => log.push(e) });
  });
  after(async () => {
    for (const c of clients) c.terminate();
    await server.close();
    await data.remove();
  });

  const stillServes = async (): Promise<void> => {
    const c = await connect('/ws/btcusdt@kline_1m');
    await c.next((j) => j.e === 'kline');
  };

  it('closes with 1009 on a message over the size limit', async () => {
    const c = await connect();
    c.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['x'.repeat(70_000)], id: 1 }));
    assert.equal((await c.closed).code, 1009);
    const gone = await c.until(() => log.find((e) => e.kind === 'disconnect' && e.code === 1009), 2000, 'the disconnect record');
    assert.equal(gone.kind === 'disconnect' && gone.by, 'server');
    await stillServes();
  });

  it('closes with 1003 on a binary frame', async () => {
    const c = await connect();
    c.ws.send(Buffer.from('{"method":"LIST_SUBSCRIPTIONS","id":1}'), { binary: true });
    const closed = await c.closed;
    assert.equal(closed.code, 1003);
    assert.equal(c.messages.length, 0, 'no reply to a binary frame');
    await stillServes();
  });

  it('closes with 1007 on a text frame that is not UTF-8, and 1002 on a broken frame', async () => {
    const bad = await rawWebSocket(server.port, '/ws');
    const closedBad = new Promise<void>((resolve) => bad.once('close', () => resolve()));
    bad.write(clientFrame(1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    await closedBad;
    const broken = await rawWebSocket(server.port, '/ws');
    const closedBroken = new Promise<void>((resolve) => broken.once('close', () => resolve()));
    broken.write(Buffer.from([0x8f, 0x80, 0, 0, 0, 0])); // opcode 15 does not exist
    await closedBroken;
    const codes = await clients[0]!.until(
      () => {
        const c = log.filter((e) => e.kind === 'disconnect' && e.by === 'server').map((e) => (e.kind === 'disconnect' ? e.code : 0));
        return c.includes(1007) && c.includes(1002) ? c : undefined;
      },
      2000,
      'the 1007 and 1002 disconnects',
    );
    assert.ok(codes.includes(1007) && codes.includes(1002));
    await stillServes();
  });

  it('answers invalid JSON with code 3 and no id, and JSON that is not a request object with code 2', async () => {
    const invalid = ['{"method": SUBSCRIBE', '', '{"method":"SUBSCRIBE","params":["a@b"],"id":1', '['.repeat(5000)];
    for (const [i, reply] of (await errorsFor(invalid)).entries()) {
      assert.equal(reply.error.code, 3, JSON.stringify(invalid[i]!.slice(0, 40)));
      assert.equal('id' in reply, false, 'invalid JSON has no id to echo');
    }
    const notObjects = ['5', 'null', '[]', '"SUBSCRIBE"', 'true', '[{"method":"LIST_SUBSCRIPTIONS","id":1}]'];
    for (const [i, reply] of (await errorsFor(notObjects)).entries()) {
      assert.equal(reply.error.code, 2, notObjects[i]);
      assert.equal(typeof reply.error.msg, 'string');
    }
  });

  it('answers SUBSCRIBE params that are not an array of stream names with code 2 and the id', async () => {
    const cases: unknown[] = ['btcusdt@kline_1m', { a: 1 }, 5, [5], [null], [['btcusdt@kline_1m']], ['btcusdt@kline_1m', 7], ['no-at-sign'], ['a b@c']];
    const requests = cases.map((params, i) => JSON.stringify({ method: i % 2 === 0 ? 'SUBSCRIBE' : 'UNSUBSCRIBE', params, id: 100 + i }));
    for (const [i, reply] of (await errorsFor(requests)).entries()) {
      assert.equal(reply.error.code, 2, JSON.stringify(cases[i]));
      assert.equal(reply.id, 100 + i);
    }
  });

  it('refuses more than 1024 streams, in one request or in total, with code 2', async () => {
    const c = await connect();
    const many = Array.from({ length: 1025 }, (_, i) => `s${i}usdt@kline_1m`);
    const reply = await errorFor(c, JSON.stringify({ method: 'SUBSCRIBE', params: many, id: 1 }));
    assert.deepEqual([reply.error.code, reply.id], [2, 1]);
    // Up to the cap (repeats count once), then one more.
    const names = Array.from({ length: 1024 }, (_, i) => `t${i}usdt@kline_1m`);
    const from = c.messages.length;
    c.send({ method: 'SUBSCRIBE', params: [...names.slice(0, 1000), ...names.slice(0, 10)], id: 2 });
    c.send({ method: 'SUBSCRIBE', params: names.slice(990), id: 5 });
    assert.deepEqual((await c.next((j) => j.id === 2, from)).json, { result: null, id: 2 });
    assert.deepEqual((await c.next((j) => j.id === 5, from)).json, { result: null, id: 5 });
    const over = await errorFor(c, JSON.stringify({ method: 'SUBSCRIBE', params: ['extra@kline_1m'], id: 3 }));
    assert.deepEqual([over.error.code, over.id], [2, 3]);
    // A huge list of short names is refused at once, without comparing every pair.
    const flood = Array.from({ length: 6000 }, (_, i) => `${i}@k`);
    const big = await errorFor(c, JSON.stringify({ method: 'SUBSCRIBE', params: flood, id: 4 }));
    assert.deepEqual([big.error.code, big.id], [2, 4]);
  });

  it('answers ids of the wrong type with code 2 and a null id', async () => {
    const ids: unknown[] = [1.5, true, { n: 1 }, [1], 'has space', 'x'.repeat(37), 1e30, -0.5];
    for (const [i, reply] of (await errorsFor(ids.map((id) => JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id })))).entries()) {
      assert.equal(reply.error.code, 2, JSON.stringify(ids[i]));
      assert.equal(reply.id, null);
    }
    const [method] = await errorsFor([JSON.stringify({ method: 42, id: 9 })]);
    assert.deepEqual([method!.error.code, method!.id], [2, 9]);
  });
});
