/**
 * Kline times from the socket are checked at the boundary: a bar stamped in the future, off the
 * interval's grid or with a close time that does not fit its interval is a counted `malformed`
 * skip, and the symbol's real bars that follow are decided as usual. Bars from the past are fine:
 * the replay server sends historical t/T with E = its wall clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bar, FakeBinance, klinePayload } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';

const ONE = { symbols: ['BTCUSDT'] };
const YEAR = 365 * 86_400_000;

/** A combined-stream kline with its times set by hand. */
function kline(t: number, T: number, E: number, closed = true, symbol = 'BTCUSDT'): string {
  const p = klinePayload({ ...bar(symbol, 0, 100), openTime: t }, closed, E) as { k: Record<string, unknown> };
  p.k.T = T;
  return JSON.stringify({ stream: `${symbol.toLowerCase()}@kline_1m`, data: p });
}

test('a closed kline stamped in the future, off the grid or with a wrong close time is skipped as malformed; later real bars are decided', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('1 decision', (r) => r.of('decision').length === 1);
    const now = Date.now();
    const future = Math.floor((now + 3 * YEAR) / 60_000) * 60_000;
    const t0 = bar('BTCUSDT', 1, 100).openTime;
    const bad = [
      kline(future, future + 59_999, now), // opens and closes years after its event time
      kline(future, future + 59_999, future + 60_000), // consistent with its E, but E is years ahead of our clock
      kline(future, future + 59_999, now, false), // an update of a bar that has not opened yet
      kline(t0 + 30_000, t0 + 89_999, now), // off the 1m grid
      kline(t0, t0 + 119_999, now), // T is not t + 1m - 1
      kline(t0, t0 + 59_998, now),
    ];
    for (const text of bad) fake.send(text);
    for (const m of [1, 2, 3]) fake.sendKline(bar('BTCUSDT', m, 100 + m), true);
    await run.waitFor('4 decisions', (r) => r.of('decision').length === 4);
    const skips = run.of('skip');
    assert.deepEqual(
      skips.map((s) => s.reason),
      bad.map(() => 'malformed'),
    );
    assert.ok(skips.every((s) => s.symbol === 'BTCUSDT'));
    assert.deepEqual(
      run.of('bar').map((b) => (Number(b.openTime) - bar('BTCUSDT', 0, 1).openTime) / 60_000),
      [0, 1, 2, 3],
    );
    assert.equal(run.of('halt').length, 0);
  } finally {
    await run.stop();
    await fake.close();
  }
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8'));
  assert.equal(summary.feed.malformed, 6);
  assert.equal(summary.feed.outOfOrder, 0);
});

test('bars from the past with E = now (a replay) are accepted', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE });
  try {
    await fake.waitForConnections(1);
    const old = Date.UTC(2021, 3, 20, 1, 59);
    fake.send(kline(old, old + 59_999, Date.now()));
    fake.send(kline(old + 60_000, old + 119_999, Date.now()));
    await run.waitFor('2 decisions', (r) => r.of('decision').length === 2);
    assert.equal(run.of('skip').length, 0);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a symbol that keeps skipping raises one malformed alert naming it and the last reason, rate-limited; the other symbol is untouched', async () => {
  const fake = await FakeBinance.start(['BTCUSDT', 'ETHUSDT']);
  const run = await startLoop({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    options: { staleAfterMs: 600_000, staleAlertAfterMs: 600_000, pingIntervalMs: 600_000 },
  });
  try {
    await fake.waitForConnections(1);
    const now = Date.now();
    const t = bar('ETHUSDT', 0, 50).openTime;
    for (let i = 0; i < 20; i++) fake.send(kline(t + 30_000, t + 89_999, now, true, 'ETHUSDT'));
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('20 skips', (r) => r.of('skip').length === 20);
    run.clock.advance(1_500); // the slice grace: ETH's bar for that minute never comes
    await run.waitFor('BTC decided', (r) => r.of('decision').length === 1);
    const alerts = run.of('alert').filter((a) => a.kind === 'malformed');
    assert.equal(alerts.length, 1, 'one alert for 20 skips');
    assert.match(String(alerts[0]!.message), /ETHUSDT/);
    assert.match(String(alerts[0]!.message), /grid/);
    // Still skipping five minutes later: one more alert, not twenty.
    run.clock.advance(5 * 60_000);
    for (let i = 0; i < 20; i++) fake.send(kline(t + 30_000, t + 89_999, Date.now(), true, 'ETHUSDT'));
    await run.waitFor('40 skips', (r) => r.of('skip').length === 40);
    assert.equal(run.of('alert').filter((a) => a.kind === 'malformed').length, 2);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a symbol whose updates keep coming but whose bars never close raises a malformed alert', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { ...ONE, staleAfterMs: 600_000, staleAlertAfterMs: 600_000 } });
  try {
    await fake.waitForConnections(1);
    // Updates every 2 s for 4 minutes, no x:true: the symbol is silently dead for trading.
    // Each update is followed by garbage with no symbol: its skip shows the update was read.
    let n = 0;
    for (let s = 0; s < 240; s += 2) {
      fake.sendKline(bar('BTCUSDT', Math.floor(s / 60), 100), false);
      fake.send('{not json');
      n++;
      await run.waitFor('update read', (r) => r.of('skip').length === n);
      run.clock.advance(2_000);
    }
    fake.sendKline(bar('BTCUSDT', 4, 100), false);
    await run.sink.waitFor((e) => e.type === 'alert' && e.kind === 'malformed', 'malformed alert');
    const alert = run.of('alert').find((a) => a.kind === 'malformed')!;
    assert.match(String(alert.message), /BTCUSDT/);
    assert.equal(run.of('halt').length, 0);
  } finally {
    await run.stop();
    await fake.close();
  }
});
