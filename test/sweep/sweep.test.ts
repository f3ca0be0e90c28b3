/**
 * `tradeloop sweep` end to end, in-process with real worker threads: each row is the run
 * `tradeloop run` makes for its parameters (summary.json byte for byte), the files do not depend
 * on --jobs, a run that fails or hangs is a row and not the end of the sweep, and every refusal
 * comes before any run, named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FIGURES, figureOf } from '../../src/sweep/figures.ts';
import { runCli } from '../helpers/run-cli.ts';
import { fixture, tempDir } from '../helpers/temp-dir.ts';
import { runSweepCli } from './sweep-helper.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SAMPLE = join(ROOT, 'data', 'sample');
const THROW_AT = join(ROOT, 'test', 'sweep', 'fixtures', 'throw-at.ts');
const HANG = join(ROOT, 'test', 'fixtures', 'strategies', 'hang-on-bar.ts');
const BREAKOUT = join(ROOT, 'examples', 'breakout.ts');
const DATA = ['--symbols', 'SPY,QQQ', '--data', SAMPLE, '--minutes', '180'];

/** The single run's summary.json, and the sweep's row of it (sweep.csv and sweep.json), agree byte for byte. */
async function assertRowIsTheRun(
  t: import('node:test').TestContext,
  sweep: Awaited<ReturnType<typeof runSweepCli>>,
  index: number,
  runArgs: readonly string[],
): Promise<void> {
  const single = await runCli(t, runArgs);
  const summaryText = readFileSync(join(single.out, 'summary.json'), 'utf8');
  const result = sweep.json!.results[index]!;
  assert.equal(`${JSON.stringify(result.summary, null, 2)}\n`, summaryText, `sweep.json's summary of run ${index} is summary.json's bytes`);
  const row = sweep.rows[index]!;
  assert.equal(row.runId, single.summary!.runId);
  assert.equal(row.status, single.summary!.status);
  for (const f of FIGURES) assert.equal(row[f.name], String(figureOf(single.summary, f) ?? ''), `sweep.csv ${f.name} of run ${index}`);
}

test('each row is the run `tradeloop run` makes with its parameters: summary.json byte for byte, in sweep.json and sweep.csv', async (t) => {
  const sweep = await runSweepCli(t, [...DATA, '--param', 'fast=3,5', '--param', 'slow=10..20:10', '--jobs', '2']);
  assert.equal(sweep.code, 0, sweep.stderr);
  assert.deepEqual(
    sweep.rows.map((r) => [r.fast, r.slow]),
    [
      ['3', '10'],
      ['3', '20'],
      ['5', '10'],
      ['5', '20'],
    ],
    'grid order: the last parameter varies fastest',
  );
  assert.deepEqual(
    sweep.json!.results.map((r) => r.params),
    sweep.rows.map((r) => ({ fast: r.fast, slow: r.slow })),
  );
  for (const index of [0, 3]) {
    const { fast, slow } = sweep.json!.results[index]!.params;
    await assertRowIsTheRun(t, sweep, index, [...DATA, '--param', `fast=${fast}`, '--param', `slow=${slow}`]);
  }
  assert.ok(!existsSync(join(sweep.out, 'runs')) && !existsSync(join(sweep.out, '.work')), 'no run folder is kept without --keep-runs');
  assert.deepEqual(readdirSync(sweep.out).sort(), ['sweep.csv', 'sweep.json']);
});

test('--jobs 1 and --jobs 2 write the same sweep.csv and sweep.json, byte for byte, under the same sweep id', async (t) => {
  const args = [...DATA, '--param', 'fast=2..6:2', '--param', 'slow=12,24', '--rank', 'returnPct'];
  const one = await runSweepCli(t, [...args, '--jobs', '1']);
  const two = await runSweepCli(t, [...args, '--jobs', '2']);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(two.code, 0, two.stderr);
  assert.equal(one.json!.runs, 6);
  assert.equal(two.csvText, one.csvText);
  assert.equal(two.jsonText, one.jsonText);
  assert.match(one.stderr, new RegExp(`^tradeloop sweep ${one.json!.sweepId}: 6 runs of sma-cross \\(fast 3 × slow 2\\) on 1 worker thread\\n`));
  assert.match(two.stderr, /on 2 worker threads\n/);
  // The ranking: returnPct, highest first, in sweep.json and on the terminal's first row.
  const returns = one.json!.ranking.map((i) => one.json!.results[i]!.summary!.returnPct as number);
  assert.deepEqual(
    returns,
    [...returns].sort((a, b) => b - a),
  );
  const best = one.json!.results[one.json!.ranking[0]!]!;
  assert.match(one.stdout, new RegExp(`\\n +1 +${best.params.fast} +${best.params.slow} +${best.summary!.returnPct}\\b`));
});

