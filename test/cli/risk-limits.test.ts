/**
 * The optional risk limits through the whole static loop, in bar time: order rate, price band,
 * daily loss (lifting itself at the next day in --tz) and drawdown (latched, persisted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fixture, isoMinute, tempDir } from '../helpers/temp-dir.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';

const TRADER = resolve(import.meta.dirname, '..', 'fixtures', 'strategies', 'scripted-trader.ts');
const T0 = Date.UTC(2026, 0, 5, 22, 0); // 22:00 UTC: the UTC day turns after 120 bars
const HEADER = 'timestamp,open,high,low,close,volume';

/** Minute bars with closes from `path` (one per minute from T0). */
function csv(path: readonly number[]): string {
  // Times carry their zone, so --tz changes only the trading day, not the bars. A volume of 100000:
  // the default participation cap (a tenth) fills these tests' 900-lot orders whole on one bar.
  return [HEADER, ...path.map((c, i) => `${isoMinute(T0 + i * 60_000, 'T')}Z,${c},${c + 0.5},${c - 0.5},${c},100000`)].join('\n') + '\n';
}

/** 100 falling by 0.05 a minute for 100 minutes (to 95), flat after: the second day loses nothing. */
const FALLING = Array.from({ length: 240 }, (_, i) => Math.max(95, 100 - i * 0.05));

