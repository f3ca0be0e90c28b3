/**
 * The CSV floor as a program of its own: tradeloop's CsvBarSource (src/feed/csv/csv-source.ts of
 * the checkout named by --code) over the files, merging the symbols in time order, into a sink
 * that only counts. Prints {bars, readMs}: readMs from open() to the last row, the reading and
 * parsing alone (module loading and start-up excluded; the whole process is timed by the bench).
 *
 * Usage: node bench/lib/csv-floor.ts CODE_DIR DATA_DIR SYMBOL...
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [code, dataDir, ...symbols] = process.argv.slice(2);
const { CsvBarSource } = (await import(
  pathToFileURL(join(code!, 'src', 'feed', 'csv', 'csv-source.ts')).href
)) as typeof import('../../src/feed/csv/csv-source.ts');
const files = new Map(symbols.map((s) => [s, [join(dataDir!, `${s}.csv`)]]));
const started = performance.now();
const source = new CsvBarSource({ symbols, files, interval: '1m', zone: null, labelShiftMs: 0, onBadRow: 'fail', from: null, windowMs: null });
let bars = 0;
let other = 0;
await source.open();
await source.run({
  warmup: () => {
    other++;
  },
  bar: () => {
    bars++;
  },
  skip: () => {
    other++;
  },
});
const readMs = performance.now() - started;
if (other !== 0) throw new Error(`csv floor: ${other} warm-up or skipped rows in ${dataDir}; the bench data has none`);
process.stdout.write(JSON.stringify({ bars, readMs }) + '\n');
