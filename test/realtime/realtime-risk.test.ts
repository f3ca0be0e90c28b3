/**
 * The realtime side of the risk rails: bars that closed during an outage are decided, but what
 * they decide never trades at their old prices (stale_bar, or it waits for the first live open),
 * and alert webhooks that hang or fail never hold up a cycle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';

// Fills at the close: these tests are about stale bars and alerts, each bar's buy filled on its own bar.
const ONE = { symbols: ['BTCUSDT'], lots: { BTCUSDT: '0.001' }, staleAfterMs: 60_000, staleAlertAfterMs: 120_000, fillModel: 'close' as const };
const buyer: Strategy = { name: 'buyer', warmup: 0, onBar: () => [{ side: 'buy', qty: 1 }] };
const minute = (t: unknown) => (Number(t) - Date.UTC(2026, 0, 5)) / 60_000;

test('after an outage, backfilled bars are decided; an entry from one older than --max-bar-age is a stale_bar reject, a younger one waits for the first live open', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE, strategy: buyer });
  try {
    const first = await fake.waitForConnections(1);
    for (const m of [0, 1]) fake.sendKline(bar('BTCUSDT', m, 100), true);
    await run.waitFor('2 decisions', (r) => r.of('decision').length === 2);
    fake.drop(first);
    await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'feed_disconnected', 'disconnected');
    for (const m of [2, 3, 4, 5, 6]) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 90 - m));
    run.clock.advance(1_000);
    const second = await fake.waitForConnections(2);
    fake.sendKline(bar('BTCUSDT', 7, 120), true, Date.now(), second);
    await run.waitFor('8 decisions', (r) => r.of('decision').length === 8);
    assert.deepEqual(
      run.of('decision').map((d) => minute(d.openTime)),
      [0, 1, 2, 3, 4, 5, 6, 7],
      'every bar decided, once',
    );
    const stale = run
      .of('reject')
      .filter((r) => r.reason === 'stale_bar')
      .map((r) => minute(r.openTime));
    assert.deepEqual(stale, [2, 3, 4], 'more than 2 intervals before minute 7');
    // The buys of minutes 5 and 6 (closes 85 and 84) are accepted but filled at no backfilled price:
    // at the first live bar's open (120 + 1 bp), in its cycle, before its own buy fills at its close.
    assert.deepEqual(
      run.of('fill').map((f) => [minute(String(f.orderId).split('-')[1]), minute(f.openTime), f.price]),
      [
        [0, 0, 100.01],
        [1, 1, 100.01],
        [5, 7, 120.012],
        [6, 7, 120.012],
        [7, 7, 120.012],
      ],
    );
    assert.deepEqual(
      run.of('order').map((o) => [minute(o.openTime), o.waitsFor]),
      [
        [0, undefined],
        [1, undefined],
        [5, 'live_open'],
        [6, 'live_open'],
        [7, undefined],
      ],
    );
    assert.equal(run.of('alert').filter((a) => a.kind === 'stale_price').length, 2);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('webhooks that hang or answer 500 never hold up a cycle; the summary says what was delivered, retried, dropped', async () => {
  const held: ServerResponse[] = [];
  let failed = 0;
  const hang = createServer((req, res) => {
    req.resume();
    held.push(res); // never answered
  });
  const error = createServer((req, res) => {
    req.resume();
    failed++;
    res.writeHead(500).end();
  });
  await Promise.all([hang, error].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const url = (s: typeof hang) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`;
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    options: { ...ONE, alertWebhooks: [url(hang), url(error)] },
    strategy: buyer,
  });
  try {
    await fake.waitForConnections(1);
    await run.session.submit({ kind: 'halt', detail: 'drill', reducing: true });
    await run.waitFor('both webhooks asked', () => held.length === 1 && failed >= 1);
    // The hanging request is still open: the loop decides on regardless, and its cycles wait on nothing.
    for (const m of [0, 1, 2]) fake.sendKline(bar('BTCUSDT', m, 100), true);
    await run.waitFor('3 decisions', (r) => r.of('decision').length === 3);
    assert.equal(held.length, 1);
    assert.ok(held[0]!.writableEnded === false, 'still unanswered');
    for (const l of run.of('latency'))
      assert.equal(Number(l.queueMs) + Number(l.sliceMs) + Number(l.modelMs) + Number(l.brokerMs), 0, 'no cycle waited on the clock');
    // The hung POST times out after 2 s of the session's clock and is retried after a backoff:
    // step the clock until the second attempt arrives (each step lets the sockets move).
    // Bounded by real time, not by a count of steps: on a slow machine more steps go by, harmlessly.
    const deadline = Date.now() + 10_000;
    while (held.length < 2 && Date.now() < deadline) {
      run.clock.advance(100);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(held.length, 2, 'timed out and retried on the clock');
  } finally {
    const code = await run.stop();
    assert.equal(code, 0);
    for (const r of held) r.destroy();
    await fake.close();
    await Promise.all(
      [hang, error].map(
        (s) =>
          new Promise<void>((r) => {
            s.closeAllConnections();
            s.close(() => r());
          }),
      ),
    );
  }
  const summary = JSON.parse((await import('node:fs')).readFileSync(`${run.outDir}/summary.json`, 'utf8')) as { webhooks?: Record<string, number> };
  assert.ok(summary.webhooks, 'the summary reports the webhooks');
  assert.equal(summary.webhooks!.delivered, 0);
  assert.ok((summary.webhooks!.retried ?? 0) >= 1);
});

test('an outage longer than --max-backfill-bars is one gap skip range, alerted and counted; nothing of it is decided', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { ...ONE, maxBackfillBars: 5 }, strategy: buyer });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('minute 0', (r) => r.of('decision').length === 1);
    for (let m = 1; m < 20; m++) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 100));
    const asked = fake.restRequests.length;
    fake.sendKline(bar('BTCUSDT', 20, 100), true);
    await run.waitFor('minute 20', (r) => r.of('decision').length === 2);
    const gap = run.of('skip').filter((s) => s.reason === 'gap');
    assert.equal(gap.length, 1);
    assert.equal(minute(gap[0]!.openTime), 1);
    assert.match(String(gap[0]!.message), /19 bars .*--max-backfill-bars 5/);
    assert.ok(run.of('alert').some((a) => a.kind === 'backfill' && /19 bars/.test(String(a.message))));
    assert.equal(fake.restRequests.length, asked, 'nothing was fetched for it');
    assert.deepEqual(
      run.of('decision').map((d) => minute(d.openTime)),
      [0, 20],
    );
  } finally {
    await run.stop();
    await fake.close();
  }
});
