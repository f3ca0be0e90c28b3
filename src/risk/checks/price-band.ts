/**
 * A limit or a stop priced more than --price-band-pct from the symbol's last close is refused: a
 * fat finger, not a strategy. A bracket's exit prices are held to it too. A trailing stop names no
 * price (its trail is bounded instead).
 */
import { bracketOf } from '../../broker/brackets.ts';
import { formatPrice } from '../../domain/price.ts';
import { unreachable } from '../../domain/unreachable.ts';
import type { Order } from '../../domain/types.ts';
import type { Check, GateView, Refusal } from './check.ts';

export const priceBand: Check = (req, account, gate) => {
  if (gate.limits.priceBandPctE4 === null || req.sentBy === 'operator') return null;
  const { order } = req;
  switch (order.orderType) {
    case 'market':
      return exitsOutsideBand(order, account.lastMark(order.symbol), gate);
    case 'trailing_stop':
      return null;
    case 'limit':
      return outsideBand('limit', order.limitPrice, account.lastMark(order.symbol), gate) ?? exitsOutsideBand(order, account.lastMark(order.symbol), gate);
    case 'stop':
      return outsideBand('stop', order.stopPrice, account.lastMark(order.symbol), gate);
    case 'stop_limit':
      return (
        outsideBand('stop', order.stopPrice, account.lastMark(order.symbol), gate) ??
        outsideBand('limit', order.limitPrice, account.lastMark(order.symbol), gate)
      );
    default:
      return unreachable(order);
  }
};

function exitsOutsideBand(order: Order, last: number, gate: GateView): Refusal | null {
  const exits = bracketOf(order);
  if (exits === null) return null;
  return outsideBand('takeProfit', exits.takeProfit, last, gate) ?? outsideBand('stopLoss', exits.stopLoss, last, gate);
}

/** A price the order names, against the last close; no refusal before the symbol has a close. */
function outsideBand(what: string, price: number, last: number, gate: GateView): Refusal | null {
  const band = gate.limits.priceBandPctE4;
  if (band === null || last <= 0) return null;
  const off = BigInt(Math.abs(price - last));
  // |price − last| / last > band / (100 · 1e4), in integers.
  if (off * 1_000_000n <= band * BigInt(last)) return null;
  const pct = Number((off * 1_000_000n) / BigInt(last)) / 10_000;
  return {
    reason: 'price_band',
    detail: `${what} ${formatPrice(price)} is ${pct}% from the last close ${formatPrice(last)} (limit --price-band-pct ${Number(band) / 10_000})`,
  };
}
