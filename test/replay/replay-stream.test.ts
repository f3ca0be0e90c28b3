import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReplayServer, type ReplayServer } from '../../src/replay/replay-server.ts';
import { MAX_QUIET_MS, updatesPerBar } from '../../src/replay/replay-tape.ts';
import { formatPrice8 } from '../../src/replay/kline-format.ts';
import { nominalIntervalMs } from '../../src/domain/interval.ts';
import { dataDir, dec8, MINUTE, minuteBars, T0, TestClient, type DataDir, type FixtureBar, type KlineMessage } from './replay-helpers.ts';

// BTC: 4 bars, a 3-hour gap, 2 more. ETH: the first 2 bars and the last one only.
const btc: FixtureBar[] = [...minuteBars(T0, 4, 100), ...minuteBars(T0 + 180 * MINUTE, 2, 200)];
const eth: FixtureBar[] = [...minuteBars(T0, 2, 10), ...minuteBars(T0 + 181 * MINUTE, 1, 20)];
const STREAMS = 'btcusdt@kline_1m/ethusdt@kline_1m';

function byKey(bars: readonly FixtureBar[]): Map<number, FixtureBar> {
  return new Map(bars.map((b) => [b.t, b]));
}

function assertFinalMatches(k: KlineMessage['k'], bar: FixtureBar): void {
  assert.equal(k.o, dec8(bar.o));
  assert.equal(k.h, dec8(bar.h));
  assert.equal(k.l, dec8(bar.l));
  assert.equal(k.c, dec8(bar.c));
  assert.equal(k.v, dec8(bar.v));
  assert.equal(k.T, bar.t + MINUTE - 1);
}

