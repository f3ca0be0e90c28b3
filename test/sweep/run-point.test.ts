/**
 * One run of a sweep (run-point.ts) and the session option it relies on: a static session told to
 * write no event log writes the same summary.json, trades.csv and equity.csv as the run with one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseOptions } from '../../src/api/options-argv.ts';
import { readFlags } from '../../src/config/flags.ts';
import { StaticSession } from '../../src/session/static-session.ts';
import { loadStrategy } from '../../src/strategy/load-strategy.ts';
import { runPoint } from '../../src/sweep/run-point.ts';
import { runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');
const ARGS = ['--data', SAMPLE, '--minutes', '240', '--param', 'fast=4', '--param', 'slow=12'];
const quiet = { stdout: () => {}, stderr: () => {} };

test('a static session with eventLog: false writes no event log, and every other file as the run with it', async (t) => {
  const out = join(await tempDir(t, 'tl-sweep-nolog-'), 'run');
  const opts = parseOptions([...ARGS, '--out', out]);
  const strategy = await loadStrategy(opts.strategy, opts.params);
  const session = await StaticSession.open({ config: opts, flags: readFlags({}), strategy, strategyHash: null, terminal: quiet, eventLog: false });
  const result = await session.run();
  const single = await runCli(t, ARGS);
  assert.equal(result.runId, single.summary!.runId);
  assert.equal(statSync(join(out, 'events.ndjson')).size, 0, 'the log is only the empty file the folder check made');
  assert.ok(single.eventsText!.length > 100_000, 'the run itself writes its log');
  for (const file of ['summary.json', 'trades.csv', 'equity.csv']) {
    assert.equal(readFileSync(join(out, file), 'utf8'), readFileSync(join(single.out, file), 'utf8'), file);
  }
});

test('runPoint: the summary as written, the scratch folder removed; a refused value is a result with the refusal', async (t) => {
  const dir = await tempDir(t, 'tl-sweep-point-');
  let beats = 0;
  const setup = { baseArgv: ['--data', SAMPLE, '--minutes', '240'], flags: readFlags({}), workDir: dir, runsDir: null, beat: () => beats++ };
  const ok = await runPoint(setup, { index: 7, params: { fast: '4', slow: '12' } });
  const single = await runCli(t, ARGS);
  assert.equal(ok.summaryText, readFileSync(join(single.out, 'summary.json'), 'utf8'));
  assert.equal(ok.runId, single.summary!.runId);
  assert.equal(ok.error, null);
  assert.ok(beats >= 240, `a beat a cycle at least: ${beats}`);
  assert.deepEqual(readdirSync(dir), [], 'nothing left in the work folder');

  const refused = await runPoint(setup, { index: 8, params: { fast: '12', slow: '4' } });
  assert.deepEqual(refused, { index: 8, runId: null, summaryText: null, error: '--param fast=12 must be less than slow=4' });
  assert.ok(!existsSync(join(dir, '8')));
});
