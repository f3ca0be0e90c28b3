import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReplayServer, type ReplayServer, type ReplayServerOptions } from '../../src/replay/replay-server.ts';
import type { ReplayLogEvent } from '../../src/replay/replay-log.ts';
import { dataDir, MINUTE, minuteBars, T0, TestClient, type DataDir, type FixtureBar, type KlineMessage } from './replay-helpers.ts';

type Row = [number, string, string, string, string, string, number, string, number, string, string, string];

// Five bars, a gap of three hours, two more: the tape spans 182 minutes.
const btc: FixtureBar[] = [...minuteBars(T0, 5, 100), ...minuteBars(T0 + 180 * MINUTE, 2, 200)];
const SPAN = 182 * MINUTE;

/** The fields of a final kline that REST returns too, in REST's order. */
function asRow(k: KlineMessage['k']): Row {
  return [k.t, k.o, k.h, k.l, k.c, k.v, k.T, k.q, k.n, k.V, k.Q, k.B];
}

describe('replay server --loop', () => {
  let data: DataDir;
  const servers: ReplayServer[] = [];
  const clients: TestClient[] = [];
  const start = async (extra: Partial<ReplayServerOptions> = {}): Promise<ReplayServer> => {
    const s = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: data.dir, speed: 6000, loop: true, ...extra });
    servers.push(s);
    return s;
  };
  const connect = async (url: string): Promise<TestClient> => {
    const c = await TestClient.connect(url);
    clients.push(c);
    return c;
  };

  before(async () => {
    data = await dataDir({ BTCUSDT: btc });
  });
  after(async () => {
    for (const c of clients) c.terminate();
    await Promise.all(servers.map((s) => s.close()));
    await data.remove();
  });

  it('plays the tape again from the first bar, shifted by its span rounded up to the interval: openTimes only grow', async () => {
    const log: ReplayLogEvent[] = [];
    const server = await start({ log: (e) => log.push(e) });
    const c = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await c.finalsReach(btc.length * 3);
    const klines = c.klines();
    for (let i = 1; i < klines.length; i++) assert.ok(klines[i]!.k.t >= klines[i - 1]!.k.t, 'openTime never goes back');
    const finals = c.finals();
    for (let i = 1; i < finals.length; i++) assert.ok(finals[i]!.k.t > finals[i - 1]!.k.t, 'each closed bar is later than the one before');
    for (let pass = 1; pass < 3; pass++) {
      for (let i = 0; i < btc.length; i++) {
        const first = finals[i]!.k;
        const again = finals[pass * btc.length + i]!.k;
        assert.equal(again.t, first.t + pass * SPAN, `pass ${pass} bar ${i}`);
        assert.equal(again.T, first.T + pass * SPAN);
        assert.deepEqual([again.o, again.h, again.l, again.c, again.v, again.n], [first.o, first.h, first.l, first.c, first.v, first.n], 'the same bar');
        assert.ok(again.f > finals[pass * btc.length + i - 1]!.k.L, 'trade ids run on');
      }
    }
    const looped = log.filter((e) => e.kind === 'tape_loop');
    assert.ok(looped.length >= 2);
    assert.deepEqual(
      looped.slice(0, 2).map((e) => e.kind === 'tape_loop' && [e.pass, e.shiftMs]),
      [
        [1, SPAN],
        [2, SPAN],
      ],
    );
    assert.equal(
      log.some((e) => e.kind === 'tape_end'),
      false,
      'a looped tape never ends',
    );
    assert.equal(server.stats.tape, 'running');
  });

  it('rounds a span that is not a whole number of intervals up', async () => {
    // Bars 90 s apart on a 1m tape: the span (3 × 90 s + 60 s = 330 s) rounds up to 6 minutes.
    const odd = await dataDir({ BTCUSDT: [0, 1, 2, 3].map((i) => ({ ...minuteBars(T0 + i * 90_000, 1, 100 + i)[0]! })) });
    try {
      const server = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: odd.dir, speed: 6000, loop: true, onBadRow: 'skip' });
      servers.push(server);
      const c = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
      const finals = await c.until(() => (c.finals().length >= 5 ? c.finals() : undefined), 5000, 'a second pass');
      assert.equal(finals[4]!.k.t - finals[0]!.k.t, 6 * MINUTE);
    } finally {
      await odd.remove();
    }
  });

  it('loops only the tape: history before startAt plays once', async () => {
    const server = await start({ startAt: T0 + 2 * MINUTE });
    const c = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    const tape = btc.length - 2;
    await c.finalsReach(tape * 2);
    const finals = c.finals();
    assert.equal(finals[0]!.k.t, T0 + 2 * MINUTE);
    // This tape spans from its first bar (T0 + 2 min) to the last one's close: 180 minutes.
    assert.equal(finals[tape]!.k.t, T0 + 2 * MINUTE + 180 * MINUTE);
  });

  it('serves over REST exactly what the loop has played, pass after pass', async () => {
    const server = await start({ speed: 600 }); // 100 ms a bar
    const c = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await c.finalsReach(btc.length + 3);
    const rest = async (query: string): Promise<Row[]> =>
      (await (await fetch(`${server.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1m&${query}`)).json()) as Row[];
    const rows = await rest(`startTime=${T0}&limit=1000`);
    assert.ok(rows.length >= btc.length + 3, `${rows.length} rows`);
    await c.finalsReach(rows.length);
    // Every row is a bar the stream closed, with the same values, in the same order.
    assert.deepEqual(
      rows,
      c
        .finals()
        .slice(0, rows.length)
        .map((k) => asRow(k.k)),
    );
    // Windows inside a later pass find that pass's bars, by time.
    const second = await rest(`startTime=${T0 + SPAN}&endTime=${T0 + SPAN + 2 * MINUTE}`);
    assert.deepEqual(
      second.map((r) => r[0]),
      [T0 + SPAN, T0 + SPAN + MINUTE, T0 + SPAN + 2 * MINUTE],
    );
    const newest = await rest('limit=2');
    assert.ok(newest.at(-1)![0] >= rows.at(-1)![0], 'the newest rows come from the latest pass');
    // Nothing the tape has not closed yet: the future of this pass is not served.
    assert.deepEqual(await rest(`startTime=${T0 + 50 * SPAN}`), []);
  });

  it('refuses a loop on monthly bars, whose lengths differ', async () => {
    await assert.rejects(startReplayServer({ symbols: ['BTCUSDT'], dataDir: data.dir, interval: '1M', loop: true }), /1M/);
  });
});
