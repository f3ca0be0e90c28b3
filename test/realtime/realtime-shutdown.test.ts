/**
 * Nothing the feed accepted is lost silently at shutdown: closed bars still waiting behind a
 * failing backfill are counted in the summary, with the reason, and the run is not `ok`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';

test('bars waiting behind a failing backfill at shutdown: the summary counts them, says why, and is not ok', async () => {
  const fake = await FakeBinance.start(['BTCUSDT', 'ETHUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    fake.sendKline(bar('ETHUSDT', 0, 50), true);
    await run.waitFor('2 decisions', (r) => r.of('decision').length === 2);
    fake.failKlines = 1_000;
    // BTC misses minute 1: its minutes 2 and 3 wait for a backfill that keeps failing.
    for (const m of [2, 3]) fake.sendKline(bar('BTCUSDT', m, 100 + m), true);
    for (const m of [1, 2, 3]) fake.sendKline(bar('ETHUSDT', m, 50 + m), true);
    await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'gap', 'gap halt');
    run.clock.advance(1_500);
  } finally {
    await run.stop();
    await fake.close();
  }
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'incomplete');
  assert.equal(summary.feed.undelivered, 2);
  assert.match(String(summary.incomplete), /BTCUSDT/);
  assert.match(String(summary.incomplete), /backfill/);
  assert.equal(summary.decisions, 5, 'ETH 0-3 and BTC 0 were decided');
  const runEnd = run.of('run_end')[0]!.summary as Record<string, unknown>;
  assert.equal(runEnd.status, 'incomplete');
});

test('a clean shutdown has nothing undelivered and stays ok', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { symbols: ['BTCUSDT'] } });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('1 decision', (r) => r.of('decision').length === 1);
  } finally {
    await run.stop();
    await fake.close();
  }
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'ok');
  assert.equal(summary.feed.undelivered, 0);
  assert.equal(summary.incomplete, undefined);
});
