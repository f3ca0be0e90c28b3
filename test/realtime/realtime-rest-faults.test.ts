/**
 * A REST server that answers wrongly during a realtime session: the backfill fails (gap halt and
 * an alert, as for an HTTP error), is retried with bounded delays, and the session keeps running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bar, FakeBinance, restRow } from '../helpers/fake-binance.ts';
import { main } from '../../src/cli/main.ts';
import { startLoop } from '../helpers/loop-harness.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

const ONE = { symbols: ['BTCUSDT'] };

test('a backfill answered with rows outside the window halts (gap) and alerts; once the server is honest it fills and lifts', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('1 decision', (r) => r.of('decision').length === 1);
    for (let m = 1; m <= 3; m++) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 100 + m));
    let lying = true;
    // Ignores startTime: answers the newest bars it has, whatever was asked.
    fake.onKlines = (url, res) => {
      if (!lying || !url.searchParams.has('startTime')) return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([bar('BTCUSDT', 500, 100), bar('BTCUSDT', 501, 100)].map(restRow)));
      return true;
    };
    const asked = fake.restRequests.length;
    fake.sendKline(bar('BTCUSDT', 4, 104), true);
    await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'gap', 'gap halt');
    assert.ok(run.of('alert').some((a) => a.kind === 'backfill'));
    assert.equal(fake.restRequests.length - asked, 1, 'one request, not a loop');
    assert.equal(run.of('decision').length, 1, 'the live bar waits');
    lying = false;
    run.clock.advance(30_000);
    await run.waitFor('backfilled and live decided', (r) => r.of('decision').length === 5);
    await run.sink.waitFor((e) => e.type === 'resume' && e.reason === 'gap', 'gap lifted');
    assert.deepEqual(
      run.of('bar').map((b) => b.source),
      ['ws', 'rest-backfill', 'rest-backfill', 'rest-backfill', 'ws'],
    );
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a huge Retry-After waits at most 5 minutes (no storm, no parking for years)', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('1 decision', (r) => r.of('decision').length === 1);
    fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', 1, 101));
    fake.rateLimitKlines = 1;
    fake.retryAfterSeconds = 10 ** 13;
    const before = fake.restRequests.length;
    fake.sendKline(bar('BTCUSDT', 2, 102), true);
    await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'gap', 'gap halt');
    assert.equal(fake.restRequests.length - before, 1);
    run.clock.advance(299_000);
    // Give a wrongly early retry the chance to reach the server before asserting there was none.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(fake.restRequests.length - before, 1, 'no retry before 5 minutes');
    run.clock.advance(1_001);
    await run.waitFor('backfilled after the bounded wait', (r) => r.of('decision').length === 3);
    assert.equal(fake.restRequests.length - before, 2);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('warm-up is paged: a strategy with warmup 2500 gets 2500 bars of history, not 1000', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  // 3000 closed minute bars ending a minute ago; the live bar is the one that closed since.
  const base = (Math.floor(Date.now() / 60_000) - 3001) * 60_000;
  for (let m = 0; m < 3000; m++) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 100 + (m % 9), base));
  let seen: number[] = [];
  const strategy: Strategy = {
    name: 'long-memory',
    warmup: 2500,
    onBar: (_b, ctx) => {
      seen = Array.from({ length: ctx.history.length }, (_, ago) => ctx.history.get(ago)!.openTime);
      return [];
    },
  };
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE, strategy });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 3000, 100, base), true);
    await run.waitFor('1 decision', (r) => r.of('decision').length === 1);
    assert.equal(seen.length, 2500);
    assert.equal(seen[0], base + 3000 * 60_000, 'the live bar is the newest');
    assert.ok(
      seen.every((t, ago) => ago === 0 || t === seen[ago - 1]! - 60_000),
      'contiguous history behind it',
    );
    const warmupAsks = fake.restRequests.filter((u) => !u.searchParams.has('startTime'));
    assert.equal(warmupAsks.length, 3, 'three pages of at most 1000');
    assert.ok(warmupAsks.every((u) => Number(u.searchParams.get('limit')) <= 1000));
    assert.equal(run.of('skip').length, 0);
    assert.equal(fake.restRequests.filter((u) => u.searchParams.has('startTime')).length, 0, 'no gap: the live bar follows the warm-up');
  } finally {
    await run.stop();
    await fake.close();
  }
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8'));
  assert.equal(summary.warmupBars.BTCUSDT, 2500);
});

test('a warm-up answer that does not page back (endTime ignored) stops the start with exit 1, naming the symbol', async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const nowMin = Math.floor(Date.now() / 60_000);
  const base = (nowMin - 3000) * 60_000;
  for (let m = 0; m < 3000; m++) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 100, base));
  fake.onKlines = (_url, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(fake.restBars.get('BTCUSDT')!.slice(-1000).map(restRow)));
    return true;
  };
  let stderr = '';
  try {
    const strategyPath = join(import.meta.dirname, '..', 'helpers', 'warmup-2000-strategy.ts');
    const code = await main(
      [
        'run',
        '--source',
        'realtime',
        '--symbols',
        'BTCUSDT',
        '--strategy',
        strategyPath,
        '--ws-url',
        fake.wsUrl,
        '--rest-url',
        fake.restUrl,
        '--out',
        tempDirSync(t, 'tl-'),
        '--quiet',
      ],
      { stdout: () => {}, stderr: (t) => (stderr += t) },
      { FLAG_REALTIME: '1' },
    );
    assert.equal(code, 1);
    assert.match(stderr, /BTCUSDT/);
    assert.equal(fake.connections.length, 0);
    assert.ok(fake.restRequests.length <= 3, `${fake.restRequests.length} requests`);
  } finally {
    await fake.close();
  }
});
