/**
 * A strategy module is user code, and it runs on a thread of its own: whatever it patches, it
 * patches in its own module graph. These tests load a hostile module into this very process
 * (through main(), not a child): had it shared the loop's realm, its patches would switch off the
 * gate below, and the globals it replaces would break this test process too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { RiskGate } from '../../src/risk/risk-gate.ts';
import { loadStrategy } from '../../src/strategy/load-strategy.ts';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { startRealtime } from '../helpers/realtime-harness.ts';
import { runCliChild } from '../helpers/run-cli-child.ts';
import { fixture, tempDir } from '../helpers/temp-dir.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const HOSTILE = fileURLToPath(new URL('../fixtures/strategies/hostile.ts', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../data/sample', import.meta.url));

test('a module that patches the gate, the broker, the trading state and globals gets no order past FLAG_TRADING_HALTED', async (t) => {
  const admit = RiskGate.prototype.admit;
  const run = await runCli(t, ['--data', SAMPLE, '--minutes', '30', '--strategy', HOSTILE, '--param', 'mode=patch', '--max-position-notional', '1000'], {
    FLAG_TRADING_HALTED: '1',
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(ofType(run, 'fill').length, 0);
  const rejects = ofType(run, 'reject');
  assert.ok(rejects.length >= 60, `every bar's order was refused (${rejects.length})`);
  assert.ok(rejects.every((r) => r.reason === 'trading_halted'));
  assert.equal(run.summary!.fills, 0);
  assert.equal(run.summary!.finalEquity, run.summary!.startingCash ?? run.summary!.finalEquity);
  assert.equal(RiskGate.prototype.admit, admit, "this thread's gate is untouched");
});

test('with trading active, the patched gate still refuses what passes the notional limit', async (t) => {
  const run = await runCli(t, ['--data', SAMPLE, '--minutes', '30', '--strategy', HOSTILE, '--param', 'mode=patch', '--max-position-notional', '1000']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(ofType(run, 'fill').length, 0, 'a 1,000-lot buy of SPY is far past a 1,000 notional');
  assert.ok(
    ofType(run, 'reject').every((r) => r.reason === 'max_position_notional'),
    JSON.stringify(ofType(run, 'reject')[0]),
  );
});

for (const mode of ['exit', 'really-exit']) {
  test(`process.${mode === 'exit' ? 'exit' : 'reallyExit'}(0) in onBar ends the run with exit 1 naming the strategy, log and summary written`, async (t) => {
    const run = await runCli(t, ['--data', SAMPLE, '--minutes', '30', '--strategy', HOSTILE, '--param', `mode=${mode}`]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`strategy hostile-${mode} threw .*process\\.`));
    assert.match(run.stderr, /\(at .*hostile\.ts:\d+:\d+\)/, "the strategy's own line, not the guard inside tradeloop");
    assert.equal(run.summary!.status, 'error');
    assert.equal(run.summary!.decisions, 4, 'the decisions before the call are kept');
    assert.equal(run.events.at(-1)!.type, 'run_end');
  });
}

test('process.exit(0) while the module loads is a refused strategy (exit 2), not a silent end', async (t) => {
  const file = fileURLToPath(new URL('../fixtures/strategies/exit-on-load.ts', import.meta.url));
  const run = await runCli(t, ['--data', SAMPLE, '--strategy', file]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--strategy .*exit-on-load\.ts: the module failed to load: .*process\.exit\(0\)/);
});

test('a module that replaces Math, Map, Array, JSON and BigInt changes them on its own thread only', async (t) => {
  const run = await runCli(t, ['--data', SAMPLE, '--minutes', '30', '--strategy', HOSTILE, '--param', 'mode=globals', '--max-position-notional', '1000'], {
    FLAG_TRADING_HALTED: '1',
  });
  assert.equal(ofType(run, 'fill').length, 0);
  assert.ok(run.summary !== null && run.eventsText!.length > 0, 'the run ended with its log and summary');
  assert.equal(Math.min(1, 2), 1);
  assert.equal(JSON.stringify({ a: 1 }), '{"a":1}');
  assert.equal(new Map([[1, 2]]).get(1), 2);
  assert.equal(typeof BigInt(1), 'bigint');
});

test('realtime: process.exit(0) in a module strategy halts trading (strategy_error) like a throw; the session stays up and its summary names it', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const strategy = await loadStrategy(HOSTILE, { mode: 'exit' });
  const run = await startRealtime({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    args: ['--symbols', 'BTCUSDT', '--lot', 'BTCUSDT=0.001', '--stale-after', '60', '--stale-alert-after', '120'],
    strategy,
  });
  try {
    await fake.waitForConnections(1);
    for (let m = 0; m < 6; m++) fake.sendKline(bar('BTCUSDT', m, 100), true);
    await run.waitFor('6 decisions', (r) => r.of('decision').length === 6);
    assert.deepEqual(
      run.of('halt').map((h) => h.reason),
      ['strategy_error'],
    );
    assert.match(String(run.of('alert').find((a) => a.kind === 'strategy_error')!.message), /strategy hostile-exit threw .*process\.exit\(0\)/);
  } finally {
    await run.stop();
    await fake.close();
  }
  const s = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8')) as { verdict: string; halts: { strategyErrors: number } };
  assert.match(s.verdict, /HALTED.*strategy_error/);
  assert.equal(s.halts.strategyErrors, 1);
});

test('console.log in onBar reaches stdout every time, in order (the worker thread writes it at once)', async (t) => {
  const dir = await tempDir(t, 'tl-log-');
  const file = await fixture(
    dir,
    'logger.ts',
    `let n = 0;\nexport default () => ({ name: 'logger', warmup: 0, onBar() { n++; if (n <= 5 || n % 500 === 0) console.log('LOG ' + n); return []; } });\n`,
  );
  const r = runCliChild(join(dir, 'out'), ['--data', SAMPLE, '--strategy', file]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('LOG '));
  assert.deepEqual(lines, ['LOG 1', 'LOG 2', 'LOG 3', 'LOG 4', 'LOG 5', 'LOG 500', 'LOG 1000', 'LOG 1500', 'LOG 2000', 'LOG 2500', 'LOG 3000', 'LOG 3500']);
});
