/**
 * A small tmpfs for tests of full and read-only disks: `mount -t tmpfs -o size=1m` needs root (or
 * CAP_SYS_ADMIN). Where it cannot be mounted (CI without privileges) the test is skipped, visibly,
 * with the reason. Unmounted and removed after the test.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Mounts a tmpfs with these options (e.g. 'size=1m', 'ro,size=1m'); null (test skipped) when it cannot. */
export function mountTmpfs(t: TestContext, options: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'tradeloop-tmpfs-'));
  // Private, as a session's folders must be (a tmpfs root is 1777 by default, which a session refuses).
  const withMode = /(^|,)mode=/.test(options) ? options : `${options},mode=0700`;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', withMode, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    t.skip(`cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): ${(r.stderr || r.error?.message || '').trim()}`);
    return null;
  }
  t.after(() => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes zeros into dir/name until the file system is full. */
export function fillDisk(dir: string, name = 'filler'): void {
  const fd = openSync(join(dir, name), 'w');
  const block = Buffer.alloc(16_384);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

/**
 * A new folder `run` (in a temporary folder of its own) whose file `name` fails every write with
 * ENOSPC: /dev/full bind-mounted over it (a mount, not a link: the session never writes through a
 * link). Needs root; otherwise the test is skipped with the reason (null). Unmounted, then
 * removed, after the test.
 */
export function runDirWithDevFull(t: TestContext, name: string): string | null {
  const base = mkdtempSync(join(tmpdir(), 'tradeloop-devfull-'));
  const run = join(base, 'run');
  mkdirSync(run);
  const path = join(run, name);
  closeSync(openSync(path, 'w'));
  const r = spawnSync('mount', ['--bind', '/dev/full', path], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(base, { recursive: true, force: true });
    t.skip(`cannot bind-mount /dev/full here (needs root): ${(r.stderr || r.error?.message || '').trim()}`);
    return null;
  }
  t.after(() => {
    spawnSync('umount', [path]);
    rmSync(base, { recursive: true, force: true });
  });
  return run;
}
