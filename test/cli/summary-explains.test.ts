/**
 * A summary that explains its result: refusals, skips and cancels by reason on stdout and in
 * summary.json; the likely cause when no order was placed, computed from what the run saw; the
 * verdict on the first line; --quiet's one line; buy-and-hold as a built-in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { fixture, isoMinute, tempDir, scratchDir } from '../helpers/temp-dir.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');
const T0 = Date.UTC(2026, 0, 5, 14, 30);

async function loud(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = join(scratchDir('tl-sum-'), 'run');
  const code = await main(['run', ...args, '--out', out], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, {});
  return { code, stdout, stderr };
}

interface Summary {
  [k: string]: unknown;
  noOrderCause?: string;
  rejectsByReason: Record<string, number>;
  verdict: string;
  status: string;
}

test("no order: the window is shorter than the strategy's warm-up", async (t) => {
  const run = await runCli(t, ['--data', SAMPLE, '--minutes', '10']);
  const s = run.summary as Summary;
  assert.equal(s.orders, 0);
  assert.match(s.noOrderCause ?? '', /shorter|needs 21 of history/);
  assert.match(s.noOrderCause ?? '', /--minutes|--from/);
});

test('no order: the entry is below one lot at these prices, naming the lot step', async (t) => {
  const run = await runCli(t, ['--data', SAMPLE, '--cash', '1000', '--param', 'pct=1']);
  const s = run.summary as Summary;
  assert.equal(s.orders, 0);
  assert.match(s.noOrderCause ?? '', /below one lot/);
  assert.match(s.noOrderCause ?? '', /lot of 1\b/);
});

test('no order: every order refused, with the top reason; rejects by reason on stdout like "rejects 10 (price_band 10)"', async (t) => {
  const dir = await tempDir(t);
  const rows = Array.from({ length: 10 }, (_, i) => `${isoMinute(T0 + i * 60_000)},100,101,99,100,5`);
  const file = await fixture(dir, 'x.csv', ['timestamp,open,high,low,close,volume', ...rows].join('\n') + '\n');
  const trader = resolve(import.meta.dirname, '..', 'fixtures', 'strategies', 'scripted-trader.ts');
  const args = [
    '--source',
    'csv',
    '--symbols',
    'X',
    '--file',
    `X=${file}`,
    '--strategy',
    trader,
    '--param',
    'mode=spam-limits',
    '--param',
    'off=20',
    '--price-band-pct',
    '5',
  ];
  const run = await runCli(t, args.slice(2));
  const s = run.summary as Summary;
  assert.deepEqual(s.rejectsByReason, { price_band: 10 });
  assert.match(s.noOrderCause ?? '', /every order was refused.*price_band/);
  assert.equal((s.rejectDetails as unknown[]).length, 1, 'one distinct detail: the band is the same on every bar');
  const shown = await loud(args);
  assert.match(shown.stdout, /rejects 10 \(price_band 10\)/);
  assert.match(shown.stdout, /no order +every order was refused/);
});

test('no order: hold never asks, and says so; buy-and-hold buys each symbol once and holds', async (t) => {
  const hold = await runCli(t, ['--data', SAMPLE, '--strategy', 'hold']);
  assert.match((hold.summary as Summary).noOrderCause ?? '', /never asked for an order/);
  const bh = await runCli(t, ['--data', SAMPLE, '--strategy', 'buy-and-hold']);
  assert.equal(bh.code, 0, bh.stderr);
  assert.deepEqual(
    ofType(bh, 'fill').map((f) => f.symbol),
    ['SPY', 'QQQ'],
  );
  assert.deepEqual(
    (bh.summary as { openPositions: Array<{ symbol: string }> }).openPositions.map((p) => p.symbol),
    ['SPY', 'QQQ'],
  );
});

test('open positions, resting orders and gross exposure are in the summary and on stdout', async () => {
  const shown = await loud(['--source', 'csv', '--data', SAMPLE, '--strategy', 'buy-and-hold']);
  assert.match(shown.stdout, /open +SPY \d+ @ [\d.]+ +value [\d.]+ +unrealized -?[\d.]+/);
  assert.match(shown.stdout, /gross +[\d.]+/);
  assert.match(shown.stdout.split('\n')[0]!, /: ok$/, 'the verdict ends the first line');
});

test('--quiet still prints the run id, the verdict and the artifacts folder on one line', async () => {
  const shown = await loud(['--source', 'csv', '--data', SAMPLE, '--quiet']);
  const lines = shown.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^tradeloop run [0-9a-f]{16}: ok; artifacts in .+\/run$/);
});

test('the verdict names the state a run was left in when it is not ACTIVE, even if few bars were halted (a feed dead at the end)', async () => {
  const { verdictOf } = await import('../../src/session/summary-explained.ts');
  const halts = {
    state: 'HALTED' as const,
    held: ['feed_disconnected' as const],
    raised: { feed_disconnected: 1 },
    haltedBars: 2,
    reducingBars: 0,
    notActivePct: 2,
    barsHeldBy: { feed_disconnected: 2 },
    strategyErrors: 0,
  };
  const ended = verdictOf({ status: 'ok', bars: 100, halts });
  assert.deepEqual(ended, { status: 'ok', verdict: 'ok, but HALTED at the end (held: feed_disconnected)' });
  assert.deepEqual(verdictOf({ status: 'ok', bars: 100, halts: { ...halts, state: 'ACTIVE', held: [] } }), { status: 'ok', verdict: 'ok' });
  assert.equal(verdictOf({ status: 'ok', bars: 100, halts: { ...halts, haltedBars: 97 } }).verdict, 'ok, but HALTED 97% of bars: feed_disconnected');
});