test('--max-orders-per-minute: orders past N in 60 s of bar time are rejected (order_rate)', async (t) => {
  const dir = await tempDir(t);
  const file = await fixture(dir, 'x.csv', csv(Array.from({ length: 10 }, () => 100)));
  const run = await runCli(t, [
    '--symbols',
    'X',
    '--file',
    `X=${file}`,
    '--strategy',
    TRADER,
    '--param',
    'mode=spam-market',
    '--param',
    'n=3',
    '--max-orders-per-minute',
    '2',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(ofType(run, 'order').length, 20);
  const rejects = ofType(run, 'reject');
  assert.equal(rejects.length, 10);
  assert.ok(rejects.every((r) => r.reason === 'order_rate' && String(r.orderId).endsWith('-2')));
  assert.equal((run.events[0] as { limits?: { maxOrdersPerMinute?: number } }).limits?.maxOrdersPerMinute, 2, 'run_start records the limit');
});

test('--price-band-pct: a limit priced further than P % from the last close is rejected (price_band)', async (t) => {
  const dir = await tempDir(t);
  const file = await fixture(dir, 'x.csv', csv(Array.from({ length: 5 }, () => 100)));
  const far = await runCli(t, [
    '--symbols',
    'X',
    '--file',
    `X=${file}`,
    '--strategy',
    TRADER,
    '--param',
    'mode=spam-limits',
    '--param',
    'off=10',
    '--price-band-pct',
    '5',
  ]);
  assert.equal(far.code, 0, far.stderr);
  assert.deepEqual([...new Set(ofType(far, 'reject').map((r) => r.reason))], ['price_band']);
  assert.equal(ofType(far, 'reject').length, 5);
  const near = await runCli(t, [
    '--symbols',
    'X',
    '--file',
    `X=${file}`,
    '--strategy',
    TRADER,
    '--param',
    'mode=spam-limits',
    '--param',
    'off=4',
    '--price-band-pct',
    '5',
  ]);
  assert.equal(ofType(near, 'reject').length, 0);
  assert.equal(ofType(near, 'order').length, 5);
});

test('--max-daily-loss: a daily_loss halt (REDUCING by default) with an alert, lifted by itself when the next day begins', async (t) => {
  const dir = await tempDir(t);
  const file = await fixture(dir, 'x.csv', csv(FALLING));
  const run = await runCli(t, [
    '--symbols',
    'X',
    '--file',
    `X=${file}`,
    '--strategy',
    TRADER,
    '--param',
    'mode=hold-long',
    '--param',
    'qty=900',
    '--cash',
    '100000',
    '--max-position-notional',
    '100000',
    '--max-daily-loss',
    '500',
    // About the daily loss: the entry fills on the first bar's close, where the arithmetic below starts.
    '--fill-model',
    'close',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const halts = ofType(run, 'halt');
  assert.deepEqual(
    halts.map((h) => [h.reason, h.source, h.severity, h.state]),
    [['daily_loss', 'auto', 'reducing', 'REDUCING']],
  );
  // The entry costs 18 (1 bp slippage, 1 bp fee), then 900 lots lose 45 a minute: 18 + 45 k > 500 first at k = 11.
  const tripped = run.events.findIndex((e) => e.type === 'halt');
  const barBefore = run.events
    .slice(0, tripped)
    .filter((e) => e.type === 'bar')
    .at(-1) as { openTime: number };
  assert.equal(barBefore.openTime, T0 + 11 * 60_000);
  assert.ok(ofType(run, 'alert').some((a) => a.kind === 'loss_limit' && /daily_loss/.test(String(a.message))));
  const resume = ofType(run, 'resume');
  assert.deepEqual(
    resume.map((r) => [r.reason, r.source, r.state]),
    [['daily_loss', 'auto', 'ACTIVE']],
  );
  const lifted = run.events.findIndex((e) => e.type === 'resume');
  const liftedAt = run.events
    .slice(0, lifted)
    .filter((e) => e.type === 'bar')
    .at(-1) as { openTime: number };
  assert.equal(liftedAt.openTime, Date.UTC(2026, 0, 6), 'the first bar of the next UTC day');
  assert.match(run.stderr, /HALT +daily_loss/, 'the operator sees it on stderr');
  const held = (run.summary as { halts: { raised: Record<string, number>; barsHeldBy: Record<string, number>; reducingBars: number } }).halts;
  assert.equal(held.raised.daily_loss, 1);
  // Held from minute 11 (tripped at its mark, before its decision) through minute 119, the last of the UTC day: 109 bars.
  assert.deepEqual([held.barsHeldBy.daily_loss, held.reducingBars], [109, 109]);
});

test('--tz moves the trading day: in New York the day does not turn at UTC midnight', async (t) => {
  const dir = await tempDir(t);
  const file = await fixture(dir, 'x.csv', csv(FALLING));
  const run = await runCli(t, [
    '--symbols',
    'X',
    '--file',
    `X=${file}`,
    '--strategy',
    TRADER,
    '--param',
    'mode=hold-long',
    '--param',
    'qty=900',
    '--max-position-notional',
    '100000',
    '--max-daily-loss',
    '500',
    '--tz',
    'America/New_York',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(ofType(run, 'halt').length, 1);
  assert.equal(ofType(run, 'resume').length, 0, '22:00-02:00 UTC is one New York afternoon and evening');
});

test('--max-drawdown-pct: a latched drawdown halt, persisted in the state folder and restored by the next run', async (t) => {
  const dir = await tempDir(t);
  const state = join(dir, 'state');
  const file = await fixture(dir, 'x.csv', csv(FALLING));
  const args = [
    '--symbols',
    'X',
    '--file',
    `X=${file}`,
    '--strategy',
    TRADER,
    '--param',
    'mode=hold-long',
    '--param',
    'qty=900',
    '--max-position-notional',
    '100000',
    '--max-drawdown-pct',
    '1',
    '--on-loss-limit',
    'halted',
    '--state',
    state,
  ];
  const run = await runCli(t, args);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(
    ofType(run, 'halt').map((h) => [h.reason, h.severity, h.state]),
    [['drawdown', 'halted', 'HALTED']],
  );
  assert.equal(ofType(run, 'resume').length, 0, 'latched: the new day does not lift it');
  const persisted = JSON.parse(readFileSync(join(state, 'halts.json'), 'utf8')) as { halts: Array<{ reason: string }> };
  assert.deepEqual(
    persisted.halts.map((h) => h.reason),
    ['drawdown'],
  );
  assert.equal(existsSync(join(state, 'lock')), false, 'the lock is released at the end');
  assert.equal(existsSync(join(state, 'control.json')), false);

  // The journal is what a resume restores from; without it (a new run in the same folder), halts.json still holds the latched halt.
  rmSync(join(state, 'journal.sqlite'));
  const again = await runCli(t, args);
  assert.equal(again.code, 0, again.stderr);
  const start = again.events[0] as { restoredHalts?: Array<{ reason: string }> };
  assert.deepEqual(
    start.restoredHalts?.map((h) => h.reason),
    ['drawdown'],
  );
  assert.equal(again.events[1]!.type, 'halt', 'restored before the first bar');
  assert.ok(ofType(again, 'reject').every((r) => r.reason === 'trading_halted'));
  assert.equal(ofType(again, 'fill').length, 0);
});

test('a limit changes what a run means, so it changes the run id; a run without limits keeps its id', async (t) => {
  const dir = await tempDir(t);
  const file = await fixture(dir, 'x.csv', csv(FALLING.slice(0, 20)));
  const base = ['--symbols', 'X', '--file', `X=${file}`, '--strategy', 'hold'];
  const id = async (extra: string[]) => String((await runCli(t, [...base, ...extra])).events[0]!.runId);
  const plain = await id([]);
  assert.equal(await id([]), plain);
  assert.notEqual(await id(['--max-drawdown-pct', '5']), plain);
  assert.notEqual(await id(['--max-orders-per-minute', '5']), plain);
});
