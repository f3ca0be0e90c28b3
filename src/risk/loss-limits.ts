/**
 * Loss limits, in bar time so that csv and realtime trip on the same bar: a daily loss (money below
 * the equity the trading day opened with; days in --tz) and a drawdown (percent below the session's
 * equity peak). Each breach becomes a halt of the severity --on-loss-limit chooses. daily_loss lifts
 * itself when the next day begins; drawdown is latched until an operator resumes it, and resuming
 * measures the drawdown afresh from the equity at that moment (or it would trip again at once).
 */
import type { ZoneOffsets } from '../domain/time.ts';
import { formatMoney } from '../domain/price.ts';

const DAY_MS = 86_400_000;

export interface LossLimitOptions {
  /** Money below the day's opening equity; null: no limit. */
  readonly maxDailyLoss: bigint | null;
  /** Percent below the peak, in 1e-4 percent; null: no limit. */
  readonly maxDrawdownPctE4: bigint | null;
  /** Zone of the trading day; null is UTC. */
  readonly zone: ZoneOffsets | null;
}

export interface Breach {
  readonly reason: 'daily_loss' | 'drawdown';
  readonly detail: string;
}

/** The figures a resumed session must restore to trip exactly where an uninterrupted one would. */
export interface LossLimitSnapshot {
  readonly day: number | null;
  readonly dayStartEquity: string;
  readonly peak: string;
}

export class LossLimits {
  private readonly options: LossLimitOptions;
  private day: number | null = null;
  private dayStartEquity: bigint;
  private peak: bigint;

  constructor(options: LossLimitOptions, startEquity: bigint) {
    this.options = options;
    this.dayStartEquity = startEquity;
    this.peak = startEquity;
  }

  get active(): boolean {
    return this.options.maxDailyLoss !== null || this.options.maxDrawdownPctE4 !== null;
  }

  private dayOf(at: number): number {
    const local = this.options.zone ? at + this.options.zone.offsetAt(at) : at;
    return Math.floor(local / DAY_MS);
  }

  /**
   * Called at the start of every cycle with the equity before it: true when this bar opens a new
   * trading day (the day's opening equity is taken here, and a daily_loss halt may lift).
   */
  beginCycle(at: number, equity: bigint): boolean {
    const day = this.dayOf(at);
    if (day === this.day) return false;
    const first = this.day === null;
    this.day = day;
    this.dayStartEquity = equity;
    return !first;
  }

  /** After the cycle's mark: the limits this equity breaches (the peak moves up first). */
  breaches(equity: bigint): Breach[] {
    if (equity > this.peak) this.peak = equity;
    const out: Breach[] = [];
    const { maxDailyLoss, maxDrawdownPctE4 } = this.options;
    if (maxDailyLoss !== null && this.dayStartEquity - equity > maxDailyLoss) {
      out.push({
        reason: 'daily_loss',
        detail: `equity ${formatMoney(equity)} is ${formatMoney(this.dayStartEquity - equity)} below the day's opening ${formatMoney(this.dayStartEquity)} (limit --max-daily-loss ${formatMoney(maxDailyLoss)})`,
      });
    }
    // (peak − equity) / peak > pct / 100, with pct in 1e-4 percent: all integer.
    if (maxDrawdownPctE4 !== null && this.peak > 0n && (this.peak - equity) * 1_000_000n > maxDrawdownPctE4 * this.peak) {
      const pct = Number(((this.peak - equity) * 1_000_000n) / this.peak) / 10_000;
      out.push({
        reason: 'drawdown',
        detail: `equity ${formatMoney(equity)} is ${pct}% below the peak ${formatMoney(this.peak)} (limit --max-drawdown-pct ${Number(maxDrawdownPctE4) / 10_000})`,
      });
    }
    return out;
  }

  /** An operator resumed the drawdown halt: drawdown is measured from here on. */
  resetPeak(equity: bigint): void {
    this.peak = equity;
  }

  snapshot(): LossLimitSnapshot {
    return { day: this.day, dayStartEquity: String(this.dayStartEquity), peak: String(this.peak) };
  }

  restore(s: LossLimitSnapshot): void {
    this.day = s.day;
    this.dayStartEquity = BigInt(s.dayStartEquity);
    this.peak = BigInt(s.peak);
  }
}
