/** Integer division with an explicit rounding direction: rounding always goes against the trader. */

export function divFloor(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function divCeil(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n === b < 0n ? q + 1n : q;
}

/** Parses basis points ("7.5") into integer 1e-4 bps, so fees and slippage stay integer. */
export function parseBps(text: string): bigint | null {
  const m = /^\s*(\d+)(?:\.(\d{1,4}))?\s*$/.exec(text);
  if (!m) return null;
  return BigInt(m[1]!) * 10_000n + BigInt((m[2] ?? '').padEnd(4, '0'));
}

/** 1 = 100% in the units of parseBps (bps × 1e4). */
export const BPS_E4_ONE = 100_000_000n;
