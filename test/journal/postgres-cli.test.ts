/**
 * `--journal URL --session NAME` at the command line, against a real PostgreSQL (TRADELOOP_TEST_PG):
 * a static run journaled there makes the outputs a run without a journal makes, verify, export and
 * report read it back, a second session of a running name is refused by name, and a run killed
 * (SIGKILL) resumes from PostgreSQL to the same end as an uninterrupted one. The flags' refusals
 * need no server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { openJournalStore } from '../../src/journal/open-journal-store.ts';
import { pgSkip, pgTest, pgUrl } from '../helpers/postgres.ts';
import { scratchDir, tempDirSync } from '../helpers/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const SAMPLE = join(ROOT, 'data', 'sample');
const SLOW = join(ROOT, 'test', 'fixtures', 'strategies', 'slow-sma.ts');
const skip = pgSkip();
const PASSWORD = 'pw-never-shown';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }, {});
  return { code, out, err };
}

/** The test database's URL with a password in it (the test server trusts every connection, so any password works). */
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
}

/** Every file under a folder, as text. */
function filesOf(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

function outputs(dir: string): { events: string; summary: string; trades: string; equity: string } {
  return {
    events: readFileSync(join(dir, 'events.ndjson'), 'utf8')
      .split('\n')
      .filter((l) => !l.includes('"type":"run_resume"'))
      .join('\n'),
    summary: readFileSync(join(dir, 'summary.json'), 'utf8'),
    trades: readFileSync(join(dir, 'trades.csv'), 'utf8'),
    equity: readFileSync(join(dir, 'equity.csv'), 'utf8'),
  };
}

test('a static run journaled in PostgreSQL: the outputs of a run without a journal; verify, export and report read it back; the password nowhere', {
  skip,
}, async (t) => {
  const p = await pgTest(t);
  const url = withPassword(p.url);
  const session = p.session('static');
  const base = tempDirSync(t, 'tl-pg-static-');
  const args = ['run', '--data', SAMPLE, '--param', 'pct=30', '--quiet'];
  const plain = await cli(...args, '--out', join(base, 'plain'));
  assert.equal(plain.code, 0, plain.err);
  const run = await cli(...args, '--out', join(base, 'pg'), '--journal', url, '--session', session);
  assert.equal(run.code, 0, run.err);
  assert.deepEqual(outputs(join(base, 'pg')), outputs(join(base, 'plain')), 'the journal changes nothing the run writes');

  const verify = await cli('verify', '--journal', url, '--session', session);
  assert.equal(verify.code, 0, verify.err);
  assert.match(verify.out, /verified: 3900 cycles/);
  const events = await cli('export', '--journal', url, '--session', session, '--format', 'ndjson');
  assert.equal(events.code, 0, events.err);
  const log = readFileSync(join(base, 'pg', 'events.ndjson'), 'utf8');
  assert.equal(events.out, log.replace(/^.*"type":"run_end".*\n/m, ''), "the journal's events are the log's lines (run_end is the segment's own record)");
  const trades = await cli('export', '--journal', url, '--session', session, '--what', 'trades', '--format', 'csv');
  assert.equal(trades.out, readFileSync(join(base, 'pg', 'trades.csv'), 'utf8'));
  const html = join(base, 'report.html');
  const report = await cli('report', '--journal', url, '--session', session, '--out', html);
  assert.equal(report.code, 0, report.err);
  assert.match(report.out, /journal {7}postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/\w+ session static_/);
  const folderReport = await cli('report', join(base, 'pg'), '--out', join(base, 'folder.html'));
  assert.equal(folderReport.code, 0, folderReport.err);
  assert.equal(readFileSync(html, 'utf8'), readFileSync(join(base, 'folder.html'), 'utf8'), 'the same page as from the run folder');

  const argv = await p.admin.query('SELECT argv FROM tradeloop.sessions WHERE session = $1', [session]);
  assert.match(argv.rows[0].argv, /"--journal","postgres:\/\/\*\*\*@127\.0\.0\.1/, 'the journaled command line names the database without its credentials');
  const shown = [run, verify, events, trades, report].map((r) => r.out + r.err).join('\n') + filesOf(base) + JSON.stringify(argv.rows);
  assert.ok(!shown.includes(PASSWORD), 'the password is in no output, file or journaled row');
});

test('a second session of a running name is refused by name before it writes anything; the same name resumes once it is free', { skip }, async (t) => {
  const p = await pgTest(t);
  const session = p.session('held');
  const base = tempDirSync(t, 'tl-pg-held-');
  const holder = await openJournalStore({ kind: 'postgres', url: p.url, session, durable: true, instruments: new Map() });
  const args = ['run', '--data', SAMPLE, '--quiet', '--out', join(base, 'out'), '--journal', p.url, '--session', session];
  try {
    const refused = await cli(...args);
    assert.equal(refused.code, 2, refused.out + refused.err);
    assert.match(refused.err, new RegExp(`another tradeloop session named ${session} \\(tradeloop ${session} pid ${process.pid}`));
    assert.ok(!existsSync(join(base, 'out')), 'refused before its run folder was made');
  } finally {
    await holder.close();
  }
  const ran = await cli(...args);
  assert.equal(ran.code, 0, ran.err);
  const again = await cli(...args);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, new RegExp(`this run is complete in --session ${session} \\(ended ok\\)`));
});

test('verify of a session not in the database, or whose run folder is not on this machine, is refused by name', { skip }, async (t) => {
  const p = await pgTest(t);
  const missing = await cli('verify', '--journal', p.url, '--session', 'no-such-session');
  assert.equal(missing.code, 2, missing.err);
  assert.match(missing.err, /session no-such-session: no run of session no-such-session in this database \(check --session/);
  const session = p.session('moved');
  const ran = await cli(
    'run',
    '--data',
    SAMPLE,
    '--minutes',
    '30',
    '--quiet',
    '--out',
    tempDirSync(t, 'tl-pg-moved-'),
    '--journal',
    p.url,
    '--session',
    session,
  );
  assert.equal(ran.code, 0, ran.err);
  // As if verified on another machine: the folder the run ran in (its strategy and inputs) is not there.
  await p.admin.query("UPDATE tradeloop.sessions SET cwd = '/nonexistent/tradeloop-run' WHERE session = $1", [session]);
  const moved = await cli('verify', '--journal', p.url, '--session', session);
  assert.equal(moved.code, 2, moved.err);
  assert.match(
    moved.err,
    /the run ran in \/nonexistent\/tradeloop-run, which is not here: a replay reads the run's strategy and inputs again from where it ran/,
  );
});

/** Runs the CLI in a child; with `killAt`, sends SIGKILL once the session has committed past that seq in PostgreSQL. */
function child(args: string[], killAt?: { seq: number; committed: () => Promise<number> }): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolveRun) => {
    const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let done = false;
    if (killAt !== undefined) {
      const poll = async (): Promise<void> => {
        while (!done) {
          if ((await killAt.committed()) > killAt.seq) {
            proc.kill('SIGKILL');
            return;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      void poll();
    }
    proc.once('exit', (code) => {
      done = true;
      resolveRun({ code, stderr });
    });
  });
}

test('killed (SIGKILL) mid-run and resumed from PostgreSQL with the same --session: the same end as an uninterrupted run', { skip }, async (t) => {
  const p = await pgTest(t);
  const args = ['run', '--data', SAMPLE, '--strategy', SLOW, '--param', 'us=150', '--param', 'pct=30', '--quiet'];
  const ref = scratchDir('tl-pg-ref-');
  const plain = await child([...args, '--out', ref]);
  assert.equal(plain.code, 0, plain.stderr);
  const want = outputs(ref);
  let resumed = 0;
  for (const at of [2500, 6000]) {
    const session = p.session('kill');
    const committed = async (): Promise<number> => {
      const r = await p.admin.query('SELECT coalesce(max(last_seq), 0)::int AS s FROM tradeloop.units WHERE session = $1', [session]).catch(() => null);
      return r?.rows[0]?.s ?? 0;
    };
    const out = join(tempDirSync(t, 'tl-pg-kill-'), 'out');
    const run = [...args, '--out', out, '--journal', p.url, '--session', session];
    const killed = await child(run, { seq: at, committed });
    const again = await child(run);
    assert.equal(again.code, 0, `resume after a kill past seq ${at} (first exit ${killed.code}): ${again.stderr}`);
    assert.deepEqual(outputs(out), want, `the outputs after a kill past seq ${at}`);
    if (killed.code === null) {
      resumed++;
      assert.match(again.stderr, /tradeloop resume RESUMED \w+ from its journal: \d+ cycles replayed/);
    }
    const verify = await cli('verify', '--journal', p.url, '--session', session);
    assert.equal(verify.code, 0, verify.err);
  }
  assert.equal(resumed, 2, 'both kills landed mid-run');
});

test('--journal and --session refused by name, the password never shown: a URL that is not PostgreSQL, one without the other, an unsafe name, with --state', async (t) => {
  const state = tempDirSync(t, 'tl-pg-flags-');
  const pg = `postgres://u:${PASSWORD}@127.0.0.1:5432/db`;
  const cases: Array<[string[], RegExp]> = [
    [['run', '--journal', `mysql://u:${PASSWORD}@h/db`, '--session', 's'], /--journal mysql:\/\/\*\*\*@h\/db: expected a postgres:\/\/ URL/],
    [['run', '--journal', 'not a url', '--session', 's'], /--journal not a url: not a URL/],
    [['run', '--journal', pg], /--journal postgres:\/\/\*\*\*@127\.0\.0\.1:5432\/db needs --session NAME/],
    [['run', '--session', 'alpha'], /--session alpha: names a session in a PostgreSQL journal; give its database with --journal/],
    [['run', '--journal', pg, '--session', 'two words'], /--session "two words": a session name is 1 to 63 letters/],
    [['run', '--journal', pg, '--session', 'x'.repeat(64)], /a session name is 1 to 63/],
    [['run', '--journal', pg, '--session', 's', '--state', state], /--journal with --state: give one/],
    [['verify', '--session', 's'], /--session s: names a session in a PostgreSQL journal/],
    [['verify', state, '--journal', pg, '--session', 's'], /give a run folder or --journal URL --session NAME, not both/],
    [['export', '--journal', `http://u:${PASSWORD}@h/db`, '--session', 's'], /expected a postgres:\/\/ URL/],
    [['report', '--journal', pg], /needs --session NAME/],
  ];
  for (const [argv, want] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, want, argv.join(' '));
    assert.ok(!r.err.includes(PASSWORD), `${argv[0]}: the password is not shown`);
  }
});

test('a server out of reach refuses the start by name (exit 2), the password hidden', async (t) => {
  const out = join(tempDirSync(t, 'tl-pg-down-'), 'out');
  const r = await cli('run', '--data', SAMPLE, '--quiet', '--out', out, '--journal', `postgres://u:${PASSWORD}@127.0.0.1:1/db`, '--session', 's');
  assert.equal(r.code, 2, r.err);
  assert.match(
    r.err,
    /--journal: cannot open the journal: postgres:\/\/\*\*\*@127\.0\.0\.1:1\/db session s: cannot connect \(.*ECONNREFUSED.*\)\. Check that the server is up/,
  );
  assert.ok(!r.err.includes(PASSWORD));
  assert.ok(!existsSync(out));
});

test('a role the server does not have is named in the refusal (a user name is no secret), the password still hidden', { skip }, async (t) => {
  const out = join(tempDirSync(t, 'tl-pg-role-'), 'out');
  const u = new URL(withPassword(pgUrl()));
  u.username = 'no_such_role_tl';
  const r = await cli('run', '--data', SAMPLE, '--quiet', '--out', out, '--journal', u.toString(), '--session', 's');
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /cannot connect \(role "no_such_role_tl" does not exist\)/);
  assert.ok(!r.err.includes(PASSWORD));
  assert.ok(!existsSync(out), 'nothing left behind by a refused start');
});
