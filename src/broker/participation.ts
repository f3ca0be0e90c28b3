/**
 * The participation cap (--max-participation R): a bar fills at most R of its volume for a symbol,
 * in lots, shared by every order of the symbol it fills (in the order the path reaches them).
 *
 * R is held exactly as an integer of 1e-8 (0.1 is 10_000_000n), and a bar's volume, a float in
 * base-asset units, is read as the decimal it was written as (String() of a double gives the
 * shortest text that reads back as it, which is the csv's or Binance's text): floor(R × volume ×
 * lots per unit) in integers: 0.29 of a 100-share bar is 29 lots, where 0.29 * 100 is
 * 28.999999999999996 in floats and floors to 28; 0.1 of 0.7 BTC is 7000 lots of 0.00001, not the
 * 6999 that 0.1 * 0.7 * 1e5 floors to. Rounded down: against the trader.
 */

import type { Bar } from '../domain/types.ts';
import { formatLots, type Instrument } from './instrument.ts';

/** 1 as R's integer (1e-8 units). */
export const PARTICIPATION_ONE = 100_000_000n;

/** The default cap, 0.1: a tenth of a bar's volume. */
export const DEFAULT_PARTICIPATION_E8 = 10_000_000n;

const VOLUME_TEXT = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;
const MAX_LOTS = BigInt(Number.MAX_SAFE_INTEGER);

/** R from plain decimal text in (0, 1] with at most 8 decimals, as 1e-8 units; null otherwise. */
export function parseParticipation(text: string): bigint | null {
  const t = text.trim();
  const m = /^(\d*)(?:\.(\d{1,8}))?$/.exec(t);
  if (!m || (m[1] === '' && m[2] === undefined)) return null;
  const e8 = BigInt(m[1] || '0') * PARTICIPATION_ONE + BigInt((m[2] ?? '').padEnd(8, '0'));
  return e8 > 0n && e8 <= PARTICIPATION_ONE ? e8 : null;
}

/** R as the number the run's settings show (0.1). */
export function participationNumber(e8: bigint): number {
  return Number(e8) / 1e8;
}

/**
 * Lots a bar of `volume` (base-asset units) lets fill under the cap `e8`, for an instrument of
 * `lotDiv` lots per unit: floor(R × volume × lotDiv), 0 for a bar with no volume.
 */
export function capLots(volume: number, e8: bigint, lotDiv: bigint): number {
  if (!(volume > 0) || !Number.isFinite(volume)) return 0;
  const m = VOLUME_TEXT.exec(String(volume));
  if (m === null) return 0; // not reached: a positive finite double always prints in this form
  const frac = m[2] ?? '';
  const exp = (m[3] === undefined ? 0 : Number(m[3])) - frac.length;
  let num = BigInt(m[1]! + frac) * e8 * lotDiv;
  let den = PARTICIPATION_ONE;
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den *= 10n ** BigInt(-exp);
  const lots = num / den;
  return Number(lots > MAX_LOTS ? MAX_LOTS : lots);
}

/**
 * Each symbol's cap for the bar being matched: computed from the bar's volume the first time an
 * order of the symbol fills in it, then counted down by every fill of that bar (all orders share it).
 * Null R: no cap (a broker of unit tests about other things; the command line always sets one).
 */
export class BarCaps {
  private readonly e8: bigint | null;
  private readonly rate: number;
  private readonly bars = new Map<string, { openTime: number; approx: number; exact: number | null; taken: number }>();

  constructor(e8: bigint | null) {
    this.e8 = e8;
    this.rate = e8 === null ? 1 : Number(e8) / 1e8;
  }

  /**
   * Lots `bar` may still fill for its symbol, for an order that wants `want` of them: the exact
   * cap when it may bind, else `want` itself. The exact reading (capLots: text and BigInts) is
   * made only when the float estimate is within a hair of `want`: a double product is off by a
   * few parts in 10^16, far below the margin asked for here, so an estimate clear of `want` says
   * the exact cap is too.
   */
  left(bar: Bar, inst: Instrument, want: number): number {
    if (this.e8 === null) return Number.MAX_SAFE_INTEGER;
    let cap = this.bars.get(bar.symbol);
    if (cap === undefined) {
      cap = { openTime: Number.NaN, approx: 0, exact: null, taken: 0 };
      this.bars.set(bar.symbol, cap);
    }
    if (cap.openTime !== bar.openTime) {
      cap.openTime = bar.openTime;
      cap.approx = bar.volume > 0 && Number.isFinite(bar.volume) ? bar.volume * this.rate * Number(inst.lotDiv) : 0;
      cap.exact = null;
      cap.taken = 0;
    }
    if (cap.exact === null) {
      if (cap.approx - cap.taken > want * (1 + 1e-9) + 2) return want;
      cap.exact = capLots(bar.volume, this.e8, inst.lotDiv);
    }
    return cap.exact - cap.taken;
  }

  /** `lots` filled on `bar` (after left() was asked for it). */
  take(bar: Bar, lots: number): void {
    const cap = this.bars.get(bar.symbol);
    if (cap !== undefined) cap.taken += lots;
  }

  /** How the cap came to `left` lots for an order, as an IOC's or FOK's cancel says it. */
  text(bar: Bar, inst: Instrument, left: number): string {
    const e8 = this.e8 ?? PARTICIPATION_ONE;
    const all = capLots(bar.volume, e8, inst.lotDiv);
    return `the bar's volume ${bar.volume} allows ${formatLots(all, inst)} under --max-participation ${participationNumber(e8)}${left < all ? `, ${formatLots(all - left, inst)} of them taken by fills before it` : ''}`;
  }
}
