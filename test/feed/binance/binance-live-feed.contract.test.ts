/**
 * The live-feed contract (test/feed/live-feed.contract.ts, live-history.contract.ts) against
 * Binance, made by the factory the realtime driver uses, on the fake exchange: a real WebSocket
 * and REST server on 127.0.0.1.
 */
import { createLiveFeed, createLiveHistory } from '../../../src/feed/live-feeds.ts';
import { ClockOffset } from '../../../src/telemetry/latency.ts';
import { bar, FakeBinance, type FakeConnection } from '../../helpers/fake-binance.ts';
import { BASE, liveFeedContract, MINUTE, type Upstream } from '../live-feed.contract.ts';
import { liveHistoryContract } from '../live-history.contract.ts';

/** The contract's bar of `minute`: close 100 + minute. */
const barOf = (symbol: string, minute: number) => bar(symbol, minute, 100 + minute, BASE);

function upstreamOf(fake: FakeBinance): Upstream {
  return {
    store(symbol, minutes) {
      const bars = fake.restBars.get(symbol)!;
      bars.push(...minutes.map((m) => barOf(symbol, m)));
      bars.sort((x, y) => x.openTime - y.openTime);
    },
    // Binance stamps a closed kline with the event time it closed at.
    publish: (symbol, minute) => fake.sendKline(barOf(symbol, minute), true, BASE + (minute + 1) * MINUTE),
    publishMalformed: () => fake.send('{"this is": "not a kline"'),
    connected: async (count) => {
      await fake.waitForConnections(count);
    },
    cut() {
      const live: FakeConnection | undefined = fake.live.at(-1);
      if (!live) throw new Error('cut(): the feed has no open connection');
      fake.drop(live);
    },
    holdBackfills() {
      const held: Array<() => void> = [];
      let holding = true;
      let arrived!: () => void;
      const first = new Promise<void>((resolve) => (arrived = resolve));
      fake.onKlines = (_url, res, honest) => {
        if (!holding) return false;
        held.push(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(honest));
        });
        arrived();
        return true;
      };
      return {
        arrived: first,
        release() {
          holding = false;
          fake.onKlines = null;
          for (const answer of held.splice(0)) answer();
        },
      };
    },
    async settle() {
      // A request answered by the same server: its bytes went out after everything sent before it,
      // and the event loop polled the feed's socket at least once while it travelled. Then one
      // more poll (two immediates) for what the socket read handed on.
      await (await fetch(`${fake.restUrl}/api/v3/time`)).text();
      await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    },
    close: () => fake.close(),
  };
}

liveFeedContract({
  name: 'binance',
  gaps: 'backfill',
  reconnects: 'feed',
  lostConnection: 'halt',
  async open(setup) {
    const fake = await FakeBinance.start(setup.symbols);
    const feed = createLiveFeed(
      {
        upstream: { source: 'binance', wsUrl: fake.wsUrl, restUrl: fake.restUrl },
        symbols: setup.symbols,
        interval: '1m',
        clock: setup.clock,
        clockOffset: new ClockOffset(),
        random: setup.random,
        staleAfterMs: setup.staleAfterMs,
        // Replacing a silent connection and pinging are Binance-side rules with tests of their own (test/realtime).
        staleAlertAfterMs: 3_600_000,
        pingIntervalMs: 3_600_000,
        maxBackfillBars: 10_000,
        backoffBaseMs: setup.backoffBaseMs,
      },
      setup.port,
    );
    return { feed, upstream: upstreamOf(fake) };
  },
});

liveHistoryContract({
  name: 'binance',
  async openHistory(setup) {
    const fake = await FakeBinance.start(setup.listed);
    const history = createLiveHistory({
      upstream: { source: 'binance', wsUrl: fake.wsUrl, restUrl: fake.restUrl },
      symbols: setup.symbols,
      interval: '1m',
      clock: setup.clock,
      clockOffset: new ClockOffset(),
    });
    return { history, upstream: upstreamOf(fake) };
  },
});
