/**
 * Figures read from the bars and decisions as they pass, O(1) work a bar and no allocation:
 * exposure (the share of bars that began with a position), a buy-and-hold benchmark of the run's
 * own symbols over its own bars, and gaps in the data.
 *
 * Buy and hold: the starting cash split equally between the symbols, each share bought at that
 * symbol's first bar close (a symbol that starts later keeps its share in cash until then) and held
 * to the end; fees and slippage ignored. Its value is start + Σ share × (close / firstClose − 1).
 *
 * A gap is bar time between two slices with no bar of any symbol that is longer than one day and
 * holds a whole weekday (Monday to Friday, 00:00–24:00 UTC): nights and weekends of a session
 * market are left out, a missing day of a 24/7 market or a missing trading day is reported.
 */
import { round } from './round.ts';

const DAY_MS = 86_400_000;

interface SymbolBars {
  bars: number;
  inPosition: number;
  firstClose: number;
  lastClose: number;
  /** openTime of the newest bar, and the bar before it with its close: the bars an order can have been decided on. */
  lastTime: number;
  prevTime: number;
  prevClose: number;
}

export interface Gap {
  /** End of the last bar before the gap, and the openTime of the first bar after it (ms). */
  readonly from: number;
  readonly to: number;
}

export class BarStats {
  private readonly symbols = new Map<string, SymbolBars>();
  private share = 0;
  private start = 0;
  private intervalMs = 0;
  /** The benchmark's value now (quote units, a float: it is a comparison, not an account). */
  benchmark = 0;
  private benchPeak = 0;
  private benchMaxDrawdown = 0;
  private sliceTime: number | null = null;
  private slices = 0;
  private slicesInPosition = 0;
  private sliceHeld = false;
  gaps = 0;
  largestGap: Gap | null = null;

  /** Every symbol trades around the clock (crypto pairs): a missing bar of any length is a gap, not a night. */
  private allDay = false;

  /** From run_start: the starting cash shared between `symbolCount` symbols. */
  begin(startCash: number, symbolCount: number, intervalMs: number, allDay = false): void {
    this.allDay = allDay;
    this.start = startCash;
    this.benchmark = startCash;
    this.benchPeak = startCash;
    this.share = symbolCount > 0 ? startCash / symbolCount : 0;
    this.intervalMs = intervalMs;
  }

  bar(symbol: string, openTime: number, close: number): void {
    if (openTime !== this.sliceTime) this.newSlice(openTime);
    let s = this.symbols.get(symbol);
    if (s === undefined) {
      s = { bars: 0, inPosition: 0, firstClose: close, lastClose: close, lastTime: Number.NaN, prevTime: Number.NaN, prevClose: close };
      this.symbols.set(symbol, s);
    }
    s.bars++;
    this.benchmark += (this.share * (close - s.lastClose)) / s.firstClose;
    s.prevTime = s.lastTime;
    s.prevClose = s.lastClose;
    s.lastTime = openTime;
    s.lastClose = close;
  }

  /**
   * The close (ticks) of the symbol's bar at `openTime`, the bar an order was decided on: the newest
   * bar, or the one before it (an order placed in a later cycle for an earlier decision). Any other
   * time (an operator's flatten between cycles carries the newest bar's) gets the newest close: the
   * price the order was placed against. Null before the symbol's first bar.
   */
  closeAt(symbol: string, openTime: number): number | null {
    const s = this.symbols.get(symbol);
    if (s === undefined) return null;
    return openTime === s.prevTime ? s.prevClose : s.lastClose;
  }

  /** A decision: `flat` when it began with no position in its symbol. */
  decision(symbol: string, flat: boolean): void {
    if (flat) return;
    const s = this.symbols.get(symbol);
    if (s) s.inPosition++;
    this.sliceHeld = true;
  }

  private newSlice(openTime: number): void {
    if (this.sliceTime !== null) {
      this.closeSlice();
      const from = this.sliceTime + this.intervalMs;
      // A 24/7 market has no nights: Binance's 150- and 284-minute maintenance halts are gaps too.
      if (this.allDay ? openTime > from : openTime - from > DAY_MS && holdsWeekday(from, openTime)) {
        this.gaps++;
        if (this.largestGap === null || openTime - from > this.largestGap.to - this.largestGap.from) this.largestGap = { from, to: openTime };
      }
    }
    this.sliceTime = openTime;
  }

  private closeSlice(): void {
    this.slices++;
    if (this.sliceHeld) this.slicesInPosition++;
    this.sliceHeld = false;
    if (this.benchmark > this.benchPeak) this.benchPeak = this.benchmark;
    const dd = this.benchPeak > 0 ? (this.benchPeak - this.benchmark) / this.benchPeak : 0;
    if (dd > this.benchMaxDrawdown) this.benchMaxDrawdown = dd;
  }

  /** Closes the last slice; call once when the bars end. */
  finish(): void {
    if (this.sliceTime !== null) this.closeSlice();
    this.sliceTime = null;
  }

  exposurePct(symbol?: string): number | null {
    if (symbol === undefined) return this.slices === 0 ? null : round((this.slicesInPosition / this.slices) * 100, 4);
    const s = this.symbols.get(symbol);
    return s === undefined || s.bars === 0 ? null : round((s.inPosition / s.bars) * 100, 4);
  }

  barsOf(symbol: string): number {
    return this.symbols.get(symbol)?.bars ?? 0;
  }

  /** A symbol's own buy-and-hold return: last close / first close − 1, in percent. */
  symbolReturnPct(symbol: string): number | null {
    const s = this.symbols.get(symbol);
    return s === undefined ? null : round((s.lastClose / s.firstClose - 1) * 100, 6);
  }

  get benchmarkReturnPct(): number {
    return this.start > 0 ? round((this.benchmark / this.start - 1) * 100, 6) : 0;
  }

  get benchmarkMaxDrawdownPct(): number {
    return round(this.benchMaxDrawdown * 100, 6);
  }
}

/** Whether [from, to] holds a whole UTC day that is a weekday. Three whole days always hold one. */
export function holdsWeekday(from: number, to: number): boolean {
  let day = Math.ceil(from / DAY_MS);
  for (let i = 0; i < 3 && (day + 1) * DAY_MS <= to; i++, day++) {
    // 1970-01-01 (day 0) was a Thursday: (day + 4) % 7 is 0 on Sundays.
    const weekday = (((day + 4) % 7) + 7) % 7;
    if (weekday >= 1 && weekday <= 5) return true;
  }
  return false;
}
