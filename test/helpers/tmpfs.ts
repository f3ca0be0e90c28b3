/**
 * A small tmpfs for tests of full and read-only disks: `mount -t tmpfs -o size=1m` needs root (or
 * CAP_SYS_ADMIN). Where it cannot be mounted (CI without privileges) the test is skipped, visibly,
 * with the reason. Unmounted and removed after the test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Mounts a tmpfs with these options (e.g. 'size=1m', 'ro,size=1m'); null (test skipped) when it cannot. */
export function mountTmpfs(t: TestContext, options: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'tradeloop-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
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
