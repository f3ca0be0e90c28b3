/**
 * What writing an event's quantities needs beyond the event: each symbol's lot step. Events carry
 * quantities as integer lots (the broker's own numbers); the serializers write them as the
 * decimal quantity in asset units, and take this at construction, built from the run's
 * instruments, or from run_start's lotSizes when reading a log.
 */
import { formatLotsText, lotStepDecimals } from '../domain/lots.ts';

export class LotSteps {
  private readonly bySymbol: ReadonlyMap<string, number>;

  constructor(decimalsBySymbol: ReadonlyMap<string, number>) {
    this.bySymbol = decimalsBySymbol;
  }

  /** From instruments (the loop's, the journal's): anything with a symbol's lotDecimals. */
  static of(instruments: ReadonlyMap<string, { readonly lotDecimals: number }>): LotSteps {
    return new LotSteps(new Map([...instruments].map(([symbol, inst]) => [symbol, inst.lotDecimals])));
  }

  /** From run_start's lotSizes ({ SPY: "1", BTCUSDT: "0.00001" }). */
  static fromLotSizes(lotSizes: Readonly<Record<string, string>>): LotSteps {
    const out = new Map<string, number>();
    for (const [symbol, step] of Object.entries(lotSizes)) {
      const decimals = lotStepDecimals(step);
      if (decimals === null) throw new Error(`run_start: lot size ${JSON.stringify(step)} of ${symbol} is not a power of ten from 1 to 0.00000001`);
      out.set(symbol, decimals);
    }
    return new LotSteps(out);
  }

  has(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  /** Decimals of the symbol's lot step; a symbol without one is a bug (every traded symbol has an instrument). */
  decimals(symbol: string): number {
    const d = this.bySymbol.get(symbol);
    if (d === undefined) throw new Error(`no lot step for ${JSON.stringify(symbol)}`);
    return d;
  }

  /**
   * Lots as the log writes them: whole lots in asset units; a count that is not a whole number
   * (only a refused order's, as a strategy gave it) as the number it is.
   */
  text(symbol: string, lots: number): string {
    return Number.isSafeInteger(lots) ? formatLotsText(lots, this.decimals(symbol)) : String(lots);
  }

  /** Each symbol and its decimals, for a thread that writes the log (plain data crosses threads). */
  entries(): Array<[string, number]> {
    return [...this.bySymbol];
  }
}
