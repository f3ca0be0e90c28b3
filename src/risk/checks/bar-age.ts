/**
 * A bar that closed long before the newest one the feed has delivered (bars backfilled after an
 * outage) is still decided, so the strategy's state stays right, but its orders are refused:
 * trading at an old close would be a free option on the outage. Bar time, so a replay server's
 * historical bars are not all stale; csv runs have no feed and are unaffected.
 */
import type { Check } from './check.ts';

export const barAge: Check = (req, _account, gate) => {
  if (req.sentBy === 'operator') return null;
  const { symbol, createdAt } = req.order;
  const newest = gate.newestClosed(symbol);
  if (newest === undefined) return null;
  const age = (newest - createdAt) / gate.intervalMs;
  if (age <= gate.limits.maxBarAge) return null;
  return {
    reason: 'stale_bar',
    detail: `this bar closed ${age} intervals before the newest ${symbol} bar the feed delivered (limit --max-bar-age ${gate.limits.maxBarAge})`,
  };
};
