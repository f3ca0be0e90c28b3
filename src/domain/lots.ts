/**
 * A count of lots as the decimal quantity it is in asset units ("0.0012", "-3"): the lot step is
 * a power of ten, 10^-lotDecimals (0 for whole shares, 5 for Binance's BTC step of 0.00001).
 */

const LOTS_CACHE = 1021;
const lotsKeys = new Float64Array(LOTS_CACHE).fill(NaN);
const lotsDecimals = new Int8Array(LOTS_CACHE);
const lotsTexts: string[] = new Array<string>(LOTS_CACHE).fill('');

/** A position is written on every decision and mostly unchanged from the last: a small direct-mapped cache keeps its text. */
export function formatLotsText(lots: number, lotDecimals: number): string {
  if (lotDecimals === 0 || lots === 0) return String(lots);
  if (!Number.isSafeInteger(lots)) return lotsText(lots, lotDecimals);
  const slot = (lots < 0 ? -lots : lots) % LOTS_CACHE;
  if (lotsKeys[slot] === lots && lotsDecimals[slot] === lotDecimals) return lotsTexts[slot]!;
  const text = lotsText(lots, lotDecimals);
  lotsKeys[slot] = lots;
  lotsDecimals[slot] = lotDecimals;
  lotsTexts[slot] = text;
  return text;
}

function lotsText(lots: number, lotDecimals: number): string {
  const negative = lots < 0;
  const text = String(Math.abs(lots)).padStart(lotDecimals + 1, '0');
  const whole = text.slice(0, text.length - lotDecimals);
  const frac = text.slice(text.length - lotDecimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? '.' + frac : ''}`;
}

/** The decimals of a lot step written as text ("1" → 0, "0.00001" → 5); null when it is not a power of ten from 1 to 1e-8. */
export function lotStepDecimals(step: string): number | null {
  const m = /^(?:1|0\.(0{0,7})1)$/.exec(step.trim());
  if (!m) return null;
  return step.trim() === '1' ? 0 : m[1]!.length + 1;
}
