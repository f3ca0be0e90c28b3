/**
 * Fee flags from the command line: a crypto pair pays Binance spot's standard 10 bp by default and
 * anything else today's 1 bp; --maker-fee-bps and --taker-fee-bps apply to every symbol; --fee-bps
 * with either is refused by name; the rates in force are in run_start, summary.json and the
 * summary's first lines; they are part of the run id and of what a resume may not change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { backtest } from '../../src/index.ts';
import { formatSummary } from '../../src/cli/run-summary.ts';
import type { RunSummary } from '../../src/events/types.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');
const SPY_QQQ = ['--symbols', 'SPY,QQQ', '--data', SAMPLE];

/** Ten one-minute BTCUSDT bars from 13:30, closes rising by 10 from 60 000.5 (a price with cents, so fees do not come out round). */
function btcFile(dir: string): string {
  const rows = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < 10; i++) {
    const close = 60_000.5 + 10 * i;
    rows.push(`2026-03-09T13:${30 + i}:00Z,${(close - 5).toFixed(2)},${(close + 20).toFixed(2)},${(close - 20).toFixed(2)},${close.toFixed(2)},12.5`);
  }
  const path = join(dir, 'BTCUSDT.csv');
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

/** price × qty → 1e-8 units, from the log's decimal text (exact: at most 8 decimals each). */
function units(decimal: unknown): bigint {
  const [whole, frac = ''] = String(decimal).split('.');
  return BigInt(whole!) * 100_000_000n + BigInt(frac.padEnd(8, '0'));
}

/** A buy's fee at `bps`: its notional (price × qty, rounded up) × bps / 10 000, rounded up, in 1e-8 units. */
function buyFee(fill: Record<string, unknown>, bps: bigint): bigint {
  const notional = (units(fill.price) * units(fill.qty) + 99_999_999n) / 100_000_000n;
  return (notional * bps + 9_999n) / 10_000n;
}

test('a BTCUSDT csv run pays 10 bp (Binance spot) by default, says so in run_start, summary.json and the summary lines', async (t) => {
  const dir = await tempDir(t, 'tl-fees-btc-');
  const run = await runCli(t, ['--file', `BTCUSDT=${btcFile(dir)}`, '--strategy', 'buy-and-hold']);
  assert.equal(run.code, 0, run.stderr);
  const [start] = ofType(run, 'run_start');
  assert.equal(start?.feeBps, 10);
  assert.deepEqual(start?.fees, { BTCUSDT: { makerBps: 10, takerBps: 10 } });
  const [fill] = ofType(run, 'fill');
  assert.ok(fill, 'buy-and-hold buys');
  assert.equal(fill.liquidity, 'taker');
  assert.equal(units(fill.fee), buyFee(fill, 10n));
  assert.ok(units(fill.fee) > 0n);
  assert.deepEqual(run.summary?.costs, { fees: [{ symbols: ['BTCUSDT'], makerBps: 10, takerBps: 10, basis: 'crypto default' }], slippageBps: 1 });
  const lines = formatSummary(run.summary as unknown as RunSummary, 'tradeloop run x', run.out).split('\n');
  assert.equal(lines[2], "  fee rates     maker 10 bp, taker 10 bp on BTCUSDT (the default for crypto pairs: Binance spot's standard rate)");
  assert.equal(lines[3], '  slippage      1 bp against the order, on market, stop and trailing-stop fills');
});

