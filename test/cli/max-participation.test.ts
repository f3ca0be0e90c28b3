/**
 * --max-participation R from the command line: 0.1 by default, said in run_start, the summary (and
 * its printed lines) and the run id; anything but a number above 0 and at most 1 is refused by
 * name; a bar's volume caps what fills, and what it leaves is said in the fill, on the terminal and
 * in the summary's list of working orders; a resume may not change it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { formatSummary } from '../../src/cli/run-summary.ts';
import type { RunSummary } from '../../src/events/types.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { fixture, isoMinute, tempDir } from '../helpers/temp-dir.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');
const SCRIPTED = resolve(import.meta.dirname, '..', 'fixtures', 'strategies', 'scripted-trader.ts');
const START = Date.UTC(2026, 0, 5, 14, 30);

test('0.1 by default: run_start, the summary and its printed lines say it; another value is another run id', async (t) => {
  const job = ['--symbols', 'SPY', '--data', SAMPLE, '--minutes', '60'];
  const byDefault = await runCli(t, job);
  const half = await runCli(t, [...job, '--max-participation', '0.5']);
  assert.equal(byDefault.code, 0, byDefault.stderr);
  assert.equal(ofType(byDefault, 'run_start')[0]!.maxParticipation, 0.1);
  assert.equal(byDefault.summary?.maxParticipation, 0.1);
  assert.equal(ofType(half, 'run_start')[0]!.maxParticipation, 0.5);
  assert.notEqual(half.summary?.runId, byDefault.summary?.runId);
  const lines = formatSummary(byDefault.summary as unknown as RunSummary, 'tradeloop run x', byDefault.out).split('\n');
  // After the fill model and the fee rates: what shapes every fill is said first.
  const at = lines.indexOf("  participation at most 10% of a bar's volume per symbol (--max-participation 0.1)");
  assert.ok(at > 1 && at < 6, lines.join('\n'));
});

test('--max-participation refuses anything but a number above 0 and at most 1, naming the flag', async (t) => {
  for (const bad of ['0', '1.5', '-0.1', '10%', 'all', '1e-2', '0.000000001']) {
    const run = await runCli(t, ['--symbols', 'SPY', '--data', SAMPLE, '--max-participation', bad]);
    assert.equal(run.code, 2, bad);
    assert.ok(
      run.stderr.includes(`--max-participation ${bad}: expected the share of a bar's volume an order may fill, a number above 0 and at most 1`),
      run.stderr,
    );
    assert.equal(run.eventsText, null, 'refused before any event');
  }
});

test('a buy of 10 on bars of volume 40, 0 and 30: fills of 4 and 3 saying what remains, the terminal told, the rest listed as working', async (t) => {
  const dir = await tempDir(t, 'tl-participation-');
  const rows = ['timestamp,open,high,low,close,volume'];
  const bars = [
    [100, 1000],
    [101, 40],
    [102, 0],
    [103, 30],
  ] as const;
  for (const [i, [p, v]] of bars.entries()) rows.push(`${isoMinute(START + i * 60_000)},${p},${p + 0.5},${p - 0.5},${p},${v}`);
  await fixture(dir, 'X.csv', rows.join('\n') + '\n');
  const run = await runCli(t, [
    ...['--symbols', 'X', '--data', dir, '--strategy', SCRIPTED, '--param', 'mode=hold-long', '--param', 'qty=10'],
    ...['--fee-bps', '0', '--slippage-bps', '0'],
  ]);
  assert.equal(run.code, 0, run.stderr);
  // Decided on bar 0; bar 1 (open 101, volume 40) fills 4, bar 2 (volume 0) nothing, bar 3 (open 103, volume 30) 3.
  assert.deepEqual(
    ofType(run, 'fill').map((f) => [(f.openTime as number) - START, f.qty, f.price, f.remaining]),
    [
      [60_000, 4, 101, 6],
      [180_000, 3, 103, 3],
    ],
  );
  assert.match(run.stderr, /tradeloop bar 2026-01-05T14:31Z PARTIAL X X-\d+-0 buy 4 at 101: 6 remaining -> position 4\n/);
  assert.match(run.stderr, /PARTIAL X X-\d+-0 buy 3 at 103: 3 remaining -> position 7\n/);
  const summary = run.summary as unknown as RunSummary;
  assert.deepEqual(summary.restingOrders, [{ orderId: `X-${START}-0`, symbol: 'X', side: 'buy', qty: '10', remaining: '3', orderType: 'market' }]);
  assert.ok(formatSummary(summary, 'tradeloop run x', run.out).includes(`  working       X-${START}-0 buy 10 market, at the next open, 3 remaining\n`));
});

test('a resume may not change the participation cap: refused by name, as the user wrote it', async (t) => {
  const base = await tempDir(t, 'tl-participation-resume-');
  const args = [
    'run',
    '--source',
    'csv',
    '--symbols',
    'SPY',
    '--data',
    SAMPLE,
    '--minutes',
    '30',
    '--state',
    join(base, 'state'),
    '--out',
    join(base, 'out'),
    '--quiet',
  ];
  const quiet = { stdout: () => {}, stderr: () => {} };
  assert.equal(await main(args, quiet, {}), 0);
  let stderr = '';
  const code = await main([...args, '--max-participation', '0.25'], { stdout: () => {}, stderr: (t) => (stderr += t) }, {});
  assert.equal(code, 2);
  assert.match(stderr, /--max-participation differs \(journaled 0\.1, now 0\.25\)/);
});