describe('replay server streams', () => {
  let data: DataDir;
  const servers: ReplayServer[] = [];
  const clients: TestClient[] = [];
  const start = async (extra: Partial<Parameters<typeof startReplayServer>[0]> = {}): Promise<ReplayServer> => {
    const s = await startReplayServer({ symbols: ['BTCUSDT', 'ETHUSDT'], dataDir: data.dir, speed: 6000, ...extra });
    servers.push(s);
    return s;
  };
  const connect = async (url: string): Promise<TestClient> => {
    const c = await TestClient.connect(url);
    clients.push(c);
    return c;
  };

  before(async () => {
    data = await dataDir({ BTCUSDT: btc, ETHUSDT: eth });
  });
  after(async () => {
    for (const c of clients) c.terminate();
    await Promise.all(servers.map((s) => s.close()));
    await data.remove();
  });

  it('with startAfterStreams, the tape waits until that many served streams are subscribed', async () => {
    let startedAt = 0;
    const server = await start({ startAfterStreams: 2, onTapeStart: () => (startedAt = performance.now()) });
    const first = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    assert.deepEqual(await first.subscriptions(), ['btcusdt@kline_1m']);
    assert.equal(startedAt, 0, 'one stream of two: the tape has not started');
    assert.equal(first.klines().length, 0);
    const second = await connect(`${server.wsUrl}/ws/ethusdt@kline_1m`);
    await second.finalsReach(eth.length);
    assert.ok(startedAt > 0);
    await first.finalsReach(btc.length);
  });

  it('with startAfterStreams above the streams served, the tape starts once all of them are subscribed', async () => {
    const server = await start({ startAfterStreams: 5 });
    const client = await connect(`${server.wsUrl}/stream?streams=${STREAMS}`);
    await client.finalsReach(btc.length + eth.length);
  });

  it('sends every bar as x:false updates then one x:true with the full OHLCV, on the combined stream', async () => {
    const server = await start();
    const client = await connect(`${server.wsUrl}/stream?streams=${STREAMS}`);
    await client.finalsReach(btc.length + eth.length);
    for (const m of client.messages) {
      const j = m.json as { stream: string; data: KlineMessage };
      assert.deepEqual(Object.keys(j), ['stream', 'data']);
      assert.equal(j.stream, `${j.data.s.toLowerCase()}@kline_1m`);
    }
    const updates = server.stats.updatesPerBar;
    for (const [symbol, bars] of [
      ['BTCUSDT', btc],
      ['ETHUSDT', eth],
    ] as const) {
      const bySymbol = client.klines().filter((k) => k.s === symbol);
      const expected = byKey(bars);
      for (const bar of bars) {
        const seq = bySymbol.filter((k) => k.k.t === bar.t);
        assert.equal(seq.length, updates + 1, `${symbol} ${bar.t}: ${updates} updates and one final`);
        assert.deepEqual(
          seq.map((k) => k.k.x),
          [...Array(updates).fill(false), true],
          'x:true comes last, once',
        );
        assertFinalMatches(seq.at(-1)!.k, expected.get(bar.t)!);
        for (const partial of seq.slice(0, -1)) {
          // The forming candle: same open, and never outside what the bar finally spans.
          assert.equal(partial.k.o, dec8(bar.o));
          assert.ok(Number(partial.k.h) <= Number(bar.h) && Number(partial.k.l) >= Number(bar.l));
          assert.ok(Number(partial.k.v) <= Number(bar.v));
        }
      }
    }
  });

  it('fills every Binance kline field with the right types', async () => {
    const server = await start();
    const client = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    const final = (await client.next((j) => j.k?.x === true)).json as KlineMessage;
    assert.deepEqual(Object.keys(final), ['e', 'E', 's', 'k']);
    assert.deepEqual(Object.keys(final.k), ['t', 'T', 's', 'i', 'f', 'L', 'o', 'c', 'h', 'l', 'v', 'n', 'x', 'q', 'V', 'Q', 'B']);
    assert.equal(final.e, 'kline');
    assert.equal(final.s, 'BTCUSDT');
    assert.equal(final.k.s, 'BTCUSDT');
    assert.equal(final.k.i, '1m');
    for (const key of ['t', 'T', 'f', 'L', 'n'] as const) assert.equal(typeof final.k[key], 'number', key);
    for (const key of ['o', 'c', 'h', 'l', 'v', 'q', 'V', 'Q'] as const) assert.match(final.k[key], /^\d+\.\d{8}$/, key);
    assert.equal(final.k.B, '0');
    assert.equal(final.k.L - final.k.f + 1, final.k.n);
  });

  it('sends bare payloads on /ws paths', async () => {
    const server = await start();
    const client = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m/ethusdt@kline_1m`);
    await client.finalsReach(btc.length + eth.length);
    for (const m of client.messages) assert.equal((m.json as KlineMessage).e, 'kline');
  });

  it('sends all symbols of a slice together, in --symbols order, and only the symbols that have a bar', async () => {
    const server = await start();
    const client = await connect(`${server.wsUrl}/stream?streams=${STREAMS}`);
    await client.finalsReach(btc.length + eth.length);
    const order = client.finals().map((k) => `${k.s}@${(k.k.t - T0) / MINUTE}`);
    assert.deepEqual(order, ['BTCUSDT@0', 'ETHUSDT@0', 'BTCUSDT@1', 'ETHUSDT@1', 'BTCUSDT@2', 'BTCUSDT@3', 'BTCUSDT@180', 'BTCUSDT@181', 'ETHUSDT@181']);
    // Within a slice every message of one tick goes out before the next tick's.
    const klines = client.klines();
    for (let i = 1; i < klines.length; i++) assert.ok(klines[i]!.k.t >= klines[i - 1]!.k.t, 'openTime never goes back');
  });

  it('jumps gaps in the data instead of sleeping through them', async () => {
    // 3 hours of missing bars would take 1.8 s of wall time at this speed if they were slept through.
    const server = await start({ speed: 6000 });
    const client = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await client.finalsReach(btc.length);
    const before = client.messages.find((m) => (m.json as KlineMessage).k.x && (m.json as KlineMessage).k.t === T0 + 3 * MINUTE)!;
    const after = client.messages.find((m) => (m.json as KlineMessage).k.t === T0 + 180 * MINUTE)!;
    assert.ok(after.at - before.at < 500, `the first update after the gap came ${after.at - before.at} ms after the last close`);
  });

  it('paces bars by speed: a 1m bar lasts interval / speed of wall time', async () => {
    const server = await start({ speed: 1200 }); // 50 ms per bar
    const client = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await client.finalsReach(btc.length);
    const finals = client.messages.filter((m) => (m.json as KlineMessage).k.x);
    const span = finals.at(-1)!.at - finals[0]!.at;
    assert.ok(span >= (btc.length - 1) * 50 * 0.8, `${btc.length} bars closed within ${span} ms`);
  });

  it('starts the tape at the first subscription and replays nothing to a later client', async () => {
    const server = await start({ speed: 1200 });
    const idle = await connect(`${server.wsUrl}/ws`);
    assert.deepEqual(await idle.subscriptions(), []);
    assert.equal(server.stats.tape, 'waiting');
    assert.equal(idle.klines().length, 0);
    // A stream of a symbol the server does not have is accepted but starts nothing.
    const typo = await connect(`${server.wsUrl}/ws/btcusd@kline_1m`);
    assert.deepEqual(await typo.subscriptions(), ['btcusd@kline_1m']);
    assert.equal(server.stats.tape, 'waiting');

    const first = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    const opening = (await first.next((j) => j.e === 'kline')).json as KlineMessage;
    assert.equal(opening.k.t, T0, 'the tape begins at the first bar of the data');
    assert.equal(opening.k.x, false);
    await first.next((j) => j.k?.x === true && j.k.t === T0 + MINUTE);
    const late = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    const lateFirst = (await late.next((j) => j.e === 'kline')).json as KlineMessage;
    assert.ok(lateFirst.k.t >= T0 + MINUTE, 'a later client joins the tape where it is');
    assert.equal(typo.klines().length, 0);
    assert.equal(idle.klines().length, 0);
  });

  it('starts at startAt, stamps E with the injected clock', async () => {
    let tick = 1_700_000_000_000;
    const server = await start({ startAt: T0 + 2 * MINUTE, now: () => ++tick });
    const client = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    const firstKline = (await client.next((j) => j.e === 'kline')).json as KlineMessage;
    assert.equal(firstKline.k.t, T0 + 2 * MINUTE);
    await client.finalsReach(btc.length - 2);
    const stamps = client.klines().map((k) => k.E);
    assert.ok(
      stamps.every((e) => e > 1_700_000_000_000 && e <= tick),
      'E comes from the injected clock',
    );
    assert.ok(stamps.every((e, i) => i === 0 || e >= stamps[i - 1]!));
  });

  it('runs at speed max through every bar', async () => {
    const many = await dataDir({ BTCUSDT: minuteBars(T0, 3000, 100) });
    try {
      const server = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: many.dir, speed: 'max' });
      servers.push(server);
      const client = await connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
      await client.finalsReach(3000, 20_000);
      const finals = client.finals();
      assert.deepEqual(
        finals.map((k) => k.k.t),
        minuteBars(T0, 3000).map((b) => b.t),
      );
      assert.equal(server.stats.tape, 'done');
    } finally {
      await many.remove();
    }
  });

  it('at speed max waits for a client that does not read (backpressure)', async () => {
    const many = await dataDir({ BTCUSDT: minuteBars(T0, 25_000, 100) });
    try {
      const server = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: many.dir, speed: 'max' });
      servers.push(server);
      const client = new TestClient(`${server.wsUrl}/ws/btcusdt@kline_1m`);
      clients.push(client);
      await client.opened;
      client.ws.pause();
      // The tape runs until the socket buffers fill, then must hold still.
      let seen = -1;
      let since = performance.now();
      const held = await client.until(
        () => {
          const closed = server.stats.slicesClosed;
          if (closed !== seen) {
            seen = closed;
            since = performance.now();
            return undefined;
          }
          return performance.now() - since >= 150 ? closed : undefined;
        },
        15_000,
        'the tape to hold still',
      );
      assert.ok(held > 0 && held < 25_000, `held at ${held} of 25000 slices`);
      assert.equal(server.stats.tape, 'running');
      client.ws.resume();
      await client.finalsReach(25_000, 30_000);
    } finally {
      await many.remove();
    }
  });
});

describe('tape timing', () => {
  it('keeps at least 2 updates per bar and never more than 2 s between updates', () => {
    assert.equal(updatesPerBar('1m', 60), 2);
    assert.equal(updatesPerBar('1m', 6000), 2);
    assert.equal(updatesPerBar('1m', 'max'), 2);
    assert.equal(updatesPerBar('1m', 1), 30);
    assert.equal(updatesPerBar('1h', 1), 1800);
    assert.equal(updatesPerBar('1m', 60, 5), 5);
    for (const [interval, speed] of [
      ['1m', 1],
      ['1m', 7],
      ['5m', 2.5],
      ['1d', 100],
      ['1M', 1],
    ] as const) {
      const tickMs = nominalIntervalMs(interval) / speed / updatesPerBar(interval, speed);
      assert.ok(tickMs <= MAX_QUIET_MS, `${interval} at speed ${speed}: ${tickMs} ms between updates`);
    }
  });

  it('formats prices as Binance does, padded to 8 decimals', () => {
    assert.equal(formatPrice8(4_669_206_000_000), '46692.06000000');
    assert.equal(formatPrice8(1), '0.00000001');
    assert.equal(formatPrice8(300_000_000), '3.00000000');
    assert.equal(formatPrice8(-150_000_000), '-1.50000000');
  });
});
