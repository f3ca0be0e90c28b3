/**
 * A static run's id: a hash of its options and of its inputs' contents, never of paths, the
 * machine or the clock, so the same inputs give the same id in any clone.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DEFAULT_MARGIN_FLOOR_PCT_E4 } from './session-config.ts';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** bigint values (money) hash as their decimal text: JSON.stringify alone refuses them. */
export function runIdOf(canonical: unknown): string {
  const text = JSON.stringify(canonical, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * The risk limits that change what a run means, for its id: only those that are set, so that a
 * run without them keeps the id it always had.
 */
export function limitsKey(o: {
  readonly maxOrdersPerMinute: number | null;
  readonly priceBandPctE4: bigint | null;
  readonly maxDailyLoss: bigint | null;
  readonly maxDrawdownPctE4: bigint | null;
  readonly onLossLimit: string;
  readonly marginFloorPctE4: bigint | null;
}): Record<string, string | number> {
  const k: Record<string, string | number> = {};
  if (o.marginFloorPctE4 !== DEFAULT_MARGIN_FLOOR_PCT_E4) k.marginFloor = String(o.marginFloorPctE4);
  if (o.maxOrdersPerMinute !== null) k.maxOrdersPerMinute = o.maxOrdersPerMinute;
  if (o.priceBandPctE4 !== null) k.priceBand = String(o.priceBandPctE4);
  if (o.maxDailyLoss !== null) k.maxDailyLoss = String(o.maxDailyLoss);
  if (o.maxDrawdownPctE4 !== null) k.maxDrawdown = String(o.maxDrawdownPctE4);
  if (o.maxDailyLoss !== null || o.maxDrawdownPctE4 !== null) k.onLossLimit = o.onLossLimit;
  return k;
}
