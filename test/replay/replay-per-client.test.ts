import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReplayServer, type ReplayServer, type ReplayServerOptions } from '../../src/replay/replay-server.ts';
import type { ReplayLogEvent } from '../../src/replay/replay-log.ts';
import { dataDir, MINUTE, minuteBars, T0, TestClient, type DataDir, type KlineMessage } from './replay-helpers.ts';

type Row = [number, ...unknown[]];
const COUNT = 20;

describe('replay server --tape per-client', () => {
  let data: DataDir;
  const servers: ReplayServer[] = [];
  const clients: TestClient[] = [];
  const start = async (extra: Partial<ReplayServerOptions> = {}): Promise<ReplayServer> => {
    const s = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: data.dir, speed: 6000, tape: 'per-client', ...extra });
    servers.push(s);
    return s;
  };
  const connect = async (url: string): Promise<TestClient> => {
    const c = await TestClient.connect(url);
    clients.push(c);
    return c;
  };
  const restTimes = async (server: ReplayServer, query = 'limit=1000'): Promise<number[]> =>
    ((await (await fetch(`${server.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1m&${query}`)).json()) as Row[]).map((r) => r[0]);

  before(async () => {
    data = await dataDir({ BTCUSDT: minuteBars(T0, COUNT, 100) });
  });
  after(async () => {
    for (const c of clients) c.terminate();
    await Promise.all(servers.map((s) => s.close()));
    await data.remove();
  });

  it('plays each new client its own tape from the first bar', async () => {
    const server = await start({ speed: 1200 }); // 50 ms a bar
    const a = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await a.finalsReach(3);
    const b = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    const first = (await b.next((j) => j.e === 'kline')).json as KlineMessage;
    assert.equal(first.k.t, T0, 'the second client starts at the beginning, not where the first one is');
    await b.finalsReach(2);
    assert.ok(a.finals().length > b.finals().length, 'the tapes run apart');
    // Each client sees every bar once, in order, on its own clock.
    await b.finalsReach(5);
    assert.deepEqual(
      b
        .finals()
        .slice(0, 5)
        .map((k) => k.k.t),
      [0, 1, 2, 3, 4].map((i) => T0 + i * MINUTE),
    );
  });

  it('a second trial after the first ended does not sit silent', async () => {
    const log: ReplayLogEvent[] = [];
    const server = await start({ log: (e) => log.push(e) });
    const first = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await first.finalsReach(COUNT);
    await first.until(() => log.find((e) => e.kind === 'tape_end' && e.client === 1), 2000, 'the first tape to end');
    first.ws.close();
    await first.closed;
    const second = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await second.finalsReach(COUNT);
    assert.deepEqual(
      second.finals().map((k) => k.k.t),
      first.finals().map((k) => k.k.t),
    );
    const starts = log.filter((e) => e.kind === 'tape_start').map((e) => e.kind === 'tape_start' && e.client);
    assert.deepEqual(starts, [1, 2], 'one tape per client, named by the client');
  });

  it('a tape waits for its own client to subscribe', async () => {
    const server = await start();
    const idle = await connect(`${server.wsUrl}/ws`);
    const busy = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await busy.finalsReach(5);
    assert.equal(idle.messages.length, 0);
    idle.send({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'], id: 1 });
    const firstKline = (await idle.next((j) => j.e === 'kline')).json as KlineMessage;
    assert.equal(firstKline.k.t, T0);
  });

  it('REST serves what the most advanced open tape has closed, and only history when no tape is open', async () => {
    const server = await start({ speed: 600, startAt: T0 + 10 * MINUTE }); // 100 ms a bar
    const history = [...Array(10).keys()].map((i) => T0 + i * MINUTE);
    assert.deepEqual(await restTimes(server), history, 'before any client: the history before startAt');
    const a = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await a.finalsReach(4);
    const b = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await b.finalsReach(1);
    const served = await restTimes(server);
    await a.until(() => (a.finals().length >= served.length - 10 ? true : undefined), 2000, 'the stream to catch up with REST');
    const closedByA = a.finals().map((k) => k.k.t);
    assert.deepEqual(served.slice(10), closedByA.slice(0, served.length - 10), 'REST follows the tape that is furthest');
    // b had closed one or two bars when REST answered; a at least four.
    assert.ok(served.length - 10 >= 4, `${served.length - 10} tape bars served`);
    a.ws.close();
    b.ws.close();
    await a.closed;
    await b.closed;
    await a.until(() => (server.connections === 0 ? true : undefined), 2000, 'both gone');
    // A new trial's warm-up must not see bars from a tape that is gone: back to the history.
    assert.deepEqual(await restTimes(server), history);
  });

  it('loops each client tape on its own', async () => {
    const server = await start({ loop: true });
    const c = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await c.finalsReach(COUNT + 3);
    const finals = c.finals();
    assert.equal(finals[COUNT]!.k.t, T0 + COUNT * MINUTE);
  });
});
