import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { parsePublishOptions } from '../../src/cli/publish-command.ts';
import { barOf, barSubject } from '../../src/fleet/bar-message.ts';
import { Publisher } from '../../src/fleet/publisher.ts';
import { formatPublisherSummary } from '../../src/fleet/publisher-summary.ts';
import { type FakeBar, FakeBinance, roundTrip, until } from '../helpers/fake-binance.ts';
import { natsSkip, startNatsServer } from '../helpers/nats.ts';
import { expectedBar, startPublisher, subjectCounts, subjectMessages, testConnection, untilPublished } from './publish-harness.ts';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const BASE = Date.UTC(2026, 0, 5);
const at = (minute: number): number => BASE + minute * 60_000;

/** A bar with prices and a volume that use every decimal: what the stream carries must be these exact numbers. */
function oddBar(symbol: string, minute: number): FakeBar {
  const p = (symbol === 'BTCUSDT' ? 90_000 : 3_000) + minute;
  return {
    symbol,
    openTime: at(minute),
    open: `${p}.12345678`,
    high: `${p + 1}.50000001`,
    low: `${p - 1}.00000001`,
    close: `${p}.87654321`,
    volume: `${minute}.31415926`,
  };
}

async function fakeWith(t: TestContext, minutes: number): Promise<FakeBinance> {
  const fake = await FakeBinance.start(SYMBOLS);
  t.after(() => fake.close());
  for (const s of SYMBOLS)
    fake.restBars.set(
      s,
      Array.from({ length: minutes }, (_, m) => oddBar(s, m)),
    );
  return fake;
}

test('every accepted closed bar is one message: history, live and backfilled, equal to the bar the feed made, byte for byte', {
  skip: natsSkip(),
}, async (t) => {
  const nats = await startNatsServer(t);
  const fake = await fakeWith(t, 30);
  const run = await startPublisher(t, { fake, nats: nats.url, symbols: SYMBOLS, history: 10 });
  const conn = await fake.waitForConnections(1);
  // Minute 30 live; 31 and 32 only on REST, so 33 opens a gap the feed backfills; then 33 and 34 live.
  const eventTimes = new Map<string, number>();
  const live = (m: number): void => {
    for (const s of SYMBOLS) {
      const e = at(m) + 60_000 + 7;
      eventTimes.set(`${s}@${m}`, e);
      fake.sendKline(oddBar(s, m), true, e, conn);
    }
  };
  live(30);
  for (const s of SYMBOLS) fake.restBars.get(s)!.push(oddBar(s, 31), oddBar(s, 32));
  live(33);
  live(34);
  await untilPublished(run.publisher, SYMBOLS, at(34));
  assert.equal(await run.stop(), 0);
  const summary = await run.publisher.stop();

  const nc = await testConnection(t, nats.url);
  for (const s of SYMBOLS) {
    const messages = await subjectMessages(nc, 'TL_TEST_BARS', barSubject('1m', s));
    const want = [
      ...Array.from({ length: 10 }, (_, i) => ({ m: 20 + i, source: 'rest-backfill' as const })),
      { m: 30, source: 'ws' as const },
      { m: 31, source: 'rest-backfill' as const },
      { m: 32, source: 'rest-backfill' as const },
      { m: 33, source: 'ws' as const },
      { m: 34, source: 'ws' as const },
    ];
    assert.deepEqual(
      messages.map((m) => barOf(m)),
      want.map((w) => expectedBar(oddBar(s, w.m), w.source)),
      `${s}: the stream holds exactly the accepted bars, in openTime order`,
    );
    assert.deepEqual(
      messages.map((m) => m.eventTime),
      want.map((w) => eventTimes.get(`${s}@${w.m}`) ?? at(w.m) + 59_999),
      'a live bar carries its kline event time; a REST bar its close time',
    );
  }
  assert.deepEqual(await subjectCounts(nc, 'TL_TEST_BARS'), { [barSubject('1m', 'BTCUSDT')]: 15, [barSubject('1m', 'ETHUSDT')]: 15 });
  assert.equal(summary.published, 30);
  assert.equal(summary.duplicates, 0);
  assert.deepEqual(summary.history, { published: 20, duplicates: 0, notSent: 0 });
  assert.deepEqual(summary.live, { published: 10, duplicates: 0 });
  assert.equal(summary.backfills, 2, 'one backfill per symbol');
  assert.equal(summary.backfilledBars, 4);
  assert.equal(summary.unpublished, 0);
  assert.deepEqual(summary.lastOpenTime, { BTCUSDT: at(34), ETHUSDT: at(34) });
});

