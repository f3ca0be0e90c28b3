import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, combined, FakeBinance, roundTrip, until } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';
import { validateEventLine } from '../../src/events/schema.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

test('normal flow: one decision per closed bar, slices in --symbols order, x:false never decides', async () => {
  const fake = await FakeBinance.start(SYMBOLS);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl });
  try {
    const conn = await fake.waitForConnections(1);
    assert.deepEqual(conn.streams, ['btcusdt@kline_1m', 'ethusdt@kline_1m']);
    for (let m = 0; m < 3; m++) {
      const b = bar('BTCUSDT', m, 100 + m);
      const e = bar('ETHUSDT', m, 50 + m);
      fake.sendKline(b, false);
      fake.sendKline(e, false);
      // ETH closes first: the slice still goes out in --symbols order.
      fake.sendKline(e, true);
      fake.sendKline(b, true);
    }
    await run.waitFor('6 decisions', (r) => r.of('decision').length === 6);
    const decisions = run.of('decision').map((d) => `${d.symbol}@${d.openTime}`);
    const base = Date.UTC(2026, 0, 5);
    assert.deepEqual(
      decisions,
      [0, 1, 2].flatMap((m) => [`BTCUSDT@${base + m * 60_000}`, `ETHUSDT@${base + m * 60_000}`]),
    );
    const bars = run.of('bar');
    assert.equal(bars.length, 6);
    assert.ok(bars.every((b) => b.source === 'ws'));
    assert.equal(run.of('latency').length, 6);
    assert.deepEqual(
      run
        .of('feed')
        .map((f) => f.state)
        .slice(0, 2),
      ['connecting', 'live'],
    );
  } finally {
    assert.equal(await run.stop(), 0);
    await fake.close();
  }
  const lines = readFileSync(join(run.outDir, 'events.ndjson'), 'utf8').trim().split('\n');
  for (const line of lines) assert.deepEqual(validateEventLine(line), [], line);
  // The in-memory sink the loop tests read holds exactly what the log holds.
  assert.deepEqual(
    lines.map((l) => JSON.parse(l)),
    run.events(),
  );
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8'));
  assert.equal(summary.bars, 6);
  assert.equal(summary.decisions, 6);
  assert.equal(summary.latency.total.count, 6);
  assert.ok(summary.latency.model.p99 >= 0);
});

test('duplicates and out-of-order closed bars are skipped, never decided twice', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { symbols: ['BTCUSDT'] } });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    fake.sendKline(bar('BTCUSDT', 1, 101), true);
    fake.sendKline(bar('BTCUSDT', 1, 101), true); // repeat
    fake.sendKline(bar('BTCUSDT', 0, 100), true); // older
    fake.sendKline(bar('BTCUSDT', 2, 102), true);
    await run.waitFor('3 decisions and 2 skips', (r) => r.of('decision').length === 3 && r.of('skip').length === 2);
    assert.deepEqual(
      run.of('skip').map((s) => s.reason),
      ['duplicate', 'out_of_order'],
    );
    assert.equal(run.of('bar').length, 3);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a server repeating one closed kline 500 times: one skip line for the first, one for the rest, every one counted', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { symbols: ['BTCUSDT'] } });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    for (let i = 0; i < 500; i++) fake.sendKline(bar('BTCUSDT', 0, 100), true);
    fake.sendKline(bar('BTCUSDT', 1, 101), true);
    await run.waitFor('2 decisions and the folded skip', (r) => r.of('decision').length === 2 && r.of('skip').length === 2);
    const skips = run.of('skip');
    assert.deepEqual(
      skips.map((s) => s.reason),
      ['duplicate', 'duplicate'],
    );
    assert.match(String(skips[1]!.message), /came 499 more time\(s\): folded into this one line/);
  } finally {
    await run.stop();
    await fake.close();
  }
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8')) as { feed: { duplicates: number } };
  assert.equal(summary.feed.duplicates, 500, 'the counters count every one');
});

