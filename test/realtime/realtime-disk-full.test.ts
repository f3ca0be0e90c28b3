/**
 * A realtime session whose event log cannot be written (a full disk, /dev/full) ends cleanly: the
 * feed is stopped, summary.json says what failed, exit 1, and nothing crashes out of a socket
 * callback. Before, the failed write was thrown from the loop's turn and took the process down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bar, FakeBinance, until } from '../helpers/fake-binance.ts';
import { startRealtime } from '../helpers/realtime-harness.ts';
import { runDirWithDevFull, fillDisk, mountTmpfs } from '../helpers/tmpfs.ts';
import { main } from '../../src/cli/main.ts';

const noDevFull = existsSync('/dev/full') ? false : 'no /dev/full on this system (Linux has it)';

function summaryOf(outDir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as Record<string, unknown>;
}

test('the disk filling up mid-session ends the session with exit 1; summary.json names the file and ENOSPC', async (t) => {
  const disk = mountTmpfs(t, 'size=1m');
  if (disk === null) return;
  const fake = await FakeBinance.start(['BTCUSDT']);
  t.after(() => fake.close());
  const outDir = join(disk, 'run');
  const run = await startRealtime({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, args: ['--symbols', 'BTCUSDT'], outDir });
  t.after(() => run.stop());
  let ended: number | null = null;
  void run.done.then((code) => (ended = code));
  await fake.waitForConnections(1);
  fake.sendKline(bar('BTCUSDT', 0, 100), true);
  await run.waitFor('1 decision', (r) => r.of('decision').length === 1);
  fillDisk(disk);
  // The log's last page may still have room for a few lines: send more than a page of them.
  for (let m = 1; m <= 20; m++) fake.sendKline(bar('BTCUSDT', m, 100 + m), true);
  await until(() => ended !== null, 'the session ended by itself', 10_000);
  assert.equal(ended, 1);
  const summary = summaryOf(outDir);
  assert.equal(summary.status, 'error');
  // The event log and the tables share the disk: whichever fills first is named.
  assert.match(String(summary.error), /(events\.ndjson|trades\.csv|equity\.csv)/);
  assert.match(String(summary.error), /ENOSPC/);
  assert.match(run.stdout.join(''), /(events\.ndjson|trades\.csv|equity\.csv)/);
  // The last line may be cut where the disk filled; every line before it is whole.
  const lines = readFileSync(join(outDir, 'events.ndjson'), 'utf8').split('\n').slice(0, -1);
  assert.ok(
    lines.map((l) => JSON.parse(l) as { type: string }).filter((e) => e.type === 'decision').length >= 1,
    'what was written before the disk filled stays',
  );
});

test('an event log that takes no byte (/dev/full) ends the session at its first write, exit 1, summary.json kept', { skip: noDevFull }, async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  t.after(() => fake.close());
  const outDir = runDirWithDevFull(t, 'events.ndjson');
  if (outDir === null) return;
  const run = await startRealtime({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, args: ['--symbols', 'BTCUSDT'], outDir }).catch((err: Error) => err);
  // It may end before the harness sees it start; either way the exit code and the summary say why.
  const code = run instanceof Error ? Number(/exit (\d+)/.exec(run.message)?.[1]) : await run.done;
  assert.equal(code, 1);
  const summary = summaryOf(outDir);
  assert.equal(summary.status, 'error');
  assert.match(String(summary.error), /ENOSPC/);
});

test('equity.csv that takes no byte (/dev/full) ends the session with exit 1 naming it; nothing is thrown out of the loop', { skip: noDevFull }, async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  t.after(() => fake.close());
  const outDir = runDirWithDevFull(t, 'equity.csv');
  if (outDir === null) return;
  const run = await startRealtime({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, args: ['--symbols', 'BTCUSDT'], outDir });
  t.after(() => run.stop());
  await fake.waitForConnections(1);
  // The table's header waits in its buffer: the first decided bar's turn flushes it, and fails.
  fake.sendKline(bar('BTCUSDT', 0, 100), true);
  fake.sendKline(bar('BTCUSDT', 1, 101), true);
  const code = await run.done;
  assert.equal(code, 1);
  const summary = summaryOf(outDir);
  assert.equal(summary.status, 'error');
  assert.match(String(summary.error), /equity\.csv/);
  assert.match(String(summary.error), /ENOSPC/);
});

test('a read-only --out is refused before the session starts: exit 2 naming --out', async (t) => {
  const out = mountTmpfs(t, 'ro,size=1m');
  if (out === null) return;
  let stderr = '';
  // Nothing listens at these URLs: a refusal that comes first never reaches them.
  const code = await main(
    ['run', '--source', 'realtime', '--ws-url', 'ws://127.0.0.1:9', '--rest-url', 'http://127.0.0.1:9', '--out', out],
    {
      stdout: () => {},
      stderr: (text) => {
        stderr += text;
      },
    },
    { FLAG_REALTIME: '1' },
  );
  assert.equal(code, 2, stderr);
  assert.ok(stderr.includes(`--out ${out}`), stderr);
  assert.match(stderr, /EROFS/);
});
