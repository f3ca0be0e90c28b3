/** At most --max-orders-per-minute accepted orders per 60 s of bar time: a runaway strategy is stopped, not obeyed. */
import type { Check } from './check.ts';

export const orderRate: Check = (req, _account, gate) => {
  const max = gate.limits.maxOrdersPerMinute;
  if (max === null || req.sentBy === 'operator') return null;
  const n = gate.ordersInMinute(req.order.createdAt);
  if (n < max) return null;
  return { reason: 'order_rate', detail: `${n} orders already accepted in the last 60 s of bar time (limit --max-orders-per-minute ${max})` };
};
