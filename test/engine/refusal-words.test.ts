/**
 * What a new user reads when an order is refused or none was placed must not mislead: a string
 * qty is said to be a string, and a run whose strategy threw does not say the strategy never asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { bar, makeLoop } from '../helpers/loop.ts';
import { runCli } from '../helpers/run-cli.ts';
import { fixture, tempDir } from '../helpers/temp-dir.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';

test('a string qty is refused as got "5" (a string), not as got 5', () => {
  const s = { name: 'texty', warmup: 0, onBar: () => [{ side: 'buy', qty: '5' }] } as unknown as Strategy;
  const { rec, engine } = makeLoop(s);
  engine.cycle(bar(0, 100));
  assert.match(rec.of('reject')[0]!.detail, /got "5" \(a string\)$/);
});

test('no order because the strategy threw: the summary says it threw, not that it never asked', async (t) => {
  const dir = await tempDir(t, 'tl-words-');
  const file = await fixture(
    dir,
    'thrower.ts',
    `export default () => ({ name: 'thrower', warmup: 0, onBar(bar: { openTime: number }) { if (bar.openTime > 0) throw new Error('model missing'); return []; } });\n`,
  );
  const run = await runCli(t, ['--data', resolve(import.meta.dirname, '..', '..', 'data', 'sample'), '--minutes', '10', '--strategy', join(dir, 'thrower.ts')]);
  assert.equal(run.code, 1);
  assert.match(String(run.summary!.noOrderCause), /the strategy threw 1 time\(s\)/);
  void file;
});
