/**
 * HALTED lets no new order pass, except an operator's flatten: the emergency exit is never blocked
 * by the switch. A bracket's exit, resting through a halt, still fills: it only ever shrinks the
 * position it protects, and a halt must not strip a position of its stop.
 */
import { linkOf } from '../../broker/brackets.ts';
import type { OrderSender } from '../../events/reasons.ts';
import { onlyReduces, worstNext, type Check, type GateView, type Refusal } from './check.ts';

/** Reads only who sent the order: it runs before a new order's fields are read (a halted session names the halt). */
export function tradingStateCheck(req: { readonly sentBy: OrderSender }, _account: unknown, gate: GateView): Refusal | null {
  if (gate.state !== 'HALTED' || req.sentBy === 'operator') return null;
  return { reason: 'trading_halted', detail: 'trading is HALTED: no new order passes (see the halts held with tradeloop status)' };
}

/** At fill time: HALTED lets a bracket's exit fill as long as it only reduces (it is cut to the position at every fill, so it does). */
export const tradingStateAtFill: Check = (req, account, gate) => {
  if (gate.state === 'HALTED' && linkOf(req.order) !== null) {
    const { pos, next } = worstNext(req, account);
    if (onlyReduces(pos, next)) return null;
  }
  return tradingStateCheck(req, account, gate);
};
