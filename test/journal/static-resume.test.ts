/**
 * A static session killed at any instant and started again with the same --state ends exactly
 * where an uninterrupted run ends: the same events.ndjson byte for byte (apart from the run_resume
 * markers), the same summary.json, trades.csv and equity.csv. Process-level, in child processes,
 * SIGKILL at several points; a clean stop (SIGINT) too; and options that would change the run refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join, resolve } from 'node:path';
import { scratchDir, tempDirSync } from '../helpers/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const SLOW = join(ROOT, 'test', 'fixtures', 'strategies', 'slow-sma.ts');
const ARGS = ['run', '--data', join(ROOT, 'data', 'sample'), '--strategy', SLOW, '--param', 'us=150', '--param', 'pct=30', '--quiet'];

/** The highest seq the journal has committed so far (read beside the writer: WAL lets it). */
function committed(journal: string): number {
  if (!existsSync(journal)) return 0;
  try {
    const db = new DatabaseSync(journal, { readOnly: true });
    try {
      return Number((db.prepare('SELECT MAX(last_seq) AS s FROM units').get() as { s: number | null }).s ?? 0);
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

/** Runs the CLI; with `killAt`, sends `signal` once the journal has committed past that seq. */
function run(args: string[], killAt?: { seq: number; journal: string }, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let timer: NodeJS.Timeout | null = null;
    if (killAt !== undefined) {
      const poll = (): void => {
        if (committed(killAt.journal) > killAt.seq) child.kill(signal);
        else timer = setTimeout(poll, 2);
      };
      poll();
    }
    child.once('exit', (code) => {
      if (timer) clearTimeout(timer);
      resolveRun({ code, stderr });
    });
  });
}

function outputs(dir: string): { events: string; summary: string; trades: string; equity: string } {
  const events = readFileSync(join(dir, 'events.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => !l.includes('"type":"run_resume"'))
    .join('\n');
  return {
    events,
    summary: readFileSync(join(dir, 'summary.json'), 'utf8'),
    trades: readFileSync(join(dir, 'trades.csv'), 'utf8'),
    equity: readFileSync(join(dir, 'equity.csv'), 'utf8'),
  };
}

let reference: ReturnType<typeof outputs> | null = null;
async function uninterrupted(): Promise<ReturnType<typeof outputs>> {
  if (reference) return reference;
  const dir = scratchDir('tl-ref-');
  const r = await run([...ARGS, '--out', dir]);
  assert.equal(r.code, 0, r.stderr);
  reference = outputs(dir);
  return reference;
}

test('killed (SIGKILL) at several points and resumed with the same --state: the same end as an uninterrupted run', async (t) => {
  const want = await uninterrupted();
  let resumed = 0;
  // Killed once the journal has committed past these seqs: between commits, each at another cycle.
  for (const at of [1, 2500, 5000, 7500]) {
    const base = tempDirSync(t, 'tl-kill-');
    const args = [...ARGS, '--state', join(base, 'state'), '--out', join(base, 'out')];
    const killed = await run(args, { seq: at, journal: join(base, 'state', 'journal.sqlite') });
    const again = await run(args);
    assert.equal(again.code, 0, `resume after a kill at ${at} ms (first exit ${killed.code}): ${again.stderr}`);
    const got = outputs(join(base, 'out'));
    assert.equal(got.events, want.events, `events.ndjson after a kill at ${at} ms`);
    assert.equal(got.summary, want.summary, `summary.json after a kill at ${at} ms`);
    assert.equal(got.trades, want.trades);
    assert.equal(got.equity, want.equity);
    const log = readFileSync(join(base, 'out', 'events.ndjson'), 'utf8');
    if (killed.code === null && log.includes('"type":"run_resume"')) {
      resumed++;
      // The terminal says it resumed, what it brought back and what comes next.
      assert.match(
        again.stderr,
        /tradeloop resume RESUMED \w+ from its journal: \d+ cycles replayed, last decided bar \d{4}-\d\d-\d\dT[\d:]+Z; cash [\d.]+, equity [\d.]+; positions (none|[A-Z]+ -?\d+(, [A-Z]+ -?\d+)*)\. Next: the files are read on/,
      );
      // The marker repeats the seq before it, so the seqs around it number on as in an uninterrupted run.
      const lines = log
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { seq: number; type: string; afterSeq?: number });
      const at2 = lines.findIndex((l) => l.type === 'run_resume');
      assert.equal(lines[at2]!.seq, lines[at2]!.afterSeq);
      assert.equal(lines[at2 + 1]!.seq, lines[at2]!.seq + 1);
    }
  }
  assert.ok(resumed >= 3, `the kills landed in the middle of the run (${resumed} of 4)`);
});

test("a clean stop (SIGINT) and a resume: the same end, and the previous segment's run_end is gone", async (t) => {
  const want = await uninterrupted();
  const base = tempDirSync(t, 'tl-int-');
  const args = [...ARGS, '--state', join(base, 'state'), '--out', join(base, 'out')];
  const stopped = await run(args, { seq: 3000, journal: join(base, 'state', 'journal.sqlite') }, 'SIGINT');
  assert.equal(stopped.code, 0, stopped.stderr);
  const first = JSON.parse(readFileSync(join(base, 'out', 'summary.json'), 'utf8')) as { status: string };
  assert.equal(first.status, 'incomplete');
  const again = await run(args);
  assert.equal(again.code, 0, again.stderr);
  const got = outputs(join(base, 'out'));
  assert.equal(got.events, want.events);
  assert.equal(got.summary, want.summary);
  assert.equal(got.events.split('\n').filter((l) => l.includes('"type":"run_end"')).length, 1);
});

test('resuming with an option that changes the run is refused by name; a finished run resumed changes nothing', async (t) => {
  const base = tempDirSync(t, 'tl-opt-');
  const args = [...ARGS, '--state', join(base, 'state'), '--out', join(base, 'out')];
  assert.equal((await run(args)).code, 0);
  const before = outputs(join(base, 'out'));
  const cash = await run([...args, '--cash', '50000']);
  assert.equal(cash.code, 2);
  assert.match(cash.stderr, /--cash differs \(journaled 100000(\.0+)?, now 50000(\.0+)?\)/, 'in the units the user wrote');
  const param = await run([...args, '--param', 'fast=3']);
  assert.equal(param.code, 2);
  assert.match(param.stderr, /--param differs \(journaled pct=30 us=150, now fast=3 pct=30 us=150\)/);
  const same = await run(args);
  assert.equal(same.code, 0, same.stderr);
  assert.deepEqual(outputs(join(base, 'out')), before);
  assert.ok(existsSync(join(base, 'state', 'journal.sqlite')));
});
