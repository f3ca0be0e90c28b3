import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, FakeBinance, restRow } from '../../helpers/fake-binance.ts';
import { RestClient } from '../../../src/feed/binance/rest-client.ts';
import { loadWarmup, recentClosedBars } from '../../../src/feed/binance/warmup.ts';

const BASE = Date.UTC(2026, 0, 5);
const MIN = 60_000;

test('recentClosedBars: pages back from the server time; the forming bar is left out; a short history ends the paging', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  try {
    for (let m = 0; m < 1500; m++) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 100, BASE));
    const rest = new RestClient(fake.restUrl, 5_000);
    // Server time inside minute 1499: that bar is still forming.
    const closedBy = BASE + 1499 * MIN + 30_000;
    const r = await recentClosedBars(rest, 'BTCUSDT', '1m', 1200, closedBy);
    assert.ok(r.ok);
    assert.equal(r.value.length, 1200);
    assert.equal(r.value.at(-1)!.openTime, BASE + 1498 * MIN);
    assert.equal(r.value[0]!.openTime, BASE + 299 * MIN);
    assert.equal(fake.restRequests.length, 2);
    fake.restRequests.length = 0;
    const all = await recentClosedBars(rest, 'BTCUSDT', '1m', 5000, closedBy);
    assert.ok(all.ok);
    assert.equal(all.value.length, 1499, 'the whole history, no more');
    assert.equal(fake.restRequests.length, 2, 'a short page is the start of the history');
  } finally {
    await fake.close();
  }
});

test('loadWarmup: warmup 0 still checks each symbol and finds its newest closed bar; -1121 names the symbol', async () => {
  const fake = await FakeBinance.start(['BTCUSDT', 'ETHUSDT']);
  try {
    for (let m = 0; m < 10; m++) {
      fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 100, BASE));
      fake.restBars.get('ETHUSDT')!.push(bar('ETHUSDT', m, 50, BASE));
    }
    const rest = new RestClient(fake.restUrl, 5_000);
    const closedBy = BASE + 9 * MIN + 1; // minute 9 forming
    const r = await loadWarmup(rest, { symbols: ['ETHUSDT', 'BTCUSDT'], interval: '1m', warmup: 0, closedBy });
    assert.ok(r.ok);
    assert.deepEqual([...r.value.bars.keys()], ['ETHUSDT', 'BTCUSDT']);
    assert.deepEqual(
      [...r.value.bars.values()].map((b) => b.length),
      [0, 0],
    );
    assert.equal(r.value.lastClosed.get('BTCUSDT'), BASE + 8 * MIN);
    const bad = await loadWarmup(rest, { symbols: ['BTCUSDT', 'BTCUSTD'], interval: '1m', warmup: 5, closedBy });
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.symbol, 'BTCUSTD');
    assert.equal(!bad.ok && bad.failure.kind, 'invalid_symbol');
  } finally {
    await fake.close();
  }
});

test('loadWarmup: a page that does not move back (rows after the endTime asked) is refused, in a bounded number of requests', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  try {
    for (let m = 0; m < 3000; m++) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 100, BASE));
    fake.onKlines = (_url, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(fake.restBars.get('BTCUSDT')!.slice(-1000).map(restRow)));
      return true;
    };
    const rest = new RestClient(fake.restUrl, 5_000);
    const r = await loadWarmup(rest, { symbols: ['BTCUSDT'], interval: '1m', warmup: 2500, closedBy: BASE + 3000 * MIN });
    assert.equal(!r.ok && r.failure.kind, 'invalid_answer');
    assert.equal(fake.restRequests.length, 2);
  } finally {
    await fake.close();
  }
});
