/**
 * The book as people read it, the same in the summary and in a running session's status: open
 * positions (with the market value and unrealized PnL at the last mark), resting orders, and the
 * gross exposure they add up to. Money and quantities as decimal text.
 */
import { formatMoney, formatPrice } from '../domain/price.ts';
import { unreachable } from '../domain/unreachable.ts';
import type { RestingOrder } from '../domain/types.ts';
import { formatLots, type Instrument } from './instrument.ts';
import type { PaperBroker } from './paper-broker.ts';

export interface PositionView {
  readonly symbol: string;
  readonly qty: string;
  /** The average price of the open quantity; only where asked for (the summary's bytes predate it). */
  readonly entryPrice?: string;
  readonly lastPrice: string;
  readonly marketValue: string;
  readonly unrealizedPnl: string;
}

/** A resting order as text, one shape per resting order type (the summary's and the status's bytes predate the type field). */
export type RestingOrderView = LimitOrderView;

export interface LimitOrderView {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly qty: string;
  readonly limitPrice: string;
}

function restingView(o: RestingOrder, inst: Instrument): RestingOrderView {
  switch (o.orderType) {
    case 'limit':
      return { orderId: o.orderId, symbol: o.symbol, side: o.side, qty: formatLots(o.qty, inst), limitPrice: formatPrice(o.limitPrice) };
    default:
      return unreachable(o.orderType);
  }
}

/** The average price paid (long) or received (short) for the open quantity, in ticks: basis over lots. */
export function entryPrice(basis: bigint, lots: number, lotDiv: bigint): number {
  if (lots === 0) return 0;
  return Number((basis * lotDiv) / BigInt(lots));
}

export interface BookView<P extends PositionView> {
  readonly positions: P[];
  readonly restingOrders: RestingOrderView[];
  readonly gross: bigint;
}

export function bookView(broker: PaperBroker, symbols: readonly string[], options: { readonly entryPrice: true }): BookView<Required<PositionView>>;
export function bookView(broker: PaperBroker, symbols: readonly string[], options: { readonly entryPrice: false }): BookView<PositionView>;
export function bookView(broker: PaperBroker, symbols: readonly string[], options: { readonly entryPrice: boolean }): BookView<PositionView> {
  let gross = 0n;
  const positions = symbols
    .filter((s) => broker.position(s) !== 0)
    .map((s) => {
      const inst = broker.instrument(s);
      const mv = broker.marketValue(s);
      gross += mv < 0n ? -mv : mv;
      return {
        symbol: s,
        qty: formatLots(broker.position(s), inst),
        ...(options.entryPrice ? { entryPrice: formatPrice(entryPrice(broker.basis(s), broker.position(s), inst.lotDiv)) } : {}),
        lastPrice: formatPrice(broker.lastMark(s)),
        marketValue: formatMoney(mv),
        unrealizedPnl: formatMoney(mv - broker.basis(s)),
      };
    });
  const restingOrders = symbols.flatMap((s) => broker.restingOrders(s).map((o) => restingView(o, broker.instrument(s))));
  return { positions, restingOrders, gross };
}
