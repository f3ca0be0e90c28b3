/** The bar-source contract, run against every bar source tradeloop has. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CsvBarSource } from '../../src/feed/csv/csv-source.ts';
import { MemoryBarSource } from '../../src/feed/memory-bar-source.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { barSourceContract } from './bar-source.contract.ts';

barSourceContract('MemoryBarSource', async (_t, spec) => new MemoryBarSource(spec));

barSourceContract('CsvBarSource', async (t, spec) => {
  const dir = await tempDir(t, 'tl-contract-csv-');
  const files = new Map<string, string[]>();
  for (const symbol of spec.symbols) {
    const price = (ticks: number): string => (ticks / 1e8).toFixed(2);
    const rows = (spec.bars[symbol] ?? []).map(
      (b) => `${new Date(b.openTime).toISOString()},${price(b.open)},${price(b.high)},${price(b.low)},${price(b.close)},${b.volume}`,
    );
    const path = join(dir, `${symbol}.csv`);
    await writeFile(path, `timestamp,open,high,low,close,volume\n${rows.join('\n')}\n`);
    files.set(symbol, [path]);
  }
  return new CsvBarSource({
    symbols: spec.symbols,
    files,
    interval: '1m',
    zone: null,
    labelShiftMs: 0,
    onBadRow: 'fail',
    from: spec.from,
    windowMs: spec.windowMs,
  });
});
