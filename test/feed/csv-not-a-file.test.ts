/**
 * `--file` naming a FIFO or a device (directly or through a link) once hung forever without a word:
 * the run hashed its input before anything looked at it. Anything but a regular file is refused by
 * name, by the run and by the replay server alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runCliChild } from '../helpers/run-cli-child.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { loadReplayBars } from '../../src/replay/replay-bars.ts';

test('--file on a FIFO, /dev/zero or /dev/urandom (also through a link) is refused at once, naming it', async (t) => {
  const dir = await tempDir(t, 'tl-notfile-');
  const fifo = join(dir, 'pipe.csv');
  execFileSync('mkfifo', [fifo]);
  const link = join(dir, 'random.csv');
  symlinkSync('/dev/urandom', link);
  for (const [path, kind] of [
    [fifo, 'a FIFO'],
    ['/dev/zero', 'a character device'],
    [link, 'a character device'],
  ] as const) {
    const r = runCliChild(join(dir, `out-${Math.random()}`), ['--symbols', 'AAA', '--file', `AAA=${path}`], 10_000);
    assert.equal(r.signal, null, `hung on ${path}`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--file AAA=${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${kind}`));
  }
});

test('the replay server refuses them too', async (t) => {
  const dir = await tempDir(t, 'tl-notfile-rs-');
  const fifo = join(dir, 'pipe.csv');
  execFileSync('mkfifo', [fifo]);
  await assert.rejects(
    loadReplayBars({ symbols: ['AAA'], files: new Map([['AAA', [fifo]]]), interval: '1m', onBadRow: 'fail' }),
    /pipe\.csv \(for symbol AAA\) is a FIFO \(named pipe\), not a regular file/,
  );
});