test('equities keep 1 bp: the sample job has the id it had, given the rate or not; a crypto pair beside them pays its own', async (t) => {
  const plain = await runCli(t, SPY_QQQ);
  const one = await runCli(t, [...SPY_QQQ, '--fee-bps', '1']);
  const split = await runCli(t, [...SPY_QQQ, '--maker-fee-bps', '1', '--taker-fee-bps', '1']);
  assert.equal(plain.code, 0, plain.stderr);
  // The README's main job (npm start) as before maker and taker were told apart (ba02f0f109ebc569
  // until --max-participation, whose default every id since names).
  assert.equal(plain.summary?.runId, '3c08acfd3805560d');
  assert.equal(one.summary?.runId, plain.summary?.runId);
  assert.equal(split.summary?.runId, plain.summary?.runId);
  assert.deepEqual(plain.summary?.costs, { fees: [{ symbols: ['SPY', 'QQQ'], makerBps: 1, takerBps: 1, basis: 'default' }], slippageBps: 1 });
  for (const f of ofType(plain, 'fill')) assert.equal(f.liquidity, 'taker', 'sma-cross trades market orders');

  const dir = await tempDir(t, 'tl-fees-mixed-');
  const mixed = await runCli(t, [
    '--symbols',
    'SPY,BTCUSDT',
    '--file',
    `SPY=${join(SAMPLE, 'SPY.csv')}`,
    '--file',
    `BTCUSDT=${btcFile(dir)}`,
    '--strategy',
    'buy-and-hold',
  ]);
  assert.equal(mixed.code, 0, mixed.stderr);
  const [start] = ofType(mixed, 'run_start');
  assert.equal('feeBps' in start!, false, 'no one rate to name');
  assert.deepEqual(start?.fees, { SPY: { makerBps: 1, takerBps: 1 }, BTCUSDT: { makerBps: 10, takerBps: 10 } });
  const lines = formatSummary(mixed.summary as unknown as RunSummary, 'tradeloop run x', mixed.out).split('\n');
  assert.deepEqual(lines.slice(2, 5), [
    '  fee rates     maker 1 bp, taker 1 bp on SPY (the default)',
    "  fee rates     maker 10 bp, taker 10 bp on BTCUSDT (the default for crypto pairs: Binance spot's standard rate)",
    '  slippage      1 bp against the order, on market, stop and trailing-stop fills',
  ]);
  const bought = ofType(mixed, 'fill');
  assert.deepEqual(bought.map((f) => f.symbol).sort(), ['BTCUSDT', 'SPY'], 'both bought');
  for (const f of bought) assert.equal(units(f.fee), buyFee(f, f.symbol === 'SPY' ? 1n : 10n), String(f.orderId));

  // Flags apply to every symbol, crypto or not; another rate is another run.
  const set = await runCli(t, [
    '--symbols',
    'SPY,BTCUSDT',
    '--file',
    `SPY=${join(SAMPLE, 'SPY.csv')}`,
    '--file',
    `BTCUSDT=${join(dir, 'BTCUSDT.csv')}`,
    '--strategy',
    'buy-and-hold',
    '--maker-fee-bps',
    '2',
    '--taker-fee-bps',
    '5.5',
  ]);
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(ofType(set, 'run_start')[0]?.fees, { SPY: { makerBps: 2, takerBps: 5.5 }, BTCUSDT: { makerBps: 2, takerBps: 5.5 } });
  assert.deepEqual(set.summary?.costs, { fees: [{ symbols: ['SPY', 'BTCUSDT'], makerBps: 2, takerBps: 5.5, basis: 'set' }], slippageBps: 1 });
  assert.notEqual(set.summary?.runId, mixed.summary?.runId);
  // Only the taker rate given: the maker rate stays each symbol's default.
  const taker = await runCli(t, [...SPY_QQQ, '--taker-fee-bps', '3']);
  assert.deepEqual(ofType(taker, 'run_start')[0]?.fees, { SPY: { makerBps: 1, takerBps: 3 }, QQQ: { makerBps: 1, takerBps: 3 } });
  assert.notEqual(taker.summary?.runId, plain.summary?.runId);
});

test('--fee-bps with --maker-fee-bps or --taker-fee-bps is refused by name; a bad rate is refused by its flag', async (t) => {
  const both = await runCli(t, [...SPY_QQQ, '--fee-bps', '2', '--maker-fee-bps', '1']);
  assert.equal(both.code, 2);
  assert.match(
    both.stderr,
    /--fee-bps 2 with --maker-fee-bps 1: --fee-bps sets the maker and the taker fee both\. Give --fee-bps alone, or --maker-fee-bps and --taker-fee-bps\./,
  );
  assert.equal(both.eventsText, null);
  const three = await runCli(t, [...SPY_QQQ, '--taker-fee-bps', '4', '--fee-bps', '2', '--maker-fee-bps', '1']);
  assert.equal(three.code, 2);
  assert.match(three.stderr, /--fee-bps 2 with --maker-fee-bps 1 and --taker-fee-bps 4:/);
  const bad = await runCli(t, [...SPY_QQQ, '--maker-fee-bps', 'cheap']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--maker-fee-bps cheap: expected basis points from 0 with up to 4 decimals/);
  const high = await runCli(t, [...SPY_QQQ, '--taker-fee-bps', '10000']);
  assert.equal(high.code, 2);
  assert.match(high.stderr, /--taker-fee-bps 10000: must be below 10000 bps/);
});

test('a resume may not change the fee rates: refused by name, with both rates', async (t) => {
  const base = await tempDir(t, 'tl-fees-resume-');
  const args = ['run', '--source', 'csv', ...SPY_QQQ, '--state', join(base, 'state'), '--out', join(base, 'out'), '--quiet'];
  const quiet = { stdout: () => {}, stderr: () => {} };
  assert.equal(await main(args, quiet, {}), 0);
  let stderr = '';
  const code = await main([...args, '--taker-fee-bps', '3'], { stdout: () => {}, stderr: (t) => (stderr += t) }, {});
  assert.equal(code, 2);
  assert.match(stderr, /--fee-bps differs \(journaled 1, now maker\/taker SPY=1\/3,QQQ=1\/3 bps\)/);
});

test('backtest() takes makerFeeBps and takerFeeBps as the flags, and refuses feeBps beside them by the flag names', async (t) => {
  const out = join(await tempDir(t, 'tl-fees-api-'), 'run');
  const r = await backtest({ symbols: ['SPY'], data: SAMPLE, minutes: 120, makerFeeBps: 0.5, takerFeeBps: 4, out });
  assert.deepEqual(r.summary.costs, { fees: [{ symbols: ['SPY'], makerBps: 0.5, takerBps: 4, basis: 'set' }], slippageBps: 1 });
  await assert.rejects(backtest({ symbols: ['SPY'], data: SAMPLE, feeBps: 1, takerFeeBps: 4 }), /--fee-bps 1 with --taker-fee-bps 4/);
});
