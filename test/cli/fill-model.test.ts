/**
 * --fill-model next-open|close from the command line: next-open is the default and says so in
 * run_start, the run id and the summary; close is absent from run_start and the id's inputs, and
 * the summary calls it optimistic; a bad value is refused by name; a resume may not change it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { formatSummary } from '../../src/cli/run-summary.ts';
import type { RunSummary } from '../../src/events/types.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');
const JOB = ['--symbols', 'SPY,QQQ', '--data', SAMPLE];

test('next-open is the default: run_start and the summary say it, and every fill is booked in a later bar than its order', async (t) => {
  const run = await runCli(t, JOB);
  assert.equal(run.code, 0, run.stderr);
  const [start] = ofType(run, 'run_start');
  assert.equal(start?.fillModel, 'next-open');
  assert.equal(run.summary?.fillModel, 'next-open');
  assert.equal(run.summary?.fillModelNote, undefined);
  const placed = new Map(ofType(run, 'order').map((o) => [o.orderId, o.openTime as number]));
  const fills = ofType(run, 'fill');
  assert.ok(fills.length > 0);
  for (const f of fills) assert.ok((f.openTime as number) > placed.get(f.orderId)!, `${String(f.orderId)} filled in its own bar`);
});

test('close: fills in the deciding bar, no fillModel in run_start or in the id, and an optimistic summary', async (t) => {
  const close = await runCli(t, [...JOB, '--fill-model', 'close']);
  const next = await runCli(t, [...JOB, '--fill-model', 'next-open']);
  assert.equal(close.code, 0, close.stderr);
  const [start] = ofType(close, 'run_start');
  assert.equal('fillModel' in start!, false);
  // The README's main job with close: 6a3a593e9960a2c4 before --fill-model and until
  // --max-participation, which every id since names (its default 0.1 included).
  assert.equal(close.summary?.runId, '7fd1e9fb741da979');
  assert.notEqual(next.summary?.runId, close.summary?.runId);
  assert.equal(close.summary?.fillModel, 'close');
  assert.match(String(close.summary?.fillModelNote), /^optimistic: market orders filled at the close of the bar whose close produced their signal/);
  const placed = new Map(ofType(close, 'order').map((o) => [o.orderId, o.openTime as number]));
  for (const f of ofType(close, 'fill')) assert.equal(f.openTime, placed.get(f.orderId));
  // The terminal's summary: the line after the verdict names the model.
  const closeLines = formatSummary(close.summary as unknown as RunSummary, 'tradeloop run x', close.out).split('\n');
  assert.match(closeLines[1]!, /^ {2}fill model {4}close, optimistic: /);
  const nextLines = formatSummary(next.summary as unknown as RunSummary, 'tradeloop run x', next.out).split('\n');
  assert.equal(nextLines[1], "  fill model    next-open: market orders filled at the next bar's open");
  // A market order decided on the last bar is still working when the run ends: its own line says so.
  const working = { orderId: 'SPY-1-0', symbol: 'SPY', side: 'buy', qty: '5', orderType: 'market' as const };
  const limit = { orderId: 'SPY-1-1', symbol: 'SPY', side: 'buy', qty: '1', limitPrice: '90' };
  const withOrders = { ...(next.summary as unknown as RunSummary), restingOrders: [working, limit] };
  const lines = formatSummary(withOrders, 'tradeloop run x', next.out).split('\n');
  assert.ok(lines.includes('  working       SPY-1-0 buy 5 market, at the next open'), lines.join('\n'));
  assert.ok(lines.includes('  resting       SPY-1-1 buy 1 @ 90'));
});

test('--fill-model refuses anything but next-open or close, naming the flag', async (t) => {
  const run = await runCli(t, [...JOB, '--fill-model', 'open']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--fill-model open: expected next-open \(a market order fills at the next bar's open\) or close/);
  assert.equal(run.eventsText, null);
});

test('a resume may not change the fill model: refused by name, in the words the user wrote', async (t) => {
  const base = await tempDir(t, 'tl-fill-resume-');
  const args = ['run', '--source', 'csv', ...JOB, '--state', join(base, 'state'), '--out', join(base, 'out'), '--quiet'];
  const quiet = { stdout: () => {}, stderr: () => {} };
  assert.equal(await main(args, quiet, {}), 0);
  let stderr = '';
  const code = await main([...args, '--fill-model', 'close'], { stdout: () => {}, stderr: (t) => (stderr += t) }, {});
  assert.equal(code, 2);
  assert.match(stderr, /--fill-model differs \(journaled next-open, now close\)/);
});
