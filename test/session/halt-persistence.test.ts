/**
 * An operator's halt must outlive what fails around it: a state folder whose disk is full keeps
 * the halt in memory and says it is not persisted (no crash, a summary); a journal that stopped
 * recording before the halt was given does not make a resume trade again, because halts.json
 * holds it. Child processes, a real tmpfs for the full disk, a real SQLite lock for the journal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { holdJournalLock } from '../helpers/journal-lock.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const SLOW = join(ROOT, 'test', 'fixtures', 'strategies', 'slow-sma.ts');
const ARGS = ['run', '--data', join(ROOT, 'data', 'sample'), '--strategy', SLOW, '--param', 'us=1000', '--param', 'pct=30', '--quiet'];

interface Child {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; stderr: string }>;
}

function start(args: string[]): Child {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((r) => child.once('exit', (code) => r({ code, stderr })));
  return { child, done };
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }, {});
  return { code, out, err };
}

/** Waits until `ready()` holds, looking again on each turn of a short timer; fails past the deadline. */
async function until(what: string, ready: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function haltsHeld(state: string): Promise<string[]> {
  const s = await cli('status', '--state', state, '--json');
  if (s.code !== 0) return [];
  return (JSON.parse(s.out) as { halts: Array<{ reason: string }> }).halts.map((h) => h.reason);
}

function events(out: string): Array<Record<string, unknown>> {
  return readFileSync(join(out, 'events.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('tradeloop halt on a full state disk: the halt holds in memory, the answer, an alert and stderr say it is not persisted, the summary is written', async (t) => {
  const state = mountTmpfs(t, 'size=1m');
  if (state === null) return;
  const out = join(await tempDir(t, 'tl-halt-full-'), 'out');
  const run = start([...ARGS, '--state', state, '--out', out]);
  t.after(() => run.child.kill('SIGKILL'));
  await until('control.json', () => existsSync(join(state, 'control.json')));
  fillDisk(state);
  const halt = await cli('halt', '--state', state, '--reason', 'disk test');
  assert.equal(halt.code, 0, `the halt holds: ${halt.err}`);
  assert.match(halt.out, /HALTED[\s\S]*NOT PERSISTED: .*halts\.json could not be written \(ENOSPC/);
  const { code, stderr } = await run.done;
  assert.equal(code, 0, stderr);
  assert.match(stderr, /ALERT.*state_write.*halts\.json could not be written/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    alertsByKind: Record<string, number>;
    halts: { raised: Record<string, number> };
  };
  assert.equal(summary.alertsByKind.state_write, 1);
  assert.equal(summary.halts.raised.operator, 1);
  const ev = events(out);
  const at = ev.findIndex((e) => e.type === 'halt' && e.reason === 'operator');
  assert.ok(at > 0, 'the operator halt is in the log');
  assert.ok(
    ev.slice(at).every((e) => e.type !== 'fill'),
    'no fill after the halt',
  );
});

test('an operator halt given after the journal failed is raised again by the resume (from halts.json), and nothing trades after it', async (t) => {
  const base = await tempDir(t, 'tl-halt-journal-');
  const state = join(base, 'state');
  const out = join(base, 'out');
  const first = start([...ARGS, '--state', state, '--out', out]);
  t.after(() => first.child.kill('SIGKILL'));
  const journal = join(state, 'journal.sqlite');
  await until('the journal', () => existsSync(journal));
  // Another program takes the journal's write lock once the run has journaled some cycles (so that
  // the next start is a resume), and keeps it.
  const holder = holdJournalLock(journal, 'SELECT count(*) AS n FROM units', 50);
  t.after(() => holder.kill('SIGKILL'));
  await until('the journal halt', async () => (await haltsHeld(state)).includes('journal'));
  const halt = await cli('halt', '--state', state, '--reason', 'after the journal failed');
  assert.equal(halt.code, 0, halt.err);
  assert.match(readFileSync(join(state, 'halts.json'), 'utf8'), /"operator"/);
  first.child.kill('SIGKILL');
  await first.done;
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));

  const second = start([...ARGS, '--state', state, '--out', out]);
  const { code, stderr } = await second.done;
  assert.equal(code, 0, stderr);
  assert.match(stderr, /resume HALT +operator \(operator, halted\): after the journal failed -> trading HALTED \(in halts\.json but not in the journal/);
  const ev = events(out);
  const resumed = ev.findIndex((e) => e.type === 'run_resume');
  assert.ok(resumed > 0);
  assert.equal(ev.slice(resumed).filter((e) => e.type === 'fill').length, 0, 'the resumed session trades nothing while the operator halt holds');
  assert.ok(
    ev.slice(resumed).some((e) => e.type === 'reject' && e.reason === 'trading_halted'),
    'the strategy asked, and was refused',
  );
});
