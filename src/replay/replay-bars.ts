/**
 * The replay server's data: every symbol's bars, loaded once through the csv source (so a file
 * reads exactly as `run --source csv` reads it), kept as columns of numbers per symbol, and cut
 * into slices (the bars of all symbols that share one openTime, in --symbols order).
 *
 * Binance fields a CSV of OHLCV does not carry (trade ids and count, quote and taker volumes) are
 * derived from the bar, deterministically, so every client and every REST call sees the same kline.
 */
import type { Bar } from '../domain/types.ts';
import type { SkipEvent } from '../events/types.ts';
import type { BarSink } from '../feed/bar-sink.ts';
import { CsvBarSource } from '../feed/csv/csv-source.ts';
import type { KlineState } from './kline-format.ts';

export class BarSeries {
  readonly symbol: string;
  readonly openTime: number[] = [];
  readonly closeTime: number[] = [];
  readonly open: number[] = [];
  readonly high: number[] = [];
  readonly low: number[] = [];
  readonly close: number[] = [];
  readonly volume: number[] = [];
  readonly trades: number[] = [];
  readonly firstTradeId: number[] = [];
  /** Trade ids run on across bars, as Binance's do; the next bar's first id. */
  private nextTradeId = 1;

  constructor(symbol: string) {
    this.symbol = symbol;
  }

  get length(): number {
    return this.openTime.length;
  }

  /** Trades over all bars: how far a looped pass moves the trade ids on. */
  get totalTrades(): number {
    return this.nextTradeId - 1;
  }

  push(bar: Bar): void {
    this.openTime.push(bar.openTime);
    this.closeTime.push(bar.closeTime);
    this.open.push(bar.open);
    this.high.push(bar.high);
    this.low.push(bar.low);
    this.close.push(bar.close);
    this.volume.push(bar.volume);
    // One trade per whole unit of volume, at least one when anything traded: a plausible count.
    const trades = bar.volume > 0 ? Math.max(1, Math.round(bar.volume)) : 0;
    this.trades.push(trades);
    this.firstTradeId.push(this.nextTradeId);
    this.nextTradeId += trades;
  }

  /** First index whose openTime is >= time (length when none). */
  lowerBound(time: number): number {
    let lo = 0;
    let hi = this.openTime.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.openTime[mid]! < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The kline of bar `i` after `fraction` of it has traded (1 = final). The close walks in a
   * straight line from the open toward the final close, so high and low are the running max/min
   * of the open and that close; volume, trades and quote volumes grow in proportion.
   */
  kline(i: number, fraction: number): KlineState {
    const open = this.open[i]!;
    const final = fraction >= 1;
    const close = final ? this.close[i]! : open + Math.round((this.close[i]! - open) * fraction);
    const volume = final ? this.volume[i]! : this.volume[i]! * fraction;
    const allTrades = this.trades[i]!;
    const trades = final ? allTrades : Math.floor(allTrades * fraction);
    const first = this.firstTradeId[i]!;
    const high = final ? this.high[i]! : Math.max(open, close);
    const low = final ? this.low[i]! : Math.min(open, close);
    // Quote volume at the bar's typical price; taker buys are half of each side.
    const quoteVolume = (volume * (open + high + low + close)) / 4e8;
    return {
      openTime: this.openTime[i]!,
      closeTime: this.closeTime[i]!,
      firstTradeId: trades > 0 ? first : -1,
      lastTradeId: trades > 0 ? first + trades - 1 : -1,
      open,
      high,
      low,
      close,
      volume,
      trades,
      quoteVolume,
      takerBuyVolume: volume / 2,
      takerBuyQuoteVolume: quoteVolume / 2,
    };
  }
}

/**
 * Slices, flat: slice j holds entries [start[j], start[j + 1]); entry e is bar `bar[e]` of
 * `series[symbol[e]]`. Flat number arrays rather than an object per slice: a month of minutes
 * over several symbols stays a few megabytes.
 */
export interface Slices {
  readonly count: number;
  readonly openTime: readonly number[];
  readonly start: readonly number[];
  readonly symbol: readonly number[];
  readonly bar: readonly number[];
}

export interface ReplayBars {
  readonly symbols: readonly string[];
  readonly interval: string;
  /** Same order as `symbols`. */
  readonly series: readonly BarSeries[];
  readonly slices: Slices;
  /** Rows the csv source skipped (malformed with onBadRow 'skip', duplicates, out of order). */
  readonly skippedRows: number;
}

export interface LoadOptions {
  readonly symbols: readonly string[];
  readonly files: ReadonlyMap<string, readonly string[]>;
  readonly interval: string;
  readonly onBadRow: 'fail' | 'skip';
}

/** Reads every file; throws DataError (from the csv source) naming the first bad file or row. */
export async function loadReplayBars(options: LoadOptions): Promise<ReplayBars> {
  const series = options.symbols.map((s) => new BarSeries(s));
  const bySymbol = new Map(series.map((s) => [s.symbol, s] as const));
  let skippedRows = 0;
  const sink: BarSink = {
    warmup: (bar) => bySymbol.get(bar.symbol)!.push(bar),
    bar: (bar) => bySymbol.get(bar.symbol)!.push(bar),
    skip: (_event: SkipEvent) => {
      skippedRows++;
    },
  };
  const source = new CsvBarSource({
    symbols: options.symbols,
    files: options.files,
    from: null,
    windowMs: null,
    interval: options.interval,
    zone: null,
    labelShiftMs: 0,
    onBadRow: options.onBadRow,
  });
  await source.open();
  await source.run(sink);
  return { symbols: options.symbols, interval: options.interval, series, slices: buildSlices(series), skippedRows };
}

/** Merges the per-symbol columns (each ascending) into slices, symbols in their given order. */
export function buildSlices(series: readonly BarSeries[]): Slices {
  const next = series.map(() => 0);
  const openTime: number[] = [];
  const start: number[] = [0];
  const symbol: number[] = [];
  const bar: number[] = [];
  for (;;) {
    let time = Infinity;
    for (let s = 0; s < series.length; s++) {
      const t = series[s]!.openTime[next[s]!];
      if (t !== undefined && t < time) time = t;
    }
    if (time === Infinity) return { count: openTime.length, openTime, start, symbol, bar };
    openTime.push(time);
    for (let s = 0; s < series.length; s++) {
      const at = next[s]!;
      if (series[s]!.openTime[at] === time) {
        symbol.push(s);
        bar.push(at);
        next[s] = at + 1;
      }
    }
    start.push(symbol.length);
  }
}
