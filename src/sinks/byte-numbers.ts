/**
 * Numbers and constant parts written straight into a buffer as ASCII, exactly as the serializers'
 * template strings write them: `${n}` for integers, formatPrice for ticks, Number::toString for
 * any other number. Used by the record and event encoders (record-encoder.ts, event-encoder.ts).
 */
import { formatLotsText } from '../domain/lots.ts';
import { formatPrice } from '../domain/price.ts';

const PRICE_SCALE = 100_000_000;
/** Ticks per lot for each lot step's decimals: a lot of step 10^-d is 10^(8-d) units of 1e-8. */
const TICKS_PER_LOT = [1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

export function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

export function put(b: Buffer, at: number, part: Uint8Array): number {
  const n = part.length;
  for (let i = 0; i < n; i++) b[at + i] = part[i]!;
  return at + n;
}

/** "00" .. "99" as byte pairs: two digits per division. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** A non-negative integer below 2^31, its digits only. */
function putSmall(b: Buffer, at: number, n: number): number {
  let len = n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
  const stop = at + len;
  let k = stop;
  let v = n | 0;
  while (len >= 2) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) << 1;
    b[--k] = PAIRS[r + 1]!;
    b[--k] = PAIRS[r]!;
    v = q;
    len -= 2;
  }
  if (len === 1) b[--k] = 48 + v;
  return stop;
}

/** Exactly `width` digits (zero-padded) of a non-negative integer below 10^width, width ≤ 9. */
function putPadded(b: Buffer, at: number, n: number, width: number): number {
  let v = n | 0;
  for (let k = at + width - 1; k >= at; k--) {
    const q = (v / 10) | 0;
    b[k] = 48 + (v - q * 10);
    v = q;
  }
  return at + width;
}

/** A safe integer in plain digits, as `${n}` writes it. */
export function putInt(b: Buffer, at: number, n: number): number {
  if (n >= 0 && n < 2_147_483_648 && (n | 0) === n) return putSmall(b, at, n);
  if (!Number.isSafeInteger(n)) return putText(b, at, String(n));
  if (n < 0) {
    b[at++] = 45;
    n = -n;
    if (n < 2_147_483_648) return putSmall(b, at, n);
  }
  // Below 2^53: at most 9 digits above the last 8, both halves int32.
  const hi = Math.floor(n / 1e8);
  return putPadded(b, putSmall(b, at, hi), n - hi * 1e8, 8);
}

/** ASCII text (a number's String()) byte by byte. */
export function putText(b: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) b[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** formatPrice: integer ticks as the shortest exact decimal ("670.63", "3", "-0.00000001"). */
export function putPrice(b: Buffer, at: number, ticks: number): number {
  if (!Number.isSafeInteger(ticks)) return putText(b, at, formatPrice(ticks));
  let abs = ticks;
  if (ticks < 0) {
    b[at++] = 45;
    abs = -ticks;
  }
  // Ticks are below 2^53, so the whole units (below 9.1e7) and the fraction (below 1e8) are int32.
  const whole = Math.floor(abs / PRICE_SCALE);
  let frac = (abs - whole * PRICE_SCALE) | 0;
  at = putSmall(b, at, whole);
  if (frac === 0) return at;
  let places = 8;
  while (frac % 10 === 0) {
    frac = (frac / 10) | 0;
    places--;
  }
  b[at++] = 46;
  return putPadded(b, at, frac, places);
}

/**
 * LotSteps.text: lots in asset units, which is formatPrice of lots × 10^(8 − decimals) ticks; a
 * count that is not a whole number as the number it is.
 */
export function putLots(b: Buffer, at: number, lots: number, lotDecimals: number): number {
  if (!Number.isSafeInteger(lots)) return putText(b, at, String(lots));
  const ticks = lots * TICKS_PER_LOT[lotDecimals]!;
  return Number.isSafeInteger(ticks) ? putPrice(b, at, ticks) : putText(b, at, formatLotsText(lots, lotDecimals));
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * `${volume}` (Number::toString: the fewest significant digits that read back as the same double,
 * in plain notation from 1e-6 up) without building the string, for volumes of at most 15
 * significant digits: the first count of decimals f at which an integer m gives m / 10^f === v
 * (division rounds correctly, so that is exactly "m × 10^-f reads back as v"). Up to 15 digits only
 * one such m exists, and it is within one of round(v × 10^f). Anything else goes through String().
 */
export function putVolume(b: Buffer, at: number, v: number): number {
  return putNumber(b, at, v);
}

/** `${v}` for any number: the sign, then the magnitude as putMagnitude writes it. */
export function putNumber(b: Buffer, at: number, v: number): number {
  if (Number.isSafeInteger(v)) return putInt(b, at, v); // -0 writes "0", as String(-0) does
  if (v < 0 && v > -1e15) {
    b[at++] = 45;
    return putMagnitude(b, at, -v);
  }
  return putMagnitude(b, at, v);
}

function putMagnitude(b: Buffer, at: number, v: number): number {
  if (Number.isSafeInteger(v) && v >= 0) return putInt(b, at, v);
  if (v >= 1e-6 && v < 1e15) {
    for (let f = 1; f <= 15; f++) {
      const p = POW10[f]!;
      const m = Math.round(v * p);
      if (m >= 1e15) break;
      const hit = m / p === v ? m : (m - 1) / p === v ? m - 1 : (m + 1) / p === v ? m + 1 : -1;
      if (hit < 0) continue;
      const whole = Math.floor(hit / p);
      at = putInt(b, at, whole);
      b[at++] = 46;
      const frac = hit - whole * p;
      if (f <= 8) return putPadded(b, at, frac, f);
      const hi = Math.floor(frac / 1e8);
      return putPadded(b, putPadded(b, at, hi, f - 8), frac - hi * 1e8, 8);
    }
  }
  return putText(b, at, String(v));
}