test('two publishers on one stream: each bar lands once, the second one is acked as a duplicate', { skip: natsSkip() }, async (t) => {
  const nats = await startNatsServer(t);
  const fake = await fakeWith(t, 30);
  const a = await startPublisher(t, { fake, nats: nats.url, symbols: SYMBOLS, history: 10, id: 'pub-a' });
  const b = await startPublisher(t, { fake, nats: nats.url, symbols: SYMBOLS, history: 10, id: 'pub-b' });
  await fake.waitForConnections(2);
  // The fake sends every kline on every open connection: both publishers get every live bar.
  for (let m = 30; m < 40; m++) for (const s of SYMBOLS) fake.sendKline(oddBar(s, m), true);
  await untilPublished(a.publisher, SYMBOLS, at(39));
  await untilPublished(b.publisher, SYMBOLS, at(39));
  await a.stop();
  await b.stop();
  const sa = await a.publisher.stop();
  const sb = await b.publisher.stop();

  const nc = await testConnection(t, nats.url);
  assert.deepEqual(await subjectCounts(nc, 'TL_TEST_BARS'), { [barSubject('1m', 'BTCUSDT')]: 20, [barSubject('1m', 'ETHUSDT')]: 20 });
  for (const s of SYMBOLS) {
    const times = (await subjectMessages(nc, 'TL_TEST_BARS', barSubject('1m', s))).map((m) => m.openTime);
    assert.deepEqual(
      times,
      Array.from({ length: 20 }, (_, i) => at(20 + i)),
    );
  }
  assert.deepEqual(sb.history, { published: 0, duplicates: 20, notSent: 0 }, "the second publisher's history was in the stream already");
  assert.equal(sa.published + sb.published, 40, 'each bar published once in all');
  assert.equal(sa.live.duplicates + sb.live.duplicates, 20, 'each live bar was published by both: one of the two was a duplicate');
});

test('a publisher restarted after an outage publishes the bars it missed, in order; its history repeats are dropped as duplicates', {
  skip: natsSkip(),
}, async (t) => {
  const nats = await startNatsServer(t);
  const fake = await fakeWith(t, 30);
  const first = await startPublisher(t, { fake, nats: nats.url, symbols: SYMBOLS, history: 10, id: 'pub-1' });
  await fake.waitForConnections(1);
  for (let m = 30; m < 33; m++) for (const s of SYMBOLS) fake.sendKline(oddBar(s, m), true);
  await untilPublished(first.publisher, SYMBOLS, at(32));
  assert.equal(await first.stop(), 0);
  // While no publisher runs, minutes 30..40 close (REST has them all).
  for (const s of SYMBOLS)
    fake.restBars.set(
      s,
      Array.from({ length: 41 }, (_, m) => oddBar(s, m)),
    );

  // A longer history than the stream's window was made for: the window is widened, never shortened.
  const second = await startPublisher(t, { fake, nats: nats.url, symbols: SYMBOLS, history: 20, id: 'pub-2' });
  const nc = await testConnection(t, nats.url);
  assert.equal((await (await jetstreamManager(nc)).streams.info('TL_TEST_BARS')).config.duplicate_window, 22 * 60_000 * 1e6, '(20 + 2) minutes');
  await fake.waitForConnections(2);
  for (const s of SYMBOLS) fake.sendKline(oddBar(s, 41), true);
  await untilPublished(second.publisher, SYMBOLS, at(41));
  assert.equal(await second.stop(), 0);
  const summary = await second.publisher.stop();

  for (const s of SYMBOLS) {
    const messages = await subjectMessages(nc, 'TL_TEST_BARS', barSubject('1m', s));
    assert.deepEqual(
      messages.map((m) => m.openTime),
      Array.from({ length: 22 }, (_, i) => at(20 + i)),
      `${s}: minutes 20..41, each once, in order`,
    );
    assert.deepEqual(
      messages.slice(13, 21).map((m) => barOf(m)),
      Array.from({ length: 8 }, (_, i) => expectedBar(oddBar(s, 33 + i), 'rest-backfill')),
      'the missed bars as REST has them',
    );
  }
  // History 20 at start = minutes 21..40: 21..32 were in the stream (12 duplicates), 33..40 were missed.
  assert.deepEqual(summary.history, { published: 0, duplicates: 24, notSent: 0 });
  assert.deepEqual(summary.missed, { published: 16, duplicates: 0 });
  assert.deepEqual(summary.live, { published: 2, duplicates: 0 });
});

