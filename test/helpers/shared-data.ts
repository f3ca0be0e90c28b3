/**
 * Where the real market data lives: ../shared/data next to the repository (see its README for
 * each file's facts). The data is third-party and never committed, so a checkout without it skips
 * the real-data tests with a visible reason instead of failing.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDataDir = resolve(repoRoot, '..', 'shared', 'data');

/** The path of a file under ../shared/data, e.g. dataFile('binance', 'BTCUSDT_1m_….csv'). */
export function dataFile(...parts: string[]): string {
  return join(sharedDataDir, ...parts);
}

/**
 * A node:test `skip` value: false when every named file exists, else the reason the test is
 * skipped (node:test prints it next to the test name).
 */
export function skipUnlessData(...files: string[]): string | false {
  if (!existsSync(sharedDataDir)) return `real market data not found: ${sharedDataDir} is absent (it sits next to the repo as ../shared/data)`;
  const missing = files.filter((f) => !existsSync(f));
  return missing.length === 0 ? false : `real market data file missing: ${missing.join(', ')}`;
}
