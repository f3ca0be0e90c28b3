/**
 * A static run whose disk fills up, or whose --out cannot be written, must end promptly with a
 * message naming the file and the cause: exit 1 with summary.json when the log fails mid-run,
 * exit 2 naming --out when the folder is unusable from the start (found before any bar is read).
 * Runs go in a child process with a deadline: a run that hangs fails the test instead of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCliChild } from '../helpers/run-cli-child.ts';
import { runDirWithDevFull, fillDisk, mountTmpfs } from '../helpers/tmpfs.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');
const noDevFull = existsSync('/dev/full') ? false : 'no /dev/full on this system (Linux has it)';

/** A minute-bar CSV of `rows` rows: enough that its event log is many times a 1 MiB disk. */
function writeBars(path: string, rows: number): void {
  const lines = ['timestamp,open,high,low,close,volume'];
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < rows; i++) {
    const p = 100 + (i % 50) / 10;
    lines.push(`${new Date(start + i * 60_000).toISOString().slice(0, 19)}Z,${p},${p + 1},${p - 1},${p},${i % 97}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

/** The run's files on the full disk: whichever of them hits it first is the one named. */
const RUN_FILE = /\/run\/(events\.ndjson|trades\.csv|equity\.csv)/;

function assertLogFailure(r: ReturnType<typeof runCliChild>, cause: RegExp, file = RUN_FILE): void {
  assert.equal(r.signal, null, `the run hung and was killed: ${r.stderr}`);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, file);
  assert.match(r.stderr, cause);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a message, not a stack trace');
  assert.ok(r.summary !== null, 'summary.json is written');
  assert.equal(r.summary.status, 'error');
  assert.match(String(r.summary.error), file);
}

test('a full disk under the event log ends the run with exit 1, naming the file and ENOSPC; summary.json is kept', async (t) => {
  const disk = mountTmpfs(t, 'size=1m');
  if (disk === null) return;
  const data = await tempDir(t);
  writeBars(join(data, 'AAA.csv'), 40_000);
  const r = runCliChild(join(disk, 'run'), ['--symbols', 'AAA', '--data', data]);
  assertLogFailure(r, /ENOSPC/);
  const log = readFileSync(join(disk, 'run', 'events.ndjson'), 'utf8');
  assert.match(log.slice(0, 200), /^\{"seq":1,"type":"run_start"/, 'the events before the failure stay');
});

test('the disk filling up during the run: the bundled sample fills 1 MiB part-way, and the run says so', async (t) => {
  const disk = mountTmpfs(t, 'size=1m');
  if (disk === null) return;
  assertLogFailure(runCliChild(join(disk, 'run'), ['--data', SAMPLE]), /ENOSPC/);
});

test('an event log that cannot take a single byte (/dev/full) ends the run with exit 1 and summary.json', { skip: noDevFull }, async (t) => {
  const out = runDirWithDevFull(t, 'events.ndjson');
  if (out === null) return;
  assertLogFailure(runCliChild(out, ['--data', SAMPLE]), /ENOSPC/, /events\.ndjson/);
});

test('equity.csv that cannot be written (/dev/full) ends the run with exit 1 naming it, not a crash', { skip: noDevFull }, async (t) => {
  const out = runDirWithDevFull(t, 'equity.csv');
  if (out === null) return;
  assertLogFailure(runCliChild(out, ['--data', SAMPLE]), /ENOSPC/, /equity\.csv/);
  const log = readFileSync(join(out, 'events.ndjson'), 'utf8');
  assert.match(log, /"type":"run_end"/, 'the event log itself is whole and ends with run_end');
});

test('a read-only --out is refused before any bar is read: exit 2 naming --out', async (t) => {
  // root ignores permission bits, so as root the folder is a read-only tmpfs (EROFS).
  let out: string | null;
  if (process.getuid?.() === 0) out = mountTmpfs(t, 'ro,size=1m');
  else {
    out = join(await tempDir(t), 'readonly');
    mkdirSync(out);
    chmodSync(out, 0o555);
    t.after(() => chmodSync(out!, 0o755));
  }
  if (out === null) return;
  // A bad row on line 2: had any bar been read, this would be a data error (exit 1) instead.
  const data = await tempDir(t);
  writeFileSync(join(data, 'AAA.csv'), 'timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,x,1,1\n');
  const r = runCliChild(out, ['--symbols', 'AAA', '--data', data]);
  assert.equal(r.signal, null, `the run hung: ${r.stderr}`);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(r.stderr.includes(`--out ${out}`), r.stderr);
  assert.doesNotMatch(r.stderr, /AAA\.csv:2/);
});

test('a disk already full at the start is refused before the run: exit 2 naming --out', async (t) => {
  const disk = mountTmpfs(t, 'size=1m');
  if (disk === null) return;
  fillDisk(disk);
  const r = runCliChild(join(disk, 'run'), ['--data', SAMPLE]);
  assert.equal(r.signal, null, `the run hung: ${r.stderr}`);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(r.stderr.includes(`--out ${join(disk, 'run')}`), r.stderr);
  assert.match(r.stderr, /ENOSPC/);
});

test('an --out (or --state) where no folder can be made (/proc/x) is refused at once, exit 2, not an endless mkdir', {
  skip: existsSync('/proc/self') ? false : 'no /proc on this system',
}, async (t) => {
  const out = runCliChild('/proc/tradeloop-no-such/run', ['--data', SAMPLE], 15_000);
  assert.equal(out.signal, null, 'it did not hang');
  assert.equal(out.code, 2, out.stderr);
  assert.match(out.stderr, /--out \/proc\/tradeloop-no-such\/run/);
  const state = runCliChild(join(await tempDir(t), 'run'), ['--data', SAMPLE, '--state', '/proc/tradeloop-no-such'], 15_000);
  assert.equal(state.signal, null, 'it did not hang');
  assert.equal(state.code, 2, state.stderr);
  assert.match(state.stderr, /--state \/proc\/tradeloop-no-such/);
});
