/**
 * What the operator sees on the terminal of a realtime session: each halt and alert as one line as it
 * happens (asserted by kind, not wording), a heartbeat with --heartbeat, and a summary whose first
 * line says when trading was halted for most of the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';

const ONE = { symbols: ['BTCUSDT'], staleAfterMs: 60_000, staleAlertAfterMs: 120_000, lots: { BTCUSDT: '0.001' } };

/** Console lines carry a kind right after the time: HALT, RESUME, ALERT, HEARTBEAT. */
function kinds(lines: readonly string[]): string[] {
  return lines
    .join('')
    .split('\n')
    .map((l) => /^tradeloop \S+ (HALT|RESUME|ALERT|HEARTBEAT)\s+(\S+)/.exec(l))
    .filter((m) => m !== null)
    .map((m) => `${m![1]} ${m![2]!.replace(/:$/, '')}`);
}

test('a strategy that throws on bar 2 halts trading: HALT and ALERT lines at once; the summary says HALTED for most bars', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  let n = 0;
  const flaky: Strategy = {
    name: 'flaky',
    warmup: 0,
    onBar: () => {
      if (++n === 2) throw new Error('model file missing');
      return [];
    },
  };
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE, strategy: flaky });
  try {
    await fake.waitForConnections(1);
    for (const m of [0, 1]) fake.sendKline(bar('BTCUSDT', m, 100), true);
    await run.waitFor('the halt', (r) => r.of('halt').length === 1);
    assert.deepEqual(
      kinds(run.stdout).filter((k) => !k.startsWith('HEARTBEAT')),
      ['HALT strategy_error', 'ALERT trading_state', 'ALERT strategy_error'],
      'seen on the terminal as it happens',
    );
    assert.ok(run.of('halt').every((h) => typeof h.at === 'number') && run.of('alert').every((a) => typeof a.at === 'number'), 'halt and alert carry at');
    for (const m of [2, 3, 4, 5]) fake.sendKline(bar('BTCUSDT', m, 100), true);
    await run.waitFor('6 decisions', (r) => r.of('decision').length === 6);
  } finally {
    await run.stop();
    await fake.close();
  }
  const s = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8')) as {
    status: string;
    verdict: string;
    halts: { strategyErrors: number; haltedBars: number };
    alertsByKind: Record<string, number>;
  };
  assert.equal(s.status, 'halted');
  assert.equal(s.verdict, 'ok, but HALTED 67% of bars: strategy_error');
  assert.deepEqual([s.halts.strategyErrors, s.halts.haltedBars], [1, 4], 'bars 3 to 6: the throw came inside bar 2, decided while ACTIVE');
  assert.deepEqual(s.alertsByKind, { strategy_error: 1, trading_state: 1 }, 'alerts are counted whatever raised them');
  assert.match(run.stdout.join(''), /: ok, but HALTED 67% of bars: strategy_error\n/);
});

test('--heartbeat S: a status line every S seconds of the session clock', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: { ...ONE, heartbeatMs: 10_000 } });
  try {
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('a decision', (r) => r.of('decision').length === 1);
    assert.equal(kinds(run.stdout).filter((k) => k.startsWith('HEARTBEAT')).length, 0);
    run.clock.advance(10_000);
    assert.deepEqual(
      kinds(run.stdout).filter((k) => k.startsWith('HEARTBEAT')),
      ['HEARTBEAT ACTIVE'],
    );
    const line = run.stdout
      .join('')
      .split('\n')
      .find((l) => l.includes('HEARTBEAT'))!;
    assert.match(line, /bars 1 /);
    assert.match(line, /feed live/);
    run.clock.advance(20_000);
    assert.equal(kinds(run.stdout).filter((k) => k.startsWith('HEARTBEAT')).length, 3);
  } finally {
    await run.stop();
    await fake.close();
  }
});
