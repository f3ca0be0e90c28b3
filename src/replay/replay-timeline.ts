/**
 * Where the tape's bars sit in time, once or looped. With --loop the tape plays its slices again
 * and again, each pass shifted forward by the tape's span rounded up to whole intervals, so a
 * client never sees an openTime go backwards and REST can serve every pass by time.
 *
 * Bars are numbered per symbol on one line that runs across passes ("virtual" indexes): bars
 * [0, n) are the file as loaded (history before --start, then pass 0), and each later pass adds the
 * n - h tape bars again (h: the symbol's history bars, which play once). Indexes grow with time,
 * so "bars [0, closed) are closed" stays one number per symbol, as without a loop.
 */
import { nominalIntervalMs } from '../domain/interval.ts';
import type { KlineState } from './kline-format.ts';
import type { BarSeries, ReplayBars } from './replay-bars.ts';

/** What REST and the tape read bars from: a symbol's klines by virtual index. */
export interface KlineSource {
  /** First virtual index whose openTime is >= time. */
  lowerBound(time: number): number;
  kline(index: number, fraction: number): KlineState;
}

class LoopedSeries implements KlineSource {
  private readonly series: BarSeries;
  private readonly history: number;
  private readonly base: number;
  private readonly shiftMs: number;
  private readonly tradeShift: number;

  constructor(series: BarSeries, history: number, base: number, shiftMs: number) {
    this.series = series;
    this.history = history;
    this.base = base;
    this.shiftMs = shiftMs;
    this.tradeShift = series.totalTrades;
  }

  lowerBound(time: number): number {
    const s = this.series;
    const n = s.length;
    const per = n - this.history;
    if (per === 0 || time < this.base + this.shiftMs) return s.lowerBound(time);
    const pass = Math.floor((time - this.base) / this.shiftMs);
    // time - pass × shift falls in pass 0's window, at or after the tape's first bar: j >= history.
    const j = s.lowerBound(time - pass * this.shiftMs);
    return n + (pass - 1) * per + (j - this.history);
  }

  kline(index: number, fraction: number): KlineState {
    const s = this.series;
    const n = s.length;
    if (index < n) return s.kline(index, fraction);
    const per = n - this.history;
    const pass = 1 + Math.floor((index - n) / per);
    const k = s.kline(this.history + ((index - n) % per), fraction);
    const dt = pass * this.shiftMs;
    // Trade ids run on across passes too, as they would on an exchange.
    const di = pass * this.tradeShift;
    return {
      ...k,
      openTime: k.openTime + dt,
      closeTime: k.closeTime + dt,
      firstTradeId: k.firstTradeId < 0 ? -1 : k.firstTradeId + di,
      lastTradeId: k.lastTradeId < 0 ? -1 : k.lastTradeId + di,
    };
  }
}

export class TapeTimeline {
  readonly bars: ReplayBars;
  /** The first slice the tape plays; earlier ones are history, closed before it starts. */
  readonly firstSlice: number;
  readonly loop: boolean;
  /** Slices per pass. */
  readonly slicesPerPass: number;
  /** Bars (all symbols) per pass. */
  readonly barsPerPass: number;
  /** Data time between two passes: the tape's span rounded up to whole intervals; 0 without a loop. */
  readonly shiftMs: number;
  /** Per symbol, in --symbols order. */
  readonly sources: readonly KlineSource[];
  private readonly historyCounts: readonly number[];
  private readonly lengths: readonly number[];

  constructor(bars: ReplayBars, startAt: number | null, loop: boolean) {
    if (loop && bars.interval === '1M')
      throw new RangeError('loop with interval 1M: months differ in length, so a looped tape cannot keep its bars on month boundaries.');
    const slices = bars.slices;
    let first = 0;
    if (startAt !== null) while (first < slices.count && slices.openTime[first]! < startAt) first++;
    this.bars = bars;
    this.firstSlice = first;
    this.loop = loop;
    this.slicesPerPass = slices.count - first;
    this.barsPerPass = slices.start[slices.count]! - slices.start[first]!;
    this.historyCounts = bars.series.map((s) => (startAt === null ? 0 : s.lowerBound(startAt)));
    this.lengths = bars.series.map((s) => s.length);
    let shift = 0;
    if (loop && this.slicesPerPass > 0) {
      const step = nominalIntervalMs(bars.interval);
      const span = slices.openTime[slices.count - 1]! + step - slices.openTime[first]!;
      shift = Math.ceil(span / step) * step;
    }
    this.shiftMs = shift;
    const base = this.slicesPerPass > 0 ? slices.openTime[first]! : 0;
    this.sources = shift === 0 ? bars.series : bars.series.map((s, i) => new LoopedSeries(s, this.historyCounts[i]!, base, shift));
  }

  /** Bars of symbol `s` closed before the tape starts (history before --start). */
  history(s: number): number {
    return this.historyCounts[s]!;
  }

  /** The virtual index of bar `bar` of symbol `s` in pass `pass`. */
  index(s: number, bar: number, pass: number): number {
    if (pass === 0) return bar;
    const n = this.lengths[s]!;
    const h = this.historyCounts[s]!;
    return n + (pass - 1) * (n - h) + (bar - h);
  }
}
