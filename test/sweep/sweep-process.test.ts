/**
 * `tradeloop sweep` as a process: its default folder (sweeps/<sweep-id> under the working folder,
 * the same id for the same sweep), and a stop by signal (the runs in hand abandoned, nothing
 * written, 128 + the signal's number).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');
const SAMPLE = join(ROOT, 'data', 'sample');
const SLOW = join(ROOT, 'test', 'fixtures', 'strategies', 'slow-sma.ts');

test('without --out: sweeps/<sweep-id> in the working folder, the same id for the same sweep', async (t) => {
  const cwd = await tempDir(t, 'tl-sweep-cwd-');
  const args = [CLI, 'sweep', '--data', SAMPLE, '--minutes', '60', '--param', 'fast=3,4', '--param', 'slow=10', '--quiet'];
  const first = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  const id = /^tradeloop sweep ([0-9a-f]{16}): /.exec(first.stdout)?.[1];
  assert.ok(id, first.stdout);
  assert.ok(first.stdout.includes(`files in ${join('sweeps', id)}`), first.stdout);
  assert.deepEqual(readdirSync(join(cwd, 'sweeps', id)).sort(), ['sweep.csv', 'sweep.json']);
  const again = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  assert.equal(again.stdout, first.stdout);
  const other = spawnSync(process.execPath, [...args, '--rank', 'returnPct'], { cwd, encoding: 'utf8' });
  assert.ok(!other.stdout.includes(id), 'another ranking, another sweep id');
});

test('SIGINT stops the sweep: the runs in hand are ended, no sweep.csv or sweep.json, exit 130', async (t) => {
  const out = join(await tempDir(t, 'tl-sweep-int-'), 'sweep');
  const child = spawn(
    process.execPath,
    [
      CLI,
      'sweep',
      '--data',
      SAMPLE,
      '--minutes',
      '600',
      '--strategy',
      SLOW,
      '--param',
      'us=3000',
      '--param',
      'fast=2..9',
      '--param',
      'slow=30',
      '--jobs',
      '1',
      '--out',
      out,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  const started = new Promise<void>((resolveStarted) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('worker thread')) resolveStarted();
    });
  });
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  await started;
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /stopped by SIGINT after \d of 8 runs; sweep\.csv and sweep\.json are not written/);
  assert.deepEqual(readdirSync(out), [], 'no files, no work folder left');
  assert.ok(!existsSync(join(out, 'sweep.csv')));
});

test('npx tradeloop (bin/tradeloop.js) on a terminal draws the progress bar', async (t) => {
  // util-linux's script(1) gives the child a pseudo-terminal; without it there is no terminal to test on.
  if (spawnSync('script', ['--version'], { encoding: 'utf8' }).status !== 0) {
    t.skip('script(1) from util-linux is not installed: no pseudo-terminal to run bin/tradeloop.js on');
    return;
  }
  const out = join(await tempDir(t, 'tl-sweep-tty-'), 'sweep');
  const command = [
    process.execPath,
    join(ROOT, 'bin', 'tradeloop.js'),
    'sweep',
    '--data',
    SAMPLE,
    '--minutes',
    '60',
    '--param',
    'fast=3,4',
    '--param',
    'slow=10',
    '--jobs',
    '1',
    '--out',
    out,
    '--quiet',
  ]
    .map((a) => `'${a}'`)
    .join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /\r {2}\[#+-*\] +\d+\.\d% {2}\d\/2 runs/, 'the bar, drawn on the terminal');
});

test('npx tradeloop sweep over every core is re-run with its GC flag: the same files as a direct one-worker sweep; a bad --jobs is still refused by name, exit 2', async (t) => {
  const dir = await tempDir(t, 'tl-sweep-bin-');
  const grid = ['sweep', '--data', SAMPLE, '--minutes', '60', '--param', 'fast=3,4', '--param', 'slow=10,12', '--quiet'];
  const direct = spawnSync(process.execPath, [CLI, ...grid, '--jobs', '1', '--out', join(dir, 'direct')], { encoding: 'utf8' });
  assert.equal(direct.status, 0, direct.stderr);
  // --jobs 256 takes every core on any machine: bin/tradeloop.js re-runs itself with --single-threaded-gc (src/cli/node-flags.ts).
  const viaBin = spawnSync(process.execPath, [join(ROOT, 'bin', 'tradeloop.js'), ...grid, '--jobs', '256', '--out', join(dir, 'bin')], { encoding: 'utf8' });
  assert.equal(viaBin.status, 0, viaBin.stderr);
  for (const file of ['sweep.csv', 'sweep.json'])
    assert.equal(readFileSync(join(dir, 'bin', file), 'utf8'), readFileSync(join(dir, 'direct', file), 'utf8'), file);
  const bad = spawnSync(process.execPath, [join(ROOT, 'bin', 'tradeloop.js'), ...grid, '--jobs', 'all'], { encoding: 'utf8' });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /--jobs/);
});
