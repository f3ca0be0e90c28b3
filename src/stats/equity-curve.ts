/**
 * The equity curve, sampled once per slice (after the slice's orders) by the engine, with memory
 * flat whatever the run's length: the running peak and maximum drawdown, and the running moments
 * of slice returns for Sharpe and Sortino (Welford's mean and variance; the downside's sum of
 * squares). A listener, when set, gets each sample (equity.csv, the dashboard).
 *
 * Observations: e0 = starting equity, e_i = equity at the end of slice i, returns r_i = e_i/e_{i-1} − 1.
 * They are annualised by the cadence the bars actually show: returns per year = n / (span in
 * years), span = from the first slice's openTime to the end of the last slice (its openTime + the
 * interval). Nights, weekends and gaps are in the span, so session-only data is not overstated.
 */
import { annualised, type Figure } from './ratios.ts';
import { round } from './round.ts';

/** What the curve reads from the account at each sample (the paper broker). */
export interface EquitySource {
  equity(): bigint;
  readonly cash: bigint;
  /** Σ |marketValue| over symbols other than the one named ('' : all). */
  grossExcept(symbol: string): bigint;
}

export interface EquitySample {
  readonly time: number;
  readonly equity: bigint;
  readonly cash: bigint;
  readonly grossExposure: bigint;
  readonly drawdownPct: number;
}

export const MS_PER_YEAR = 365.25 * 86_400_000;
/** Fewer returns than this, or a shorter span, and Sharpe/Sortino/CAGR are not computed. */
export const MIN_RETURNS = 30;
export const MIN_SPAN_MS = 86_400_000;

export class EquityCurve {
  /** Bar interval (ms) for the span's last slice; set by whoever knows it (0: spans end at the last openTime). */
  intervalMs = 0;
  listener: ((sample: EquitySample) => void) | null = null;
  private readonly source: EquitySource;
  private readonly start: number;
  private peak: number;
  private last: number;
  private lastEquity: bigint;
  private maxDrawdown = 0;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private downside = 0;
  private firstTime: number | null = null;
  private lastTime: number | null = null;

  constructor(source: EquitySource) {
    this.source = source;
    this.lastEquity = source.equity();
    this.start = Number(this.lastEquity);
    this.peak = this.start;
    this.last = this.start;
  }

  /** The equity at the end of the slice that opened at `time`. */
  sample(time: number): void {
    const equity = this.source.equity();
    const e = Number(equity);
    if (this.firstTime === null) this.firstTime = time;
    this.lastTime = time;
    if (this.last !== 0) {
      const r = (e - this.last) / this.last;
      this.n++;
      const d = r - this.mean;
      this.mean += d / this.n;
      this.m2 += d * (r - this.mean);
      if (r < 0) this.downside += r * r;
    }
    this.last = e;
    this.lastEquity = equity;
    if (e > this.peak) this.peak = e;
    const dd = this.peak > 0 ? (this.peak - e) / this.peak : 0;
    if (dd > this.maxDrawdown) this.maxDrawdown = dd;
    this.listener?.({ time, equity, cash: this.source.cash, grossExposure: this.source.grossExcept(''), drawdownPct: round(dd * 100, 6) });
  }

  get samples(): number {
    return this.n;
  }

  get maxDrawdownPct(): number {
    return round(this.maxDrawdown * 100, 6);
  }

  /** Bar time the samples cover (ms); 0 before any. */
  get spanMs(): number {
    return this.firstTime === null || this.lastTime === null ? 0 : this.lastTime + this.intervalMs - this.firstTime;
  }

  get from(): number | null {
    return this.firstTime;
  }

  get to(): number | null {
    return this.lastTime === null ? null : this.lastTime + this.intervalMs;
  }

  get returnsPerYear(): number | null {
    const span = this.spanMs;
    return span > 0 ? this.n / (span / MS_PER_YEAR) : null;
  }

  /** Why annualised figures are not computed, or null when they are. */
  private tooShort(): string | null {
    if (this.n < MIN_RETURNS) return `fewer than ${MIN_RETURNS} return observations (${this.n})`;
    if (this.spanMs < MIN_SPAN_MS) return `the bars span less than one day (${round(this.spanMs / 3_600_000, 2)} h)`;
    return null;
  }

  /** mean / sample standard deviation × √(returns per year). */
  get sharpeFigure(): Figure {
    const why = this.tooShort();
    if (why) return { value: null, reason: why };
    const sd = Math.sqrt(this.m2 / (this.n - 1));
    if (!(sd > 0)) return { value: null, reason: 'the slice returns have no spread' };
    return annualised(this.mean / sd, this.returnsPerYear!);
  }

  /** mean / downside deviation × √(returns per year); downside deviation = √(Σ min(r, 0)² / n). */
  get sortinoFigure(): Figure {
    const why = this.tooShort();
    if (why) return { value: null, reason: why };
    const dd = Math.sqrt(this.downside / this.n);
    if (!(dd > 0)) return { value: null, reason: 'no slice return was negative' };
    return annualised(this.mean / dd, this.returnsPerYear!);
  }

  get sharpe(): number | null {
    return this.sharpeFigure.value;
  }

  /** (final / start)^(1 / years) − 1, in percent. */
  get cagrFigure(): Figure {
    if (this.spanMs < MIN_SPAN_MS) return { value: null, reason: `the bars span less than one day (${round(this.spanMs / 3_600_000, 2)} h)` };
    if (this.start <= 0) return { value: null, reason: 'the starting equity is not positive' };
    const growth = this.last / this.start;
    if (growth <= 0) return { value: -100, reason: null };
    return { value: round((growth ** (MS_PER_YEAR / this.spanMs) - 1) * 100, 4), reason: null };
  }

  /** CAGR / maximum drawdown (both as fractions). */
  get calmarFigure(): Figure {
    const cagr = this.cagrFigure;
    if (cagr.value === null) return cagr;
    if (this.maxDrawdown === 0) return { value: null, reason: 'no drawdown' };
    return { value: round(cagr.value / 100 / this.maxDrawdown, 4), reason: null };
  }

  get finalEquity(): bigint {
    return this.lastEquity;
  }
}
