/**
 * A bar that closed long before the newest one the feed has delivered (bars backfilled after an
 * outage) is still decided, so the strategy's state stays right, but an order from it that would
 * open or grow a position is refused: trading at an old close would be a free option on the
 * outage. One that only reduces a position passes, when it will wait for the first live bar (it is
 * decided on a backfilled bar): refusing it would leave the position open at whatever the market
 * does next, and waiting means it fills at a live price, never the old one. Bar time, so a replay
 * server's historical bars are not all stale; csv runs have no feed and are unaffected.
 */
import { onlyReduces, worstNext, type Check } from './check.ts';

export const barAge: Check = (req, account, gate) => {
  if (req.sentBy === 'operator') return null;
  const { symbol, createdAt } = req.order;
  const newest = gate.newestClosed(symbol);
  if (newest === undefined) return null;
  const age = (newest - createdAt) / gate.intervalMs;
  if (age <= gate.limits.maxBarAge) return null;
  if (req.waitsForLive) {
    const { pos, next } = worstNext(req, account);
    if (onlyReduces(pos, next)) return null;
  }
  return {
    reason: 'stale_bar',
    detail: `this bar closed ${age} intervals before the newest ${symbol} bar the feed delivered (limit --max-bar-age ${gate.limits.maxBarAge})`,
  };
};