test('nats-server killed with SIGKILL mid-stream and restarted: no bar lost, none doubled', { skip: natsSkip() }, async (t) => {
  const nats = await startNatsServer(t);
  const fake = await fakeWith(t, 30);
  const run = await startPublisher(t, { fake, nats: nats.url, symbols: SYMBOLS, history: 5, ackTimeoutMs: 500 });
  await fake.waitForConnections(1);
  for (let m = 30; m < 33; m++) for (const s of SYMBOLS) fake.sendKline(oddBar(s, m), true);
  await untilPublished(run.publisher, SYMBOLS, at(32));
  // Bars keep coming while the server dies under them: some in flight, some after.
  for (let m = 33; m < 36; m++) for (const s of SYMBOLS) fake.sendKline(oddBar(s, m), true);
  await nats.kill();
  for (let m = 36; m < 40; m++) for (const s of SYMBOLS) fake.sendKline(oddBar(s, m), true);
  await until(() => !run.publisher.progress().connected, 'the publisher knows the server is gone', 10_000);
  assert.ok(run.publisher.lastOpenTime('BTCUSDT')! < at(39), 'the bars after the kill wait for the server');
  await nats.restart();
  await untilPublished(run.publisher, SYMBOLS, at(39), 30_000);
  assert.equal(await run.stop(), 0);
  const summary = await run.publisher.stop();

  const nc = await testConnection(t, nats.url);
  for (const s of SYMBOLS) {
    const messages = await subjectMessages(nc, 'TL_TEST_BARS', barSubject('1m', s));
    assert.deepEqual(
      messages.map((m) => barOf(m)),
      [
        ...Array.from({ length: 5 }, (_, i) => expectedBar(oddBar(s, 25 + i), 'rest-backfill')),
        ...Array.from({ length: 10 }, (_, i) => expectedBar(oddBar(s, 30 + i), 'ws')),
      ],
      `${s}: every bar once, in order, across the server's death`,
    );
  }
  assert.ok(summary.serverLosses >= 1);
  assert.equal(summary.unpublished, 0);
  assert.equal(summary.published, 30);
  assert.ok(
    run.stderr.some((l) => l.includes('nats-server lost')) && run.stderr.some((l) => l.includes('nats-server back')),
    'the terminal says when it went and came back',
  );
});

test('--queue-size bounds the bars held while the server is away: the feed stops reading, and nothing is dropped', { skip: natsSkip() }, async (t) => {
  const nats = await startNatsServer(t);
  const fake = await fakeWith(t, 30);
  const run = await startPublisher(t, { fake, nats: nats.url, symbols: ['BTCUSDT'], history: 2, ackTimeoutMs: 300, args: ['--queue-size', '4'] });
  const conn = await fake.waitForConnections(1);
  await nats.kill();
  for (let m = 30; m < 33; m++) {
    fake.sendKline(oddBar('BTCUSDT', m), true, Date.now(), conn);
    await roundTrip(conn);
  }
  // The 4th bar held fills the outbox: the feed stops reading (a pong would not come back now).
  fake.sendKline(oddBar('BTCUSDT', 33), true, Date.now(), conn);
  await until(() => run.publisher.progress().held === 4, '4 bars held', 10_000);
  // What comes now waits in the socket, not in memory, until the stream has taken the held bars.
  for (let m = 34; m < 45; m++) fake.sendKline(oddBar('BTCUSDT', m), true, Date.now(), conn);
  await nats.restart();
  await untilPublished(run.publisher, ['BTCUSDT'], at(44), 30_000);
  await roundTrip(conn);
  assert.equal(await run.stop(), 0);
  const summary = await run.publisher.stop();
  assert.ok(summary.feedPauses >= 1);
  const nc = await testConnection(t, nats.url);
  assert.deepEqual(
    (await subjectMessages(nc, 'TL_TEST_BARS', barSubject('1m', 'BTCUSDT'))).map((m) => barOf(m)),
    [
      ...[28, 29].map((m) => expectedBar(oddBar('BTCUSDT', m), 'rest-backfill')),
      ...Array.from({ length: 15 }, (_, i) => expectedBar(oddBar('BTCUSDT', 30 + i), 'ws')),
    ],
  );
});

test('two publishers that read an empty stream at the same moment, with different --history: each symbol lands in time order, once; the longer history behind the stream is counted, not stored', {
  skip: natsSkip(),
}, async (t) => {
  const nats = await startNatsServer(t);
  const fake = await fakeWith(t, 30);
  const open = async (id: string, history: number): Promise<Publisher> => {
    const opts = parsePublishOptions([
      '--nats',
      nats.url,
      '--ws-url',
      fake.wsUrl,
      '--rest-url',
      fake.restUrl,
      '--symbols',
      SYMBOLS.join(','),
      '--stream',
      'TL_TEST_BARS',
      '--publisher-id',
      id,
      '--history',
      String(history),
    ]);
    assert.ok(opts !== 'help');
    const p = await Publisher.open(opts, { say: () => {}, random: () => 0.5 });
    t.after(() => p.stop().then(() => {}));
    return p;
  };
  // Both read the stream's ends (empty) before either publishes: their start plans are made blind to each other.
  const short = await open('pub-short', 5);
  const long = await open('pub-long', 20);
  short.start();
  await short.live;
  long.start();
  await long.live;
  const ss = await short.stop();
  const sl = await long.stop();

  const nc = await testConnection(t, nats.url);
  for (const s of SYMBOLS) {
    const times = (await subjectMessages(nc, 'TL_TEST_BARS', barSubject('1m', s))).map((m) => m.openTime);
    assert.deepEqual(times, [25, 26, 27, 28, 29].map(at), `${s}: the short history, and none of the long one's older bars after it`);
  }
  assert.equal(ss.published, 10);
  assert.deepEqual(
    [sl.published, sl.duplicates, sl.behind],
    [0, 10, 30],
    "the long history: its last five per symbol the stream had, its first fifteen behind the stream's newest",
  );
  assert.match(formatPublisherSummary(sl), /30 behind the stream \(not published: it had newer bars of their symbol\)/);
});
