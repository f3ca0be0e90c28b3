/** A limit priced more than --price-band-pct from the symbol's last close is refused: a fat finger, not a strategy. */
import { formatPrice } from '../../domain/price.ts';
import type { Check } from './check.ts';

export const priceBand: Check = (req, account, gate) => {
  const band = gate.limits.priceBandPctE4;
  if (band === null || req.orderType !== 'limit' || req.sentBy === 'operator') return null;
  const last = account.lastMark(req.symbol);
  if (last <= 0) return null;
  const off = BigInt(Math.abs(req.limitPrice! - last));
  // |limit − last| / last > band / (100 · 1e4), in integers.
  if (off * 1_000_000n <= band * BigInt(last)) return null;
  const pct = Number((off * 1_000_000n) / BigInt(last)) / 10_000;
  return {
    reason: 'price_band',
    detail: `limit ${formatPrice(req.limitPrice!)} is ${pct}% from the last close ${formatPrice(last)} (limit --price-band-pct ${Number(band) / 10_000})`,
  };
};
