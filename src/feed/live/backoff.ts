/**
 * Reconnect pacing. Exponential backoff with full jitter (a delay drawn from [0, min(cap, base·2^n)]),
 * so a fleet that lost Binance at once does not come back at once; reset after a healthy period.
 * ConnectBudget keeps attempts inside Binance's 300 connections per 5 minutes per IP.
 */

export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  readonly random: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly options: BackoffOptions;

  constructor(options: BackoffOptions) {
    this.options = options;
  }

  /** The delay before the next attempt; the first is within baseMs. */
  next(): number {
    const ceiling = Math.min(this.options.capMs, this.options.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.options.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

export class ConnectBudget {
  private readonly stamps: number[] = [];
  readonly limit: number;
  readonly windowMs: number;

  constructor(limit = 300, windowMs = 5 * 60_000) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** ms to wait before an attempt at `now` stays inside the budget (0: go now). */
  waitBefore(now: number): number {
    while (this.stamps.length > 0 && this.stamps[0]! <= now - this.windowMs) this.stamps.shift();
    if (this.stamps.length < this.limit) return 0;
    return this.stamps[0]! + this.windowMs - now;
  }

  record(now: number): void {
    this.stamps.push(now);
  }
}
