/**
 * Maker and taker fees. An order that rested on the book and was filled by someone else's order
 * (a limit, including one the open gapped through: it was on the book before the open) pays the
 * maker rate; one that took liquidity (a market order, a stop or trailing stop once triggered, a
 * stop-limit filled on the bar that triggered it, an operator's flatten) pays the taker rate.
 *
 * Defaults a trader would not call flattering: a crypto pair pays Binance spot's standard rate
 * (VIP 0, no BNB discount: 0.1 % maker and taker); anything else pays 1 bp both ways, as every
 * run did before maker and taker were told apart. Rates are in 1e-4 bps (see parseBps).
 */
import { BPS_E4_ONE, divCeil } from '../domain/money.ts';
import type { Liquidity } from '../domain/types.ts';
import { isCryptoPair } from './instrument.ts';

export type { Liquidity } from '../domain/types.ts';

export interface FeeRates {
  readonly makerBpsE4: bigint;
  readonly takerBpsE4: bigint;
}

/** Fee rates per symbol: every symbol of a run has an entry. */
export type FeeSchedule = Readonly<Record<string, FeeRates>>;

/** Binance spot's standard rate, 10 bp (0.1 %) maker and taker: https://www.binance.com/en/fee/schedule */
export const CRYPTO_DEFAULT_FEE_BPS_E4 = 100_000n;
/** What any other instrument pays unless told: 1 bp, the one rate every run had before. */
export const DEFAULT_FEE_BPS_E4 = 10_000n;

export function defaultFeeRates(symbol: string): FeeRates {
  const rate = isCryptoPair(symbol) ? CRYPTO_DEFAULT_FEE_BPS_E4 : DEFAULT_FEE_BPS_E4;
  return { makerBpsE4: rate, takerBpsE4: rate };
}

/** One rate, maker and taker, for every symbol named (what --fee-bps gives). */
export function oneFeeRate(symbols: Iterable<string>, bpsE4: bigint): FeeSchedule {
  const out: Record<string, FeeRates> = {};
  for (const s of symbols) out[s] = { makerBpsE4: bpsE4, takerBpsE4: bpsE4 };
  return out;
}

export function rateFor(rates: FeeRates, liquidity: Liquidity): bigint {
  return liquidity === 'maker' ? rates.makerBpsE4 : rates.takerBpsE4;
}

/** The higher of the two rates (bigints: no Math.max). */
export function higherRate(rates: FeeRates): bigint {
  if (rates.makerBpsE4 > rates.takerBpsE4) return rates.makerBpsE4;
  return rates.takerBpsE4;
}

/** The fee on a notional at a rate, rounded up: against the trader. */
export function feeAt(notional: bigint, bpsE4: bigint): bigint {
  return divCeil(notional * bpsE4, BPS_E4_ONE);
}

/** The rate a run's symbols all pay, maker and taker alike; null when any rate differs. */
export function singleRate(fees: FeeSchedule, symbols: readonly string[]): bigint | null {
  const first = fees[symbols[0]!]?.makerBpsE4;
  if (first === undefined) return null;
  for (const s of symbols) {
    const r = fees[s];
    if (r === undefined || r.makerBpsE4 !== first || r.takerBpsE4 !== first) return null;
  }
  return first;
}

/**
 * The fee rates as a run's id and a journal's meaning hold them: the one rate (1e-4 bps) when
 * every symbol pays it maker and taker alike, which is what every run had before the two were told
 * apart (so such runs keep their ids and their journals resume); else each symbol's
 * `SYMBOL=maker/taker` in --symbols order.
 */
export function feeKey(fees: FeeSchedule, symbols: readonly string[]): string {
  const single = singleRate(fees, symbols);
  if (single !== null) return String(single);
  return symbols.map((s) => `${s}=${fees[s]!.makerBpsE4}/${fees[s]!.takerBpsE4}`).join(',');
}

/** Basis points as people write them: 1e-4 bps units to a number (10.5 for 105000). */
export function bpsNumber(bpsE4: bigint): number {
  return Number(bpsE4) / 10_000;
}

/** Per symbol, in bps: what run_start and summary.json say. */
export function feesInBps(fees: FeeSchedule, symbols: readonly string[]): Record<string, { makerBps: number; takerBps: number }> {
  const out: Record<string, { makerBps: number; takerBps: number }> = {};
  for (const s of symbols) out[s] = { makerBps: bpsNumber(fees[s]!.makerBpsE4), takerBps: bpsNumber(fees[s]!.takerBpsE4) };
  return out;
}

/** One group of symbols that pay the same rates, and why they pay them: what the summary's first lines say. */
export interface FeeGroup {
  readonly symbols: readonly string[];
  readonly makerBps: number;
  readonly takerBps: number;
  /** `crypto default` (Binance spot's standard rate), `default`, or `set` (by --fee-bps, --maker-fee-bps, --taker-fee-bps). */
  readonly basis: 'crypto default' | 'default' | 'set';
}

/** The symbols grouped by the rates they pay (in --symbols order of each group's first symbol). */
export function feeGroups(fees: FeeSchedule, symbols: readonly string[]): FeeGroup[] {
  const groups = new Map<string, { symbols: string[]; makerBps: number; takerBps: number; basis: FeeGroup['basis'] }>();
  for (const s of symbols) {
    const r = fees[s]!;
    const d = defaultFeeRates(s);
    const basis = r.makerBpsE4 !== d.makerBpsE4 || r.takerBpsE4 !== d.takerBpsE4 ? 'set' : isCryptoPair(s) ? 'crypto default' : 'default';
    const key = `${r.makerBpsE4}/${r.takerBpsE4}/${basis}`;
    const g = groups.get(key);
    if (g) g.symbols.push(s);
    else groups.set(key, { symbols: [s], makerBps: bpsNumber(r.makerBpsE4), takerBps: bpsNumber(r.takerBpsE4), basis });
  }
  return [...groups.values()];
}
