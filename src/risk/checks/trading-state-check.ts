/** HALTED lets no new order pass, except an operator's flatten: the emergency exit is never blocked by the switch. */
import type { OrderSender } from '../../events/reasons.ts';
import type { GateView, Refusal } from './check.ts';

/** Reads only who sent the order: it runs before a new order's fields are read (a halted session names the halt). */
export function tradingStateCheck(req: { readonly sentBy: OrderSender }, _account: unknown, gate: GateView): Refusal | null {
  if (gate.state !== 'HALTED' || req.sentBy === 'operator') return null;
  return { reason: 'trading_halted', detail: 'trading is HALTED: no new order passes (see the halts held with tradeloop status)' };
}
