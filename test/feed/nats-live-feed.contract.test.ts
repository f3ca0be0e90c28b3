/**
 * The live-feed contract (test/feed/live-feed.contract.ts, live-history.contract.ts) against the
 * fleet's NATS stream, made by the factory the realtime driver uses: a real nats-server with
 * JetStream of the test's own (each test its own server, so the contract's symbols are its alone),
 * bars put in the stream as a publisher puts them, and a proxy in front of the server that can cut
 * the session's connection. The stream is the tape: a gap in it is passed over, and reconnects are
 * the NATS client's.
 */
import { test } from 'node:test';
import { createLiveFeed, createLiveHistory } from '../../src/feed/live-feeds.ts';
import type { LiveFeed } from '../../src/feed/live-feed.ts';
import { ClockOffset } from '../../src/telemetry/latency.ts';
import { until } from '../helpers/fake-binance.ts';
import { natsSkip } from '../helpers/nats.ts';
import { BASE, liveFeedContract, type Upstream } from './live-feed.contract.ts';
import { liveHistoryContract } from './live-history.contract.ts';
import { minuteBar, NatsTape } from './nats-tape.ts';

const STREAM = 'TL_CONTRACT';

/** The contract's bar of `minute`: close 100 + minute. */
const barOf = (symbol: string, minute: number) => minuteBar(symbol, minute, 100 + minute, BASE);

/** Closers of what a contract test opened: its tape (server, proxy, publisher), run by upstream.close(). */
function registrar(): { after(fn: () => unknown): void; run(): Promise<void> } {
  const closers: Array<() => unknown> = [];
  return {
    after: (fn) => closers.push(fn),
    async run() {
      for (const fn of closers.splice(0).reverse()) await fn();
    },
  };
}

function upstreamOf(tape: NatsTape, closers: { run(): Promise<void> }, feed: LiveFeed | null): Upstream {
  return {
    // Bars on the tape before the feed reads: history, which the feed starts after.
    store(symbol, minutes) {
      for (const m of minutes) void tape.publish(barOf(symbol, m));
    },
    // No message id: a repeat lands in the stream, as once its publisher's duplicate window has passed.
    publish: (symbol, minute) => void tape.publish(barOf(symbol, minute), { id: false }),
    publishMalformed: () => void tape.publishRaw('tradeloop.bars.1m.BTCUSDT', '{"this is": "not a kline"'),
    // Connected, and (the first time) the feed has found the stream's end: what is published after that is live.
    async connected(count) {
      await tape.connected(count);
      if (feed !== null) await until(() => (feed.status().stream?.readThrough ?? null) !== null, 'the feed reading the stream');
    },
    cut: () => tape.cut(),
    holdBackfills() {
      throw new Error('the stream has no backfills to hold: its publisher backfilled already');
    },
    settle: () => tape.settle(),
    close: () => closers.run(),
  };
}

const skip = natsSkip();
if (skip !== false) test('live feed contract (nats)', { skip }, () => {});
else {
  liveFeedContract({
    name: 'nats',
    gaps: 'pass',
    reconnects: 'client',
    lostConnection: 'say',
    async open(setup) {
      const closers = registrar();
      const tape = await NatsTape.start(closers, { server: 'own', stream: STREAM, proxy: true });
      const feed = createLiveFeed(
        {
          upstream: { source: 'nats', url: tape.url, stream: STREAM },
          symbols: setup.symbols,
          interval: '1m',
          clock: setup.clock,
          clockOffset: new ClockOffset(),
          random: setup.random,
          staleAfterMs: setup.staleAfterMs,
          staleAlertAfterMs: 3_600_000,
          pingIntervalMs: 3_600_000,
          maxBackfillBars: 10_000,
          backoffBaseMs: setup.backoffBaseMs,
        },
        setup.port,
      );
      return { feed, upstream: upstreamOf(tape, closers, feed) };
    },
  });

  liveHistoryContract({
    name: 'nats',
    async openHistory(setup) {
      const closers = registrar();
      // Through the proxy: the history's connection waits for what was stored before it.
      const tape = await NatsTape.start(closers, { server: 'own', stream: STREAM, proxy: true });
      const history = createLiveHistory({
        upstream: { source: 'nats', url: tape.url, stream: STREAM },
        symbols: setup.symbols,
        interval: '1m',
        clock: setup.clock,
        clockOffset: new ClockOffset(),
      });
      return { history, upstream: upstreamOf(tape, closers, null) };
    },
  });
}
