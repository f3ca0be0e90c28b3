/**
 * The book as people read it, the same in the summary and in a running session's status: open
 * positions (with the market value and unrealized PnL at the last mark), resting orders, and the
 * gross exposure they add up to. Money and quantities as decimal text.
 */
import { formatMoney, formatPrice } from '../domain/price.ts';
import { unreachable } from '../domain/unreachable.ts';
import type { RestingOrder } from '../domain/types.ts';
import { formatLots, type Instrument } from './instrument.ts';
import { bracketOf } from './brackets.ts';
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

/** A resting order as text, one shape per resting order type (the summary's and the status's bytes for a limit predate the type field). */
export type RestingOrderView = (LimitOrderView | StopOrderView | MarketOrderView) & {
  /** Decided on a backfilled bar: matched from the symbol's first live bar on (a market order fills at that open). */
  readonly waitsFor?: 'live_open';
};

/**
 * What every view may add, each only when it applies (an order placed plainly reads as it always
 * did): what is left of a partly filled order (its `qty` is what was placed), and a time in force
 * other than GTC.
 */
interface ViewTerms {
  readonly remaining?: string;
  readonly timeInForce?: 'IOC' | 'FOK' | 'GTD';
}

/** A market order decided on a bar, working until the next bar of its symbol fills it at the open (--fill-model next-open). */
export interface MarketOrderView extends ViewTerms {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly qty: string;
  readonly orderType: 'market';
  /** A bracketed entry's exit prices, armed when it fills. */
  readonly takeProfit?: string;
  readonly stopLoss?: string;
}

export interface LimitOrderView extends ViewTerms {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly qty: string;
  readonly limitPrice: string;
  /** A bracketed entry's exit prices, armed when it fills. */
  readonly takeProfit?: string;
  readonly stopLoss?: string;
  /** A bracket's take-profit: its stop-loss sibling (one cancels the other). */
  readonly ocoWith?: string;
}

/** A stop, a stop-limit (with its limit) or a trailing stop (with its trail), at the stop it has now. */
export interface StopOrderView extends ViewTerms {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly qty: string;
  readonly orderType: 'stop' | 'stop_limit' | 'trailing_stop';
  readonly stopPrice: string;
  readonly limitPrice?: string;
  readonly trailBps?: number;
  /** A bracket's stop-loss: its take-profit sibling (one cancels the other). */
  readonly ocoWith?: string;
}

function restingView(o: RestingOrder, inst: Instrument): RestingOrderView {
  const filled = o.filledQty ?? 0;
  const head = {
    orderId: o.orderId,
    symbol: o.symbol,
    side: o.side,
    qty: formatLots(o.qty + filled, inst),
    ...(filled > 0 ? { remaining: formatLots(o.qty, inst) } : {}),
    ...(o.timeInForce === undefined ? {} : { timeInForce: o.timeInForce }),
    ...(o.waitsForLive ? { waitsFor: 'live_open' as const } : {}),
  };
  switch (o.orderType) {
    case 'market':
      return { ...head, orderType: 'market', ...bracketView(o) };
    case 'limit':
      return { ...head, limitPrice: formatPrice(o.limitPrice), ...bracketView(o), ...(o.ocoWith === undefined ? null : { ocoWith: o.ocoWith }) };
    case 'stop':
      return { ...head, orderType: 'stop', stopPrice: formatPrice(o.stopPrice), ...(o.ocoWith === undefined ? null : { ocoWith: o.ocoWith }) };
    case 'stop_limit':
      return { ...head, orderType: 'stop_limit', stopPrice: formatPrice(o.stopPrice), limitPrice: formatPrice(o.limitPrice) };
    case 'trailing_stop':
      return { ...head, orderType: 'trailing_stop', stopPrice: formatPrice(o.stopPrice), trailBps: o.trailBps };
    default:
      return unreachable(o);
  }
}

function bracketView(o: RestingOrder): { takeProfit: string; stopLoss: string } | null {
  const exits = bracketOf(o);
  return exits === null ? null : { takeProfit: formatPrice(exits.takeProfit), stopLoss: formatPrice(exits.stopLoss) };
}

/**
 * Where a resting order waits, as the summary and status lines print it: "@ 95.5" for a limit,
 * "stop 95 limit 95.5" and so on; then what remains of a partly filled one, and a time in force
 * other than GTC.
 */
export function restingTerms(o: RestingOrderView): string {
  const tail = `${o.remaining === undefined ? '' : `, ${o.remaining} remaining`}${o.timeInForce === undefined ? '' : `, ${o.timeInForce}`}`;
  if (o.waitsFor === undefined) return terms(o) + tail;
  return ('orderType' in o && o.orderType === 'market' ? 'market, at the first live open' : `${terms(o)}, from the first live bar`) + tail;
}

function terms(o: RestingOrderView): string {
  const oco = 'ocoWith' in o && o.ocoWith !== undefined ? `, one-cancels-other with ${o.ocoWith}` : '';
  const bracket = 'takeProfit' in o && o.takeProfit !== undefined ? `, bracket take-profit ${o.takeProfit} stop-loss ${o.stopLoss}` : '';
  if (!('orderType' in o)) return `@ ${o.limitPrice}${bracket}${oco}`;
  switch (o.orderType) {
    case 'market':
      return `market, at the next open${bracket}`;
    case 'stop':
      return `stop ${o.stopPrice}${oco}`;
    case 'stop_limit':
      return `stop ${o.stopPrice} limit ${o.limitPrice}`;
    case 'trailing_stop':
      return `trailing ${o.trailBps} bps, stop ${o.stopPrice}`;
    default:
      return unreachable(o);
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
