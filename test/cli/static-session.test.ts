/**
 * A static run with --state: the halt file present at start halts it before its first bar; the
 * state folder is locked (a second process is refused by pid); damaged persisted halts are refused,
 * not ignored; FLAG_TRADING_HALTED stays a flag halt nothing lifts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');
const BASE = ['--data', SAMPLE, '--minutes', '120'];

test('a halt file present at start: HALTED before the first bar, every order rejected; its first line "reducing" means REDUCING', async (t) => {
  const state = join(await tempDir(t), 'state');
  mkdirSync(state);
  writeFileSync(join(state, 'HALT'), 'maintenance window\n');
  const run = await runCli(t, [...BASE, '--state', state]);
  assert.equal(run.code, 0, run.stderr);
  const firstBar = run.events.findIndex((e) => e.type === 'bar');
  const halt = run.events.findIndex((e) => e.type === 'halt');
  assert.ok(halt > 0 && halt < firstBar, 'halted before the first bar');
  assert.deepEqual([run.events[halt]!.reason, run.events[halt]!.source, run.events[halt]!.state], ['halt_file', 'file', 'HALTED']);
  assert.match(String(run.events[halt]!.detail), /maintenance window/);
  assert.ok(ofType(run, 'reject').length > 0);
  assert.ok(ofType(run, 'reject').every((r) => r.reason === 'trading_halted'));
  assert.equal(ofType(run, 'fill').length, 0);
  // The terminal says the first refusal of its kind, once: the summary counts the rest.
  assert.ok(ofType(run, 'reject').length > 1);
  assert.equal(run.stderr.split('\n').filter((l) => / REJECT +trading_halted: /.test(l)).length, 1, run.stderr);

  // A new session (another folder): the same folder would resume the run above.
  const other = join(await tempDir(t), 'state');
  mkdirSync(other);
  writeFileSync(join(other, 'HALT'), 'reducing\n');
  const reducing = await runCli(t, [...BASE, '--state', other]);
  assert.deepEqual(
    ofType(reducing, 'halt').map((h) => [h.severity, h.state]),
    [['reducing', 'REDUCING']],
  );
  assert.ok(
    ofType(reducing, 'reject').length > 0 && ofType(reducing, 'reject').every((r) => r.reason === 'reduce_only'),
    'sma-cross entries are refused as growing',
  );
});

test('the state folder is created private (0700)', async (t) => {
  const state = join(await tempDir(t), 'new-state');
  const run = await runCli(t, [...BASE, '--state', state]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(statSync(state).mode & 0o777, 0o700);
});

test('--halt-file names another file; without --state nothing is watched unless it is given', async (t) => {
  const dir = await tempDir(t);
  const halt = join(dir, 'STOP');
  writeFileSync(halt, '');
  const run = await runCli(t, [...BASE, '--halt-file', halt]);
  assert.deepEqual(
    ofType(run, 'halt').map((h) => h.reason),
    ['halt_file'],
  );
  const plain = await runCli(t, BASE);
  assert.equal(ofType(plain, 'halt').length, 0);
});

/** A child process that takes the state folder's lock as a session does, and keeps it. */
function holdLock(state: string): Promise<ReturnType<typeof spawn>> {
  const stateDir = resolve(import.meta.dirname, '..', '..', 'src', 'session', 'state-dir.ts');
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `import(${JSON.stringify(stateDir)}).then((m) => { globalThis.held = m.StateDir.open(${JSON.stringify(state)}); console.log('held'); setTimeout(() => {}, 60000); })`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((ok) => holder.stdout!.once('data', () => ok(holder)));
}

test('two processes on one --state: the second is refused, naming the pid of the first', async (t) => {
  const state = join(await tempDir(t), 'state');
  const holder = await holdLock(state);
  t.after(() => holder.kill('SIGKILL'));
  const run = await runCli(t, [...BASE, '--state', state]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, new RegExp(`another tradeloop session \\(pid ${holder.pid}\\) holds this folder's lock`));
  assert.equal(run.eventsText, null, 'refused before anything was written');
});

test('a lock whose holder was killed (SIGKILL) goes with it: the next start takes the folder', async (t) => {
  const state = join(await tempDir(t), 'state');
  const holder = await holdLock(state);
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  const run = await runCli(t, [...BASE, '--state', state]);
  assert.equal(run.code, 0, run.stderr);
});

test('a pid note naming a live process that holds no lock (a pid reused by another program) does not block the folder', async (t) => {
  const state = join(await tempDir(t), 'state');
  mkdirSync(state, { mode: 0o700 });
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.after(() => other.kill('SIGKILL'));
  writeFileSync(join(state, 'lock'), JSON.stringify({ pid: other.pid }) + '\n');
  const run = await runCli(t, [...BASE, '--state', state]);
  assert.equal(run.code, 0, run.stderr);
});

test('two sessions starting at once on one --state: exactly one takes it', async (t) => {
  const state = join(await tempDir(t), 'state');
  const main = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
  const start = () =>
    new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [main, 'run', ...BASE, '--state', state, '--out', join(state, '..', `out-${Math.random()}`), '--quiet'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (code) => done({ code, stderr }));
    });
  const results = await Promise.all([start(), start()]);
  const codes = results.map((r) => r.code).sort();
  // The loser may start after the winner ended (then it resumes the finished run: exit 0 too);
  // what must never happen is both holding the folder at once, which the journal would show.
  assert.ok(codes[0] === 0, results.map((r) => r.stderr).join('\n'));
  if (codes[1] !== 0) {
    assert.equal(codes[1], 2);
    assert.match(results.find((r) => r.code === 2)!.stderr, /holds this folder's lock/);
  }
  // Never both at once: the journal they shared proves itself (a lock let go before the journal's
  // last write once let the second write into the first's journal: UNIQUE failures, a broken replay).
  const verify = spawnSync(process.execPath, [main, 'verify', '--state', state], { encoding: 'utf8' });
  assert.equal(verify.status, 0, verify.stderr);
});

test('damaged persisted halts are refused by name, not silently dropped', async (t) => {
  const state = join(await tempDir(t), 'state');
  mkdirSync(state);
  writeFileSync(join(state, 'halts.json'), '{"halts": [{"reason": "operator"');
  const run = await runCli(t, [...BASE, '--state', state]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /halts\.json/);
});

test('FLAG_TRADING_HALTED is a flag halt: every order rejected, and the summary says the run was halted throughout', async (t) => {
  const run = await runCli(t, BASE, { FLAG_TRADING_HALTED: '1' });
  assert.deepEqual(
    ofType(run, 'halt').map((h) => [h.reason, h.source, h.state]),
    [['flag', 'flag', 'HALTED']],
  );
  assert.ok(ofType(run, 'reject').every((r) => r.reason === 'trading_halted'));
  const s = run.summary as { status: string; verdict: string; halts: { state: string; held: string[]; notActivePct: number } };
  assert.deepEqual([s.halts.state, s.halts.held, s.halts.notActivePct], ['HALTED', ['flag'], 100]);
  assert.equal(s.status, 'halted');
  assert.equal(s.verdict, 'ok, but HALTED 100% of bars: flag');
});
