/**
 * REDUCING (and every operator order) lets an order pass only if it makes |position| smaller
 * without flipping its sign, counting the resting orders on its side as filled.
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
