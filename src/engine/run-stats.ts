/**
 * Performance figures computed as the run goes (memory flat whatever its length): equity sampled
 * once per slice, maximum drawdown from the running peak, Sharpe from Welford's running mean and
 * variance of slice returns, annualised by the slices per year the data itself shows.
 */
const MS_PER_YEAR = 365.25 * 86_400_000;

export class RunStats {
  private peak: number;
  private last: number;
  private maxDrawdown = 0;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private firstTime: number | null = null;
  private lastTime: number | null = null;

  constructor(startEquity: bigint) {
    this.peak = Number(startEquity);
    this.last = this.peak;
  }

  sample(equity: bigint, time: number): void {
    const e = Number(equity);
    if (this.firstTime === null) this.firstTime = time;
    this.lastTime = time;
    if (this.last !== 0) {
      const r = (e - this.last) / this.last;
      this.n++;
      const d = r - this.mean;
      this.mean += d / this.n;
      this.m2 += d * (r - this.mean);
    }
    this.last = e;
    if (e > this.peak) this.peak = e;
    if (this.peak > 0) {
      const dd = (this.peak - e) / this.peak;
      if (dd > this.maxDrawdown) this.maxDrawdown = dd;
    }
  }

  get maxDrawdownPct(): number {
    return round(this.maxDrawdown * 100, 6);
  }

  /** null until there are two returns, a non-zero spread and a span of time to annualise over. */
  get sharpe(): number | null {
    if (this.n < 2 || this.firstTime === null || this.lastTime === null || this.lastTime <= this.firstTime) return null;
    const sd = Math.sqrt(this.m2 / (this.n - 1));
    if (!(sd > 0)) return null;
    const perYear = this.n / ((this.lastTime - this.firstTime) / MS_PER_YEAR);
    return round((this.mean / sd) * Math.sqrt(perYear), 4);
  }
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(value * f) / f;
  return Object.is(r, -0) ? 0 : r;
}
