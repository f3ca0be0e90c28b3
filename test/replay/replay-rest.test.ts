import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReplayServer, type ReplayServer } from '../../src/replay/replay-server.ts';
import { dataDir, dec8, MINUTE, minuteBars, T0, TestClient, type DataDir, type KlineMessage } from './replay-helpers.ts';

type Row = [number, string, string, string, string, string, number, string, number, string, string, string];

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json() };
}

const COUNT = 1200;
const bars = minuteBars(T0, COUNT, 100);
/** Every bar is history: the tape starts after the data. */
const AFTER_ALL = T0 + COUNT * MINUTE;

describe('replay server REST', () => {
  let data: DataDir;
  let history: ReplayServer;
  const servers: ReplayServer[] = [];
  const clients: TestClient[] = [];

  before(async () => {
    data = await dataDir({ BTCUSDT: bars, ETHUSDT: minuteBars(T0, 10, 10) });
    history = await startReplayServer({ symbols: ['BTCUSDT', 'ETHUSDT'], dataDir: data.dir, startAt: AFTER_ALL, now: () => 1_234_567 });
    servers.push(history);
  });
  after(async () => {
    for (const c of clients) c.terminate();
    await Promise.all(servers.map((s) => s.close()));
    await data.remove();
  });

  it('serves rows in Binance array format, the same values as the x:true kline', async () => {
    const { status, body } = await get(history.restUrl, `/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${T0}&limit=2`);
    assert.equal(status, 200);
    const rows = body as Row[];
    assert.equal(rows.length, 2);
    const [t, o, h, l, c, v, T, q, n, V, Q, ignore] = rows[0]!;
    assert.equal(t, T0);
    assert.deepEqual([o, h, l, c, v], [dec8(bars[0]!.o), dec8(bars[0]!.h), dec8(bars[0]!.l), dec8(bars[0]!.c), dec8(bars[0]!.v)]);
    assert.equal(T, T0 + MINUTE - 1);
    assert.equal(typeof n, 'number');
    for (const s of [q, V, Q]) assert.match(s, /^\d+\.\d{8}$/);
    assert.equal(ignore, '0');

    // The WebSocket's final kline for the same bar carries the same fields.
    const live = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: data.dir, speed: 6000 });
    servers.push(live);
    const client = await TestClient.connect(`${live.wsUrl}/ws/btcusdt@kline_1m`);
    clients.push(client);
    const k = ((await client.next((j) => j.k?.x === true)).json as KlineMessage).k;
    assert.deepEqual([k.t, k.o, k.h, k.l, k.c, k.v, k.T, k.q, k.n, k.V, k.Q, k.B], rows[0]);
  });

  it('windows like Binance: newest by default, forward from startTime, back from endTime', async () => {
    const base = '/api/v3/klines?symbol=BTCUSDT&interval=1m';
    const times = (rows: Row[]): number[] => rows.map((r) => r[0]);
    const at = (i: number): number => T0 + i * MINUTE;

    const newest = (await get(history.restUrl, base)).body as Row[];
    assert.equal(newest.length, 500, 'limit defaults to 500');
    assert.equal(newest[0]![0], at(COUNT - 500));
    assert.equal(newest.at(-1)![0], at(COUNT - 1));

    assert.equal(((await get(history.restUrl, `${base}&limit=5000`)).body as Row[]).length, 1000, 'limit is capped at 1000');

    assert.deepEqual(times((await get(history.restUrl, `${base}&startTime=${at(10)}&limit=3`)).body), [at(10), at(11), at(12)]);
    // A startTime inside a bar starts at the next open.
    assert.deepEqual(times((await get(history.restUrl, `${base}&startTime=${at(10) + 1}&limit=2`)).body), [at(11), at(12)]);
    assert.deepEqual(times((await get(history.restUrl, `${base}&endTime=${at(10)}&limit=3`)).body), [at(8), at(9), at(10)]);
    assert.deepEqual(times((await get(history.restUrl, `${base}&startTime=${at(5)}&endTime=${at(7)}&limit=100`)).body), [at(5), at(6), at(7)]);
    assert.deepEqual(times((await get(history.restUrl, `${base}&startTime=${at(5)}&endTime=${at(700)}&limit=2`)).body), [at(5), at(6)]);
    // Microseconds, as Binance also accepts.
    assert.deepEqual(times((await get(history.restUrl, `${base}&startTime=${at(3) * 1000}&limit=1`)).body), [at(3)]);
    // Nothing in range is an empty array, not an error.
    assert.deepEqual((await get(history.restUrl, `${base}&startTime=${at(COUNT + 5)}`)).body, []);
  });

  it('answers -1121 for an unknown symbol and Binance codes for bad parameters', async () => {
    const bad = async (query: string): Promise<{ status: number; code: number }> => {
      const r = await get(history.restUrl, `/api/v3/klines?${query}`);
      assert.equal(typeof r.body.msg, 'string');
      return { status: r.status, code: r.body.code };
    };
    assert.deepEqual(await get(history.restUrl, '/api/v3/klines?symbol=BTCUSDX&interval=1m'), { status: 400, body: { code: -1121, msg: 'Invalid symbol.' } });
    assert.deepEqual(await bad('interval=1m'), { status: 400, code: -1102 });
    assert.deepEqual(await bad('symbol=BTCUSDT'), { status: 400, code: -1102 });
    assert.deepEqual(await bad('symbol=BTCUSDT&interval=7m'), { status: 400, code: -1120 });
    assert.deepEqual(await bad('symbol=BTCUSDT&interval=1m&startTime=yesterday'), { status: 400, code: -1100 });
    assert.deepEqual(await bad('symbol=BTCUSDT&interval=1m&limit=-5'), { status: 400, code: -1100 });
    assert.deepEqual(await bad('symbol=BTCUSDT&interval=1m&limit=0'), { status: 400, code: -1130 });
    assert.deepEqual(await bad(`symbol=BTCUSDT&interval=1m&startTime=${T0 + 5}&endTime=${T0}`), { status: 400, code: -1023 });
  });

  it('serves /api/v3/time from the injected clock and /api/v3/ping', async () => {
    assert.deepEqual(await get(history.restUrl, '/api/v3/time'), { status: 200, body: { serverTime: 1_234_567 } });
    assert.deepEqual(await get(history.restUrl, '/api/v3/ping'), { status: 200, body: {} });
    assert.equal((await get(history.restUrl, '/api/v3/depth')).status, 404);
  });

  it('serves nothing before the tape starts, and history before startAt at once', async () => {
    const fresh = await startReplayServer({ symbols: ['BTCUSDT', 'ETHUSDT'], dataDir: data.dir, speed: 6000 });
    servers.push(fresh);
    assert.deepEqual((await get(fresh.restUrl, '/api/v3/klines?symbol=BTCUSDT&interval=1m')).body, []);
    const warm = await startReplayServer({ symbols: ['BTCUSDT', 'ETHUSDT'], dataDir: data.dir, speed: 6000, startAt: T0 + 50 * MINUTE });
    servers.push(warm);
    const rows = (await get(warm.restUrl, '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000')).body as Row[];
    assert.equal(rows.length, 50);
    assert.equal(rows.at(-1)![0], T0 + 49 * MINUTE);
    assert.equal(((await get(warm.restUrl, '/api/v3/klines?symbol=ETHUSDT&interval=1m')).body as Row[]).length, 10);
  });

  it('serves only the bars the tape has closed', async () => {
    const live = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: data.dir, speed: 150 }); // 400 ms per bar
    servers.push(live);
    const client = await TestClient.connect(`${live.wsUrl}/ws/btcusdt@kline_1m`);
    clients.push(client);
    const path = '/api/v3/klines?symbol=BTCUSDT&interval=1m';
    await client.next((j) => j.e === 'kline');
    assert.deepEqual((await get(live.restUrl, path)).body, [], 'the forming bar is not served');
    await client.next((j) => j.k?.x === true && j.k.t === T0);
    const rows = (await get(live.restUrl, path)).body as Row[];
    assert.deepEqual(
      rows.map((r) => r[0]),
      [T0],
      'the bar closed on the stream is served, the next one is not',
    );
    await client.next((j) => j.k?.x === true && j.k.t === T0 + MINUTE);
    const more = (await get(live.restUrl, `${path}&startTime=${T0}&limit=1000`)).body as Row[];
    assert.deepEqual(
      more.map((r) => r[0]),
      [T0, T0 + MINUTE],
    );
  });
});