test('every kind of malformed message is counted and skipped; the feed keeps going', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { symbols: ['BTCUSDT'] } });
  try {
    await fake.waitForConnections(1);
    const good = JSON.parse(combined(bar('BTCUSDT', 0, 100), true, Date.now())) as {
      stream: string;
      data: { k: Record<string, unknown> } & Record<string, unknown>;
    };
    const variant = (mutate: (m: typeof good) => void): string => {
      const m = structuredClone(good);
      mutate(m);
      return JSON.stringify(m);
    };
    const bad = [
      '{not json',
      variant((m) => delete m.data.k.c), // missing field
      variant((m) => (m.data.k.o = 'abc')), // non-numeric price
      variant((m) => ((m.data.k.h = '90.00'), (m.data.k.l = '110.00'))), // high < low
      variant((m) => ((m.stream = 'dogeusdt@kline_1m'), (m.data.s = 'DOGEUSDT'), (m.data.k.s = 'DOGEUSDT'))), // unknown stream
      '[1,2,3]',
    ];
    for (const text of bad) fake.send(text);
    // Control replies and serverShutdown are routed before validation: not malformed.
    fake.send(JSON.stringify({ result: null, id: 99 }));
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('one decision after the garbage', (r) => r.of('decision').length === 1);
    const skips = run.of('skip');
    assert.equal(skips.length, bad.length);
    assert.ok(skips.every((s) => s.reason === 'malformed'));
    assert.match(String(skips[1]!.message), /k\.c/);
    assert.match(String(skips[2]!.message), /k\.o/);
    assert.match(String(skips[3]!.message), /below low/);
    assert.match(String(skips[4]!.message), /unknown stream/);
    assert.equal(skips[4]!.symbol, 'DOGEUSDT');
    assert.equal(skips[0]!.symbol, null);
  } finally {
    await run.stop();
    await fake.close();
  }
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8'));
  assert.equal(summary.feed.malformed, 6);
});

test('a full queue pauses reading with an alert; no closed bar is dropped', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { symbols: ['BTCUSDT'], queueSize: 4 } });
  try {
    const conn = await fake.waitForConnections(1);
    // One burst: the frames arrive in a few TCP reads, faster than the consumer's turn.
    const burst = Array.from({ length: 60 }, (_, m) => combined(bar('BTCUSDT', m, 100 + (m % 7)), true, Date.now())).join('\u0000');
    for (const text of burst.split('\u0000')) conn.ws.send(text);
    await run.waitFor('60 decisions', (r) => r.of('decision').length === 60);
    assert.ok(run.of('alert').some((a) => a.kind === 'queue_full'));
    assert.equal(run.of('skip').length, 0);
  } finally {
    await run.stop();
    await fake.close();
  }
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8'));
  assert.ok(summary.feed.pauses >= 1);
  assert.equal(summary.feed.closedBars, 60);
});

test('past the URL limit, streams are SUBSCRIBEd in paced batches on the same connection', async () => {
  const symbols = Array.from({ length: 700 }, (_, i) => `S${String(i).padStart(4, '0')}USDT`);
  const fake = await FakeBinance.start(symbols);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { symbols } });
  try {
    const conn = await fake.waitForConnections(1);
    const inUrl = conn.streams.length;
    assert.ok(inUrl > 400 && inUrl < 500, `${inUrl} streams in the URL`);
    // The first batch of 200 goes at once; the next waits 250 ms (at most 4 messages a second).
    await until(() => conn.streams.length === inUrl + 200, 'first SUBSCRIBE batch');
    run.clock.advance(249);
    // A batch due by now went out inside advance(), before the client could read this ping: its pong comes after it.
    await roundTrip(conn);
    assert.equal(conn.streams.length, inUrl + 200, 'the second batch waits for its turn');
    run.clock.advance(1);
    await until(() => conn.streams.length === 700, 'all streams subscribed');
    assert.equal(new Set(conn.streams).size, 700);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a network estimate below zero (an event stamped ahead of our corrected clock) is kept as measured, but never makes the total negative', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { symbols: ['BTCUSDT'] } });
  try {
    await fake.waitForConnections(1);
    // The harness clock stands still at its start; this event is stamped 40 s after it.
    fake.sendKline(bar('BTCUSDT', 0, 100), true, run.clock.now() + 40_000);
    await run.waitFor('1 latency event', (r) => r.of('latency').length === 1);
    const l = run.of('latency')[0]! as Record<string, number>;
    assert.ok(l.networkMs! < -39_000, `the estimate as measured (${l.networkMs})`);
    assert.ok(l.totalMs! >= 0, `total ${l.totalMs}`);
    assert.ok(Math.abs(l.totalMs! - (l.queueMs! + l.sliceMs! + l.modelMs! + l.brokerMs!)) < 0.01, 'the total is the in-process part, network counted as 0');
  } finally {
    await run.stop();
    await fake.close();
  }
});
