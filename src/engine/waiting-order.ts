/**
 * What the operator is told of an order decided on a bar backfilled after a feed outage: it was
 * accepted but waits for its symbol's first live bar, and the position stays as it is meanwhile.
 * The line names that position, since an exit that waits leaves it open to the market.
 */
import type { Order } from '../domain/types.ts';
import { formatLots, type Instrument } from '../broker/instrument.ts';

/** "SOLUSDT long 1.5 left open: exit sell 1.5 market decided on the backfilled bar of 2026-01-05T00:03Z waits for the first live open". */
export function waitingMessage(order: Order, position: number, inst: Instrument): string {
  const exit = position !== 0 && position > 0 === (order.side === 'sell');
  const held =
    position === 0
      ? `${order.symbol} flat`
      : `${order.symbol} ${position > 0 ? 'long' : 'short'} ${formatLots(Math.abs(position), inst)}${exit ? ' left open' : ''}`;
  const bar = new Date(order.createdAt).toISOString().replace(/:00\.000Z$/, 'Z');
  const wait = order.orderType === 'market' ? 'waits for the first live open' : 'is matched from the first live bar on, never against a backfilled one';
  return `${held}: ${exit ? 'exit ' : ''}${order.side} ${formatLots(order.qty, inst)} ${order.orderType} decided on the backfilled bar of ${bar} ${wait}`;
}
