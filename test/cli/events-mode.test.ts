/**
 * --events trading: the log keeps every event but the per-bar bar lines and hold decisions, line
 * for line as the full log writes them (the same seq numbers: the bus numbers every event); the
 * summary still counts every bar and decision.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/run-cli.ts';
import { validateEventLine } from '../../src/events/schema.ts';

const ARGS = ['--data', 'data/sample', '--param', 'fast=3', '--param', 'slow=8'];

test('--events trading writes the full log minus bar lines and hold decisions, and the summary still counts them', async (t) => {
  const all = await runCli(t, ARGS);
  const lean = await runCli(t, [...ARGS, '--events', 'trading']);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(lean.code, 0, lean.stderr);
  const kept = (e: Record<string, unknown>) => e.type !== 'bar' && !(e.type === 'decision' && e.action === 'hold');
  const allLines = all.eventsText!.trim().split('\n');
  const leanLines = lean.eventsText!.trim().split('\n');
  const expected = allLines.filter((_, i) => kept(all.events[i]!));
  assert.ok(lean.events.every(kept), 'no bar line and no hold decision');
  assert.ok(
    lean.events.some((e) => e.type === 'decision'),
    'buy and sell decisions stay',
  );
  assert.ok(lean.events.some((e) => e.type === 'fill'));
  assert.equal(leanLines.length, expected.length);
  // Every line but run_start (which says events: trading) and run_end (its run id) is byte for byte the full log's.
  assert.deepEqual(leanLines.slice(1, -1), expected.slice(1, -1));
  assert.equal(lean.events[0]!.events, 'trading');
  assert.deepEqual(leanLines.flatMap(validateEventLine), [], 'every line matches the schema');
  assert.equal(all.events[0]!.events, undefined, 'the full log is unchanged');
  const { runId: _a, ...leanSummary } = lean.summary!;
  const { runId: _b, ...allSummary } = all.summary!;
  assert.deepEqual(leanSummary, allSummary);
  assert.equal(lean.summary!.decisions, lean.summary!.bars);
  assert.notEqual(lean.summary!.runId, all.summary!.runId, 'the run id says which log it wrote');
});

test('--events refuses anything but all or trading, by name', async (t) => {
  const run = await runCli(t, [...ARGS, '--events', 'bars']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--events bars/);
});
