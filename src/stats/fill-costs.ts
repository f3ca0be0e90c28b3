/**
 * What each fill cost against the close of the bar that decided its order: the fill model's price
 * (next-open's open, a gap through a stop, the slippage) compared with the close the strategy saw.
 *
 * slippage = (fill price − decision close) × qty for a buy, (decision close − fill price) × qty for
 * a sell: positive is a cost, negative an improvement (a limit filled below the close it was
 * decided on). Each fill's amount is rounded up to 1e-8 (against the trader), so the trips' and the
 * run's sums add up exactly. Fees are not in it: they are their own column.
 *
 * Built from events as they pass (the bus), never from events.ndjson: `--events trading` leaves the
 * bar lines out of the file, and the figures must not depend on it. An order's decision close is
 * taken when its `order` event passes (its openTime is its decision bar's, whose `bar` event came
 * before it); only working orders are kept, so memory stays flat.
 */
import type { FillEvent, OrderEvent, OrderSender } from '../events/types.ts';
import type { SlippageFigures } from '../events/summary-stats.ts';
import { divRound, fromUnits } from './decimal.ts';
import { round } from './round.ts';

/** What a fill brings to its round trip besides quantity and price. */
export interface FillCost {
  /** The order's type (`market`, `limit`, `stop`, `stop_limit`, `trailing_stop`); `unknown` for an order never seen (a bug). */
  readonly orderType: string;
  readonly by: OrderSender;
  /** Against the decision bar's close, 1e-8 money units, positive a cost. */
  readonly slippage: bigint;
}

interface WorkingOrder {
  readonly orderType: string;
  readonly by: OrderSender;
  /** The decision bar's close, ticks. */
  readonly ref: number;
  /** Lots not yet filled: the order is forgotten when it reaches 0. */
  remaining: number;
}

interface Totals {
  slippage: bigint;
  /** 1e-16 money units: exact whatever the lot step. */
  notional: bigint;
}

const UNITS = 100_000_000n;

/** n / d rounded toward +∞ (d > 0): a cost rounds up, an improvement toward 0. */
function ceilDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n > 0n && q * d !== n ? q + 1n : q;
}

export class FillCosts {
  private readonly working = new Map<string, WorkingOrder>();
  private readonly totals = new Map<string, Totals>();
  private readonly all: Totals = { slippage: 0n, notional: 0n };
  /** The close (ticks) of the symbol's bar at an openTime, as BarStats knows it. */
  private readonly closeAt: (symbol: string, openTime: number) => number | null;
  /** Decimals of the symbol's lot step (fills carry lots). */
  private readonly lotDecimals: (symbol: string) => number;

  constructor(closeAt: (symbol: string, openTime: number) => number | null, lotDecimals: (symbol: string) => number) {
    this.closeAt = closeAt;
    this.lotDecimals = lotDecimals;
  }

  order(e: OrderEvent): void {
    const ref = this.closeAt(e.symbol, e.openTime);
    if (ref === null) return;
    this.working.set(e.orderId, { orderType: e.orderType, by: e.sentBy ?? 'strategy', ref, remaining: e.qty });
  }

  /** A cancelled order fills no more. */
  cancel(orderId: string): void {
    this.working.delete(orderId);
  }

  fill(f: FillEvent): FillCost {
    const w = this.working.get(f.orderId);
    const ref = w?.ref ?? this.closeAt(f.symbol, Number.NaN) ?? f.price;
    if (w !== undefined) {
      w.remaining -= f.qty;
      if (w.remaining <= 0) this.working.delete(f.orderId);
    }
    const decimals = this.lotDecimals(f.symbol);
    const qty = BigInt(f.qty);
    const diff = BigInt(f.side === 'buy' ? f.price - ref : ref - f.price);
    const slippage = ceilDiv(diff * qty, 10n ** BigInt(decimals));
    const notional = BigInt(f.price) * qty * 10n ** BigInt(8 - decimals);
    let t = this.totals.get(f.symbol);
    if (t === undefined) {
      t = { slippage: 0n, notional: 0n };
      this.totals.set(f.symbol, t);
    }
    t.slippage += slippage;
    t.notional += notional;
    this.all.slippage += slippage;
    this.all.notional += notional;
    return { orderType: w?.orderType ?? 'unknown', by: w?.by ?? 'strategy', slippage };
  }

  /** The run's figures, or one symbol's. */
  figures(symbol?: string): SlippageFigures {
    const t = symbol === undefined ? this.all : (this.totals.get(symbol) ?? { slippage: 0n, notional: 0n });
    const notional = divRound(t.notional, UNITS);
    return {
      cost: fromUnits(t.slippage),
      tradedNotional: fromUnits(notional),
      bps: t.notional === 0n ? null : round((Number(t.slippage) / Number(notional)) * 10_000, 4),
    };
  }
}
