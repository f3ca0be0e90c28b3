/**
 * Folders and files another local user could have touched are not trusted: a state or out folder
 * others can write is refused with the fix; a link planted where the session writes (the log, a
 * temporary control file, the journal) never makes it write through the link; the CLI sends its
 * token only to a loopback URL from a control.json that is this user's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');
const BASE = ['--data', SAMPLE, '--minutes', '30'];

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (x) => (out += x), stderr: (x) => (err += x) }, {});
  return { code, out, err };
}

test('a --state or --out folder others can write is refused, naming the mode and chmod 700', async (t) => {
  const base = await tempDir(t, 'tl-trust-');
  const state = join(base, 'state');
  mkdirSync(state);
  chmodSync(state, 0o777);
  const r = await runCli(t, [...BASE, '--state', state]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--state .* can be written by every user \(mode 0777\).*chmod 700/);
  const out = join(base, 'out');
  mkdirSync(out);
  chmodSync(out, 0o775);
  let stderr = '';
  const code = await main(['run', ...BASE, '--out', out, '--quiet'], { stdout: () => {}, stderr: (x) => (stderr += x) }, {});
  assert.equal(code, 2);
  assert.match(stderr, /--out .* can be written by its group \(mode 0775\)/);
  assert.deepEqual(readdirSync(out), [], 'nothing was written there');
});

test('links planted where the session writes are never written through', async (t) => {
  const base = await tempDir(t, 'tl-links-');
  const victim = join(base, 'victim.txt');
  writeFileSync(victim, 'precious\n');
  // The event log.
  const out = join(base, 'out');
  mkdirSync(out);
  symlinkSync(victim, join(out, 'events.ndjson'));
  let stderr = '';
  assert.equal(await main(['run', ...BASE, '--out', out, '--quiet'], { stdout: () => {}, stderr: (x) => (stderr += x) }, {}), 2);
  assert.match(stderr, /events\.ndjson/);
  // The journal.
  const state = join(base, 'state');
  mkdirSync(state, { mode: 0o700 });
  symlinkSync(victim, join(state, 'journal.sqlite'));
  const r = await runCli(t, [...BASE, '--state', state]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /journal\.sqlite is a symbolic link/);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
});

test('a planted control.json.<pid>.tmp link does not receive the token', async (t) => {
  const base = await tempDir(t, 'tl-tmp-');
  const victim = join(base, 'victim.txt');
  writeFileSync(victim, 'precious\n');
  const state = join(base, 'state');
  mkdirSync(state, { mode: 0o700 });
  symlinkSync(victim, join(state, `control.json.${process.pid}.tmp`));
  const r = await runCli(t, [...BASE, '--state', state]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
});

test('the CLI refuses a control.json that points off loopback or that others can write, and sends no token', async (t) => {
  const state = await tempDir(t, 'tl-cj-');
  chmodSync(state, 0o700);
  writeFileSync(join(state, 'control.json'), JSON.stringify({ url: 'http://192.0.2.10:8080', token: 'secret-token', pid: process.pid }), { mode: 0o600 });
  const off = await cli('halt', '--state', state);
  assert.equal(off.code, 2);
  assert.match(off.err, /not this machine's loopback.*the token was not sent/);
  writeFileSync(join(state, 'control.json'), JSON.stringify({ url: 'http://127.0.0.1:9', token: 'secret-token', pid: process.pid }));
  chmodSync(join(state, 'control.json'), 0o666);
  const loose = await cli('status', '--state', state);
  assert.equal(loose.code, 2);
  assert.match(loose.err, /control\.json can be written by other users \(mode 0666\).*not sent/);
});