test('a strategy module runs on its own thread inside a worker; --keep-runs keeps each run folder as `tradeloop run` writes it', async (t) => {
  const sweep = await runSweepCli(t, [...DATA, '--strategy', BREAKOUT, '--param', 'lookback=20,40', '--keep-runs', '--jobs', '2']);
  assert.equal(sweep.code, 0, sweep.stderr);
  assert.equal(sweep.json!.strategy, 'breakout');
  for (const index of [0, 1]) {
    const lookback = sweep.json!.results[index]!.params.lookback!;
    await assertRowIsTheRun(t, sweep, index, [...DATA, '--strategy', BREAKOUT, '--param', `lookback=${lookback}`]);
    const single = await runCli(t, [...DATA, '--strategy', BREAKOUT, '--param', `lookback=${lookback}`]);
    const kept = join(sweep.out, 'runs', sweep.rows[index]!.runId!);
    for (const file of ['events.ndjson', 'summary.json', 'trades.csv', 'equity.csv']) {
      assert.equal(readFileSync(join(kept, file), 'utf8'), readFileSync(join(single.out, file), 'utf8'), `${file} of lookback=${lookback}`);
    }
  }
  assert.ok(!existsSync(join(sweep.out, '.work')));
});

test('a run whose strategy throws is a row with its error and its summary; the others run; exit 1', async (t) => {
  const sweep = await runSweepCli(t, [...DATA, '--strategy', THROW_AT, '--param', 'fast=3', '--param', 'slow=10', '--param', 'throwAt=0,7']);
  assert.equal(sweep.code, 1, sweep.stderr);
  const [ok, threw] = sweep.rows;
  assert.equal(ok!.status, 'ok');
  assert.equal(ok!.error, '');
  assert.equal(threw!.status, 'error');
  assert.match(threw!.error!, /throw-at: decision 7/);
  assert.equal(sweep.json!.failed, 1);
  assert.deepEqual(sweep.json!.ranking, [0, 1], 'a failed run ranks last');
  assert.match(sweep.stdout, /failed +1 of 2 runs:\n +fast=3 slow=10 throwAt=7: .*throw-at: decision 7/);
  assert.match(sweep.stderr, /2 runs in .*, 1 failed\n$/);
  // The failed run's summary is the one `tradeloop run` writes for it (which exits 1 too).
  await assertRowIsTheRun(t, sweep, 1, [...DATA, '--strategy', THROW_AT, '--param', 'fast=3', '--param', 'slow=10', '--param', 'throwAt=7']);
});

