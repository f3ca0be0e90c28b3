/** The golden run: bundled data, default strategy, fixed options. Shared by the test and the updater. */
import { join } from 'node:path';

export const GOLDEN_DIR = join(import.meta.dirname, 'sample-sma-cross');

export function goldenArgs(out: string): string[] {
  return ['run', '--source', 'csv', '--symbols', 'SPY,QQQ', '--data', join(import.meta.dirname, '..', '..', 'data', 'sample'),
    '--strategy', 'sma-cross', '--cash', '100000', '--fee-bps', '1', '--slippage-bps', '1', '--out', out, '--quiet'];
}
