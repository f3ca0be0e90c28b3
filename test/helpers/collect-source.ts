/** Drives CsvBarSource into arrays, so tests can look at exactly what a source delivered. */
import { join } from 'node:path';
import type { Bar } from '../../src/domain/types.ts';
import type { SkipEvent } from '../../src/events/types.ts';
import { CsvBarSource, type CsvSourceOptions } from '../../src/feed/csv/csv-source.ts';

export type Delivered = { kind: 'bar'; bar: Bar } | { kind: 'warmup'; bar: Bar } | { kind: 'skip'; skip: SkipEvent };

export interface Collected {
  readonly source: CsvBarSource;
  readonly bars: Bar[];
  readonly warmups: Bar[];
  readonly skips: SkipEvent[];
  /** Everything in delivery order. */
  readonly delivered: Delivered[];
  readonly warmupBars: Readonly<Record<string, number>> | null;
  /** What open() or run() threw, if anything. */
  readonly error: Error | null;
}

export type SourceInput = Partial<CsvSourceOptions> & { readonly files: ReadonlyMap<string, readonly string[]> };

/** One file per symbol, `dir/SYMBOL.csv`, in the symbols' order. */
export function filesIn(dir: string, symbols: readonly string[]): Map<string, string[]> {
  return new Map(symbols.map((s) => [s, [join(dir, `${s}.csv`)]]));
}

/** A source over `files` (symbols in the map's order unless given), with 1m bars, no window, bad rows failing. */
export function csvSource(input: SourceInput): CsvBarSource {
  return new CsvBarSource({
    interval: '1m',
    zone: null,
    labelShiftMs: 0,
    onBadRow: 'fail',
    from: null,
    windowMs: null,
    ...input,
    symbols: input.symbols ?? [...input.files.keys()],
  });
}

export async function collect(input: SourceInput): Promise<Collected> {
  const source = csvSource(input);
  const bars: Bar[] = [];
  const warmups: Bar[] = [];
  const skips: SkipEvent[] = [];
  const delivered: Delivered[] = [];
  let warmupBars: Readonly<Record<string, number>> | null = null;
  let error: Error | null = null;
  try {
    await source.open();
    const result = await source.run({
      warmup: (bar) => {
        warmups.push(bar);
        delivered.push({ kind: 'warmup', bar });
      },
      bar: (bar) => {
        bars.push(bar);
        delivered.push({ kind: 'bar', bar });
      },
      skip: (skip) => {
        skips.push(skip);
        delivered.push({ kind: 'skip', skip });
      },
    });
    warmupBars = result.warmupBars;
  } catch (err) {
    error = err as Error;
  }
  return { source, bars, warmups, skips, delivered, warmupBars, error };
}

/** One symbol, one file. */
export function oneFile(symbol: string, path: string, extra: Partial<CsvSourceOptions> = {}): SourceInput {
  return { ...extra, files: new Map([[symbol, [path]]]) };
}
