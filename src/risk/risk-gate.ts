/**
 * The one gate every order passes before the broker sees it: halts first, then the order's own
 * sanity, then the risk limits. A refusal is a typed value, never an exception.
 */
import type { Side, OrderType } from '../domain/types.ts';
import type { RejectReason } from '../events/types.ts';
import { formatMoney } from '../domain/price.ts';
import { notionalUp, type Instrument } from '../broker/instrument.ts';
import type { PaperBroker } from '../broker/paper-broker.ts';
import type { HaltSet } from './halt-set.ts';

export interface RiskLimits {
  /** Largest |position| × price per symbol, 1e-8 units. */
  readonly maxPositionNotional: bigint;
  /** Largest Σ |position| × price over all symbols. */
  readonly maxGrossExposure: bigint;
}

export interface GateRequest {
  readonly symbol: string;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly qty: number;
  readonly limitPrice: number | undefined;
  /** The price the order is expected to fill at (market: close with slippage; limit: the limit). */
  readonly refPrice: number;
}

export interface Refusal {
  readonly reason: RejectReason;
  readonly detail: string;
}

export class RiskGate {
  readonly limits: RiskLimits;
  readonly halts: HaltSet;

  constructor(limits: RiskLimits, halts: HaltSet) {
    this.limits = limits;
    this.halts = halts;
  }

  /**
   * `atFill`: a resting limit about to fill is checked again (cash and exposure may have moved
   * since it was accepted); it is no new order, so halts do not apply to it.
   */
  check(req: GateRequest, broker: PaperBroker, inst: Instrument, atFill = false): Refusal | null {
    if (!atFill && this.halts.halted) {
      return { reason: 'trading_halted', detail: `halted by ${this.halts.list().map((h) => `${h.reason} (${h.source})`).join(', ')}` };
    }
    if (!Number.isSafeInteger(req.qty) || req.qty <= 0) {
      return { reason: 'invalid_qty', detail: `qty must be a positive whole number of lots (lot step ${inst.lotStep}), got ${String(req.qty)}` };
    }
    if (req.orderType === 'limit' && !(Number.isSafeInteger(req.limitPrice) && req.limitPrice! > 0)) {
      return { reason: 'invalid_limit_price', detail: `a limit order needs a positive integer limitPrice in ticks, got ${String(req.limitPrice)}` };
    }
    const pos = broker.position(req.symbol);
    const buy = req.side === 'buy';
    // Worst case: every resting order on this side fills as well as this one.
    const pending = broker.restingQty(req.symbol, req.side);
    const next = pos + (buy ? pending + req.qty : -(pending + req.qty));
    // Orders that only reduce exposure always pass the limits: they are how a position gets smaller.
    if (buy ? next <= 0 : next >= 0) return null;
    const exposure = notionalUp(req.refPrice, Math.abs(next), inst);
    if (exposure > this.limits.maxPositionNotional) {
      return { reason: 'max_position_notional', detail: `position would be ${formatMoney(exposure)}, limit ${formatMoney(this.limits.maxPositionNotional)}` };
    }
    const gross = broker.grossExcept(req.symbol) + exposure;
    if (gross > this.limits.maxGrossExposure) {
      return { reason: 'max_gross_exposure', detail: `gross exposure would be ${formatMoney(gross)}, limit ${formatMoney(this.limits.maxGrossExposure)}` };
    }
    if (buy) {
      // Cash already promised to resting buy limits is not free (at fill time the order is off the book).
      const cost = broker.costOf(req.refPrice, Math.min(req.qty, next), req.symbol);
      const reserved = atFill ? 0n : broker.restingBuyCost();
      if (cost + reserved > broker.cash) {
        return { reason: 'insufficient_cash', detail: `costs ${formatMoney(cost)} with fees${reserved > 0n ? ` plus ${formatMoney(reserved)} held for resting buys` : ''}, cash is ${formatMoney(broker.cash)}` };
      }
    }
    return null;
  }
}
