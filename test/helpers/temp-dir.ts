/** Temporary folders for fixtures and run outputs: one per test, removed after it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export async function tempDir(t: TestContext, prefix = 'tradeloop-feed-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes text to dir/name and returns the path. */
export async function fixture(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** ISO minute text "YYYY-MM-DD HH:MM:00" of a UTC instant, for building fixtures. */
export function isoMinute(ms: number, sep = ' '): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', sep);
}

/** Folders made by scratchDir in this test process, removed when it exits. */
const scratch: string[] = [];
process.on('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/**
 * A temporary folder for a test that has no TestContext at hand (a helper, a shared fixture): it
 * is removed when the test file's process exits, so a full run leaves no folder behind.
 */
export function scratchDir(prefix = 'tradeloop-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** tempDir without the await: for a test that names its folder before anything else (removed after the test). */
export function tempDirSync(t: TestContext, prefix = 'tradeloop-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