test("values the strategy refuses at some points only are those points' rows, with its refusal", async (t) => {
  const sweep = await runSweepCli(t, [...DATA, '--param', 'fast=10,20', '--param', 'slow=20', '--quiet']);
  assert.equal(sweep.code, 1);
  const refused = sweep.json!.results[1]!;
  assert.equal(refused.runId, null);
  assert.equal(refused.summary, null);
  assert.equal(refused.status, 'failed');
  const single = await runCli(t, [...DATA, '--param', 'fast=20', '--param', 'slow=20']);
  assert.equal(single.code, 2);
  assert.equal(`tradeloop: ${refused.error}\n`, single.stderr, 'word for word the refusal of `tradeloop run`');
  assert.match(sweep.stdout, /^tradeloop sweep [0-9a-f]{16}: 2 runs, 1 failed; best by sharpe: fast=10 slow=20 \(/);
  assert.equal(sweep.stdout.split('\n').length, 2, '--quiet: one line');
});

test('a run stuck in onBar is ended after --cycle-timeout and is a row; the sweep goes on', async (t) => {
  const sweep = await runSweepCli(t, [...DATA, '--strategy', HANG, '--param', 'at=1000000,2', '--cycle-timeout', '2', '--jobs', '1']);
  assert.equal(sweep.code, 1, sweep.stderr);
  assert.equal(sweep.rows[0]!.error, '', 'the run that never reaches its hang ends as it would alone');
  assert.equal(sweep.rows[0]!.runId!.length, 16);
  assert.equal(sweep.rows[1]!.status, 'failed');
  assert.match(sweep.rows[1]!.error!, /no progress for 2 s \(--cycle-timeout 2\)/);
  assert.ok(!existsSync(join(sweep.out, '.work')));
});

test('refused before any run, exit 2, nothing written: a parameter the strategy does not take (its own words), an unknown --rank, realtime, --state', async (t) => {
  const single = await runCli(t, [...DATA, '--param', 'fsat=5']);
  const unknown = await runSweepCli(t, [...DATA, '--param', 'fsat=5,10', '--param', 'slow=30']);
  assert.equal(unknown.code, 2);
  assert.equal(single.code, 2);
  assert.equal(unknown.stderr, single.stderr, "the strategy's own refusal, as `tradeloop run` prints it");
  assert.ok(!existsSync(unknown.out), 'no folder made');

  const module = await runSweepCli(t, [...DATA, '--strategy', BREAKOUT, '--param', 'lookbak=5,10']);
  assert.equal(module.code, 2);
  assert.match(module.stderr, /--param lookbak: breakout has no such parameter/);

  const rank = await runSweepCli(t, [...DATA, '--param', 'fast=5,10', '--rank', 'sharp']);
  assert.equal(rank.code, 2);
  assert.match(rank.stderr, /--rank sharp: .*Did you mean sharpe\?.*finalEquity.*profitFactor/s);
  for (const [args, named] of [
    [['--source', 'realtime'], '--source realtime'],
    [['--source', 'nats'], '--source nats'],
    [['--state', '/tmp/x'], '--state'],
    [['--control-port', '9000'], '--control-port'],
    [['--max-runs', '3'], '4 runs'],
    [['--jobs', '0'], '--jobs 0'],
    [['--cash', '-5'], '--cash -5'],
  ] as const) {
    const r = await runSweepCli(t, [...DATA, '--param', 'fast=5,10', '--param', 'slow=20,30', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(named), `${args.join(' ')} named: ${r.stderr}`);
    assert.ok(!existsSync(r.out));
  }
  const none = await runSweepCli(t, DATA);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no grid/);
});

test('--top N rows on the terminal; a progress bar on a terminal, only the start and end lines elsewhere', async (t) => {
  const args = [...DATA, '--param', 'fast=2..4', '--param', 'slow=10', '--top', '2', '--jobs', '1'];
  const tty = await runSweepCli(t, args, { tty: true });
  assert.equal(tty.code, 0, tty.stderr);
  assert.match(tty.stdout, /top 2 of 3:\n.*#.*\n +1 .*\n +2 .*\n {2}files/);
  assert.match(tty.stderr, /\r {2}\[#+-*\] +\d+\.\d% {2}\d\/3 runs {2}[\d.]+ runs\/s {2}ETA/);
  assert.ok(tty.stderr.includes('\r\x1b[K'), 'the bar is erased');
  const plain = await runSweepCli(t, args);
  assert.equal(plain.stderr.split('\n').length, 3, `two lines: ${plain.stderr}`);
  assert.ok(!plain.stderr.includes('\r'));
});

test('--grid FILE.json gives the first axes, --param the next, in that order', async (t) => {
  const dir = await tempDir(t, 'tl-sweep-gridfile-');
  const grid = await fixture(dir, 'grid.json', '{"slow": [12, 24], "pct": ["10"]}');
  const sweep = await runSweepCli(t, [...DATA, '--minutes', '60', '--grid', grid, '--param', 'fast=3,4', '--jobs', '1']);
  assert.equal(sweep.code, 0, sweep.stderr);
  assert.deepEqual(Object.keys(sweep.rows[0]!).slice(0, 4), ['slow', 'pct', 'fast', 'runId']);
  assert.deepEqual(
    sweep.rows.map((r) => `${r.slow}/${r.pct}/${r.fast}`),
    ['12/10/3', '12/10/4', '24/10/3', '24/10/4'],
  );
  assert.deepEqual(sweep.json!.results[3]!.params, { slow: '24', pct: '10', fast: '4' });
});

test('help', async (t) => {
  const help = await runSweepCli(t, ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--param NAME=VALUES/);
  assert.match(help.stdout, /the last varying fastest/);
});
