/** HALTED lets no new order pass, except an operator's flatten: the emergency exit is never blocked by the switch. */
import type { Check } from './check.ts';

export const tradingStateCheck: Check = (req, _account, gate) => {
  if (gate.state !== 'HALTED' || req.sentBy === 'operator') return null;
  return { reason: 'trading_halted', detail: 'trading is HALTED: no new order passes (see the halts held with tradeloop status)' };
};
