/**
 * Binance kline intervals. The next expected openTime is the previous closeTime + 1: months and
 * weeks have no fixed length for every purpose, and 1M is calendar months.
 */

// A Map, not an object literal: `'constructor' in {...}` is true, and an interval name comes from the user.
const FIXED: ReadonlyMap<string, number> = new Map([
  ['1s', 1_000],
  ['1m', 60_000],
  ['3m', 180_000],
  ['5m', 300_000],
  ['15m', 900_000],
  ['30m', 1_800_000],
  ['1h', 3_600_000],
  ['2h', 7_200_000],
  ['4h', 14_400_000],
  ['6h', 21_600_000],
  ['8h', 28_800_000],
  ['12h', 43_200_000],
  ['1d', 86_400_000],
  ['3d', 259_200_000],
  ['1w', 604_800_000],
]);

export const INTERVALS: readonly string[] = [...FIXED.keys(), '1M'];

export function isInterval(text: string): boolean {
  return text === '1M' || FIXED.has(text);
}

/** Length of an interval in ms, or the typical length (30 days) for 1M: for budgets, not for math. */
export function nominalIntervalMs(interval: string): number {
  return FIXED.get(interval) ?? 30 * 86_400_000;
}

/** The last ms of the bar that opens at openTime. */
export function closeTimeOf(interval: string, openTime: number): number {
  const fixed = FIXED.get(interval);
  if (fixed !== undefined) return openTime + fixed - 1;
  const d = new Date(openTime);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - 1;
}

export function nextOpenTime(interval: string, openTime: number): number {
  return closeTimeOf(interval, openTime) + 1;
}

/**
 * The interval whose bars are `ms` apart: an exact fixed interval, or 1M for 28 to 31 days;
 * null for any other spacing.
 */
export function intervalOfSpacing(ms: number): string | null {
  for (const [name, length] of FIXED) if (length === ms) return name;
  return ms >= 28 * 86_400_000 && ms <= 31 * 86_400_000 ? '1M' : null;
}

const DAY_MS = 86_400_000;
/** 1970-01-05, the first Monday of the epoch: Binance's weekly bars open on Mondays, 00:00 UTC. */
const FIRST_MONDAY_MS = 4 * DAY_MS;

/**
 * Whether a bar of this interval can open at openTime. Intervals that divide a day open on
 * multiples of their length from UTC midnight; 1w on Mondays; 1M on the first of a month. The
 * phase of 3d bars is not documented, so only whole UTC days are required of them.
 */
export function isOnGrid(interval: string, openTime: number): boolean {
  if (!Number.isSafeInteger(openTime)) return false;
  if (interval === '1M') {
    const d = new Date(openTime);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) === openTime;
  }
  if (interval === '1w') return mod(openTime - FIRST_MONDAY_MS, 7 * DAY_MS) === 0;
  if (interval === '3d') return mod(openTime, DAY_MS) === 0;
  const fixed = FIXED.get(interval);
  return fixed !== undefined && mod(openTime, fixed) === 0;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** At most how many bars of this interval open in [from, to] (both inclusive): a bound for paging. */
export function maxBarsIn(interval: string, from: number, to: number): number {
  if (!(to >= from)) return 0;
  if (interval === '1M') {
    const a = new Date(from);
    const b = new Date(to);
    return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth()) + 1;
  }
  return Math.floor((to - from) / nominalIntervalMs(interval)) + 1;
}
