/**
 * Exact decimals of the event log ("-12.5", "0.00001") as bigint units of 1e-8, the scale every
 * price, quantity and amount in the log has, so round trips add up to the broker's figures exactly.
 */
import { formatMoney } from '../domain/price.ts';

const SCALE = 100_000_000n;
const DECIMALS = 8;

/**
 * The decimal text as 1e-8 units; throws on anything else (the log is written by us: a bug).
 * Most values fit a double exactly (below 2^53 units): those are summed as numbers, digit by digit.
 */
export function toUnits(text: string): bigint {
  const negative = text.charCodeAt(0) === 45;
  const dot = text.indexOf('.');
  const start = negative ? 1 : 0;
  const end = dot < 0 ? text.length : dot;
  const fracLen = dot < 0 ? 0 : text.length - dot - 1;
  if (end === start || fracLen > DECIMALS || (dot >= 0 && fracLen === 0) || end - start > 15) return slowUnits(text);
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return slowUnits(text);
    v = v * 10 + d;
  }
  let f = 0;
  for (let i = dot + 1; dot >= 0 && i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return slowUnits(text);
    f = f * 10 + d;
  }
  f *= 10 ** (DECIMALS - fracLen);
  const units = v * 100_000_000 + f;
  if (!Number.isSafeInteger(units)) return slowUnits(text);
  return BigInt(negative ? -units : units);
}

function slowUnits(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,8}))?$/.exec(text);
  if (!m) throw new Error(`not an exact decimal of at most 8 places: ${JSON.stringify(text.slice(0, 40))}`);
  const v = BigInt(m[2]!) * SCALE + BigInt((m[3] ?? '').padEnd(DECIMALS, '0'));
  return m[1] === '-' ? -v : v;
}

/** 1e-8 units back to the shortest exact decimal. */
export function fromUnits(units: bigint): string {
  return formatMoney(units);
}

/** A product of two 1e-8 quantities divided by a 1e-8 quantity, rounded half away from zero to 1e-8. */
export function divRound(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) return 0n;
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = (2n * n + d) / (2n * d);
  return negative ? -q : q;
}

/** Money (1e-8 units) as a JS number of whole quote units, for ratios and charts only. */
export function unitsToNumber(units: bigint): number {
  return Number(units) / 1e8;
}
