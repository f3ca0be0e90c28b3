/**
 * REDUCING (and every operator order) lets an order pass only if it makes |position| smaller
 * without flipping its sign, counting the resting orders on its side as filled. An order the
 * strategy marks reduceOnly is held to the same at placement, against the position alone (two
 * reduce-only exits of one position, a stop and a target, may both rest: each is shrunk to the
 * position when it fills, paper-broker.ts).
 */
import { formatLots } from '../../broker/instrument.ts';
import { onlyReduces, worstNext, type Check } from './check.ts';

export const reduceOnly: Check = (req, account, gate) => {
  if (gate.state !== 'REDUCING' && req.sentBy !== 'operator') return null;
  const { pos, next } = worstNext(req, account);
  if (onlyReduces(pos, next)) return null;
  const what =
    pos === 0
      ? 'there is no position to reduce'
      : `the ${req.order.symbol} position would go from ${formatLots(pos, req.inst)} to ${formatLots(next, req.inst)}`;
  return { reason: 'reduce_only', detail: `trading is REDUCING: only orders that shrink a position pass, and ${what}` };
};

export const reduceOnlyTerm: Check = (req, account) => {
  const { order } = req;
  if (req.phase !== 'new' || order.reduceOnly !== true) return null;
  const pos = account.position(order.symbol);
  const room = order.side === 'sell' ? pos : -pos;
  if (room >= order.qty) return null;
  const detail =
    pos === 0
      ? `reduce-only ${order.side}: there is no ${order.symbol} position to reduce`
      : room < 0
        ? `reduce-only ${order.side} would grow the ${order.symbol} position of ${formatLots(pos, req.inst)}`
        : `reduce-only ${order.side} of ${formatLots(order.qty, req.inst)} would flip the ${order.symbol} position of ${formatLots(pos, req.inst)} (at most ${formatLots(room, req.inst)} reduces it)`;
  return { reason: 'reduce_only', detail };
};
