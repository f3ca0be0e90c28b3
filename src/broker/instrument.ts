/**
 * Lot steps: quantities are integers of a step that fits the instrument, whole shares for
 * equities and a fraction for crypto (Binance's BTC step is 1e-5), so a BTCUSDT run with modest
 * cash still trades.
 */
import { divCeil, divFloor } from '../domain/money.ts';
import { formatLotsText, lotStepDecimals } from '../domain/lots.ts';

export interface Instrument {
  readonly symbol: string;
  /** Decimals of the lot step: 0 for 1, 5 for 0.00001. */
  readonly lotDecimals: number;
  readonly lotStep: string;
  /** 10^lotDecimals. */
  readonly lotDiv: bigint;
}

// Quote assets of crypto pairs: coins and stablecoins, and the fiat currencies exchanges quote coins in.
const CRYPTO_QUOTES = ['USDT', 'USDC', 'FDUSD', 'BUSD', 'TUSD', 'DAI', 'BTC', 'XBT', 'ETH', 'BNB', 'USD', 'EUR', 'GBP', 'JPY', 'TRY', 'BRL'];
export const CRYPTO_DEFAULT_STEP = '0.00001';

/**
 * A pair is BASE + QUOTE, written together (BTCUSDT, XBTUSD) or with - / _ between (BTC-USD,
 * BTC/USD, BTC_USDT), with a quote from the list. Written together, the base needs two letters
 * at least: share tickers that end in a coin's or a currency's name have one (GBTC, FBTC, SETH),
 * and a dash followed by a share class (BRK-B, BF-B) is no quote.
 */
export function isCryptoPair(symbol: string): boolean {
  const sep = /^([A-Z0-9]+)[-/_]([A-Z0-9]+)$/.exec(symbol);
  if (sep) return CRYPTO_QUOTES.includes(sep[2]!);
  return CRYPTO_QUOTES.some((q) => symbol.length >= q.length + 2 && symbol.endsWith(q) && /^[A-Z0-9]+$/.test(symbol));
}

/** A crypto pair's lot is a fraction (Binance's BTC step is 1e-5); anything else trades whole shares. */
export function defaultLotStep(symbol: string): string {
  return isCryptoPair(symbol) ? CRYPTO_DEFAULT_STEP : '1';
}

/** A lot step must be a power of ten from 1 down to 1e-8; returns null otherwise. */
export function makeInstrument(symbol: string, step: string): Instrument | null {
  const lotDecimals = lotStepDecimals(step);
  if (lotDecimals === null) return null;
  return { symbol, lotDecimals, lotStep: step.trim(), lotDiv: 10n ** BigInt(lotDecimals) };
}

/** Lots as a decimal quantity in asset units ("0.0012", "-3"). */
export function formatLots(lots: number, inst: Instrument): string {
  return formatLotsText(lots, inst.lotDecimals);
}

/** price (ticks) × lots → money (1e-8 units), rounded up (cost) or down (proceeds, marks). */
export function notionalUp(price: number, lots: number, inst: Instrument): bigint {
  return divCeil(BigInt(price) * BigInt(lots), inst.lotDiv);
}

export function notionalDown(price: number, lots: number, inst: Instrument): bigint {
  return divFloor(BigInt(price) * BigInt(lots), inst.lotDiv);
}
